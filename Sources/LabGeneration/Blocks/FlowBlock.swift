public import Foundation
public import LabCore
public import LabPipeline
public import LabStore

/// A candidate sample as it moves through a flow: its columns, where its text came from, and the
/// verdicts of the blocks it passed.
public struct Candidate: Sendable {
    public var columns: [String: String]
    /// The response whose text produced the candidate's newest column.
    public var responseID: Int64?
    public var finishReason: FinishReason = .stop
    public var verdicts: [Verdict] = []

    public var isRejected: Bool { verdicts.contains { $0.decision == .reject } }
    public var question: String { columns["question"] ?? "" }
    public var answer: String { columns["answer"] ?? "" }
}

/// What a block may use while it runs: the unit, and the teacher (answers come from the store's
/// cache when the same request was asked before).
public struct BlockContext: Sendable {
    public var unit: WorkUnit
    public var teacher: CachedTeacher
}

/// A pipeline block at run time. Blocks only touch rows not yet rejected; rejected rows pass
/// through unchanged so every candidate reaches the store with its verdicts.
public protocol FlowBlock: Sendable {
    var name: String { get }
    func run(_ rows: [Candidate], context: BlockContext) async throws -> [Candidate]
}

extension FlowBlock {
    /// Applies a per-row decision to every live row.
    func judgeEach(_ rows: [Candidate], _ decide: (Candidate) -> Verdict) -> [Candidate] {
        rows.map { row in
            guard !row.isRejected else { return row }
            var row = row
            row.verdicts.append(decide(row))
            return row
        }
    }
}

/// Builds the run-time block for a spec: the registry from `BlockKind` to implementation. Option
/// values are parsed here, at plan time, so a bad number fails before any teacher call.
public enum BlockFactory {
    public static func make(_ spec: BlockSpec, pipelinesRoot: URL) throws(GenerationError) -> any FlowBlock {
        func number(_ key: String, default value: Double, in range: ClosedRange<Double>) throws(GenerationError) -> Double {
            guard let text = spec.options[key] else { return value }
            guard let parsed = Double(text), range.contains(parsed) else {
                throw .plan([Diagnostic(.error, at: spec.location, rule: "option-value",
                    message: "block '\(spec.name)': '\(key)' must be a number in \(range.lowerBound)…\(range.upperBound), not '\(text)'",
                    hint: "write e.g. \(key): \"\(value)\"")])
            }
            return parsed
        }
        switch spec.kind {
        case .generate:
            return GenerateBlock(
                spec: spec, parser: ReplyParser(rawValue: spec.options["parse"] ?? "") ?? .answer,
                count: Int(try number("n", default: 1, in: 1...64)),
                parameters: SamplingParameters(
                    temperature: Float(try number("temperature", default: 0.7, in: 0...2)),
                    topP: Float(try number("top_p", default: 0.95, in: 0.01...1)),
                    maxTokens: Int(try number("max_tokens", default: 256, in: 1...8192)),
                    stop: spec.listOption("stop")))
        case .judge:
            guard let scale = JudgeScale(spec.options["scale"] ?? "") else {
                throw .plan([Diagnostic(.error, at: spec.location, rule: "option-value",
                    message: "block '\(spec.name)': unknown scale '\(spec.options["scale"] ?? "")'",
                    hint: "scales: yes_no, or a range such as 0-2 or 1-3")])
            }
            return JudgeBlock(spec: spec, output: spec.options["output"] ?? "score", scale: scale,
                              maxTokens: Int(try number("max_tokens", default: 16, in: 1...2048)), stop: spec.listOption("stop"))
        case .filter:
            guard let comparison = FilterBlock.Comparison(rawValue: spec.options["operator"] ?? "") else {
                throw .plan([Diagnostic(.error, at: spec.location, rule: "option-value",
                    message: "block '\(spec.name)': unknown operator '\(spec.options["operator"] ?? "")'",
                    hint: "operators: \(FilterBlock.Comparison.allCases.map(\.rawValue).joined(separator: " "))")])
            }
            return FilterBlock(name: spec.name, column: spec.options["column"] ?? "", comparison: comparison, value: spec.options["value"] ?? "")
        case .ground:
            return GroundBlock(name: spec.name, threshold: try number("threshold", default: 0.6, in: 0...1))
        case .safety:
            let url = pipelinesRoot.appendingPathComponent(spec.options["policy"] ?? "")
            do {
                return SafetyBlock(name: spec.name, policy: try SafetyPolicy.load(from: url))
            } catch {
                throw .plan([Diagnostic(.error, at: spec.location, rule: "policy", message: "block '\(spec.name)': \(error)",
                                        hint: "policies are relative to \(pipelinesRoot.path)")])
            }
        case .format:
            return FormatBlock(name: spec.name, echoThreshold: try number("echo_threshold", default: 0.8, in: 0.01...1))
        case .dedup:
            return DedupBlock(name: spec.name, threshold: try number("threshold", default: 0.7, in: 0.01...1))
        }
    }
}
