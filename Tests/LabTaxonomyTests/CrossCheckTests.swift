import Foundation
import LabCore
@testable import LabTaxonomy
import Testing

/// Cases whose expected errors were produced by Python's `jsonschema` 4.26 on InstructLab's
/// schemas (v1–v3), formatted as InstructLab formats them (minItems rewritten, messages cut to
/// their last 200 characters), with one unexpected key per message.
@Suite struct SchemaCrossCheck {
    static let knowledge = "version: 3\ncreated_by: me\ndomain: Finance\nseed_examples:\n"
        + (0..<5).map { seed in
            "  - context: C \(seed)\n    questions_and_answers:\n"
                + (0..<3).map { "      - question: Q \(seed)-\($0)?\n        answer: A \(seed)-\($0).\n" }.joined()
        }.joined()
        + "document_outline: o\ndocument:\n  repo: documents/finance\n  commit: local\n  patterns:\n    - a.md\n"

    static let skill = "version: 3\ncreated_by: me\ntask_description: t\nseed_examples:\n"
        + (0..<5).map { "  - question: Q \($0)?\n    answer: A \($0).\n" }.joined()

    struct Case: Sendable, CustomStringConvertible {
        var folder: String
        var replacements: [(String, String)]
        var expected: [String]
        var description: String { "\(folder): \(replacements.map { "\($0.0) → \($0.1)" })" }
    }

    static let cases: [Case] = [
        Case(folder: "knowledge/k", replacements: [("created_by: me", "created_by: 12")],
             expected: [".created_by 12 is not of type 'string'"]),
        Case(folder: "knowledge/k", replacements: [("domain: Finance\n", "domain: Finance\ntask_description: x\nzzz: 1\n")],
             expected: [". Unevaluated properties are not allowed ('task_description' was unexpected)",
                        ". Unevaluated properties are not allowed ('zzz' was unexpected)"]),
        Case(folder: "knowledge/k", replacements: [("  - context: C 0\n", "  - context: ''\n    extra: 1\n")],
             expected: [".seed_examples[0] Unevaluated properties are not allowed ('extra' was unexpected)",
                        ".seed_examples[0].context '' should be non-empty"]),
        Case(folder: "knowledge/k", replacements: [("      - question: Q 1-1?\n        answer: A 1-1.\n", "      - question: [Q]\n")],
             expected: [".seed_examples[1].questions_and_answers[1] 'answer' is a required property",
                        ".seed_examples[1].questions_and_answers[1].question ['Q'] is not of type 'string'"]),
        Case(folder: "knowledge/k", replacements: [("  commit: local\n", "  commit: 7\n  branch: main\n"), ("    - a.md\n", "    - a.md\n    - ''\n")],
             expected: [".document Unevaluated properties are not allowed ('branch' was unexpected)",
                        ".document.commit 7 is not of type 'string'", ".document.patterns[1] '' should be non-empty"]),
        Case(folder: "knowledge/k", replacements: [("document_outline: o\n", "document_outline:\n")],
             expected: [".document_outline None is not of type 'string'"]),
        Case(folder: "knowledge/k", replacements: [("version: 3", "version: '3'")],
             expected: [".version '3' is not of type 'integer'", ".version 3 was expected"]),
        Case(folder: "compositional_skills/s", replacements: [("version: 3", "version: 2"), ("task_description: t", "task_description: ''")],
             expected: [".task_description '' should be non-empty"]),
        Case(folder: "compositional_skills/s", replacements: [("version: 3\n", ""), ("task_description: t", "task_description: ''")],
             expected: []),
        Case(folder: "compositional_skills/s", replacements: [("    answer: A 4.\n", "    answer: no\n    context: 2024-05-01\n")],
             expected: [".seed_examples[4].answer False is not of type 'string'",
                        ".seed_examples[4].context datetime.date(2024, 5, 1) is not of type 'string'"]),
        Case(folder: "compositional_skills/s", replacements: [("  - question: Q 2?\n    answer: A 2.\n", "  - question: Q 1?\n    answer: A 1.\n")],
             expected: [".seed_examples nswer': 'A 0.'}, {'question': 'Q 1?', 'answer': 'A 1.'}, {'question': 'Q 1?', 'answer': 'A 1.'}, "
                        + "{'question': 'Q 3?', 'answer': 'A 3.'}, {'question': 'Q 4?', 'answer': 'A 4.'}] has non-unique elements"]),
        Case(folder: "compositional_skills/s", replacements: [("seed_examples:\n", "seed_examples:\n  - just text\n  -\n")],
             expected: [".seed_examples[0] 'just text' is not of type 'object'", ".seed_examples[1] None is not of type 'object'"]),
    ]

    @Test(arguments: cases)
    func errorsMatchJsonschemaOnInstructLabsSchemas(_ testCase: Case) throws {
        var text = testCase.folder.hasPrefix("knowledge") ? Self.knowledge : Self.skill
        for (original, replacement) in testCase.replacements {
            #expect(text.contains(original), "the case must change the base text")
            text = text.replacingOccurrences(of: original, with: replacement)
        }
        let errors = Sample.errors(Sample.check(text, folder: testCase.folder))
        #expect(errors.map { "\($0.documentPath) \($0.message)" }.sorted() == testCase.expected.sorted())
        for error in errors {
            #expect(error.location.line > 0 && error.location.column > 0, "every schema error has a position: \(error)")
            #expect(!error.hint.isEmpty, "every schema error has a hint: \(error)")
        }
    }

    @Test func theBaseTextsAreValid() {
        #expect(Sample.errors(Sample.check(Self.knowledge, folder: "knowledge/k")).isEmpty)
        #expect(Sample.errors(Sample.check(Self.skill, folder: "compositional_skills/s")).isEmpty)
    }
}

@Suite struct YAMLReading {
    @Test func everyPyYAMLPatternCompiled() {
        #expect(PyYAMLResolver.resolver.rules.count == PyYAMLResolver.rules.count)
    }

    @Test(arguments: [
        ("x: yes", "True"), ("x: Off", "False"), ("x: 1e5", "'1e5'"), ("x: 1.0e+5", "100000.0"), ("x: 010", "8"),
        ("x: 0x1F", "31"), ("x: 1_000", "1000"), ("x: 1:30", "90"), ("x: ~", "None"), ("x:", "None"), ("x: .inf", "inf"),
        ("x: '123'", "'123'"), ("x: 2024-01-31", "datetime.date(2024, 1, 31)"), ("x: \"it's\"", "\"it's\""),
        ("x: \"tab\\there\"", "'tab\\there'"), ("x: [1, {a: b}]", "[1, {'a': 'b'}]"), ("x: \"\\x01\"", "'\\x01'"),
    ])
    func plainScalarsAreTypedAsPyYAMLTypesThem(yaml: String, repr: String) throws {
        guard case .success(let parsed) = QNASource.parse(Data((yaml + "\n").utf8), path: "t.yaml") else {
            Issue.record("\(yaml) did not parse")
            return
        }
        let value = try #require(parsed.root["x"])
        #expect(PythonRepr.repr(value) == repr)
    }

    @Test func aliasBombsAreRefusedNotExpanded() {
        var text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        var previous = "a"
        for level in 0..<8 {
            let name = "l\(level)"
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
            previous = name
        }
        let outcome = QNAFile.check(data: Data(text.utf8), displayPath: "bomb/qna.yaml", relativeFolder: "compositional_skills/bomb")
        #expect(outcome.diagnostics.map(\.rule) == ["yaml-size"])
    }
}
