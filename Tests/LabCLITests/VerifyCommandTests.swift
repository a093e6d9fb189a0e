import Foundation
import LabCore
import LabTestSupport
import Testing

@Suite("synthlab verify", .serialized)
struct VerifyCommandTests {
    /// Candidates in a temporary file, verified against the repository's taxonomy and pipelines.
    private func verify(_ lines: [String], _ extra: [String] = ["--no-teacher", "--json"]) throws -> Subprocess.Result {
        let folder = try TestPaths.temporaryDirectory("verify-cli")
        let input = folder.appendingPathComponent("candidates.jsonl")
        try Data(lines.joined(separator: "\n").utf8).write(to: input)
        return SynthlabBinary.run(["verify", "--input", input.path] + extra, in: TestPaths.repositoryRoot)
    }

    static let good = #"{"id": "g1", "leaf": "compositional_skills/finance/arithmetic/percent_change", "question": "Revenue grew from $48.0 million to $55.2 million. What is the percent change?", "answer": "(55.2 - 48.0) / 48.0 x 100 = 15%.\n\nRevenue increased by 15.0%.", "context": null}"#
    static let wrong = #"{"id": "b1", "leaf": "compositional_skills/finance/arithmetic/percent_change", "question": "Revenue grew from $48.0 million to $55.2 million. What is the percent change?", "answer": "Revenue increased by 13.0%.", "context": null}"#

    @Test("Each line gets one JSON verdict line with every verifier's score, threshold, decision, reason and evidence")
    func jsonLinesWithVerdicts() throws {
        let result = try verify([Self.good, Self.wrong])
        #expect(result.status == 0, "\(result.errorSummary)")
        let lines = result.outputText.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.count == 2)
        let first = try #require(lines[0]), second = try #require(lines[1])
        #expect(first["id"] as? String == "g1" && first["accepted"] as? Bool == true)
        #expect(second["id"] as? String == "b1" && second["accepted"] as? Bool == false)
        let verdicts = try #require(second["verdicts"] as? [[String: Any]])
        let rejection = try #require(verdicts.first { $0["decision"] as? String == "reject" })
        #expect(rejection["filter"] as? String == "arithmetic")
        #expect(Set(rejection.keys) == ["filter", "score", "threshold", "decision", "reason", "evidence"])
        #expect((rejection["evidence"] as? [String: Any])?["expected"] != nil)
    }

    @Test("With a reference answer, an explanation that names the right components but invents the rest is rejected")
    func referenceHoldsExplanations() throws {
        let question = "What does retained earnings mean?"
        let reference = "Retained earnings are the profits a company has kept over the years rather than paid out to shareholders as dividends."
        func line(_ id: String, _ answer: String, reference: String?) -> String {
            var object: [String: Any] = ["id": id, "leaf": "compositional_skills/finance/explain_term_plainly", "question": question,
                                         "answer": answer, "context": NSNull()]
            if let reference { object["reference"] = reference }
            return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        // A real student answer after training (task accuracy), and a fair one; both with the worked
        // example the leaf's task asks for (the reference check leaves examples to the arithmetic one).
        let example = " Example: a company that earns $10 million and pays $4 million in dividends keeps $6 million."
        let invented = "Retained earnings is earnings that a company retains after it sells its securities to a buyer, such as a buyer of shareholders' funds." + example
        let fair = "Retained earnings are the profits a company has kept over the years instead of paying them out to shareholders as dividends." + example
        let result = try verify([line("loose", invented, reference: nil), line("held", invented, reference: reference),
                                 line("fair", fair, reference: reference)])
        var accepted: [String: Bool] = [:]
        for text in result.outputText.split(separator: "\n") {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
                  let id = object["id"] as? String, let decision = object["accepted"] as? Bool else { continue }
            accepted[id] = decision
        }
        #expect(accepted == ["loose": true, "held": false, "fair": true], "without a reference the components pass; with one the invention is caught")
    }

    @Test("A malformed line, a missing field and an unknown leaf are errors naming their line; the other lines are verified")
    func badLinesAreNamedAndTheRestVerified() throws {
        let result = try verify([
            Self.good,
            #"{"id": "x", "leaf": "compositional_skills/finance/arithmetic/cagr", "question": "#,
            #"{"id": "y", "leaf": "compositional_skills/finance/arithmetic/cagr", "answer": "13%"}"#,
            #"{"id": "z", "leaf": "skills/nowhere", "question": "What is EBITDA?", "answer": "Earnings.", "context": null}"#,
            Self.wrong,
        ])
        #expect(result.status == 1)
        #expect(result.errorText.contains("candidates.jsonl:2: error: malformed JSON"), "\(result.errorText)")
        #expect(result.errorText.contains("candidates.jsonl:3: error: missing field 'question'"), "\(result.errorText)")
        #expect(result.errorText.contains("unknown leaf 'skills/nowhere'"), "\(result.errorText)")
        let verified = result.outputText.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(verified.compactMap { $0["accepted"] as? Bool } == [true, false])
        #expect(verified.filter { $0["error"] != nil }.compactMap { $0["line"] as? Int } == [2, 3, 4])
    }

    @Test("Without --json: a table and a summary with the rejections per verifier")
    func readableTable() throws {
        let result = try verify([Self.good, Self.wrong], ["--no-teacher"])
        #expect(result.status == 0, "\(result.errorSummary)")
        #expect(result.outputText.contains("1 accepted of 2 verified") && result.outputText.contains("rejected by arithmetic: 1"), "\(result.outputText)")
    }
}
