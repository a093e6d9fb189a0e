import Foundation
import LabCore
@testable import LabPipeline
import LabTestSupport
import Testing

@Suite struct PipelineFiles {
    static let pipelines = TestPaths.repositoryRoot.appendingPathComponent("pipelines")

    @Test func theShippedSimplePipelineLoadsAndRenders() throws {
        let pipeline = try Pipeline.load(directory: Self.pipelines.appendingPathComponent("simple"))
        #expect(pipeline.name == "simple")
        #expect(Set(pipeline.flows.keys) == ["knowledge", "freeform_skill", "grounded_skill"])
        // Generation, then the verifiers, safety, and duplicates decided at commit.
        let kinds = try #require(pipeline.flows["knowledge"]?.map(\.kind))
        #expect(kinds.first == .answerFirst && kinds[1] == .generate && kinds.last == .dedup)
        #expect(Set(kinds).isSuperset(of: [.format, .leak, .selfContained, .answersQuestion, .numbers, .claims, .safety]))
        let freeform = Set(pipeline.flows["freeform_skill"]?.map(\.kind) ?? [])
        #expect(freeform.isSuperset(of: [.arithmetic, .onLeaf, .definitions]))
        #expect(pipeline.chunkTokens == 250)
        #expect(pipeline.flows["knowledge"]?[1].listOption("stop") == ["\n\n"])
        #expect(pipeline.contentHash.count == 64)
        // Answer-first: the question prompt shows the passage and the sentence to ask about.
        let generate = try #require(pipeline.flows["knowledge"]?[1])
        let prompt = try generate.renderPrompt(["domain": "Finance", "chunk": "The current ratio is 1.5.", "answer": "The current ratio is 1.5."])
        #expect(prompt.contains("The current ratio is 1.5.") && prompt.contains("Answer: The current ratio is 1.5."))
    }

    /// A temporary pipelines folder with one pipeline and the given template.
    private func write(pipeline: String, template: String = "Task: {{ task_description }}\nQuestion:\n") throws -> URL {
        let root = try TestPaths.temporaryDirectory("pipeline")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("p"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("templates"), withIntermediateDirectories: true)
        try Data(pipeline.utf8).write(to: root.appendingPathComponent("p/pipeline.yaml"))
        try Data(template.utf8).write(to: root.appendingPathComponent("templates/t.txt"))
        return root.appendingPathComponent("p")
    }

    private func problems(_ directory: URL) -> [Diagnostic] {
        do {
            _ = try Pipeline.load(directory: directory)
            return []
        } catch {
            return error.diagnostics
        }
    }

    @Test func everyProblemIsReportedWithItsLineBeforeAnyWork() throws {
        let directory = try write(pipeline: """
            name: broken
            flows:
              freeform_skill:
                - block: generate
                  template: templates/t.txt
                  parse: question_answer
                  temprature: "0.7"
                - block: translate
                - block: judge
                  template: templates/missing.txt
                  output: score
                  scale: "0-2"
              weird_flow:
                - block: format

            """)
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let found = problems(directory)
        let byRule = Dictionary(grouping: found, by: \.rule)
        #expect(byRule["unexpected-key"]?.first?.message == "block 'generate' (generate) has no option 'temprature'")
        #expect(byRule["unexpected-key"]?.first?.location.line == 7)
        #expect(byRule["unknown-block"]?.first?.message == "unknown block 'translate'")
        #expect(byRule["unknown-block"]?.first?.location.line == 8)
        #expect(byRule["missing-template"]?.first?.location.line == 10)
        #expect(byRule["unknown-flow"]?.first?.location.line == 13)
        #expect(found.count == 4, "\(found)")
    }

    @Test func anUndefinedTemplateVariableIsReportedInTheTemplate() throws {
        let directory = try write(pipeline: """
            name: p
            flows:
              freeform_skill:
                - block: generate
                  template: templates/t.txt
                  parse: question_answer

            """, template: "Task: {{ task_description }}\nExample: {{ seed_questoin }}\n{% for e in seed_examples %}{{ e }}{% endfor %}\n")
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let found = problems(directory)
        #expect(found.map(\.message) == ["template uses 'seed_questoin', which this flow does not provide"])
        #expect(found.first?.location.line == 2)
        #expect(found.first?.location.path.hasSuffix("templates/t.txt") == true)
    }

    @Test func flowsMustStartWithGenerationAndMissingOptionsAreNamed() throws {
        let directory = try write(pipeline: """
            flows:
              knowledge:
                - block: format
                - block: generate
                  template: templates/t.txt

            """)
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let messages = problems(directory).map(\.message)
        #expect(messages.contains("flow 'knowledge' must start with a generate, answer_first, glossary_question or varied_question block (after any novelty block)"))
        #expect(messages.contains("block 'generate' (generate) needs 'parse'"))
        #expect(messages.contains("template uses 'task_description', which this flow does not provide"))
    }

    @Test func aMissingPipelineIsAClearError() throws {
        let found = problems(URL(fileURLWithPath: "/no/such/pipeline"))
        #expect(found.first?.message == "no readable pipeline.yaml here")
    }
}

@Suite struct TolerantParsing {
    @Test(arguments: [
        ("[QUESTION] What is EBIT? [ANSWER] Earnings before interest and taxes. [END]", "What is EBIT?", "Earnings before interest and taxes."),
        (" What is EBIT?\n[Answer] Earnings before interest and taxes.", "What is EBIT?", "Earnings before interest and taxes."),
        ("What is a 10-K?\nAnswer: The annual report.\nQuestion: What is a 10-Q?\nAnswer: The quarterly one.", "What is a 10-K?", "The annual report."),
        ("Question: How is ROE computed?\nAnswer: Net income over average equity.", "How is ROE computed?", "Net income over average equity."),
        ("What is a basis point? One hundredth of a percentage point.", "What is a basis point?", "One hundredth of a percentage point."),
    ])
    func commonShapesOfSmallTeacherRepliesParse(reply: String, question: String, answer: String) throws {
        let columns = try #require(ReplyParser.questionAnswer.parse(reply))
        #expect(columns["question"] == question)
        #expect(columns["answer"] == answer)
    }

    @Test(arguments: ["", "   ", "No question here at all.", "[ANSWER]   [END]", "What?"])
    func unusableRepliesAreRefused(reply: String) {
        #expect(ReplyParser.questionAnswer.parse(reply) == nil)
    }
}
