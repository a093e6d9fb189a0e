import Foundation
import LabCore
@testable import LabTaxonomy

/// Valid qna.yaml texts that tests break one rule at a time. Line numbers matter: tests assert them.
enum Sample {
    /// A valid knowledge v3 file. Line 1: version, 4: seed_examples, 5: first seed, 40: document.
    static func knowledge(seeds: Int = 5, pairs: Int = 3) -> String {
        var text = "version: 3\ncreated_by: tester\ndomain: Finance\nseed_examples:\n"
        for seed in 0..<seeds {
            text += "  - context: Context number \(seed) about ratios.\n    questions_and_answers:\n"
            for pair in 0..<pairs {
                text += "      - question: Question \(seed)-\(pair)?\n        answer: Answer \(seed)-\(pair).\n"
            }
        }
        text += "document_outline: Ratios explained.\ndocument:\n  repo: documents/finance\n  commit: local\n  patterns:\n    - ratios.md\n"
        return text
    }

    /// A valid compositional skill; `context` makes it grounded.
    static func skill(version: Int? = 3, seeds: Int = 5, context: Bool = false) -> String {
        var text = version.map { "version: \($0)\n" } ?? ""
        text += "created_by: tester\ntask_description: Compute percent changes.\nseed_examples:\n"
        for seed in 0..<seeds {
            text += "  - question: What is change \(seed)?\n    answer: It is \(seed)%.\n"
            if context { text += "    context: Table \(seed).\n" }
        }
        return text
    }

    static func check(_ text: String, folder: String = "knowledge/finance/ratios") -> QNAFile.Outcome {
        QNAFile.check(data: Data(text.utf8), displayPath: "\(folder)/qna.yaml", relativeFolder: folder)
    }

    static func errors(_ outcome: QNAFile.Outcome) -> [Diagnostic] {
        outcome.diagnostics.filter { $0.severity == .error }
    }
}
