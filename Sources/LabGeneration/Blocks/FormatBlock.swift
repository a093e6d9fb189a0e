import LabPipeline
import LabStore

/// `format`: drops empty, truncated, echoed and refused outputs.
struct FormatBlock: FlowBlock {
    let name: String
    let echoThreshold: Double

    func run(_ rows: [Candidate], context: BlockContext) async throws -> [Candidate] {
        var filter = FormatFilter()
        filter.echoThreshold = echoThreshold
        return judgeEach(rows) { row in
            let (accepted, reason) = filter.evaluate(question: row.question, answer: row.answer, finishReason: row.finishReason)
            return Verdict(filter: name, filterVersion: FormatFilter.version, decision: accepted ? .accept : .reject, reason: reason)
        }
    }
}
