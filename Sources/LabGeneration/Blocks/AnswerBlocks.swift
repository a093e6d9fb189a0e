import Foundation
import LabCore
import LabPipeline
import LabStore

/// `answer_first`: answer-first generation for knowledge. Each row becomes `count` rows whose
/// answer is a sentence of the row's passage (informative ones: eight words or more, not a heading,
/// list marker or table row, defining a named subject: "Interest coverage ratio = …", "Item 1A
/// discusses …"), chosen by the unit's seed; a later generate block asks the teacher
/// for the question that sentence answers. The answer is the document's own words, so it is
/// grounded by construction; the lineage records which sentence it is.
struct AnswerFirstBlock: FlowBlock {
    let name: String
    let count: Int
    let minimumWords: Int
    let leaves: [LeafGlob]
    /// With `ask_defined`, a sentence that says what its subject is ("Guidance is a range …")
    /// gets the question "What is guidance?" written by this block, so the teacher only writes
    /// questions for the other sentences.
    var asksDefined = false

    static let version = "1"

    func run(_ rows: [Candidate], context: BlockContext) async throws -> [Candidate] {
        guard leaves.isEmpty || leaves.contains(where: { $0.matches(context.leafPath) }) else { return rows }
        var output: [Candidate] = []
        for row in rows {
            guard !row.isRejected else {
                output.append(row)
                continue
            }
            let passage = row.columns["chunk"] ?? row.columns["context"] ?? context.unit.context ?? ""
            let sentences = Self.answerSentences(passage, minimumWords: minimumWords)
            guard !sentences.isEmpty else {
                var rejected = row
                rejected.verdicts.append(Verdict(filter: name, filterVersion: Self.version, decision: .reject,
                                                 reason: "passage has no sentence to answer from"))
                output.append(rejected)
                continue
            }
            var random = SeededRandom(seed: context.unit.requestSeed, stream: name)
            var order = Array(sentences.indices)
            order.shuffle(using: &random)
            for index in order.prefix(count) {
                var candidate = row
                candidate.columns["answer"] = sentences[index]
                var evidence = ["answer_source": "passage", "sentence": String(index)]
                if asksDefined, let question = Self.definitionQuestion(for: sentences[index]) {
                    candidate.columns["question"] = question
                    evidence["question_source"] = "the sentence's subject"
                }
                candidate.verdicts.append(Verdict(filter: name, filterVersion: Self.version, decision: .accept,
                                                  reason: evidence["question_source"] == nil ? "answer is a sentence of the passage"
                                                      : "answer is a sentence of the passage; the question asks what its subject is",
                                                  evidence: GenerateBlock.json(evidence)))
                output.append(candidate)
            }
        }
        return output
    }

    static func answerSentences(_ passage: String, minimumWords: Int) -> [String] {
        TextUnits.sentences(passage.replacingOccurrences(of: "**", with: "")).compactMap { sentence in
            let flat = sentence.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            guard !flat.hasPrefix("#"), !flat.hasPrefix("|"), !flat.hasPrefix("-"), !flat.hasSuffix(":"), !flat.contains("?"),
                  flat.split(separator: " ").count >= minimumWords, flat.last == "." else { return nil }
            // A sentence that defines a named subject: its question can ask about that subject, and
            // the verifiers can check that it does.
            guard TextUnits.definedSubject(flat) != nil else { return nil }
            return flat
        }
    }

    /// "What is guidance?" for "Guidance is usually a range, such as …": only for a sentence whose
    /// subject is followed by "is"/"are" and a noun phrase (an article, maybe after an adverb), by
    /// "means" or by "=" — the shapes where the sentence answers "what is it". "A Form 10-Q is
    /// organised in two Parts" or "All filings are public" get no question here.
    static func definitionQuestion(for sentence: String) -> String? {
        guard let cut = [" is ", " are ", " means ", " = "].compactMap({ sentence.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound })
        else { return nil }
        let subject = String(sentence[..<cut.lowerBound])
        guard TextUnits.isNamedSubject(subject) else { return nil }
        let rest = sentence[cut.lowerBound...].split(separator: " ").map(String.init)
        guard let verb = rest.first, rest.count >= 3 else { return nil }
        let quantifiers: Set<String> = ["all", "most", "some", "many", "each", "every", "any", "no", "few", "several", "both", "one"]
        let subjectWords = subject.split(separator: " ").map(String.init)
        // "Issuing guidance is a choice …" → "What is issuing guidance?" asks for a definition the
        // sentence does not give: no questions about an activity.
        guard let first = subjectWords.first, !quantifiers.contains(first.lowercased()), !first.lowercased().hasSuffix("ing"), !subject.contains("\""),
              !subject.contains("“") else { return nil }
        // The subject in running text: "Guidance" → "guidance", "A Form 10-Q" → "a Form 10-Q"; a
        // name that needs its capital keeps it (EBITDA, Form 10-K, Non-GAAP is lowered: non-GAAP).
        let needsCapital = first.dropFirst().contains(where: \.isUppercase) && !first.contains("-")
            || first.contains(where: \.isNumber)
            || (subjectWords.count > 1 && subjectWords[1].first.map { $0.isUppercase || $0.isNumber } == true && !["a", "an", "the"].contains(first.lowercased()))
        let named = needsCapital ? subject : first.prefix(1).lowercased() + subject.dropFirst()
        switch verb.lowercased() {
        case "is", "are":
            let adverbs: Set<String> = ["usually", "often", "generally", "typically", "simply", "commonly", "normally", "essentially", "basically"]
            let next = rest.dropFirst().first { !adverbs.contains($0.lowercased()) } ?? ""
            guard ["a", "an", "the"].contains(next.lowercased()) else { return nil }
            return "What \(verb.lowercased()) \(named)?"
        case "means":
            return "What does \(named) mean?"
        case "=":
            return "How is \(named) calculated?"
        default:
            return nil
        }
    }
}

/// `computed_answer`: for leaves whose answer is a computation, the answer is worked out from the
/// question's own figures (arithmetic leaves, by the operations configured per leaf glob) or read
/// from the row's table (table leaves), instead of asking the teacher. The verdict marks the
/// answer as computed, with the operation and inputs, so lineage never passes it off as the
/// teacher's. A question the block can't compute is left for the teacher (or rejected with
/// `require: "true"`). On summary leaves (`summaries`) the answer is the paragraph's lead: its
/// opening sentences, verbatim — an extractive summary, marked as such, for teachers too small
/// to write a faithful abstractive one.
struct ComputedAnswerBlock: FlowBlock {
    let name: String
    let rules: [(glob: LeafGlob, operations: Set<ArithmeticOperation>)]
    let tableLeaves: [LeafGlob]
    var summaryLeaves: [LeafGlob] = []
    let required: Bool

    static let version = "1"

    func run(_ rows: [Candidate], context: BlockContext) async throws -> [Candidate] {
        let operations = ArithmeticCheck.operations(for: context.leafPath, in: rules)
        let tables = tableLeaves.contains { $0.matches(context.leafPath) }
        let summaries = summaryLeaves.contains { $0.matches(context.leafPath) }
        guard !operations.isEmpty || tables || summaries else { return rows }
        return rows.map { row in
            guard !row.isRejected, row.columns["answer"] == nil else { return row }
            var row = row
            let source = row.columns["context"] ?? context.unit.context ?? ""
            let computed = summaries ? Self.lead(of: source)
                : tables ? TableAnswers.answer(row.question, context: source) : WorkedAnswers.answer(row.question, operations: operations)
            guard let computed else {
                if required {
                    row.verdicts.append(Verdict(filter: name, filterVersion: Self.version, decision: .reject,
                                                reason: tables ? "question names no single cell of the table" : "question names no computation with its figures"))
                }
                return row
            }
            row.columns["answer"] = computed.text
            row.verdicts.append(Verdict(filter: name, filterVersion: Self.version, decision: .accept,
                                        reason: summaries ? "answer is the paragraph's lead sentences, not the teacher's" : "answer computed, not the teacher's",
                                        evidence: GenerateBlock.json(["answer_source": summaries ? "extracted" : "computed", "operation": computed.operation,
                                                                      "inputs": computed.inputs])))
            return row
        }
    }

    /// The paragraph's first sentence, and its second while the two stay within 65 words; nil for a
    /// paragraph of fewer than three sentences.
    static func lead(of paragraph: String) -> WorkedAnswers.Answer? {
        let flat = paragraph.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let sentences = TextUnits.sentences(flat)
        // Of two sentences, the second may carry the news ("… is lowering its full-year outlook"):
        // a lead needs a paragraph of three or more.
        guard sentences.count >= 3 else { return nil }
        // A summary compresses: at most `maxShare` of the paragraph's words (a two-sentence lead of a
        // three-sentence paragraph is often three quarters of it — a copy, not a summary).
        let maxShare = 0.6
        let paragraphWords = Double(flat.split(separator: " ").count)
        func share(_ sentences: [String]) -> Double { Double(sentences.joined(separator: " ").split(separator: " ").count) / paragraphWords }
        guard share([sentences[0]]) <= maxShare else { return nil }
        var lead = [sentences[0]]
        let two = [sentences[0], sentences[1]]
        if two.joined(separator: " ").split(separator: " ").count <= 65 && share(two) <= maxShare { lead.append(sentences[1]) }
        // "today" belongs to the release's date line, not to a summary read later.
        let text = lead.joined(separator: " ").replacingOccurrences(of: " today reported ", with: " reported ")
        return WorkedAnswers.Answer(text: text, operation: "lead_sentences", inputs: "\(lead.count) of \(sentences.count) sentences")
    }
}
