import LabPipeline
import LabStore

/// `ground`: the answer must be supported by the unit's source (the knowledge chunk or the grounded
/// skill's context): enough of its content words, and every number, must be in the source. The
/// best supporting sentence's offsets are kept as evidence.
struct GroundBlock: FlowBlock {
    let name: String
    let threshold: Double

    func run(_ rows: [Candidate], context: BlockContext) async throws -> [Candidate] {
        let filter = GroundingFilter(threshold: threshold)
        return judgeEach(rows) { row in
            // Knowledge rows answer from their chunk; grounded skills from their context, which
            // an earlier block may have written (the full pipeline generates new contexts).
            let source = row.columns["chunk"] ?? row.columns["context"] ?? context.unit.context ?? ""
            let result = filter.evaluate(answer: row.answer, source: source)
            var evidence: [String: String] = [:]
            if let span = result.bestSpan {
                evidence["span_start"] = String(span.lowerBound)
                evidence["span_end"] = String(span.upperBound)
            }
            if !result.unsupportedNumbers.isEmpty { evidence["unsupported_numbers"] = result.unsupportedNumbers.joined(separator: " ") }
            // Reasons are kept to a few fixed phrases so the funnel can count them; the figures are
            // in the score and the evidence.
            let reason = result.accepted ? "supported by the source"
                : !result.unsupportedNumbers.isEmpty ? "numbers not in the source"
                : "answer not supported by the source"
            return Verdict(filter: name, filterVersion: GroundingFilter.version, score: result.support, threshold: threshold,
                           decision: result.accepted ? .accept : .reject, reason: reason, evidence: GenerateBlock.json(evidence))
        }
    }
}
