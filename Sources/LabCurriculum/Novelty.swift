public import Foundation
import LabDocuments
import LabGGUF
public import LabGeneration
import LabLLM
import LabTokenizer

/// Novelty scores from GGUF models run by the engine (float activations, so the losses are the
/// model's, not the generation path's rounding): a target model, an optional reference model, and
/// zlib. Each text is scored whole (windows of the model's context when longer); one text at a time.
public final class ModelNoveltyScorer: NoveltyScoring, @unchecked Sendable {
    private struct Scorer {
        let model: DecoderModel
        let tokenizer: Tokenizer

        init(_ url: URL, threads: Int?) throws {
            let file = try GGUFFile(url: url)
            model = try DecoderModel(file: file, threads: threads, quantizesActivations: false)
            tokenizer = try Tokenizer(TokenizerVocabulary(gguf: file))
        }

        /// Mean loss per predicted token (nats), the predictions, and bits per byte of the text.
        func measure(_ text: String) throws -> (loss: Double, tokens: Int, bitsPerByte: Double) {
            let tokens = tokenizer.encode(text, addSpecial: true, parseSpecial: false)
            guard let (nll, count) = try model.negativeLogLikelihood(tokens: tokens), count > 0 else { return (0, 0, 0) }
            return (nll / Double(count), count, nll / log(2) / Double(max(1, text.utf8.count)))
        }
    }

    private let target: Scorer
    private let reference: Scorer?
    private let lock = NSLock()

    public init(target: URL, reference: URL?, threads: Int? = nil) throws {
        self.target = try Scorer(target, threads: threads)
        self.reference = try reference.map { try Scorer($0, threads: threads) }
    }

    public func score(_ text: String) throws -> NoveltyScore {
        try lock.withLock {
            let t = try target.measure(text)
            let r = try reference?.measure(text)
            return NoveltyScore(bytes: text.utf8.count, targetTokens: t.tokens, targetLoss: t.loss, targetBitsPerByte: t.bitsPerByte,
                                referenceTokens: r?.tokens, referenceLoss: r?.loss, referenceBitsPerByte: r?.bitsPerByte,
                                zlibBitsPerByte: ZlibEntropy.bitsPerByte(text) ?? 0)
        }
    }
}
