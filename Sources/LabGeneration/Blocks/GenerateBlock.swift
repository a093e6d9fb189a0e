import Foundation
import LabCore
import LabPipeline
import LabStore

/// `generate`: renders the block's template with the row, asks the teacher for `n` completions and
/// parses each into columns, so one row becomes `n` candidates. A reply the parser can't read
/// becomes a candidate rejected by `parse`, with the reply kept as evidence.
struct GenerateBlock: FlowBlock {
    let spec: BlockSpec
    let parser: ReplyParser
    /// Rows that already have an answer (computed, or taken from the passage) pass through.
    var unlessAnswered = false
    /// Rows that already have a question (written from the glossary or a seed) pass through.
    var unlessAsked = false
    /// Leaves the block asks for; other leaves' rows pass through. Empty: every leaf.
    var leaves: [LeafGlob] = []
    let count: Int
    let parameters: SamplingParameters

    var name: String { spec.name }

    func run(_ rows: [Candidate], context: BlockContext) async throws -> [Candidate] {
        guard leaves.isEmpty || leaves.contains(where: { $0.matches(context.leafPath) }) else { return rows }
        var output: [Candidate] = []
        for row in rows {
            guard !row.isRejected, !(unlessAnswered && row.columns["answer"] != nil), !(unlessAsked && row.columns["question"] != nil) else {
                output.append(row)
                continue
            }
            var parameters = parameters
            // Each block of a unit gets its own seed, derived from the unit's: reruns ask the same.
            var random = SeededRandom(seed: context.unit.requestSeed, stream: name + "#" + (row.columns["question"] ?? ""))
            parameters.seed = random.next()
            let prompt = try spec.renderPrompt(row.columns)
            let request = GenerationRequest(input: .chat([ChatMessage(.user, prompt)]), parameters: parameters, count: count)
            let (ids, result) = try await context.requireTeacher(name).generate(request)
            for (completion, id) in zip(result.completions, ids) {
                var candidate = row
                candidate.responseID = id
                var parsed = parser.parse(completion.text)
                // A reply that restated only the setup ("Sales rose from $2.1 to $3.4 billion over
                // four years.") is completed with the seed's asking sentence, and says so.
                if parsed == nil, parser == .question, let column = spec.options["complete_with"], let ask = row.columns[column], !ask.isEmpty,
                   let setup = Self.setupSentence(completion.text, like: row.columns["seed_question"] ?? "") {
                    parsed = ["question": setup + " " + ask]
                    candidate.verdicts.append(Verdict(filter: name, filterVersion: "1", decision: .accept,
                                                      reason: "question completed with the seed's asking sentence",
                                                      evidence: Self.json(["setup": setup, "asking_sentence": ask])))
                }
                guard let parsed else {
                    candidate.verdicts.append(Verdict(
                        filter: "parse", filterVersion: "1", decision: .reject,
                        reason: completion.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
                            ? "empty reply" : "reply has no \(parser.expectedShape)",
                        evidence: Self.json(["reply": String(completion.text.prefix(300))])))
                    output.append(candidate)
                    continue
                }
                candidate.columns.merge(parsed) { _, new in new }
                // A reply cut at the token limit is still complete when the parsed text ends before
                // the cut (the teacher went on to start another pair that the parser dropped).
                let lastColumn = parser == .answer ? parsed["answer"] : (parsed["answer"] ?? parsed.values.first)
                let runsToEnd = completion.text.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix(lastColumn ?? "")
                candidate.finishReason = completion.finishReason == .length && !runsToEnd ? .stop : completion.finishReason
                output.append(candidate)
            }
        }
        return output
    }

    /// The reply's first sentence when it states figures as a setup: at least two numbers, 6 to 60
    /// words, no question mark, no role label.
    /// Only a rewrite of the seed's setup counts — at most 35 words, most of its words the seed's —
    /// so a new story ("the carbon footprint of an e-bike") is not completed into a question.
    static func setupSentence(_ reply: String, like seed: String) -> String? {
        let line = reply.split(whereSeparator: \.isNewline).first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
        guard let sentence = TextUnits.sentences(line).first, !sentence.contains("?"), !sentence.contains(":") else { return nil }
        let words = sentence.split(separator: " ").count
        guard (6...35).contains(words), FigureScanner.quantities(in: sentence).count >= 2, sentence.hasSuffix(".") else { return nil }
        let stems = Set(TextUnits.contentStems(sentence)), seedStems = Set(TextUnits.contentStems(seed))
        guard !stems.isEmpty, Double(stems.intersection(seedStems).count) / Double(stems.count) >= 0.5 else { return nil }
        return sentence
    }

    static func json(_ object: [String: String]) -> String? {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

extension ReplyParser {
    /// What the parser looks for, for rejection reasons.
    var expectedShape: String {
        switch self {
        case .questionAnswer: "question and answer (Question:/Answer:, [QUESTION]/[ANSWER], or a '?')"
        case .answer: "answer"
        case .question: "question"
        case .context: "context"
        }
    }
}
