import ArgumentParser
import Foundation
import LabCurriculum
import LabGGUF
import LabStore
import LabTensor
import LabTokenizer
import LabTrain

/// `synthlab eval`: the held-out evaluation of a training job, and of any model on the same sets.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Show a training job's held-out loss per leaf and on the general text; score another model on the same sets.",
        discussion: """
            Without --model, prints the losses the job recorded before training and after each \
            phase. With --model, also scores that GGUF on the job's held-out samples (never \
            trained on) and the general text, as a last column.

            Examples:
              synthlab eval --training latest
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

    @Flag(help: "Print JSON on stdout.")
    var json = false

    func run() throws {
        let store = try self.store.open(readOnly: model == nil)
        let id = try resolveJob(training, in: store)
        var stages = EvaluationResult.stages(try store.trainingEvaluations(id))
        if let model {
            BLASThreads.set(threads ?? ProcessInfo.processInfo.activeProcessorCount)
            let record = try store.training(id)
            guard let recipe = TrainingRecipe(stored: record) else {
                throw CLIError("training job \(id) has an unreadable recipe")
            }
            let url = URL(fileURLWithPath: (model as NSString).expandingTildeInPath)
            let file: GGUFFile
            let scored: TrainableLlama
            do {
                file = try GGUFFile(url: url)
                scored = try TrainableLlama(file: file)
            } catch {
                throw CLIError("cannot load \(url.path): \(error)", hint: "pass a llama-architecture GGUF model")
            }
            let tokenizer = try Tokenizer(TokenizerVocabulary(gguf: file))
            guard let template = tokenizer.recognizedChatTemplate else { throw CLIError("\(url.path): unknown chat template") }
            let examples = try TrainCommand.examples(recipe: recipe, store: store)
            let curriculum: Curriculum
            do { curriculum = try Curriculum(examples: examples, settings: recipe.curriculum) } catch { throw CLIError(error.description) }
            let encoder = SequenceEncoder(tokenizer: tokenizer, template: template, maximumLength: recipe.maximumSequenceLength)
            let sets = try EvaluationSet.sets(heldOut: curriculum.heldOut, encoder: encoder, window: recipe.evaluationWindow)
            stages.append((url.lastPathComponent, EvaluationSet.evaluate(sets, model: scored, microBatchTokens: recipe.training.microBatchTokens)))
        }
        guard !stages.isEmpty else {
            throw CLIError("training job \(id) has no evaluations yet", hint: "it evaluates before training; pass --model to score a file now")
        }
        if json {
            print(JSONText.encode(["training_id": id, "evaluations": TrainingOutput.evaluationsJSON(stages)] as [String: Any]))
        } else {
            print(TrainingOutput.table(stages), terminator: "")
        }
    }
}
