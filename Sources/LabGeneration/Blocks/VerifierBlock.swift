import Foundation
import LabPipeline
import LabStore

/// A verifier as a flow block: it checks each live row with a `CandidateVerifier` and stores the
/// finding as a verdict under the block's name. Rows of leaves outside the block's `leaves` globs,
/// and rows the check does not apply to, get no verdict.
struct VerifierBlock: FlowBlock {
    let name: String
    let version: String
    let verifier: any CandidateVerifier
    /// Leaf globs the block applies to; empty means every leaf of the flow.
    let leaves: [LeafGlob]

    func run(_ rows: [Candidate], context: BlockContext) async throws -> [Candidate] {
        guard leaves.isEmpty || leaves.contains(where: { $0.matches(context.leafPath) }) else { return rows }
        return rows.map { row in
            guard !row.isRejected, let finding = verifier.verify(row.text(in: context)) else { return row }
            var row = row
            row.verdicts.append(Verdict(finding, filter: name, version: version))
            return row
        }
    }
}

extension Candidate {
    /// The candidate as verifiers see it: knowledge rows answer from their chunk, grounded rows
    /// from their context (which an earlier block may have written).
    func text(in context: BlockContext) -> CandidateText {
        CandidateText(leafPath: context.leafPath, flow: context.flow, question: question, answer: answer,
                      context: columns["chunk"] ?? columns["context"] ?? context.unit.context, reference: columns["definition"])
    }
}

extension Verdict {
    init(_ finding: Finding, filter: String, version: String) {
        let decision: Decision = switch finding.decision {
        case .accept: .accept
        case .reject: .reject
        case .flag: .flag
        }
        self.init(filter: filter, filterVersion: version, score: finding.score, threshold: finding.threshold, decision: decision,
                  reason: finding.reason, evidence: finding.evidence.isEmpty ? nil : GenerateBlock.json(finding.evidence))
    }
}
