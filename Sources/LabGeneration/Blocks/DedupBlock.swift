public import LabPipeline
import LabStore

/// A block whose decision depends on what its leaf accepted before (duplicates, running
/// statistics). Such a decision can't be made while units run concurrently; the runner asks the
/// block for a per-leaf check and applies it when each unit commits, in unit order, so the result
/// never depends on which teacher request finished first. No block is special-cased by the runner.
protocol CommitTimeBlock: FlowBlock {
    /// A fresh per-leaf check, primed with the leaf's seed questions.
    func makeCommitCheck(seedQuestions: [String]) -> any CommitCheck
}

/// The per-leaf state of a commit-time block.
protocol CommitCheck: AnyObject {
    var filterName: String { get }
    /// Whether a rejection by this check counts towards the leaf's saturation (mostly duplicates).
    var signalsSaturation: Bool { get }
    /// The verdict for a row that every flow block kept; `label` names it in evidence.
    func check(_ row: Candidate, label: String) -> Verdict
    /// Called for every row accepted in the end (and, resuming, for each stored accepted sample).
    func remember(question: String, answer: String, label: String)
}

/// `dedup`: exact (normalised) and near (ROUGE-L ≥ threshold) duplicates of the leaf's seeds and
/// of its accepted samples are dropped, decided at commit (see `CommitTimeBlock`).
struct DedupBlock: CommitTimeBlock {
    let name: String
    let threshold: Double

    func run(_ rows: [Candidate], context: BlockContext) async throws -> [Candidate] { rows }

    func makeCommitCheck(seedQuestions: [String]) -> any CommitCheck {
        LeafDuplicates(filterName: name, threshold: threshold, seedQuestions: seedQuestions)
    }
}

/// The duplicate indexes of one leaf: its seed questions, then each accepted sample's question.
final class LeafDuplicates: CommitCheck, @unchecked Sendable {
    let filterName: String
    let threshold: Double
    private var exact = ExactDuplicateSet()
    private let near: NearDuplicateIndex
    var signalsSaturation: Bool { true }

    init(filterName: String, threshold: Double, seedQuestions: [String]) {
        self.filterName = filterName
        self.threshold = threshold
        near = NearDuplicateIndex(threshold: threshold)
        for (position, question) in seedQuestions.enumerated() { remember(question: question, answer: "", label: "seed \(position)") }
    }

    func remember(question: String, answer: String, label: String) {
        _ = exact.insert(question, label: label)
        near.insert(question, label: label)
    }

    func check(_ row: Candidate, label: String) -> Verdict {
        let question = row.question
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
        return Verdict(filter: filterName, filterVersion: "1", threshold: threshold, decision: .accept, reason: "new question")
    }
}
