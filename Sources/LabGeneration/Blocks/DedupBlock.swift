import LabPipeline
import LabStore

/// `dedup`: exact (normalised) and near (ROUGE-L ≥ threshold) duplicates of the leaf's seeds and
/// of its accepted samples are dropped. The check needs every earlier accepted sample, so it runs
/// when a unit is committed, in unit order (see `LeafDuplicates`): the result never depends on
/// which teacher request happened to finish first. In the flow itself it does nothing.
struct DedupBlock: FlowBlock {
    let name: String
    let threshold: Double

    func run(_ rows: [Candidate], context: BlockContext) async throws -> [Candidate] { rows }
}

/// The duplicate indexes of one leaf: its seed questions, then each accepted sample's question.
final class LeafDuplicates: @unchecked Sendable {
    let filterName: String
    let threshold: Double
    private var exact = ExactDuplicateSet()
    private let near: NearDuplicateIndex

    init(filterName: String, threshold: Double, seedQuestions: [String]) {
        self.filterName = filterName
        self.threshold = threshold
        near = NearDuplicateIndex(threshold: threshold)
        for (position, question) in seedQuestions.enumerated() { insert(question, label: "seed \(position)") }
    }

    func insert(_ question: String, label: String) {
        _ = exact.insert(question, label: label)
        near.insert(question, label: label)
    }

    /// The verdict for a question; an accepted one joins the index.
    func check(_ question: String, label: String) -> Verdict {
        if let earlier = exact.earlier(question) {
            return Verdict(filter: filterName, filterVersion: "1", score: 1, threshold: threshold, decision: .reject,
                           reason: earlier.hasPrefix("seed") ? "copies a seed question" : "duplicate of an accepted sample",
                           evidence: GenerateBlock.json(["duplicate_of": earlier]))
        }
        if let match = near.bestMatch(for: question) {
            return Verdict(filter: filterName, filterVersion: "1", score: match.score, threshold: threshold, decision: .reject,
                           reason: match.label.hasPrefix("seed") ? "near duplicate of a seed question" : "near duplicate of an accepted sample",
                           evidence: GenerateBlock.json(["duplicate_of": match.label]))
        }
        insert(question, label: label)
        return Verdict(filter: filterName, filterVersion: "1", threshold: threshold, decision: .accept, reason: "new question")
    }
}
