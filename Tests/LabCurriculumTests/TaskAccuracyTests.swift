import Foundation
import LabCore
import LabCurriculum
import LabGGUF
import LabStore
import LabTestSupport
import LabTrain
import Testing

/// Grades deterministically from the answer's text, and can fail once on a chosen call.
private final class ScriptedGrader: TaskGrader, @unchecked Sendable {
    private let lock = NSLock()
    private var calls = 0
    let failOnCall: Int?

    init(failOnCall: Int? = nil) { self.failOnCall = failOnCall }

    func grades(leaf: String) -> Bool { leaf != "skills/unknown" }

    func grade(_ question: TaskQuestion, answer: String) async throws -> TaskGrade {
        let call = lock.withLock { calls += 1; return calls }
        if call == failOnCall { throw TrainingJobError("grader down") }
        return answer.utf8.count % 2 == 0 ? TaskGrade(correct: true) : TaskGrade(correct: false, rejectedBy: "odd", reason: "odd length")
    }
}

private struct Fixture {
    let directory: URL
    let base: URL
    let store: SampleStore
    let generalSet: URL

    init() throws {
        directory = try TestPaths.temporaryDirectory("task-accuracy")
        base = directory.appendingPathComponent("base.gguf")
        try TinyDecoderModel.write(to: base, seed: 3)
        store = try SampleStore(url: directory.appendingPathComponent("store.sqlite"))
        generalSet = directory.appendingPathComponent("mc.jsonl")
        let items = [
            MultipleChoiceItem(id: "1", subject: "x", question: "abc", choices: ["a", "b", "c"], answer: 0),
            MultipleChoiceItem(id: "2", subject: "x", question: "ab ab", choices: ["ab", "ba"], answer: 1),
            MultipleChoiceItem(id: "3", subject: "x", question: "c", choices: ["cab", "b", "abc", "a"], answer: 2),
        ]
        let encoder = JSONEncoder()
        try items.map { String(decoding: try encoder.encode($0), as: UTF8.self) }.joined(separator: "\n").write(to: generalSet, atomically: true, encoding: .utf8)
    }

    func recipe(saveEvery: Int = 0) throws -> TrainingRecipe {
        TrainingRecipe(
            baseModel: base.path, baseModelSHA256: try ContentHash.sha256Hex(fileAt: base), generationRunID: nil, jsonlFiles: [],
            curriculum: CurriculumSettings(replayRatio: 0.3),
            training: TrainingSettings(epochs: 2, learningRate: 1e-3, batchSize: 4, microBatchTokens: 256),
            maximumSequenceLength: 200, precision: .f32, saveEvery: saveEvery, evaluationWindow: 64,
            taskAccuracy: TaskAccuracySettings(taxonomy: "unused", pipeline: "unused", seedsPerLeaf: 2, maxTokens: 12),
            generalBenchmark: GeneralBenchmarkSettings(path: generalSet.path))
    }

    func plan(_ grader: ScriptedGrader, judge: TaskJudge? = nil) -> TaskAccuracyPlan {
        let seeds = [
            SeedExampleRecord(id: 1, leaf: "skills/c", kind: "skill", position: 0, context: "ctx one", question: "Do one", answer: "One."),
            SeedExampleRecord(id: 2, leaf: "skills/c", kind: "skill", position: 1, context: nil, question: "Do two", answer: "Two."),
            SeedExampleRecord(id: 3, leaf: "skills/c", kind: "skill", position: 2, context: nil, question: "Do three", answer: "Three."),
            SeedExampleRecord(id: 4, leaf: "knowledge/a", kind: "knowledge", position: 0, context: "a context", question: "What is a?", answer: "A."),
            SeedExampleRecord(id: 5, leaf: "skills/unknown", kind: "skill", position: 0, context: nil, question: "Gone?", answer: "Yes."),
        ]
        return TaskAccuracyPlan(grader: grader, judge: judge, seeds: seeds,
                                settings: TaskAccuracySettings(taxonomy: "unused", pipeline: "unused", seedsPerLeaf: 2, maxTokens: 12), threads: 1)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

@Suite("Task accuracy: questions, grading per stage, general benchmark, resume", .serialized)
struct TaskAccuracyTests {
    @Test("held-out knowledge is asked closed book, skills with their context; seeds are spread and capped per leaf")
    func questions() throws {
        var examples = sampleExamples(knowledgePerLeaf: 2, skillsPerLeaf: 2)
        examples[2].context = "a table"
        let heldOut = [examples[0], examples[2]]
        let seeds = (0..<6).map {
            SeedExampleRecord(id: Int64(10 + $0), leaf: "skills/c", kind: "skill", position: $0, context: $0 % 2 == 0 ? "context \($0)" : nil,
                              question: "Q\($0)", answer: "A\($0)")
        }
        let questions = TaskQuestion.questions(heldOut: heldOut, seeds: seeds, seedsPerLeaf: 3)
        #expect(questions.map(\.id) == ["held_out:knowledge/a/0", "held_out:knowledge/b/0", "seed:10", "seed:12", "seed:14"])
        #expect(questions[0].prompt == examples[0].question && questions[0].context == examples[0].chunkText)
        #expect(questions[1].prompt == examples[2].question, "a knowledge question is asked without its chunk")
        #expect(questions[2].prompt == "context 0\n\nQ0" && questions[2].context == "context 0" && questions[2].reference == "A0")
        #expect(questions.allSatisfy { $0.origin == ($0.id.hasPrefix("seed") ? .seed : .heldOut) })
    }

    @Test("a judge's rating is the last [[N]] between 1 and 10")
    func ratings() {
        #expect(TaskJudge.rating(in: "Good answer. Rating: [[7]]") == 7)
        #expect(TaskJudge.rating(in: "[[3]] at first, but on reflection [[8.5]]") == 8.5)
        #expect(TaskJudge.rating(in: "Rating: [[11]]") == nil)
        #expect(TaskJudge.rating(in: "Rating: 7") == nil)
        #expect(TaskJudge.rating(in: "[[ 4 ]]") == 4)
    }

    @Test("a job grades the student at every stage, scores the general set, and stores both once per stage")
    func perStage() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let job = TrainingJob(store: fixture.store, recipe: try fixture.recipe(), examples: sampleExamples(),
                              outputDirectory: fixture.directory.appendingPathComponent("out"), taskAccuracy: fixture.plan(ScriptedGrader()))
        let summary = try job.run()
        #expect(summary.taskAnswers.map(\.stage) == ["base", "after knowledge", "after skills"])
        let asked = summary.taskAnswers[0].answers.map(\.questionID)
        #expect(asked.count == 4 + 3, "4 held-out samples, 2 seeds of skills/c, 1 of knowledge/a; the unknown leaf is left out")
        #expect(!asked.contains("seed:5"))
        for stage in summary.taskAnswers { #expect(stage.answers.map(\.questionID) == asked) }
        for answer in summary.taskAnswers.flatMap(\.answers) {
            #expect(answer.correct == (answer.answer.utf8.count % 2 == 0))
            #expect(answer.correct || answer.rejectedBy == "odd")
        }
        #expect(summary.benchmarks.map(\.stage) == ["base", "after knowledge", "after skills"])
        #expect(summary.benchmarks.allSatisfy { $0.items == 3 && (0...3).contains($0.correct) })
        #expect(try fixture.store.trainingTaskAnswers(summary.trainingID).count == 21)
    }

    @Test("a judge sees the question, the reference and the answer, and its rating is stored with each answer")
    func judged() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        // The scripted judge rates by whether the reference it was shown mentions "Two".
        let judge = ScriptedTeacher { prompt, _, _ in
            prompt.contains("[Reference answer]\nTwo.") ? "Close to the reference. Rating: [[8]]" : "Unrelated. [[2]] Rating"
        }
        let summary = try TrainingJob(store: fixture.store, recipe: try fixture.recipe(), examples: sampleExamples(),
                                      outputDirectory: fixture.directory.appendingPathComponent("out"),
                                      taskAccuracy: fixture.plan(ScriptedGrader(), judge: TaskJudge(generator: judge))).run()
        let answers = summary.taskAnswers.flatMap(\.answers)
        #expect(answers.count == 21 && answers.allSatisfy { $0.judgeScore != nil })
        #expect(answers.filter { $0.questionID == "seed:2" }.allSatisfy { $0.judgeScore == 8 })
        #expect(answers.filter { $0.questionID != "seed:2" }.allSatisfy { $0.judgeScore == 2 })
        #expect(judge.askedPrompts.allSatisfy { $0.contains("[Question]") && $0.contains("[Assistant's answer]") })
    }

    @Test("a job killed while grading resumes and makes only the missing stages, with the answers an uninterrupted job gives")
    func resumeDuringGrading() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let straight = try TrainingJob(store: fixture.store, recipe: try fixture.recipe(), examples: sampleExamples(),
                                       outputDirectory: fixture.directory.appendingPathComponent("straight"),
                                       taskAccuracy: fixture.plan(ScriptedGrader())).run()

        // The grader fails on its first call after the base stage's seven: during "after knowledge".
        let recipe = try fixture.recipe(saveEvery: 1)
        let output = fixture.directory.appendingPathComponent("killed")
        #expect(throws: (any Error).self) {
            try TrainingJob(store: fixture.store, recipe: recipe, examples: sampleExamples(), outputDirectory: output,
                            taskAccuracy: fixture.plan(ScriptedGrader(failOnCall: 9))).run()
        }
        let id = try #require(try fixture.store.latestTrainingID())
        #expect(Set(try fixture.store.trainingTaskAnswers(id).map(\.stage)) == ["base"], "a stage is stored whole or not at all")
        let resumed = try TrainingJob(store: fixture.store, recipe: recipe, examples: sampleExamples(), outputDirectory: output,
                                      taskAccuracy: fixture.plan(ScriptedGrader())).run(resuming: id)
        #expect(resumed.taskAnswers.map(\.stage) == ["base", "after knowledge", "after skills"])
        for (a, b) in zip(resumed.taskAnswers, straight.taskAnswers) {
            #expect(a.answers.map(\.answer) == b.answers.map(\.answer), "\(a.stage)")
        }
        #expect(resumed.benchmarks.map(\.correct) == straight.benchmarks.map(\.correct))
        #expect(try fixture.store.trainingTaskAnswers(id).count == 21)
    }
}
