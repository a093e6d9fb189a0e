import Foundation
import LabCore
@testable import LabTaxonomy
import Testing

/// One failing case per rule of InstructLab's schemas, asserting message, YAML path and position.
@Suite struct KnowledgeSchemaRules {
    @Test func theSampleFilesAreValid() {
        #expect(Sample.errors(Sample.check(Sample.knowledge())).isEmpty)
        #expect(Sample.errors(Sample.check(Sample.skill(), folder: "compositional_skills/a")).isEmpty)
    }

    @Test(arguments: ["created_by", "domain", "document_outline"])
    func aMissingTopLevelKeyIsReportedAtTheRootMapping(key: String) throws {
        let text = Sample.knowledge().split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("\(key):") }.joined(separator: "\n")
        let error = try #require(Sample.errors(Sample.check(text)).first)
        #expect(error.message == "'\(key)' is a required property")
        #expect(error.documentPath == ".")
        #expect(error.rule == "required")
        #expect((error.location.line, error.location.column) == (1, 1))
        #expect(!error.hint.isEmpty)
    }

    @Test func anUnknownTopLevelKeyIsRejectedWhereItStands() throws {
        let text = Sample.knowledge().replacingOccurrences(of: "domain: Finance\n", with: "domain: Finance\ntask_description: old v2 key\n")
        let error = try #require(Sample.errors(Sample.check(text)).first)
        #expect(error.message == "Unevaluated properties are not allowed ('task_description' was unexpected)")
        #expect(error.location.line == 4)
        #expect(error.location.column == 1)
    }

    @Test func aMisspeltKeyGetsASuggestion() throws {
        let text = Sample.knowledge().replacingOccurrences(of: "domain: Finance", with: "domian: Finance")
        let errors = Sample.errors(Sample.check(text))
        let unexpected = try #require(errors.first { $0.rule == "unexpected-key" })
        #expect(unexpected.hint.hasPrefix("did you mean 'domain'?"))
        #expect(errors.contains { $0.message == "'domain' is a required property" })
    }

    @Test func fewerThanFiveSeedsIsReportedOnTheSeedList() throws {
        let error = try #require(Sample.errors(Sample.check(Sample.knowledge(seeds: 3))).first)
        #expect(error.message == "Value must have at least 5 items")
        #expect(error.documentPath == ".seed_examples")
        #expect(error.hint == "add 2 more seed examples")
        #expect(error.location.line == 5)
    }

    @Test func fewerThanThreeQuestionsIsReportedPerSeed() throws {
        let errors = Sample.errors(Sample.check(Sample.knowledge(pairs: 2)))
        #expect(errors.count == 5, "one per seed: \(errors)")
        #expect(errors[0].message == "Value must have at least 3 items")
        #expect(errors[0].documentPath == ".seed_examples[0].questions_and_answers")
        #expect(errors[0].hint == "add 1 more question/answer pair")
        #expect(errors[1].location.line == 13)
    }

    @Test func duplicateSeedsAreReportedAtTheRepeat() throws {
        var text = Sample.knowledge()
        text = text.replacingOccurrences(of: "Context number 3 about", with: "Context number 1 about")
            .replacingOccurrences(of: "Question 3-", with: "Question 1-").replacingOccurrences(of: "Answer 3-", with: "Answer 1-")
        let errors = Sample.errors(Sample.check(text))
        let error = try #require(errors.first)
        #expect(errors.count == 1)
        #expect(error.message.hasSuffix("}]}] has non-unique elements"))
        #expect(error.message.unicodeScalars.count == 200, "cut to its last 200 characters, as InstructLab prints it")
        #expect(error.documentPath == ".seed_examples")
        #expect(error.hint == "item 3 (line 29) repeats item 1 (line 13); change or remove the repeats")
        #expect((error.location.line, error.location.column) == (29, 5))
    }

    @Test func duplicateQuestionsAndAnswersAreReported() throws {
        let text = Sample.knowledge().replacingOccurrences(of: "Question 0-1?\n        answer: Answer 0-1.", with: "Question 0-0?\n        answer: Answer 0-0.")
        let error = try #require(Sample.errors(Sample.check(text)).first)
        #expect(error.message == "[{'question': 'Question 0-0?', 'answer': 'Answer 0-0.'}, {'question': 'Question 0-0?', 'answer': 'Answer 0-0.'}, "
            + "{'question': 'Question 0-2?', 'answer': 'Answer 0-2.'}] has non-unique elements")
        #expect(error.documentPath == ".seed_examples[0].questions_and_answers")
        #expect(error.location.line == 9)
    }

    @Test func aSeedWithoutContextIsReported() throws {
        let text = Sample.knowledge().replacingOccurrences(of: "  - context: Context number 2 about ratios.\n    questions_and_answers:", with: "  - questions_and_answers:")
        let error = try #require(Sample.errors(Sample.check(text)).first)
        #expect(error.message == "'context' is a required property")
        #expect(error.documentPath == ".seed_examples[2]")
        #expect(error.location.line == 21)
    }

    @Test func anUnknownKeyInASeedIsRejected() throws {
        let text = Sample.knowledge().replacingOccurrences(of: "  - context: Context number 0 about ratios.\n", with: "  - context: Context number 0 about ratios.\n    notes: extra\n")
        let error = try #require(Sample.errors(Sample.check(text)).first)
        #expect(error.message == "Unevaluated properties are not allowed ('notes' was unexpected)")
        #expect(error.documentPath == ".seed_examples[0]")
        #expect(error.location.line == 6)
        #expect(error.location.column == 5)
    }

    @Test func extraKeysInsideAQuestionAnswerPairAreAllowedAsInInstructLab() {
        let text = Sample.knowledge().replacingOccurrences(of: "answer: Answer 0-0.\n", with: "answer: Answer 0-0.\n        source: page 3\n")
        #expect(Sample.errors(Sample.check(text)).isEmpty)
    }

    @Test func aQuestionWithoutAnswerIsReported() throws {
        let text = Sample.knowledge().replacingOccurrences(of: "\n        answer: Answer 4-2.", with: "")
        let error = try #require(Sample.errors(Sample.check(text)).first)
        #expect(error.message == "'answer' is a required property")
        #expect(error.documentPath == ".seed_examples[4].questions_and_answers[2]")
    }

    @Test func anEmptyStringIsReportedAsInInstructLab() throws {
        let text = Sample.knowledge().replacingOccurrences(of: "context: Context number 0 about ratios.", with: "context: ''")
        let error = try #require(Sample.errors(Sample.check(text)).first)
        #expect(error.message == "'' should be non-empty")
        #expect(error.documentPath == ".seed_examples[0].context")
        #expect((error.location.line, error.location.column) == (5, 14))
    }

    @Test(arguments: [
        ("domain: Finance", "domain: 5", "5 is not of type 'string'", ".domain"),
        ("domain: Finance", "domain: [a, b]", "['a', 'b'] is not of type 'string'", ".domain"),
        ("domain: Finance", "domain: {a: 1, b: null}", "{'a': 1, 'b': None} is not of type 'string'", ".domain"),
        ("domain: Finance", "domain: 2024-01-31", "datetime.date(2024, 1, 31) is not of type 'string'", ".domain"),
        ("domain: Finance", "domain: 1.5", "1.5 is not of type 'string'", ".domain"),
        ("domain: Finance", "domain: on", "True is not of type 'string'", ".domain"),
        ("domain: Finance", "domain: \"it's\"", "", ""),
        ("domain: Finance", "domain: 1e5", "", ""),
        ("domain: Finance", "domain: yes", "True is not of type 'string'", ".domain"),
        ("domain: Finance", "domain:", "None is not of type 'string'", ".domain"),
        ("  patterns:\n    - ratios.md", "  patterns: ratios.md", "'ratios.md' is not of type 'array'", ".document.patterns"),
        ("document:\n  repo", "document: {}\nx_document:\n  repo", "'repo' is a required property", ".document"),
    ])
    func wrongTypesAreReportedWithTheValue(original: String, replacement: String, message: String, path: String) throws {
        let text = Sample.knowledge().replacingOccurrences(of: original, with: replacement)
        let errors = Sample.errors(Sample.check(text))
        if message.isEmpty {
            #expect(errors.isEmpty, "PyYAML reads this as a string: \(errors)")
        } else {
            #expect(errors.contains { $0.message == message && $0.documentPath == path }, "\(errors)")
        }
    }

    @Test func nonObjectsWhereObjectsBelongAreReported() throws {
        let document = Sample.knowledge().replacingOccurrences(
            of: "document:\n  repo: documents/finance\n  commit: local\n  patterns:\n    - ratios.md\n", with: "document: just-a-string\n")
        let documentError = try #require(Sample.errors(Sample.check(document)).first)
        #expect(documentError.message == "'just-a-string' is not of type 'object'")
        #expect(documentError.documentPath == ".document")
        #expect(documentError.location.line == 46)
        let seeds = "version: 3\ncreated_by: me\ntask_description: t\nseed_examples: [a, b, c, d, e]\n"
        let seedErrors = Sample.errors(Sample.check(seeds, folder: "compositional_skills/x"))
        #expect(seedErrors.count == 5)
        #expect(seedErrors.first?.message == "'a' is not of type 'object'")
        #expect(seedErrors.first?.documentPath == ".seed_examples[0]")
        #expect((seedErrors.first?.location.line, seedErrors.first?.location.column) == (4, 17))
    }

    @Test func documentRulesApply() {
        let missingPatterns = Sample.knowledge().replacingOccurrences(of: "  patterns:\n    - ratios.md\n", with: "")
        #expect(Sample.errors(Sample.check(missingPatterns)).map(\.message) == ["'patterns' is a required property"])
        let emptyPatterns = Sample.knowledge().replacingOccurrences(of: "  patterns:\n    - ratios.md\n", with: "  patterns: []\n")
        #expect(Sample.errors(Sample.check(emptyPatterns)).map(\.message) == ["Value must have at least 1 items"])
        let duplicatePatterns = Sample.knowledge().replacingOccurrences(of: "    - ratios.md\n", with: "    - ratios.md\n    - ratios.md\n")
        #expect(Sample.errors(Sample.check(duplicatePatterns)).map { "\($0.documentPath) \($0.message) \($0.location.line)" } == [".document.patterns ['ratios.md', 'ratios.md'] has non-unique elements 51"])
        let extraKey = Sample.knowledge().replacingOccurrences(of: "  commit: local\n", with: "  commit: local\n  branch: main\n")
        #expect(Sample.errors(Sample.check(extraKey)).map(\.message) == ["Unevaluated properties are not allowed ('branch' was unexpected)"])
    }

    @Test(arguments: [(1, "Minimum"), (2, "Minimum"), (4, "Maximum")])
    func knowledgeAcceptsOnlyVersionThree(version: Int, bound: String) throws {
        let text = Sample.knowledge().replacingOccurrences(of: "version: 3", with: "version: \(version)")
        let errors = Sample.errors(Sample.check(text))
        #expect(errors.map(\.message) == ["Version \(version) is not supported for knowledge. \(bound) supported version is 3."])
        #expect(errors.first?.rule == "unsupported-version")
        #expect(errors.first?.documentPath == ".version")
        #expect((errors.first?.location.line, errors.first?.location.column) == (1, 10))
    }

    @Test func knowledgeWithoutAVersionIsVersionOneAndSoUnsupported() throws {
        let text = Sample.knowledge().replacingOccurrences(of: "version: 3\n", with: "")
        let errors = Sample.errors(Sample.check(text))
        #expect(errors.map(\.message) == ["Version 1 is not supported for knowledge. Minimum supported version is 3."])
        #expect(errors.first?.documentPath == ".")
        #expect((errors.first?.location.line, errors.first?.location.column) == (1, 1))
    }

    @Test(arguments: [("'3'", ["'3' is not of type 'integer'", "3 was expected"]), ("3.0", []), ("true", ["Version 1 is not supported for knowledge. Minimum supported version is 3.", "True is not of type 'integer'"])])
    func aVersionIsReadAsInstructLabReadsIt(value: String, messages: [String]) {
        let text = Sample.knowledge().replacingOccurrences(of: "version: 3", with: "version: \(value)")
        #expect(Sample.errors(Sample.check(text)).map(\.message) == messages)
    }

    @Test func everyErrorOfAFileIsReportedNotJustTheFirst() {
        let text = """
            version: 3
            created_by: ''
            domain: 7
            surprise: true
            seed_examples:
              - context: x
                questions_and_answers: []
            document:
              repo: documents
              commit: local
              patterns: []

            """
        let messages = Sample.errors(Sample.check(text)).map(\.message)
        #expect(Set(messages) == [
            "'document_outline' is a required property", "'' should be non-empty", "7 is not of type 'string'",
            "Unevaluated properties are not allowed ('surprise' was unexpected)", "Value must have at least 5 items",
            "Value must have at least 3 items", "Value must have at least 1 items",
        ])
        #expect(messages.count == 7, "\(messages)")
    }
}

@Suite struct SkillSchemaRules {
    @Test func versionThreeSkillsNeedFiveUniqueSeeds() throws {
        let error = try #require(Sample.errors(Sample.check(Sample.skill(seeds: 4), folder: "compositional_skills/a")).first)
        #expect(error.message == "Value must have at least 5 items")
        #expect(error.documentPath == ".seed_examples")
    }

    @Test func versionOneSkillsNeedOneSeedAndNoVersionKey() {
        let outcome = Sample.check(Sample.skill(version: nil, seeds: 1), folder: "compositional_skills/a")
        #expect(Sample.errors(outcome).isEmpty)
        #expect(outcome.leaf?.version == 1)
        let duplicates = Sample.skill(version: 1, seeds: 2).replacingOccurrences(of: "change 1?\n    answer: It is 1%.", with: "change 0?\n    answer: It is 0%.")
        #expect(Sample.errors(Sample.check(duplicates, folder: "compositional_skills/a")).isEmpty, "v1 allows duplicates")
        let emptyDescription = Sample.skill(version: 1, seeds: 1).replacingOccurrences(of: "Compute percent changes.", with: "''")
        #expect(Sample.errors(Sample.check(emptyDescription, folder: "compositional_skills/a")).isEmpty, "v1 allows an empty task description")
    }

    @Test func versionTwoSkillsFollowTheVersionThreeRules() {
        #expect(Sample.errors(Sample.check(Sample.skill(version: 2), folder: "compositional_skills/a")).isEmpty)
        let empty = Sample.skill(version: 2).replacingOccurrences(of: "Compute percent changes.", with: "''")
        #expect(Sample.errors(Sample.check(empty, folder: "compositional_skills/a")).map(\.message) == ["'' should be non-empty"])
    }

    @Test func unknownSeedKeysAndMissingAnswersAreReported() {
        let text = Sample.skill().replacingOccurrences(of: "    answer: It is 2%.\n", with: "    reply: It is 2%.\n")
        let messages = Sample.errors(Sample.check(text, folder: "compositional_skills/a")).map(\.message)
        #expect(messages == ["'answer' is a required property", "Unevaluated properties are not allowed ('reply' was unexpected)"])
    }

    @Test func unsupportedAndMistypedVersionsAreReported() {
        let seven = Sample.check(Sample.skill(version: 7), folder: "compositional_skills/a")
        #expect(Sample.errors(seven).map(\.message) == ["Version 7 is not supported for compositional skills. Supported versions are 1, 2 and 3."])
        // InstructLab falls back to version 1 when int(version) fails; v1's schema then objects.
        let text = Sample.skill().replacingOccurrences(of: "version: 3", with: "version: three")
        #expect(Sample.errors(Sample.check(text, folder: "compositional_skills/a")).map(\.message) == ["'three' is not of type 'integer'", "1 was expected"])
    }

    @Test func knowledgeKeysInASkillAreRejected() {
        let text = Sample.skill() + "document_outline: nope\n"
        #expect(Sample.errors(Sample.check(text, folder: "compositional_skills/a")).map(\.message)
            == ["Unevaluated properties are not allowed ('document_outline' was unexpected)"])
    }
}

@Suite struct LeafKindDetection {
    @Test(arguments: [
        ("knowledge/finance/ratios", true, false, LeafKind.knowledge, TaxonomyBranch.knowledge),
        ("compositional_skills/finance/cagr", false, false, .freeformSkill, .compositionalSkills),
        ("compositional_skills/finance/tables", false, true, .groundedSkill, .compositionalSkills),
        ("foundational_skills/reasoning/units", false, false, .foundationalSkill, .foundationalSkills),
        ("foundational_skills/reasoning/tables", false, true, .foundationalSkill, .foundationalSkills),
        ("elsewhere/leaf", true, false, .knowledge, .other),
        ("elsewhere/leaf", false, true, .groundedSkill, .other),
    ])
    func kindsFollowTheFolderAndTheContent(folder: String, knowledge: Bool, grounded: Bool, kind: LeafKind, branch: TaxonomyBranch) throws {
        let text = knowledge ? Sample.knowledge() : Sample.skill(context: grounded)
        let outcome = Sample.check(text, folder: folder)
        let leaf = try #require(outcome.leaf, "\(outcome.diagnostics)")
        #expect(leaf.kind == kind)
        #expect(leaf.branch == branch)
        #expect(leaf.taxonomyPath == folder.replacingOccurrences(of: "/", with: "->"))
        #expect(leaf.isGrounded == (knowledge || grounded))
    }

    @Test func aKnowledgeLeafCarriesItsSeedsAndDocumentReference() throws {
        let leaf = try #require(Sample.check(Sample.knowledge()).leaf)
        #expect(leaf.taxonomyPath == "knowledge->finance->ratios")
        #expect(leaf.fileSafeName == "knowledge_finance_ratios")
        #expect(leaf.seeds.count == 5)
        #expect(leaf.seeds[2].questionsAndAnswers[1] == QuestionAnswer(question: "Question 2-1?", answer: "Answer 2-1."))
        #expect(leaf.document?.patterns == ["ratios.md"])
        #expect(leaf.identity == LeafIdentity(taxonomyPath: "knowledge->finance->ratios", contentHash: ContentHash.sha256Hex(Sample.knowledge())))
        #expect(leaf.questionAnswerCount == 15)
    }

    @Test func aSkillWhoseSeedsMixContextIsGroundedWithAWarning() throws {
        let text = Sample.skill().replacingOccurrences(of: "    answer: It is 0%.\n", with: "    answer: It is 0%.\n    context: A table.\n")
        let outcome = Sample.check(text, folder: "compositional_skills/a")
        #expect(outcome.leaf?.kind == .groundedSkill)
        #expect(outcome.diagnostics.contains { $0.rule == "mixed-context" })
    }
}
