import Foundation

public import LabCore

/// Rejects outputs that are not usable training data whatever their content: empty, cut off by the
/// token limit, an echo of the question, or a refusal.
public struct FormatFilter: Sendable {
    public static let version = "1"
    /// ROUGE-L between answer and question at or above which the answer counts as an echo.
    public var echoThreshold: Double = 0.8
    public var minimumAnswerWords: Int = 1

    public init() {}

    public func evaluate(question: String, answer: String, finishReason: FinishReason) -> (accepted: Bool, reason: String) {
        let trimmed = answer.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty || question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return (false, trimmed.isEmpty ? "empty answer" : "empty question")
        }
        if finishReason == .length { return (false, "truncated: the teacher hit its token limit") }
        if RougeL.tokens(trimmed).count < minimumAnswerWords { return (false, "answer has no words") }
        if RougeL.fMeasure(trimmed, question) >= echoThreshold { return (false, "answer repeats the question") }
        let lowered = trimmed.lowercased()
        if let refusal = Self.refusals.first(where: { lowered.hasPrefix($0) || lowered.contains(" \($0)") }) {
            return (false, "refusal (\"\(refusal)\")")
        }
        return (true, "well-formed")
    }

    static let refusals = [
        "i'm sorry", "i am sorry", "as an ai", "i cannot", "i can't", "i am unable", "i'm unable", "i do not have access",
        "i don't have access", "i'm not able",
    ]
}
