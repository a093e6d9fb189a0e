import Foundation
import LabCore
@testable import LabTaxonomy
import Testing

@Suite struct BadInput {
    @Test func invalidYAMLIsAnErrorWithItsLineAndColumn() throws {
        let text = "version: 3\ncreated_by: x\nseed_examples:\n  - question: [unclosed\n    answer: a\n"
        let error = try #require(Sample.errors(Sample.check(text, folder: "compositional_skills/a")).first)
        #expect(error.rule == "yaml-syntax")
        #expect(error.message.hasPrefix("invalid YAML:"))
        #expect(error.location.line >= 4)
        #expect(error.location.column > 0)
    }

    @Test(arguments: [("- a\n- b\n", "the file is a list;"), ("just text\n", "the file is a single value ('just text');"), ("42\n", "the file is a single value (42);")])
    func aListOrAScalarIsNotAQNAFile(text: String, hintStart: String) throws {
        let errors = Sample.errors(Sample.check(text))
        let error = try #require(errors.first)
        #expect(errors.count == 1)
        #expect(error.rule == "root-type")
        #expect(error.message == "The file is not valid. The top-level element is not an object with key-value pairs.")
        #expect(error.hint.hasPrefix(hintStart), "\(error.hint)")
        #expect((error.location.line, error.location.column) == (1, 1))
    }

    @Test(arguments: ["", "\n\n   \n", "# only a comment\n", "\u{FEFF}"])
    func anEmptyFileIsAnError(text: String) throws {
        let error = try #require(Sample.errors(Sample.check(text)).first)
        #expect(error.rule == "empty")
        #expect(error.message.hasPrefix("The file is empty"))
    }

    @Test func aTenMegabyteFileIsRefusedBeforeParsing() throws {
        let big = Data(repeating: UInt8(ascii: "a"), count: QNAFile.maximumByteCount + 1)
        let outcome = QNAFile.check(data: big, displayPath: "big/qna.yaml", relativeFolder: "knowledge/big")
        #expect(Sample.errors(outcome).map(\.rule) == ["file-size"])
    }

    @Test func invalidUTF8IsReportedWithLineAndColumn() throws {
        var bytes = Array("version: 3\ndomain: caf".utf8)
        bytes.append(0xE9)  // Latin-1 'é'
        bytes += Array("\n".utf8)
        let outcome = QNAFile.check(data: Data(bytes), displayPath: "q/qna.yaml", relativeFolder: "knowledge/q")
        let error = try #require(Sample.errors(outcome).first)
        #expect(error.rule == "encoding")
        #expect((error.location.line, error.location.column) == (2, 12))
        #expect(error.message == "file is not valid UTF-8 (byte 0xE9 at offset 22)")
    }

    @Test func duplicateKeysAreAnErrorBecauseOneValueWouldBeLost() throws {
        let text = Sample.knowledge().replacingOccurrences(of: "domain: Finance\n", with: "domain: Finance\ndomain: Accounting\n")
        let error = try #require(Sample.errors(Sample.check(text)).first)
        #expect(error.rule == "key-duplicates")
        #expect(error.message == "duplication of key \"domain\" in mapping")
        #expect((error.location.line, error.location.column) == (4, 1), "the repeat, not the first")
        #expect(error.hint.contains("the first is at line 3"))
        let inSeed = Sample.skill().replacingOccurrences(of: "    answer: It is 2%.\n", with: "    answer: It is 2%.\n    answer: It is 3%.\n")
        let seedError = try #require(Sample.errors(Sample.check(inSeed, folder: "compositional_skills/a")).first)
        #expect(seedError.message == "duplication of key \"answer\" in mapping")
        #expect((seedError.location.line, seedError.location.column) == (11, 5))
    }

    @Test func aDuplicateKeyDoesNotHideTheFilesOtherErrors() throws {
        let text = Sample.skill(seeds: 4).replacingOccurrences(of: "created_by: tester\n", with: "created_by: tester\ncreated_by: other\n")
            .replacingOccurrences(of: "    answer: It is 1%.\n", with: "    answer: It is 1%.\n    answer: twice\n    answer: thrice\n")
        let outcome = Sample.check(text, folder: "compositional_skills/a")
        let errors = Sample.errors(outcome).map { "\($0.location.line):\($0.location.column) \($0.message)" }
        #expect(errors == [
            "10:5 duplication of key \"answer\" in mapping", "11:5 duplication of key \"answer\" in mapping",
            "3:1 duplication of key \"created_by\" in mapping", "6:3 Value must have at least 5 items",
        ])
        #expect(outcome.leaf == nil)
    }

    @Test func tabsAreReportedEvenWhenTheyBreakTheYAML() {
        let text = Sample.knowledge().replacingOccurrences(of: "  repo: documents/finance", with: "\trepo: documents/finance")
        let diagnostics = Sample.check(text).diagnostics
        #expect(diagnostics.contains { $0.rule == "tabs" && $0.severity == .warning && $0.location.line == 47 && $0.location.column == 1 })
        #expect(diagnostics.contains { $0.rule == "yaml-syntax" })
    }

    @Test func yamllintStyleProblemsAreWarningsWithFixes() {
        let text = Sample.knowledge().replacingOccurrences(of: "domain: Finance\n", with: "domain: Finance  \n") + "\n\n"
        let warnings = Sample.check(text).diagnostics
        #expect(warnings.allSatisfy { $0.severity == .warning })
        #expect(warnings.contains { $0.rule == "trailing-spaces" && $0.location.line == 3 && $0.location.column == 16 })
        #expect(warnings.contains { $0.rule == "empty-lines" && $0.hint == "delete the 2 blank lines at the end" })
        let noNewline = Sample.check(String(Sample.knowledge().dropLast())).diagnostics
        #expect(noNewline.map(\.rule) == ["new-line-at-end-of-file"])
        let long = Sample.knowledge().replacingOccurrences(of: "Ratios explained.", with: Array(repeating: "word", count: 30).joined(separator: " "))
        #expect(Sample.check(long).diagnostics.map(\.rule) == ["line-length"])
        let crlf = Sample.check(Sample.knowledge().replacingOccurrences(of: "\n", with: "\r\n")).diagnostics
        #expect(crlf.map(\.rule) == ["new-lines"])
    }

    @Test func aFloodOfOneProblemIsCappedAndSummed() {
        let text = Sample.knowledge().split(separator: "\n").map { $0 + " " }.joined(separator: "\n") + "\n"
        let trailing = Sample.check(text).diagnostics.filter { $0.rule == "trailing-spaces" }
        #expect(trailing.count == TextLint.perRuleLimit + 1)
        #expect(trailing.last?.message.hasSuffix("more lines with the same problem (trailing-spaces)") == true)
    }

    @Test func softLimitsAreWarnings() {
        let longContext = String(repeating: "word ", count: 501)
        let text = Sample.knowledge().replacingOccurrences(of: "Context number 0 about ratios.", with: longContext)
        let outcome = Sample.check(text)
        #expect(outcome.leaf != nil)
        #expect(outcome.diagnostics.contains { $0.rule == "context-length" && $0.documentPath == ".seed_examples[0].context" })
        let longAnswer = Sample.knowledge().replacingOccurrences(of: "Answer 1-1.", with: String(repeating: "word ", count: 260))
        #expect(Sample.check(longAnswer).diagnostics.contains { $0.rule == "qa-length" && $0.documentPath == ".seed_examples[1].questions_and_answers[1]" })
        let extraPair = Sample.knowledge(pairs: 4)
        #expect(Sample.check(extraPair).diagnostics.filter { $0.rule == "unused-qa" }.count == 5)
        var bigSkill = Sample.skill()
        for seed in 0..<5 {
            bigSkill = bigSkill.replacingOccurrences(of: "It is \(seed)%.", with: Array(repeating: "word", count: 470).joined(separator: " "))
        }
        #expect(Sample.check(bigSkill, folder: "compositional_skills/a").diagnostics.contains { $0.rule == "file-length" })
    }
}

@Suite struct MechanicalFixes {
    @Test func fixingRemovesWhatYamllintRejectsAndNothingElse() {
        let broken = "version: 3  \r\ncreated_by: me\t\r\ntask_description: |\r\n  keep\tthis tab  \r\n\r\n\r\n"
        let repaired = TextLint.fixed(broken)
        #expect(repaired == "version: 3\ncreated_by: me\ntask_description: |\n  keep\tthis tab\n")
        #expect(TextLint.fixed(repaired) == repaired)
        #expect(TextLint.check(repaired, path: "x").filter { $0.rule != "tabs" }.isEmpty)
    }

    @Test func aFixedSampleStaysValid() {
        let messy = Sample.knowledge().replacingOccurrences(of: "\n", with: "  \n") + "\n\n"
        let repaired = TextLint.fixed(messy)
        #expect(repaired == Sample.knowledge())
    }
}
