import Foundation

extension ReplyParser {
    /// Columns parsed from a teacher's reply, or nil when it has no usable shape. Tolerant on purpose:
    /// small teachers rarely follow a format exactly, and a sample lost to a strict parser is waste.
    public func parse(_ reply: String) -> [String: String]? {
        let text = reply.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return nil }
        switch self {
        case .answer:
            return ["answer": Self.dropLabel(text, ["answer:", "a:"])]
        case .question:
            var unlabelled = Self.dropLabel(Self.dropPreamble(text), ["question:", "q:", "[question]", "rewritten question:", "new question:"])
            // "4. Revenue grew …?": a list continuation keeps its number.
            if let first = unlabelled.first, first.isNumber, let dot = unlabelled.firstIndex(where: { $0 == "." || $0 == ")" }),
               unlabelled.distance(from: unlabelled.startIndex, to: dot) <= 2 {
                unlabelled = unlabelled[unlabelled.index(after: dot)...].trimmingCharacters(in: .whitespaces)
            }
            // "- A company with revenue of …?": so does a list bullet.
            if let first = unlabelled.first, "-*•".contains(first), unlabelled.dropFirst().first == " " {
                unlabelled = unlabelled.dropFirst(2).trimmingCharacters(in: .whitespaces)
            }
            guard let mark = unlabelled.firstIndex(of: "?") else {
                // A request rather than a question ("Summarize this paragraph in two sentences."):
                // its first line, when it starts with an instruction verb.
                let line = unlabelled.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
                let verbs: Set<String> = ["summarize", "summarise", "give", "explain", "describe", "calculate", "compute", "convert",
                                          "express", "state", "list", "work", "find", "determine", "estimate"]
                // "Revenue grew from $1.8 to $3.1 over five years. Calculate the CAGR." counts: an
                // instruction sentence makes the line a request.
                let sentences = line.components(separatedBy: ". ").map { $0.split(separator: " ").first.map { $0.lowercased() } ?? "" }
                guard sentences.contains(where: verbs.contains), line.split(separator: " ").count >= 4, line.count <= 300 else { return nil }
                return ["question": line.trimmingCharacters(in: .whitespaces)]
            }
            var question = unlabelled[...mark].trimmingCharacters(in: .whitespacesAndNewlines)
            // A quoted question cut at its "?" keeps an opening quote with no closing one.
            if let open = question.first, "\"“'".contains(open), !question.dropFirst().contains(where: { "\"”'".contains($0) }) {
                question = question.dropFirst().trimmingCharacters(in: .whitespaces)
            }
            return question.count > 1 ? ["question": question] : nil
        case .context:
            var context = Self.dropLabel(text, ["context:"])
            if let question = context.range(of: "\nquestion:", options: .caseInsensitive) { context = String(context[..<question.lowerBound]) }
            context = context.trimmingCharacters(in: .whitespacesAndNewlines)
            return context.isEmpty ? nil : ["context": context]
        case .questionAnswer:
            if let pair = Self.tagged(text) ?? Self.labelled(text) ?? Self.splitAtQuestionMark(text) {
                let question = pair.question.trimmingCharacters(in: .whitespacesAndNewlines)
                let answer = pair.answer.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !question.isEmpty, !answer.isEmpty else { return nil }
                return ["question": question, "answer": answer]
            }
            return nil
        }
    }

    /// `text` without a leading line that only introduces what follows ("Here is the rewritten
    /// question:"), or such a clause before the first colon.
    static func dropPreamble(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespaces) }
        if lines.count > 1, lines[0].hasSuffix(":"), lines[0].split(separator: " ").count <= 10 {
            return lines.dropFirst().joined(separator: "\n")
        }
        if let colon = text.firstIndex(of: ":"), text.distance(from: text.startIndex, to: colon) <= 48 {
            let lead = text[..<colon].lowercased()
            if lead.hasPrefix("here") || lead.contains("rewritten") || lead.contains("new question") || lead.contains("question with") {
                return text[text.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        return text
    }

    /// `text` without a leading label such as `Answer:` (any case).
    private static func dropLabel(_ text: String, _ labels: [String]) -> String {
        for label in labels {
            if let range = text.range(of: label, options: [.caseInsensitive, .anchored]) {
                return text[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        return text
    }

    /// `[QUESTION] … [ANSWER] … [END]`, any case, `[END]` optional; the question tag may be missing
    /// when the prompt already ended with it.
    private static func tagged(_ text: String) -> (question: String, answer: String)? {
        guard let answerTag = text.range(of: "[answer]", options: .caseInsensitive) else { return nil }
        var question = text[..<answerTag.lowerBound]
        if let questionTag = question.range(of: "[question]", options: .caseInsensitive) { question = question[questionTag.upperBound...] }
        var answer = text[answerTag.upperBound...]
        if let end = answer.range(of: "[end]", options: .caseInsensitive) { answer = answer[..<end.lowerBound] }
        return (String(question), String(answer))
    }

    /// `Question: …` / `Answer: …` (also `Q:`/`A:`); text before `Answer:` is the question when the
    /// prompt ended with `Question:`. Stops at a following `Question:` (the teacher starting another pair).
    private static func labelled(_ text: String) -> (question: String, answer: String)? {
        let answerLabels = ["\nanswer:", "\na:", "answer:"]
        guard let answerRange = answerLabels.lazy.compactMap({ text.range(of: $0, options: .caseInsensitive) }).first else { return nil }
        var question = String(text[..<answerRange.lowerBound])
        for label in ["question:", "q:"] {
            if let range = question.range(of: label, options: [.caseInsensitive, .anchored]) { question = String(question[range.upperBound...]) }
        }
        var answer = text[answerRange.upperBound...]
        if let next = answer.range(of: "\nquestion:", options: .caseInsensitive) { answer = answer[..<next.lowerBound] }
        return (question, String(answer))
    }

    /// InstructLab's `simple` pipelines: the question runs to the first `?`, the answer is the rest.
    private static func splitAtQuestionMark(_ text: String) -> (question: String, answer: String)? {
        guard let mark = text.firstIndex(of: "?") else { return nil }
        return (String(text[...mark]), String(text[text.index(after: mark)...]))
    }
}
