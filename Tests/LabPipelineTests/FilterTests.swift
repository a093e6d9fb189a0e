import Foundation
import LabCore
@testable import LabPipeline
import LabTestSupport
import Testing

@Suite struct Grounding {
    let source = """
        The current ratio is current assets divided by current liabilities. A company with current assets of \
        450 million dollars and current liabilities of 300 million dollars has a current ratio of 1.5.
        """

    @Test func aSupportedAnswerIsAcceptedWithItsBestSentenceAsEvidence() throws {
        let result = GroundingFilter().evaluate(answer: "The current ratio is 1.5: current assets of 450 over liabilities of 300.", source: source)
        #expect(result.accepted, "\(result.reason)")
        let span = try #require(result.bestSpan)
        let scalars = Array(source.unicodeScalars)
        let sentence = String(String.UnicodeScalarView(scalars[span]))
        #expect(sentence.contains("has a current ratio of 1.5"))
    }

    @Test func aNumberThatIsNotInTheSourceIsRejectedByName() {
        let result = GroundingFilter().evaluate(answer: "The current ratio is 2.5.", source: source)
        #expect(!result.accepted)
        #expect(result.unsupportedNumbers == ["2.5"])
        #expect(result.reason == "number 2.5 not in the source")
    }

    @Test func anUnrelatedAnswerIsRejectedWithItsSupport() {
        let result = GroundingFilter().evaluate(answer: "Dividends are paid quarterly to preferred shareholders.", source: source)
        #expect(!result.accepted)
        #expect(result.support < 0.6)
        #expect(result.reason.hasPrefix("only "))
    }

    @Test func numberFormattingDoesNotCountAsANewFigure() {
        #expect(GroundingFilter.numbers("Revenue was 1,250.50 million, up 12.0% from 1,116") == ["1250.5", "12", "1116"])
        let result = GroundingFilter().evaluate(answer: "Revenue was 1250.5 million.", source: "Revenue was $1,250.50 million in 2024.")
        #expect(result.unsupportedNumbers.isEmpty)
    }
}

@Suite struct Format {
    @Test(arguments: [
        ("What is EBITDA?", "", FinishReason.stop, false, "empty answer"),
        ("What is EBITDA?", "Earnings before interest, taxes, depreciation and", .length, false, "truncated: the teacher hit its token limit"),
        ("What is EBITDA?", "What is EBITDA?", .stop, false, "answer repeats the question"),
        ("What is EBITDA?", "I'm sorry, but I cannot help with that.", .stop, false, "refusal (\"i'm sorry\")"),
        ("What is EBITDA?", "As an AI language model, I think EBITDA is a measure.", .stop, false, "refusal (\"as an ai\")"),
        ("What is EBITDA?", "Earnings before interest, taxes, depreciation and amortization.", .stop, true, "well-formed"),
    ])
    func unusableOutputsAreRejectedWithAReason(question: String, answer: String, finish: FinishReason, accepted: Bool, reason: String) {
        let verdict = FormatFilter().evaluate(question: question, answer: answer, finishReason: finish)
        #expect(verdict.accepted == accepted)
        #expect(verdict.reason == reason)
    }
}

@Suite struct Safety {
    static func shippedPolicy() throws -> SafetyPolicy {
        try SafetyPolicy.load(from: TestPaths.repositoryRoot.appendingPathComponent("pipelines/policies/safety.yaml"))
    }

    @Test(arguments: [
        "Short selling lets an investor profit when a share price falls.",
        "The regulator's objection could kill the deal before it closes.",
        "A poison pill makes a hostile takeover more expensive.",
        "After the dead cat bounce, the stock fell again.",
        "Shares shot up 20% after the earnings release.",
    ])
    func financeIdiomsPass(text: String) throws {
        #expect(try Self.shippedPolicy().violation(in: text) == nil)
    }

    @Test(arguments: [
        ("He threatened to kill the auditor.", "violence", SafetyPolicy.Action.drop),
        ("Buy now for guaranteed returns of 40% a month!", "market_abuse", .flag),
        ("I got an insider tip about the merger.", "market_abuse", .flag),
        ("Send me your bank account password to verify.", "personal_data", .flag),
    ])
    func harmfulTextIsCaughtWithItsCategoryAndAction(text: String, category: String, action: SafetyPolicy.Action) throws {
        let violation = try #require(try Self.shippedPolicy().violation(in: text))
        #expect(violation.category.name == category)
        #expect(violation.category.action == action)
    }

    @Test func aBrokenPolicyFileIsAClearError() throws {
        let directory = try TestPaths.temporaryDirectory("policy")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("bad.yaml")
        try Data("version: \"1\"\ncategories:\n  - name: x\n    action: explode\n    terms: [a]\nallow: []\n".utf8).write(to: url)
        #expect(throws: SafetyPolicy.PolicyError.self) { try SafetyPolicy.load(from: url) }
        try Data("version: \"1\"\ncategories:\n  - name: x\n    action: drop\n    terms: []\nallow: []\n".utf8).write(to: url)
        do {
            _ = try SafetyPolicy.load(from: url)
            Issue.record("accepted a category without terms")
        } catch let error as SafetyPolicy.PolicyError {
            #expect(error.description.contains("category 'x' has no terms"))
        }
    }
}
