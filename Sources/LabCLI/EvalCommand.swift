import ArgumentParser
import Foundation
import LabCurriculum
import LabGGUF
import LabLLM
import LabStore
import LabTensor
import LabTokenizer
import LabTrain

/// `synthlab eval`: the held-out evaluation of a training job, and of any model on the same sets.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Show a training job's held-out loss, task accuracy per leaf and general benchmark; score another model on the same sets.",
        discussion: """
            Without --model, prints what the job recorded before training and after each phase: \
            the held-out loss per leaf and on the general text, the task accuracy per leaf (the \
            student's greedy answers to held-out and seed questions, graded by the leaf's \
            verifiers) and the general multiple-choice score. With --model, also measures that \
            GGUF on the same sets, as a last column (not stored). --answers lists every graded \
            answer of one stage.

            Examples:
              synthlab eval --training latest
              synthlab eval --training latest --answers "after skills"
              synthlab eval --training 3 --model out/model/phase1.gguf --json
            """
    )

    @OptionGroup var store: StoreOptions

    @Option(help: ArgumentHelp("The training job: its id or `latest`.", valueName: "job"))
    var training = "latest"

    @Option(help: ArgumentHelp("Also score this model on the job's evaluation sets.", valueName: "gguf"))
    var model: String?

    @Option(help: "Threads for the matrix products (default: all cores).")
    var threads: Int?

    @Option(help: ArgumentHelp("List the graded answers of this stage (base, after knowledge, …).", valueName: "stage"))
    var answers: String?

    @Flag(help: "Print JSON on stdout.")
    var json = false

    func run() throws {
        let store = try self.store.open(readOnly: model == nil)
        let id = try resolveJob(training, in: store)
        var stages = EvaluationResult.stages(try store.trainingEvaluations(id))
        var taskStages = TaskAccuracy.stages(try store.trainingTaskAnswers(id))
        var benchmarks = try store.trainingBenchmarks(id)
        if let stage = answers {
            guard let found = taskStages.first(where: { $0.stage == stage }) else {
                throw CLIError("training job \(id) has no graded answers for stage '\(stage)'",
                               hint: "stages: \(taskStages.map(\.stage).joined(separator: ", "))")
            }
            if json {
                print(JSONText.encode(["training_id": id, "stage": stage, "answers": TrainingOutput.taskAccuracyJSON([found])[0]["answers"] ?? []] as [String: Any]))
            } else {
                for answer in found.answers {
                    print("[\(answer.correct ? "right" : "wrong")] \(answer.leaf) (\(answer.origin))")
                    print("  Q: \(answer.question.replacingOccurrences(of: "\n", with: " "))")
                    print("  A: \(answer.answer.replacingOccurrences(of: "\n", with: " "))")
                    if let filter = answer.rejectedBy { print("  rejected by \(filter): \(answer.reason ?? "")") }
                    if let score = answer.judgeScore { print("  judge: \(score)") }
                }
            }
            return
        }
        if let model {
            BLASThreads.set(threads ?? ProcessInfo.processInfo.activeProcessorCount)
            let record = try store.training(id)
            guard let recipe = TrainingRecipe(stored: record) else {
                throw CLIError("training job \(id) has an unreadable recipe")
            }
            let url = URL(fileURLWithPath: (model as NSString).expandingTildeInPath)
            let file: GGUFFile
            let scored: TrainableDecoder
            do {
                file = try GGUFFile(url: url)
                scored = try TrainableDecoder(file: file)
            } catch {
                throw CLIError("cannot load \(url.path): \(error)", hint: "pass a GGUF model of a supported architecture (\(Architecture.registry.map(\.name).joined(separator: ", ")))")
            }
            let tokenizer = try Tokenizer(TokenizerVocabulary(gguf: file))
            let template = tokenizer.recognizedChatTemplate
            guard template != nil || tokenizer.vocabulary.chatTemplate != nil else {
                throw CLIError("\(url.path): the model has no chat template", hint: "evaluate an instruct model, whose GGUF carries its template")
            }
            let examples = try TrainCommand.examples(recipe: recipe, store: store)
            let curriculum: Curriculum
            do { curriculum = try Curriculum(examples: examples, settings: recipe.curriculum) } catch { throw CLIError(error.description) }
            let encoder = SequenceEncoder(tokenizer: tokenizer, template: template, maximumLength: recipe.maximumSequenceLength)
            let sets: [EvaluationSet]
            do { sets = try recipe.evaluationSets(heldOut: curriculum.heldOut, encoder: encoder) } catch let error as CPTError {
                throw CLIError(error.description)
            }
            stages.append((url.lastPathComponent, EvaluationSet.evaluate(sets, model: scored, microBatchTokens: recipe.training.microBatchTokens)))
            // The same task questions and general set the job used, asked of this file.
            let stageIndex = 1_000
            if let settings = recipe.taskAccuracy {
                let plan = try TaskAccuracyLoading.plan(settings, runID: recipe.generationRunID, store: store, threads: threads)
                let evaluator = plan.evaluator(heldOut: curriculum.heldOut)
                StandardError.write("synthlab: asking \(url.lastPathComponent) \(evaluator.questions.count) task questions\n")
                let graded = try evaluator.evaluateBlocking(modelAt: url, stage: url.lastPathComponent, stageIndex: stageIndex)
                taskStages.append((url.lastPathComponent, graded))
            }
            if let general = recipe.generalBenchmark {
                let items: [MultipleChoiceItem]
                do { items = try general.items() } catch { throw CLIError("\(error)") }
                let llm = try DecoderModel(file: file, threads: threads)
                let score = try GeneralMultipleChoice.score(items, model: llm, tokenizer: tokenizer)
                benchmarks.append(TrainingBenchmarkRecord(stage: url.lastPathComponent, stageIndex: stageIndex, benchmark: GeneralMultipleChoice.name,
                                                          items: score.items, correct: score.correct, correctUnnormalised: score.correctUnnormalised))
            }
        }
        guard !stages.isEmpty else {
            throw CLIError("training job \(id) has no evaluations yet", hint: "it evaluates before training; pass --model to score a file now")
        }
        if json {
            print(JSONText.encode(["training_id": id, "evaluations": TrainingOutput.evaluationsJSON(stages),
                                   "task_accuracy": TrainingOutput.taskAccuracyJSON(taskStages),
                                   "benchmarks": TrainingOutput.benchmarksJSON(benchmarks)] as [String: Any]))
        } else {
            print(TrainingOutput.table(stages), terminator: "")
            if !taskStages.isEmpty { print("\n" + TrainingOutput.accuracyTable(taskStages), terminator: "") }
            if !benchmarks.isEmpty { print("\n" + TrainingOutput.benchmarkTable(benchmarks), terminator: "") }
        }
    }
}
