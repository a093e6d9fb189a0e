public import Foundation
public import LabCore
public import LabGeneration
import LabGGUF
import LabLLM
import LabTokenizer
import LabTrain
public import LabStore

/// One question put to the student when task accuracy is measured.
public struct TaskQuestion: Sendable, Codable, Hashable {
    public enum Origin: String, Sendable, Codable, Hashable {
        /// A run sample set aside by the curriculum, never trained on.
        case heldOut = "held_out"
        /// One of the leaf's seed examples (the curator's own pair); seeds are prompts, not training rows.
        case seed
    }

    /// Unique within a job: `held_out:RUN/SAMPLE` or `seed:ID`.
    public var id: String
    public var leaf: String
    public var kind: TrainingExample.Kind
    public var origin: Origin
    public var system: String
    /// The user turn as asked: a knowledge question alone (closed book: are the facts in the
    /// weights?), a skill's context and question as the skill is trained.
    public var prompt: String
    public var question: String
    /// What the answer is graded against: the chunk (knowledge) or the skill's context.
    public var context: String?
    /// The accepted or curator-written answer, for a judge to compare with.
    public var reference: String

    public init(id: String, leaf: String, kind: TrainingExample.Kind, origin: Origin, system: String, prompt: String, question: String,
                context: String?, reference: String) {
        self.id = id
        self.leaf = leaf
        self.kind = kind
        self.origin = origin
        self.system = system
        self.prompt = prompt
        self.question = question
        self.context = context
        self.reference = reference
    }
}

extension TaskQuestion {
    /// The held-out samples, then up to `seedsPerLeaf` seeds of each leaf that has held-out samples
    /// or seeds (spread over the leaf's seeds so several contexts are asked), leaf by leaf.
    public static func questions(heldOut: [TrainingExample], seeds: [SeedExampleRecord], seedsPerLeaf: Int,
                                 systemPrompt: String = TrainingExport.defaultSystemPrompt) -> [TaskQuestion] {
        var questions: [TaskQuestion] = []
        let seedsByLeaf = Dictionary(grouping: seeds, by: \.leaf)
        for leaf in Set(heldOut.map(\.leaf)).union(seedsByLeaf.keys).sorted() {
            for example in heldOut where example.leaf == leaf {
                let context = example.kind == .knowledge ? example.chunkText : example.context
                questions.append(TaskQuestion(
                    id: "held_out:\(example.id)", leaf: leaf, kind: example.kind, origin: .heldOut, system: example.system,
                    prompt: example.kind == .knowledge ? example.question : example.user, question: example.question,
                    context: context, reference: example.assistant))
            }
            let ofLeaf = (seedsByLeaf[leaf] ?? []).sorted { $0.position < $1.position }
            let count = min(seedsPerLeaf, ofLeaf.count)
            for i in 0..<count {
                let seed = ofLeaf[i * ofLeaf.count / count]
                let kind: TrainingExample.Kind = seed.kind == "knowledge" ? .knowledge : .skill
                let prompt = kind == .knowledge ? seed.question : [seed.context, seed.question].compactMap { $0 }.filter { !$0.isEmpty }
                    .joined(separator: "\n\n")
                questions.append(TaskQuestion(
                    id: "seed:\(seed.id)", leaf: leaf, kind: kind, origin: .seed, system: systemPrompt, prompt: prompt,
                    question: seed.question, context: seed.context, reference: seed.answer))
            }
        }
        return questions
    }
}

/// How one answer was graded.
public struct TaskGrade: Sendable, Hashable {
    public var correct: Bool
    /// The first check that failed, and its reason.
    public var rejectedBy: String?
    public var reason: String?

    public init(correct: Bool, rejectedBy: String? = nil, reason: String? = nil) {
        self.correct = correct
        self.rejectedBy = rejectedBy
        self.reason = reason
    }
}

/// Decides whether the student's answer to a question is right.
public protocol TaskGrader: Sendable {
    /// Leaves this grader can grade; questions of other leaves are left out and reported.
    func grades(leaf: String) -> Bool
    func grade(_ question: TaskQuestion, answer: String) async throws -> TaskGrade
}

/// Grades with the verifiers of the leaf's pipeline flow — the same blocks that decided what a
/// generation run accepted (arithmetic recomputed, table cells matched, grounding, on-leaf,
/// format, safety): an answer is correct when a run would have accepted it. An explanation of a
/// glossary term is also held to the question's reference answer (the seed's, or the accepted
/// sample's), as a glossary question's answer is held to its definition: naming the right
/// components is not enough when the rest is invented.
public struct VerifierGrader: TaskGrader {
    public let verification: CandidateVerification

    public init(verification: CandidateVerification) {
        self.verification = verification
    }

    public func grades(leaf: String) -> Bool { verification.knows(leaf: leaf) }

    public func grade(_ question: TaskQuestion, answer: String) async throws -> TaskGrade {
        let result = try await verification.verify(ExternalCandidate(
            id: question.id, leaf: question.leaf, question: question.question, answer: answer, context: question.context,
            reference: question.reference))
        let rejection = result.verdicts.first { $0.decision == .reject }
        return TaskGrade(correct: result.accepted, rejectedBy: rejection?.filter, reason: rejection?.reason)
    }
}

/// A large model's 1–10 score of an answer against the reference (single-answer grading in the
/// manner of MT-Bench): the prompt asks for the rating as `[[N]]`; a reply without one scores nil.
public struct TaskJudge: Sendable {
    public let generator: any TextGenerator

    public init(generator: any TextGenerator) {
        self.generator = generator
    }

    static let instructions = """
        You grade answers written by a small assistant model. Compare the assistant's answer with the \
        reference answer (and the context, when one is given). Judge correctness first, then whether \
        the answer addresses the question and is clear; a wrong figure or an invented fact is a low \
        score however fluent the text. Explain in one or two sentences, then give the rating on a \
        scale of 1 to 10 written exactly as [[N]], for example [[6]].
        """

    public func messages(_ question: TaskQuestion, answer: String) -> [ChatMessage] {
        var user = ""
        if let context = question.context, !context.isEmpty { user += "[Context]\n\(context)\n\n" }
        user += "[Question]\n\(question.question)\n\n[Reference answer]\n\(question.reference)\n\n[Assistant's answer]\n\(answer)"
        return [ChatMessage(.system, Self.instructions), ChatMessage(.user, user)]
    }

    public func score(_ question: TaskQuestion, answer: String) async throws -> Double? {
        let result = try await generator.generate(GenerationRequest(
            input: .chat(messages(question, answer: answer)), parameters: SamplingParameters(temperature: 0, maxTokens: 512)))
        return Self.rating(in: result.completions.first?.text ?? "")
    }

    /// The last `[[N]]` in the reply with 1 ≤ N ≤ 10.
    public static func rating(in reply: String) -> Double? {
        var found: Double?
        var rest = reply[...]
        while let open = rest.range(of: "[[") {
            guard let close = rest[open.upperBound...].range(of: "]]") else { break }
            let inner = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if let value = Double(inner), value >= 1, value <= 10 { found = value }
            rest = rest[close.upperBound...]
        }
        return found
    }
}

/// What was asked and how: the settings a job records so a resume measures the same way.
public struct TaskAccuracySettings: Sendable, Codable, Equatable {
    /// The taxonomy folder whose leaves' pipelines grade the answers.
    public var taxonomy: String
    /// The pipeline name or folder (the run's, by default).
    public var pipeline: String
    /// Seed examples asked per leaf, besides the held-out samples.
    public var seedsPerLeaf: Int
    /// Longest answer the student may write, in tokens.
    public var maxTokens: Int
    /// A judge endpoint (OpenAI-compatible API root), its model, and the variable holding its key.
    public var judgeEndpoint: String?
    public var judgeModel: String?
    public var judgeKeyVariable: String?

    public init(taxonomy: String, pipeline: String, seedsPerLeaf: Int = 5, maxTokens: Int = 256, judgeEndpoint: String? = nil,
                judgeModel: String? = nil, judgeKeyVariable: String? = nil) {
        self.taxonomy = taxonomy
        self.pipeline = pipeline
        self.seedsPerLeaf = seedsPerLeaf
        self.maxTokens = maxTokens
        self.judgeEndpoint = judgeEndpoint
        self.judgeModel = judgeModel
        self.judgeKeyVariable = judgeKeyVariable
    }
}

/// One leaf's accuracy at one stage.
public struct TaskAccuracy: Sendable, Hashable {
    public var leaf: String
    public var kind: String
    public var asked: Int
    public var correct: Int
    /// Mean judge score over the answers that got one.
    public var judgeMean: Double?

    public var fraction: Double { asked > 0 ? Double(correct) / Double(asked) : .nan }

    public init(leaf: String, kind: String, asked: Int, correct: Int, judgeMean: Double?) {
        self.leaf = leaf
        self.kind = kind
        self.asked = asked
        self.correct = correct
        self.judgeMean = judgeMean
    }

    /// Per leaf (sorted), from a stage's graded answers.
    public static func perLeaf(_ answers: [TrainingTaskAnswerRecord]) -> [TaskAccuracy] {
        Dictionary(grouping: answers, by: \.leaf).keys.sorted().map { leaf in
            let of = answers.filter { $0.leaf == leaf }
            let scores = of.compactMap(\.judgeScore)
            return TaskAccuracy(leaf: leaf, kind: of[0].kind, asked: of.count, correct: of.filter(\.correct).count,
                                judgeMean: scores.isEmpty ? nil : scores.reduce(0, +) / Double(scores.count))
        }
    }

    /// Stored answers grouped by stage, in the order the stages ran.
    public static func stages(_ answers: [TrainingTaskAnswerRecord]) -> [(stage: String, answers: [TrainingTaskAnswerRecord])] {
        var stages: [(stage: String, answers: [TrainingTaskAnswerRecord])] = []
        for answer in answers {
            if stages.last?.stage != answer.stage { stages.append((answer.stage, [])) }
            stages[stages.count - 1].answers.append(answer)
        }
        return stages
    }
}

/// Asks a model file every question (greedy, the chat template of the file, all questions batched
/// together on the in-process engine), grades each answer, and scores it with the judge if any.
public final class TaskAccuracyEvaluator: Sendable {
    public let questions: [TaskQuestion]
    /// Leaves left out because the grader does not know them (not in the taxonomy any more).
    public let ungradedLeaves: [String]
    let grader: any TaskGrader
    let judge: TaskJudge?
    let maxTokens: Int
    let threads: Int?

    public init(questions: [TaskQuestion], grader: any TaskGrader, judge: TaskJudge? = nil, maxTokens: Int = 256, threads: Int? = nil) {
        self.questions = questions.filter { grader.grades(leaf: $0.leaf) }
        self.ungradedLeaves = Array(Set(questions.map(\.leaf)).filter { !grader.grades(leaf: $0) }).sorted()
        self.grader = grader
        self.judge = judge
        self.maxTokens = maxTokens
        self.threads = threads
    }

    /// Answers and grades for `stage` of the model at `url`.
    public func evaluate(modelAt url: URL, stage: String, stageIndex: Int) async throws -> [TrainingTaskAnswerRecord] {
        let student = try LocalTeacher(modelAt: url, threads: threads, identity: "student:\(url.lastPathComponent)")
        let parameters = SamplingParameters(temperature: 0, maxTokens: maxTokens)
        // A question the student cannot be asked (a prompt longer than its context) is wrong, with the reason.
        let answers = try await withThrowingTaskGroup(of: (Int, Result<String, ModelError>).self) { group in
            for (index, question) in questions.enumerated() {
                group.addTask {
                    do {
                        let result = try await student.generate(GenerationRequest(
                            input: .chat([ChatMessage(.system, question.system), ChatMessage(.user, question.prompt)]),
                            parameters: parameters))
                        return (index, .success(result.completions.first?.text ?? ""))
                    } catch let error as ModelError {
                        return (index, .failure(error))
                    }
                }
            }
            var answers = [Result<String, ModelError>](repeating: .success(""), count: questions.count)
            for try await (index, result) in group { answers[index] = result.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } }
            return answers
        }
        var records: [TrainingTaskAnswerRecord] = []
        for (question, result) in zip(questions, answers) {
            guard case .success(let answer) = result else {
                if case .failure(let error) = result {
                    records.append(TrainingTaskAnswerRecord(
                        stage: stage, stageIndex: stageIndex, questionID: question.id, leaf: question.leaf, kind: question.kind.rawValue,
                        origin: question.origin.rawValue, question: question.question, answer: "", correct: false,
                        rejectedBy: "not_asked", reason: error.description, judgeScore: nil))
                }
                continue
            }
            let grade = try await grader.grade(question, answer: answer)
            let score = try await judge?.score(question, answer: answer)
            records.append(TrainingTaskAnswerRecord(
                stage: stage, stageIndex: stageIndex, questionID: question.id, leaf: question.leaf, kind: question.kind.rawValue,
                origin: question.origin.rawValue, question: question.question, answer: answer, correct: grade.correct,
                rejectedBy: grade.rejectedBy, reason: grade.reason, judgeScore: score))
        }
        return records
    }

    /// `evaluate` for synchronous callers (the training job runs on its own thread, never on the
    /// concurrency pool, so waiting here cannot starve the tasks it waits for).
    public func evaluateBlocking(modelAt url: URL, stage: String, stageIndex: Int) throws -> [TrainingTaskAnswerRecord] {
        try waitForAsync { try await self.evaluate(modelAt: url, stage: stage, stageIndex: stageIndex) }
    }
}

/// Everything a training job needs to measure task accuracy besides its held-out samples: built by
/// the caller (which knows the taxonomy, the pipeline and the judge), turned into an evaluator once
/// the curriculum has set the held-out samples aside.
public struct TaskAccuracyPlan: Sendable {
    public var grader: any TaskGrader
    public var judge: TaskJudge?
    public var seeds: [SeedExampleRecord]
    public var settings: TaskAccuracySettings
    public var threads: Int?

    public init(grader: any TaskGrader, judge: TaskJudge?, seeds: [SeedExampleRecord], settings: TaskAccuracySettings, threads: Int?) {
        self.grader = grader
        self.judge = judge
        self.seeds = seeds
        self.settings = settings
        self.threads = threads
    }

    public func evaluator(heldOut: [TrainingExample]) -> TaskAccuracyEvaluator {
        TaskAccuracyEvaluator(
            questions: TaskQuestion.questions(heldOut: heldOut, seeds: seeds, seedsPerLeaf: settings.seedsPerLeaf),
            grader: grader, judge: judge, maxTokens: settings.maxTokens, threads: threads)
    }
}

/// The general multiple-choice set a job scores, as its recipe records it.
public struct GeneralBenchmarkSettings: Sendable, Codable, Equatable {
    /// The JSONL set (the bundled ARC-Easy items by default).
    public var path: String
    /// The first this many items are scored (all when nil).
    public var limit: Int?

    public init(path: String, limit: Int? = nil) {
        self.path = path
        self.limit = limit
    }

    public func items() throws -> [MultipleChoiceItem] {
        let all = try GeneralMultipleChoice.load(URL(fileURLWithPath: path))
        return limit.map { Array(all.prefix($0)) } ?? all
    }
}

/// What a job measures on a stage's model file (the base as float32, each phase's checkpoint):
/// task accuracy and the general benchmark, each stored once per stage, so a resumed job makes
/// only what is missing.
struct StageModelEvaluation {
    let store: SampleStore
    let trainingID: Int64
    let tasks: TaskAccuracyEvaluator?
    let generalItems: [MultipleChoiceItem]
    let threads: Int?
    let onEvent: (TrainingEvent) -> Void

    private func tasksMissing(_ index: Int) throws -> Bool {
        guard tasks != nil else { return false }
        return try !store.trainingTaskAnswers(trainingID).contains { $0.stageIndex == index }
    }

    private func benchmarkMissing(_ index: Int) throws -> Bool {
        guard !generalItems.isEmpty else { return false }
        return try !store.trainingBenchmarks(trainingID).contains { $0.stageIndex == index }
    }

    /// Measures what is missing for the stage on `model`'s current weights, through a Q8_0 copy
    /// written to `scratch` (every stage alike, base included): the engine's fast integer path, and
    /// the format a fine-tune is usually served in; the copy is removed afterwards.
    func evaluate(_ model: TrainableDecoder, stage: String, index: Int, scratch: URL) throws {
        guard try tasksMissing(index) || benchmarkMissing(index) else { return }
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let url = scratch.appendingPathComponent("evaluated.q8_0.gguf")
        try model.writeCheckpoint(to: url, precision: .q8_0)
        defer { try? FileManager.default.removeItem(at: url) }
        try evaluate(modelAt: url, stage: stage, index: index)
    }

    func evaluate(modelAt url: URL, stage: String, index: Int) throws {
        if let tasks, try tasksMissing(index) {
            onEvent(.taskEvaluationStarted(stage: stage, questions: tasks.questions.count))
            let started = Date()
            let answers = try tasks.evaluateBlocking(modelAt: url, stage: stage, stageIndex: index)
            try store.recordTaskAnswers(trainingID: trainingID, answers)
            onEvent(.taskEvaluated(stage: stage, accuracy: TaskAccuracy.perLeaf(answers), seconds: Date().timeIntervalSince(started)))
        }
        if try benchmarkMissing(index) {
            let started = Date()
            let file = try GGUFFile(url: url)
            let model = try DecoderModel(file: file, threads: threads)
            let tokenizer = try Tokenizer(TokenizerVocabulary(gguf: file))
            let score = try GeneralMultipleChoice.score(generalItems, model: model, tokenizer: tokenizer)
            let record = TrainingBenchmarkRecord(stage: stage, stageIndex: index, benchmark: GeneralMultipleChoice.name, items: score.items,
                                                 correct: score.correct, correctUnnormalised: score.correctUnnormalised)
            try store.recordBenchmark(trainingID: trainingID, record)
            onEvent(.benchmarkScored(stage: stage, score: record, seconds: Date().timeIntervalSince(started)))
        }
    }
}
