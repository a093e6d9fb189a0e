public import Foundation
public import LabLLM
public import LabTokenizer

/// A multiple-choice question of the general set that measures forgetting (ARC-Easy items; see
/// `Resources/general-mc/LICENSE-AND-SOURCE.md`).
public struct MultipleChoiceItem: Sendable, Codable, Hashable {
    public var id: String
    public var subject: String
    public var question: String
    public var choices: [String]
    /// Index of the right choice.
    public var answer: Int

    public init(id: String, subject: String, question: String, choices: [String], answer: Int) {
        self.id = id
        self.subject = subject
        self.question = question
        self.choices = choices
        self.answer = answer
    }
}

/// A model's score on a multiple-choice set.
public struct MultipleChoiceScore: Sendable, Codable, Hashable {
    public var items: Int
    /// Right when the right choice has the highest log-likelihood per byte (lm-evaluation-harness's
    /// `acc_norm`, the figure reported for ARC).
    public var correct: Int
    /// Right when it has the highest total log-likelihood (`acc`).
    public var correctUnnormalised: Int

    public init(items: Int, correct: Int, correctUnnormalised: Int) {
        self.items = items
        self.correct = correct
        self.correctUnnormalised = correctUnnormalised
    }

    public var accuracy: Double { items > 0 ? Double(correct) / Double(items) : .nan }
}

/// Why the set could not be read.
public struct MultipleChoiceError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

public enum GeneralMultipleChoice {
    /// The name of the set in tables and the store.
    public static let name = "general multiple choice (ARC-Easy)"

    /// The set that ships with synthlab: a resource bundle next to the executable (SwiftPM's
    /// layout), or nil when it is missing — callers say how to point at it.
    public static func bundledURL() -> URL? { CurriculumResources.url("general-mc/general-mc.jsonl") }

    /// Reads a JSONL set (`{"id", "subject", "question", "choices": [...], "answer": index}` per line).
    public static func load(_ url: URL) throws -> [MultipleChoiceItem] {
        guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
            throw MultipleChoiceError(description: "cannot read \(url.path) (hint: pass a UTF-8 JSONL file)")
        }
        var items: [MultipleChoiceItem] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let item = try? JSONDecoder().decode(MultipleChoiceItem.self, from: Data(line.utf8)) else {
                throw MultipleChoiceError(description: "\(url.path):\(index + 1): not a multiple-choice item "
                                          + "(hint: {\"id\", \"subject\", \"question\", \"choices\": [...], \"answer\": index})")
            }
            guard item.choices.count >= 2, item.choices.indices.contains(item.answer) else {
                throw MultipleChoiceError(description: "\(url.path):\(index + 1): needs two or more choices and an answer index among them")
            }
            items.append(item)
        }
        return items
    }

    /// Items longer than the model's context are left out: `items` of the score counts those scored.
    /// Scores `model` the way lm-evaluation-harness scores ARC: the prompt "Question: …\nAnswer:",
    /// each choice as a continuation " choice", compared by log-likelihood. The prompt is run once
    /// and its attention state forked per choice.
    public static func score(_ items: [MultipleChoiceItem], model: DecoderModel, tokenizer: Tokenizer) throws -> MultipleChoiceScore {
        var correct = 0, correctUnnormalised = 0, scored = 0
        for item in items {
            let prompt = "Question: \(item.question)\nAnswer:"
            let promptTokens = tokenizer.encode(prompt, addSpecial: true, parseSpecial: false)
            let continuations = item.choices.map { choice in
                let full = tokenizer.encode(prompt + " " + choice, addSpecial: true, parseSpecial: false)
                return full.starts(with: promptTokens) ? Array(full.dropFirst(promptTokens.count))
                    : tokenizer.encode(" " + choice, addSpecial: false, parseSpecial: false)
            }
            // An item longer than the model's context is left out (counted in `items` only when scored).
            let needed = promptTokens.count + (continuations.map(\.count).max() ?? 0)
            guard needed <= model.contextLength, !promptTokens.isEmpty else { continue }
            scored += 1
            var totals: [Double] = [], perByte: [Double] = []
            let state = try model.makeSequenceState(capacity: needed)
            let last = try model.forward(tokens: [promptTokens], states: [state])[0]
            for (choice, continuation) in zip(item.choices, continuations) {
                guard !continuation.isEmpty, let forked = try (state as? any ForkableSequenceState)?.fork() else {
                    totals.append(-.infinity)
                    perByte.append(-.infinity)
                    continue
                }
                var logLikelihood = logProbability(of: continuation[0], in: last[...])
                if continuation.count > 1 {
                    let rows = try model.forwardAllPositions(tokens: Array(continuation.dropLast()), state: forked)
                    let V = model.vocabularySize
                    for j in 1..<continuation.count {
                        logLikelihood += logProbability(of: continuation[j], in: rows[((j - 1) * V)..<(j * V)])
                    }
                }
                totals.append(logLikelihood)
                perByte.append(logLikelihood / Double(max(1, (" " + choice).utf8.count)))
            }
            if perByte.indices.max(by: { perByte[$0] < perByte[$1] }) == item.answer { correct += 1 }
            if totals.indices.max(by: { totals[$0] < totals[$1] }) == item.answer { correctUnnormalised += 1 }
        }
        return MultipleChoiceScore(items: scored, correct: correct, correctUnnormalised: correctUnnormalised)
    }

    /// log softmax(logits)[token], in double precision.
    static func logProbability(of token: Int32, in logits: ArraySlice<Float>) -> Double {
        let maximum = Double(logits.max() ?? 0)
        var sum = 0.0
        for value in logits { sum += Foundation.exp(Double(value) - maximum) }
        return Double(logits[logits.startIndex + Int(token)]) - maximum - Foundation.log(sum)
    }
}
