import LabPipeline
import LabStore

/// `safety`: the policy's categories drop or flag a question/answer pair that uses their terms.
struct SafetyBlock: FlowBlock {
    let name: String
    let policy: SafetyPolicy

    func run(_ rows: [Candidate], context: BlockContext) async throws -> [Candidate] {
        judgeEach(rows) { row in
            guard let violation = policy.violation(in: row.question + "\n" + row.answer) else {
                return Verdict(filter: name, filterVersion: policy.version, decision: .accept, reason: "no policy term")
            }
            return Verdict(filter: name, filterVersion: policy.version,
                           decision: violation.category.action == .drop ? .reject : .flag,
                           reason: "\(violation.category.name): '\(violation.term)'")
        }
    }
}
