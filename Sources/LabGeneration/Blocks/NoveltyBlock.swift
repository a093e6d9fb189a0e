import Foundation
import LabPipeline
import LabStore

/// How new a text is to a model, in bits per byte so models with different tokenizers compare.
///
/// - `likelihoodRatio` = target − reference bits per byte: positive when the target model finds
///   the text harder than the reference does (the reference-model attack of Carlini et al. 2021,
///   the likelihood-ratio idea of LiRA, Carlini et al. 2022, as Albatross used it to pick
///   pre-training text). Higher: less likely seen by the target.
/// - `zlibRatio` = target bits per byte ÷ zlib bits per byte: the model's surprise relative to
///   the text's plain redundancy (Carlini et al. 2021). Higher: less likely seen.
public struct NoveltyScore: Sendable, Codable, Equatable {
    public var bytes: Int
    /// Target model: predictions scored and their mean loss (nats per token).
    public var targetTokens: Int
    public var targetLoss: Double
    public var targetBitsPerByte: Double
    public var referenceTokens: Int?
    public var referenceLoss: Double?
    public var referenceBitsPerByte: Double?
    public var zlibBitsPerByte: Double

    public init(bytes: Int, targetTokens: Int, targetLoss: Double, targetBitsPerByte: Double, referenceTokens: Int?, referenceLoss: Double?,
                referenceBitsPerByte: Double?, zlibBitsPerByte: Double) {
        self.bytes = bytes
        self.targetTokens = targetTokens
        self.targetLoss = targetLoss
        self.targetBitsPerByte = targetBitsPerByte
        self.referenceTokens = referenceTokens
        self.referenceLoss = referenceLoss
        self.referenceBitsPerByte = referenceBitsPerByte
        self.zlibBitsPerByte = zlibBitsPerByte
    }

    public var likelihoodRatio: Double? { referenceBitsPerByte.map { targetBitsPerByte - $0 } }
    public var zlibRatio: Double { zlibBitsPerByte > 0 ? targetBitsPerByte / zlibBitsPerByte : 0 }

    public func value(_ measure: NoveltyMeasure) -> Double? {
        switch measure {
        case .likelihoodRatio: likelihoodRatio
        case .zlibRatio: zlibRatio
        }
    }
}

/// Which novelty score a threshold applies to.
public enum NoveltyMeasure: String, Sendable, Codable, CaseIterable {
    case likelihoodRatio = "likelihood_ratio"
    case zlibRatio = "zlib_ratio"
}

/// Scores texts with a target model (and a reference model).
public protocol NoveltyScoring: Sendable {
    func score(_ text: String) throws -> NoveltyScore
}

/// Makes a scorer from the block's `model` (nil: the default model) and `reference` options.
public typealias NoveltyScorerFactory = @Sendable (_ model: String?, _ reference: String?) throws -> any NoveltyScoring

/// `novelty`: keeps knowledge chunks whose novelty score is at least `threshold`; rejected rows
/// carry every figure as evidence. The scorer is made on first use (loading models), and each
/// chunk is scored once however many rows share it.
final class NoveltyBlock: FlowBlock, @unchecked Sendable {
    let name: String
    let model: String?
    let reference: String?
    let threshold: Double
    let measure: NoveltyMeasure
    private let factory: NoveltyScorerFactory?
    private let lock = NSLock()
    private var scorer: (any NoveltyScoring)?
    private var scores: [String: NoveltyScore] = [:]

    init(name: String, model: String?, reference: String?, threshold: Double, measure: NoveltyMeasure, factory: NoveltyScorerFactory?) {
        self.name = name
        self.model = model
        self.reference = reference
        self.threshold = threshold
        self.measure = measure
        self.factory = factory
    }

    private func score(_ text: String) throws -> NoveltyScore {
        try lock.withLock {
            if let known = scores[text] { return known }
            if scorer == nil {
                guard let factory else {
                    throw GenerationError.novelty(block: name, "novelty scoring needs the target and reference models, which only `synthlab generate` loads")
                }
                do { scorer = try factory(model, reference) } catch {
                    throw GenerationError.novelty(block: name, "cannot load its models: \(error) (hint: check the block's 'model' and 'reference' paths)")
                }
            }
            let score: NoveltyScore
            do { score = try scorer!.score(text) } catch { throw GenerationError.novelty(block: name, "scoring a chunk failed: \(error)") }
            scores[text] = score
            return score
        }
    }

    func run(_ rows: [Candidate], context: BlockContext) async throws -> [Candidate] {
        var result: [Candidate] = []
        for var row in rows {
            guard !row.isRejected else { result.append(row); continue }
            let text = row.columns["chunk"] ?? row.columns["context"] ?? context.unit.context ?? ""
            guard !text.isEmpty else {
                row.verdicts.append(Verdict(filter: name, filterVersion: "1", decision: .accept, reason: "no chunk to score"))
                result.append(row)
                continue
            }
            let score = try score(text)
            let value = score.value(measure) ?? 0
            let kept = value >= threshold
            let evidence = GenerateBlock.json([
                "measure": measure.rawValue, "target_bits_per_byte": String(format: "%.4f", score.targetBitsPerByte),
                "reference_bits_per_byte": score.referenceBitsPerByte.map { String(format: "%.4f", $0) } ?? "",
                "zlib_bits_per_byte": String(format: "%.4f", score.zlibBitsPerByte), "bytes": "\(score.bytes)",
            ])
            row.verdicts.append(Verdict(filter: name, filterVersion: "1", score: value, threshold: threshold, decision: kept ? .accept : .reject,
                                        reason: String(format: "%@ %.4f %@ %.4f", measure.rawValue, value, kept ? ">=" : "<", threshold)
                                            + (kept ? "" : ": the model has likely seen text like this chunk"),
                                        evidence: evidence))
            result.append(row)
        }
        return result
    }
}
