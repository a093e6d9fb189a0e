import LabPipeline
import LabStore

/// A block whose decision depends on what its leaf accepted before (duplicates, running
/// statistics). Such a decision can't be made while units run concurrently; the runner asks the
/// block for a per-leaf check and applies it when each unit commits, in unit order, so the result
/// never depends on which teacher request finished first. No block is special-cased by the runner.
protocol CommitTimeBlock: FlowBlock {
    /// A fresh per-leaf check, primed with the leaf's seed examples.
    func makeCommitCheck(seeds: [(question: String, answer: String)]) -> any CommitCheck
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
    /// Compare question and answer together (`with_answer: "true"`): for leaves where the same
    /// question about another row, period or paragraph is a new sample, as long as the answer differs.
    var withAnswer = false

    func run(_ rows: [Candidate], context: BlockContext) async throws -> [Candidate] { rows }

    func makeCommitCheck(seeds: [(question: String, answer: String)]) -> any CommitCheck {
        LeafDuplicates(filterName: name, threshold: threshold, withAnswer: withAnswer, seeds: seeds)
    }
}

/// The duplicate indexes of one leaf: its seed questions, then each accepted sample's question.
final class LeafDuplicates: CommitCheck, @unchecked Sendable {
    let filterName: String
    let threshold: Double
    let withAnswer: Bool
    private var exact = ExactDuplicateSet()
    /// The seed questions alone: a copy of one is never new, whatever its answer.
    private var seedQuestions = ExactDuplicateSet()
    /// With answers: each remembered sample's answer figures, by label — near-identical text about
    /// other figures (another row or period) is a new sample.
    private var figures: [String: [Double]] = [:]
    private let near: NearDuplicateIndex
    var signalsSaturation: Bool { true }

    init(filterName: String, threshold: Double, withAnswer: Bool = false, seeds: [(question: String, answer: String)]) {
        self.filterName = filterName
        self.threshold = threshold
        self.withAnswer = withAnswer
        near = NearDuplicateIndex(threshold: threshold)
        for (position, seed) in seeds.enumerated() {
            remember(question: seed.question, answer: seed.answer, label: "seed \(position)")
            _ = seedQuestions.insert(seed.question, label: "seed \(position)")
        }
    }

    private func key(_ question: String, _ answer: String) -> String { withAnswer ? question + "\n" + answer : question }

    func remember(question: String, answer: String, label: String) {
        if withAnswer { figures[label] = FigureScanner.quantities(in: answer).map(\.absolute) }
        _ = exact.insert(key(question, answer), label: label)
        near.insert(key(question, answer), label: label)
    }

    func check(_ row: Candidate, label: String) -> Verdict {
        if withAnswer, let seed = seedQuestions.earlier(row.question) {
            return Verdict(filter: filterName, filterVersion: "1", score: 1, threshold: threshold, decision: .reject,
                           reason: "copies a seed question", evidence: GenerateBlock.json(["duplicate_of": seed]))
        }
        let question = key(row.question, row.answer)
        if let earlier = exact.earlier(question) {
            return Verdict(filter: filterName, filterVersion: "1", score: 1, threshold: threshold, decision: .reject,
                           reason: earlier.hasPrefix("seed") ? "copies a seed question" : "duplicate of an accepted sample",
                           evidence: GenerateBlock.json(["duplicate_of": earlier]))
        }
        if let match = near.bestMatch(for: question),
           !withAnswer || figures[match.label] == FigureScanner.quantities(in: row.answer).map(\.absolute) {
            return Verdict(filter: filterName, filterVersion: "1", score: match.score, threshold: threshold, decision: .reject,
                           reason: match.label.hasPrefix("seed") ? "near duplicate of a seed question" : "near duplicate of an accepted sample",
                           evidence: GenerateBlock.json(["duplicate_of": match.label]))
        }
        return Verdict(filter: filterName, filterVersion: "1", threshold: threshold, decision: .accept, reason: "new question")
    }
}
