import ArgumentParser
import Foundation
import LabCore
import LabCurriculum
import LabGGUF
import LabGeneration
import LabStore
import LabTensor
import LabTrain

/// `synthlab train`: phased fine-tuning on a run's accepted samples.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fine-tune a model in phases: knowledge, then skills with a replay buffer of knowledge (then DPO, if asked).",
        discussion: """
            Reads the accepted samples of a generation run (or InstructLab-format JSONL files), \
            sets aside part of each leaf for evaluation, and trains the base model in float32: \
            phase 1 on knowledge rows (chunk, question and answer, loss on all of it), phase 2 on \
            skill rows (loss on the answer) plus a replay buffer of knowledge rows, half of them \
            as RAFT rows (the right chunk among distractors). With `dpo` in --phases a last phase \
            trains on the run's preference pairs (an accepted and a content-rejected answer to one \
            question) against the frozen weights it starts from. A `cpt` phase (continued \
            pre-training, first in --phases) trains on the raw text of --cpt-documents, every \
            token scored, mixed with general text (--cpt-replay-ratio); it needs no samples. \
            After each phase it writes DIR/phaseN.gguf, which this engine and llama.cpp load.

            Before training and after each phase it measures: the held-out loss per leaf and on a \
            general text; task accuracy per leaf (the student's greedy answers to the held-out \
            samples and up to --eval-seeds seed questions of each leaf, graded by the verifiers \
            of the leaf's pipeline, on a Q8_0 copy of the weights); and a general multiple-choice \
            score (400 ARC-Easy items, bundled; forgetting). Every choice is written to \
            DIR/recipe.json and the store records the exact rows and results; a killed job \
            continues with --resume. `synthlab eval` shows them again.

            Examples:
              synthlab train --db synthlab.sqlite --run latest -o out/model
              synthlab train --phases skills --replay-ratio 0 --epochs 2 -o out/skills-only
              synthlab train --jsonl knowledge.jsonl --jsonl skills.jsonl --max-steps 20 -o out/quick
              synthlab train --lora-rank 16 --lr 2e-4 -o out/lora
              synthlab train --lora-rank 16 --qlora --lr 2e-4 -o out/qlora
              synthlab train --method osft --unfreeze-rank-ratio 0.25 --replay-ratio 0 -o out/osft
              synthlab train --phases knowledge,skills,dpo --dpo-beta 0.1 -o out/dpo
              synthlab train --phases cpt --cpt-documents documents/finance -o out/cpt
              synthlab train --phases cpt,knowledge,skills --cpt-documents documents/finance --cpt-replay-ratio 1 -o out/cpt-lab
              synthlab train --judge-endpoint http://gpu-box:8000/v1 -o out/judged
              synthlab train --save-every 10 -o out/model      # then, after a kill:
              synthlab train --resume latest
            """
    )

    @OptionGroup var store: StoreOptions

    @Option(name: .customLong("run"), help: ArgumentHelp("The generation run whose accepted samples to train on: an id or `latest` (the default). A cpt-only job evaluates the run's held-out samples when given one.", valueName: "run"))
    var runReference: RunReference?

    @Option(name: .customLong("jsonl"), help: ArgumentHelp("Train on InstructLab-format JSONL instead of a run (repeatable).", valueName: "file"))
    var jsonlFiles: [String] = []

    @Option(help: ArgumentHelp("The base model (default: the pulled default model).", valueName: "gguf"))
    var base: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Output directory for phaseN.gguf and recipe.json.", valueName: "dir"))
    var output: String?

    @Option(help: ArgumentHelp("Phases to run, in order, from cpt (continued pre-training on --cpt-documents), knowledge, skills and dpo (preference pairs of the run: an accepted and a content-rejected answer to one question).", valueName: "list"))
    var phases = "knowledge,skills"

    @Option(name: .customLong("cpt-documents"),
            help: ArgumentHelp("Documents for the cpt phase (continued pre-training on their raw text): files or folders of .md/.txt (repeatable). Their held-out chunks are scored at every stage, also without a cpt phase.", valueName: "path"))
    var cptDocuments: [String] = []

    @Option(name: .customLong("cpt-replay-ratio"), help: ArgumentHelp("General-text tokens mixed into the cpt phase per document token (0: documents only).", valueName: "r"))
    var cptReplayRatio = 0.5

    @Option(name: .customLong("cpt-held-out"), help: ArgumentHelp("Share of each document's chunks held out of the cpt phase and scored.", valueName: "fraction"))
    var cptHeldOut = 0.2

    @Option(name: .customLong("cpt-chunk-tokens"), help: ArgumentHelp("Tokens per document chunk (the unit held out and packed into --max-seq-len sequences).", valueName: "n"))
    var cptChunkTokens = 256

    @Option(name: .customLong("cpt-general-text"),
            help: ArgumentHelp("The general text mixed in: a UTF-8 file of paragraphs separated by blank lines, or `bundled` (2,321 English Wikipedia paragraphs, 230k words, CC BY-SA 3.0).", valueName: "file|bundled"))
    var cptGeneralText = "bundled"

    @Option(name: .customLong("cpt-novelty"),
            help: ArgumentHelp("Train only on document chunks this novel to the base model: likelihood_ratio (needs --cpt-novelty-reference) or zlib_ratio, as `synthlab documents score` prints them.", valueName: "score"))
    var cptNoveltyName: String?

    private var cptNovelty: NoveltyMeasure? { cptNoveltyName.flatMap(NoveltyMeasure.init(rawValue:)) }

    @Option(name: .customLong("cpt-novelty-threshold"), help: ArgumentHelp("The lowest --cpt-novelty score a trained chunk may have.", valueName: "x"))
    var cptNoveltyThreshold = 0.0

    @Option(name: .customLong("cpt-novelty-reference"), help: ArgumentHelp("The reference model of the likelihood ratio.", valueName: "gguf"))
    var cptNoveltyReference: String?

    @Option(name: .customLong("dpo-beta"), help: ArgumentHelp("DPO's β: how far the policy may move from the frozen reference (TRL's default 0.1).", valueName: "beta"))
    var dpoBeta = 0.1

    @Option(help: "Passes over each phase's rows.")
    var epochs = 3

    @Option(help: "Peak learning rate (linear warm-up, then cosine decay to 0).")
    var lr: Float = 5e-5

    @Option(help: ArgumentHelp("Share of each phase's steps spent warming up.", valueName: "fraction"))
    var warmup = 0.1

    @Option(help: ArgumentHelp("Stop each phase after N optimiser steps.", valueName: "n"))
    var maxSteps: Int?

    @Option(help: "Sequences per optimiser step (gradients are accumulated over packed micro-batches).")
    var batchSize = 8

    @Option(help: ArgumentHelp("Tokens per forward/backward pass; bounds memory.", valueName: "n"))
    var microBatchTokens = 2048

    @Option(help: ArgumentHelp("Longest sequence trained on; longer rows are skipped and counted.", valueName: "n"))
    var maxSeqLen = 1024

    @Option(help: ArgumentHelp("Knowledge replay rows in the skills phase per skill row (0 turns replay off).", valueName: "r"))
    var replayRatio = 0.3

    @Option(help: ArgumentHelp("Share of each leaf's samples held out for evaluation.", valueName: "fraction"))
    var heldOut = 0.2

    @Flag(inversion: .prefixedNo, help: "Knowledge phase order: short answers before long ones (else shuffled).")
    var shortAnswersFirst = true

    @Option(help: "AdamW decoupled weight decay (matrices only).")
    var weightDecay: Float = 0

    @Option(help: "Clip the global gradient norm to this.")
    var maxGradNorm = 1.0

    @Option(help: "Seed of the held-out split, replay choice and row order.")
    var seed: UInt64 = 42

    @Option(help: ArgumentHelp("full (every weight), or osft: full fine-tuning that keeps each matrix's top singular subspace frozen (continual learning without replay); LoRA is --lora-rank.", valueName: "method"))
    var method = "full"

    @Option(name: .customLong("unfreeze-rank-ratio"), help: ArgumentHelp("OSFT: share of each matrix's rank left free to train (the top 1 − r singular directions stay frozen).", valueName: "r"))
    var unfreezeRankRatio = 0.25

    @Option(help: ArgumentHelp("Train LoRA adapters of this rank on a frozen base (0: full fine-tuning); merged into each checkpoint.", valueName: "n"))
    var loraRank = 0

    @Flag(help: "QLoRA: the LoRA adapters train over a base kept in its quantized block format (no float copy), one set of adapters through every phase; checkpoints activations unless told not to.")
    var qlora = false

    @Flag(name: .customLong("checkpoint-activations"), inversion: .prefixedNo,
          help: "Recompute each block's activations in the backward instead of keeping them: far less memory, about a third more compute (default: on with --qlora).")
    var checkpointActivations: Bool?

    @Option(help: "LoRA scale numerator: the update is alpha / rank · B·A.")
    var loraAlpha: Float = 16

    @Option(help: "Dropout on the LoRA adapters' input.")
    var loraDropout: Float = 0

    @Option(help: ArgumentHelp("Projections LoRA adapts: any of attn_q,attn_k,attn_v,attn_output,ffn_gate,ffn_up,ffn_down.", valueName: "list"))
    var loraTargets = "attn_q,attn_k,attn_v,attn_output"

    @Option(help: ArgumentHelp("Checkpoint precision of the matrices: f32, f16 or q8_0 (norms stay f32).", valueName: "type"))
    var precision = "f32"

    @Option(help: ArgumentHelp("Also save resumable weights and optimiser state every N steps.", valueName: "n"))
    var saveEvery = 0

    @Option(help: ArgumentHelp("Continue a killed or interrupted job: its id or `latest`.", valueName: "job"))
    var resume: String?

    @Option(help: "Threads for the matrix products (default: all cores).")
    var threads: Int?

    @OptionGroup(title: "Task accuracy") var task: TaskAccuracyOptions

    @Option(name: .customLong("general-mc"),
            help: ArgumentHelp("The general multiple-choice set scored at every stage (forgetting): a JSONL file, `bundled` (400 ARC-Easy items), or `none`.",
                               valueName: "file|bundled|none"))
    var generalMC = "bundled"

    @Option(name: .customLong("general-mc-items"), help: ArgumentHelp("Score only the first N items of the general set.", valueName: "n"))
    var generalMCItems: Int?

    @Flag(help: "Print the result as JSON on stdout.")
    var json = false

    func validate() throws {
        guard epochs > 0, lr > 0, lr.isFinite, batchSize > 0, microBatchTokens > 0, maxSeqLen > 1 else {
            throw ValidationError("--epochs, --lr, --batch-size, --micro-batch-tokens must be positive and --max-seq-len at least 2")
        }
        guard (0...10).contains(replayRatio) else { throw ValidationError("--replay-ratio must be between 0 and 10") }
        guard (0..<1).contains(heldOut) else { throw ValidationError("--held-out must be at least 0 and below 1") }
        guard (0..<1).contains(warmup) else { throw ValidationError("--warmup must be at least 0 and below 1") }
        if let maxSteps, maxSteps <= 0 { throw ValidationError("--max-steps must be positive") }
        if resume == nil, output == nil { throw ValidationError("give an output directory with -o DIR (or --resume JOB)") }
        _ = try parsedPhases()
        guard loraRank >= 0, loraAlpha > 0, (0..<1).contains(loraDropout) else {
            throw ValidationError("--lora-rank must be 0 or more, --lora-alpha positive, --lora-dropout in [0, 1)")
        }
        _ = try parsedLoRA()
        guard CheckpointPrecision(rawValue: precision) != nil else { throw ValidationError("--precision must be f32, f16 or q8_0") }
        if let generalMCItems, generalMCItems < 1 { throw ValidationError("--general-mc-items must be at least 1") }
        guard ["full", "osft"].contains(method) else { throw ValidationError("--method must be full or osft (LoRA: --lora-rank N)") }
        if qlora {
            guard loraRank > 0 else { throw ValidationError("--qlora trains LoRA adapters; give their rank with --lora-rank N") }
            if try parsedPhases().contains(.dpo) { throw ValidationError("--qlora with a dpo phase is not supported yet; use --lora-rank without --qlora") }
        }
        if method == "osft", loraRank > 0 { throw ValidationError("--method osft trains every weight; it can't be combined with --lora-rank") }
        guard unfreezeRankRatio > 0, unfreezeRankRatio <= 1 else { throw ValidationError("--unfreeze-rank-ratio must be in (0, 1]") }
        guard dpoBeta > 0, dpoBeta.isFinite else { throw ValidationError("--dpo-beta must be above 0") }
        let phases = try parsedPhases()
        if phases.contains(.cpt) {
            guard !cptDocuments.isEmpty else { throw ValidationError("the cpt phase trains on documents: give them with --cpt-documents PATH") }
            guard phases.first == .cpt else { throw ValidationError("cpt must be the first phase (continued pre-training comes before instruction tuning)") }
        }
        guard (0...10).contains(cptReplayRatio) else { throw ValidationError("--cpt-replay-ratio must be between 0 and 10") }
        guard (0..<1).contains(cptHeldOut) else { throw ValidationError("--cpt-held-out must be at least 0 and below 1") }
        guard cptChunkTokens >= 16 else { throw ValidationError("--cpt-chunk-tokens must be at least 16") }
        if let cptNoveltyName, NoveltyMeasure(rawValue: cptNoveltyName) == nil {
            throw ValidationError("--cpt-novelty must be \(NoveltyMeasure.allCases.map(\.rawValue).joined(separator: " or ")), not '\(cptNoveltyName)'")
        }
        if cptNovelty == .likelihoodRatio, cptNoveltyReference == nil {
            throw ValidationError("--cpt-novelty likelihood_ratio compares with a reference model: give it with --cpt-novelty-reference GGUF")
        }
        if cptNovelty != nil, cptDocuments.isEmpty { throw ValidationError("--cpt-novelty selects among --cpt-documents; give them") }
        if try parsedPhases().contains(.dpo), !jsonlFiles.isEmpty {
            throw ValidationError("the dpo phase reads preference pairs from a run's verdicts; train it from --run, not --jsonl")
        }
    }

    /// The CPT documents and mixing, from --cpt-*; nil without --cpt-documents.
    private func cptSettings() throws -> CPTSettings? {
        guard !cptDocuments.isEmpty else { return nil }
        let (files, hash): ([String], String)
        do { (files, hash) = try CPTSettings.documentFiles(cptDocuments) } catch { throw CLIError(error.description) }
        var general: String?
        if cptGeneralText != "bundled" {
            let url = URL(fileURLWithPath: (cptGeneralText as NSString).expandingTildeInPath)
            guard FileManager.default.isReadableFile(atPath: url.path) else { throw CLIError("--cpt-general-text \(cptGeneralText): no readable file there") }
            general = url.path
        }
        var novelty: CPTSettings.NoveltySelection?
        if let cptNovelty {
            let reference = cptNoveltyReference.map { NoveltyModels.url($0).path }
            if let reference, !FileManager.default.fileExists(atPath: reference) { throw CLIError("--cpt-novelty-reference: no model at \(reference)") }
            novelty = CPTSettings.NoveltySelection(measure: cptNovelty, threshold: cptNoveltyThreshold, reference: reference)
        }
        return CPTSettings(documents: files, documentsSHA256: hash, replayRatio: cptReplayRatio, heldOutFraction: cptHeldOut,
                           chunkTokens: cptChunkTokens, generalTextPath: general, novelty: novelty)
    }

    /// The general set to score, from --general-mc.
    private func generalBenchmark() throws -> GeneralBenchmarkSettings? {
        switch generalMC {
        case "none": return nil
        case "bundled":
            guard let url = GeneralMultipleChoice.bundledURL() else {
                throw CLIError("the bundled general multiple-choice set is missing next to the synthlab binary",
                               hint: "rebuild with `swift build`, pass --general-mc FILE.jsonl, or --general-mc none")
            }
            return GeneralBenchmarkSettings(path: url.path, limit: generalMCItems)
        default:
            let url = URL(fileURLWithPath: (generalMC as NSString).expandingTildeInPath)
            do { _ = try GeneralMultipleChoice.load(url) } catch { throw CLIError("--general-mc: \(error)") }
            return GeneralBenchmarkSettings(path: url.path, limit: generalMCItems)
        }
    }

    private func parsedLoRA() throws -> LoRASettings? {
        guard loraRank > 0 else { return nil }
        let targets = try loraTargets.split(separator: ",").map { name in
            guard let target = LoRATarget(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("unknown LoRA target '\(name)'; use \(LoRATarget.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return target
        }
        guard !targets.isEmpty else { throw ValidationError("--lora-targets is empty") }
        return LoRASettings(rank: loraRank, alpha: loraAlpha, dropout: loraDropout, targets: targets)
    }

    private func parsedPhases() throws -> [TrainingPhase] {
        let names = phases.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let parsed = try names.map { name in
            guard let phase = TrainingPhase(rawValue: name) else {
                throw ValidationError("unknown phase '\(name)' in --phases; use cpt, knowledge, skills and dpo, e.g. knowledge,skills,dpo")
            }
            return phase
        }
        guard !parsed.isEmpty, Set(parsed).count == parsed.count else { throw ValidationError("--phases must list each phase at most once") }
        return parsed
    }

    func run() throws {
        BLASThreads.set(threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let store = try self.store.open(readOnly: false)
        let recipe: TrainingRecipe, examples: [TrainingExample], outputDirectory: URL, resumeID: Int64?
        if let resume {
            let id = try resolveJob(resume, in: store)
            let record = try store.training(id)
            guard record.status != "finished" else {
                throw CLIError("training job \(id) already finished", hint: "its models are in \(record.outputDirectory)")
            }
            guard let saved = TrainingRecipe(stored: record) else {
                throw CLIError("training job \(id) has an unreadable recipe", hint: "start a new job")
            }
            recipe = saved
            examples = try Self.examples(recipe: saved, store: store)
            outputDirectory = URL(fileURLWithPath: record.outputDirectory)
            resumeID = id
        } else {
            let baseURL = base.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath) } ?? SynthlabHome().defaultModel
            guard FileManager.default.fileExists(atPath: baseURL.path) else {
                throw CLIError("no base model at \(baseURL.path)", hint: base == nil ? "run `synthlab model pull`, or pass --base GGUF" : "check the path")
            }
            // A job that only continues pre-training needs no samples; given a run, it evaluates the
            // run's held-out samples (the same split a later job on that run holds out).
            let needsSamples = try parsedPhases().contains { $0 != .cpt }
            let runID = jsonlFiles.isEmpty && (needsSamples || runReference != nil) ? try (runReference ?? .latest).resolve(in: store) : nil
            recipe = TrainingRecipe(
                baseModel: baseURL.path, baseModelSHA256: try ContentHash.sha256Hex(fileAt: baseURL), generationRunID: runID,
                jsonlFiles: jsonlFiles.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath).path },
                curriculum: CurriculumSettings(phases: try parsedPhases(), replayRatio: replayRatio, heldOutFraction: heldOut,
                                               shortAnswersFirst: shortAnswersFirst, seed: seed),
                training: TrainingSettings(
                    epochs: epochs, learningRate: lr, warmupFraction: warmup, maxSteps: maxSteps, batchSize: batchSize,
                    microBatchTokens: microBatchTokens, maxGradientNorm: maxGradNorm,
                    optimiser: AdamWSettings(weightDecay: weightDecay), seed: seed),
                maximumSequenceLength: maxSeqLen, precision: CheckpointPrecision(rawValue: precision) ?? .f32, saveEvery: saveEvery, lora: try parsedLoRA(),
                taskAccuracy: try task.settings(runID: runID, store: store), generalBenchmark: try generalBenchmark(),
                dpo: try parsedPhases().contains(.dpo) ? DPOSettings(beta: dpoBeta) : nil,
                osft: method == "osft" ? OSFTSettings(unfreezeRankRatio: unfreezeRankRatio) : nil, qlora: qlora,
                checkpointActivations: checkpointActivations ?? qlora, cpt: try cptSettings())
            examples = try Self.examples(recipe: recipe, store: store)
            outputDirectory = URL(fileURLWithPath: ((output ?? "out") as NSString).expandingTildeInPath)
            resumeID = nil
        }
        if resumeID != nil, try ContentHash.sha256Hex(fileAt: URL(fileURLWithPath: recipe.baseModel)) != recipe.baseModelSHA256 {
            throw CLIError("the base model \(recipe.baseModel) changed since the job started", hint: "start a new job")
        }

        let stop = StopFlag()
        let interrupt = InterruptHandler(message: "stopping after this step (Ctrl-C again to quit at once)") { stop.set() }
        defer { interrupt.restore() }
        let progress = TerminalProgress(unit: "steps")
        let shown = ShownPhase()
        let quiet = json
        let taskPlan = try recipe.taskAccuracy.map {
            try TaskAccuracyLoading.plan($0, runID: recipe.generationRunID, store: store, threads: threads)
        }
        let preferences = try recipe.curriculum.phases.contains(.dpo)
            ? store.preferencePairs(runID: recipe.generationRunID ?? 0, contentFilters: TrainingExport.contentFilters).map { PreferenceExample(source: $0) }
            : []
        let job = TrainingJob(store: store, recipe: recipe, examples: examples, outputDirectory: outputDirectory,
                              preferences: preferences, taskAccuracy: taskPlan, shouldStop: { stop.isSet }) { event in
            switch event {
            case .prepared(let phase, let rows, let skipped, let steps):
                StandardError.write("synthlab: \(phase.rawValue) phase: \(rows) rows, \(steps) steps"
                                    + (skipped > 0 ? "; \(skipped) rows longer than --max-seq-len \(recipe.maximumSequenceLength) skipped" : "") + "\n")
            case .cptCorpus(let documentTokens, let replayTokens, let heldOut, let notNovel):
                StandardError.write("synthlab: cpt corpus: \(documentTokens) document tokens + \(replayTokens) general-text tokens; "
                                    + "\(heldOut) chunks held out for evaluation" + (notNovel > 0 ? "; \(notNovel) chunks below the novelty threshold left out" : "") + "\n")
            case .resumed(let phase, let step):
                StandardError.write("synthlab: resuming in the \(phase.rawValue) phase after step \(step)\n")
            case .phaseStarted(let phase, let total, let done):
                // A resumed phase counts only the steps still to run, so the rate and ETA are honest.
                shown.offset = done
                progress.report(.started(task: phase.rawValue, total: total - done))
            case .step(let phase, let report):
                progress.report(.advanced(task: phase.rawValue, completed: report.step - shown.offset, detail: String(
                    format: "step %d/%d · loss %.4f · %.0f tok/s · lr %.2e", report.step, report.totalSteps, report.loss,
                    report.tokensPerSecond, report.learningRate)))
                if report.step == report.totalSteps { progress.report(.finished(task: phase.rawValue)) }
            case .saved(_, _, let path, let final):
                if final { StandardError.write("synthlab: wrote \(path)\n") }
            case .evaluated(let stage, _):
                if !quiet { StandardError.write("synthlab: evaluated \(stage)\n") }
            case .taskEvaluationStarted(let stage, let questions):
                StandardError.write("synthlab: asking the \(stage == "base" ? "base model" : "model \(stage)") \(questions) task questions\n")
            case .taskEvaluated(let stage, let accuracy, let seconds):
                let asked = accuracy.reduce(0) { $0 + $1.asked }, correct = accuracy.reduce(0) { $0 + $1.correct }
                StandardError.write("synthlab: task accuracy \(stage): \(correct)/\(asked) correct (\(Int(seconds.rounded())) s)\n")
            case .benchmarkScored(let stage, let score, let seconds):
                StandardError.write("synthlab: \(score.benchmark) \(stage): \(score.correct)/\(score.items) right (\(Int(seconds.rounded())) s)\n")
            }
        }
        let summary: TrainingSummary
        do {
            summary = try job.run(resuming: resumeID)
        } catch let error as CurriculumError {
            throw CLIError(error.description)
        } catch let error as CPTError {
            throw CLIError(error.description)
        } catch let error as TrainingJobError {
            throw CLIError(error.description)
        } catch let error as TrainingError {
            throw CLIError(error.description)
        } catch let error as TrainingDataError {
            throw CLIError(error.description)
        } catch let error as MultipleChoiceError {
            throw CLIError(error.description)
        } catch let error as CandidateVerification.Problem {
            throw CLIError("grading the student's answers: \(error.description)")
        }
        if json {
            print(JSONText.encode(TrainingOutput.json(summary)))
        } else {
            print(TrainingOutput.table(summary.evaluations), terminator: "")
            if !summary.taskAnswers.isEmpty { print("\n" + TrainingOutput.accuracyTable(summary.taskAnswers), terminator: "") }
            if !summary.benchmarks.isEmpty { print("\n" + TrainingOutput.benchmarkTable(summary.benchmarks), terminator: "") }
            print("training job \(summary.trainingID): \(summary.steps) steps, \(String(format: "%.0f", summary.tokensPerSecond)) tokens/s"
                  + (summary.skippedTooLong > 0 ? ", \(summary.skippedTooLong) rows skipped as too long" : ""))
            print("final model: \(summary.checkpoints.last ?? "-")")
        }
    }

    static func examples(recipe: TrainingRecipe, store: SampleStore) throws -> [TrainingExample] {
        if !recipe.jsonlFiles.isEmpty {
            do {
                return try recipe.jsonlFiles.flatMap { try TrainingExample.readJSONL(URL(fileURLWithPath: $0)) }
            } catch let error as TrainingDataError {
                throw CLIError(error.description)
            }
        }
        guard let runID = recipe.generationRunID else {
            if !recipe.curriculum.phases.contains(where: { $0 != .cpt }) { return [] }
            throw CLIError("the recipe names neither a run nor JSONL files")
        }
        let examples = try store.trainingSources(runID: runID).map { TrainingExample(source: $0) }
        guard !examples.isEmpty else {
            throw CLIError("run \(runID) has no accepted samples", hint: "`synthlab runs funnel \(runID)` shows why; generate more first")
        }
        return examples
    }
}

/// `latest` or a job id.
func resolveJob(_ reference: String, in store: SampleStore) throws -> Int64 {
    if reference == "latest" {
        guard let id = try store.latestTrainingID() else { throw CLIError("the database has no training jobs yet", hint: "start one with `synthlab train`") }
        return id
    }
    guard let id = Int64(reference), id > 0 else { throw CLIError("'\(reference)' is not a training job id", hint: "pass a number or `latest`") }
    _ = try store.training(id)
    return id
}

/// Steps of the phase on screen that ran before a resume.
private final class ShownPhase {
    var offset = 0
}

/// Set from the signal handler, read between steps.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}


/// The evaluation table and JSON of a training job.
enum TrainingOutput {
    static func table(_ evaluations: [(stage: String, results: [EvaluationResult])]) -> String {
        guard let first = evaluations.first else { return "" }
        let nameWidth = max(24, first.results.map(\.set.count).max() ?? 0)
        var text = "held-out loss (mean cross-entropy per answer token; general text and documents: per token)\n"
        text += "set".padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  kind      "
        text += evaluations.map { $0.stage.padding(toLength: 22, withPad: " ", startingAt: 0) }.joined() + "\n"
        for (index, result) in first.results.enumerated() {
            text += result.set.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  "
            text += result.kind.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
            var previous: Double?
            for stage in evaluations {
                guard index < stage.results.count else { continue }
                let loss = stage.results[index].loss
                var cell = String(format: "%.4f", loss)
                if let previous { cell += String(format: " (%+.4f)", loss - previous) }
                text += cell.padding(toLength: 22, withPad: " ", startingAt: 0)
                previous = loss
            }
            text += "\n"
        }
        // Raw-text sets (general text, held-out documents) also as perplexity, the figure CPT is judged by.
        let textSets = first.results.enumerated().filter { $0.element.kind == .general || $0.element.kind == .document }
        if !textSets.isEmpty {
            text += "\nperplexity (exp of the mean loss per token)\n"
            for (index, result) in textSets {
                text += result.set.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  "
                text += result.kind.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                var previous: Double?
                for stage in evaluations where index < stage.results.count {
                    let perplexity = exp(stage.results[index].loss)
                    var cell = String(format: "%.3f", perplexity)
                    if let previous { cell += String(format: " (%+.1f%%)", 100 * (perplexity / previous - 1)) }
                    text += cell.padding(toLength: 22, withPad: " ", startingAt: 0)
                    previous = perplexity
                }
                text += "\n"
            }
        }
        return text
    }

    static func json(_ summary: TrainingSummary) -> [String: Any] {
        [
            "training_id": summary.trainingID, "checkpoints": summary.checkpoints, "steps": summary.steps,
            "tokens_per_second": summary.tokensPerSecond, "skipped_too_long": summary.skippedTooLong,
            "evaluations": evaluationsJSON(summary.evaluations), "task_accuracy": taskAccuracyJSON(summary.taskAnswers),
            "benchmarks": benchmarksJSON(summary.benchmarks),
        ]
    }

    /// Per-leaf task accuracy: one column per stage, "correct/asked" and the change in points
    /// from the stage before; a judge's mean score beside it when there is one.
    static func accuracyTable(_ stages: [(stage: String, answers: [TrainingTaskAnswerRecord])]) -> String {
        guard !stages.isEmpty else { return "" }
        let perStage = stages.map { (stage: $0.stage, accuracy: TaskAccuracy.perLeaf($0.answers)) }
        let leaves = Array(Set(perStage.flatMap { $0.accuracy.map(\.leaf) })).sorted()
        let nameWidth = max(24, leaves.map(\.count).max() ?? 0)
        let judged = stages.contains { $0.answers.contains { $0.judgeScore != nil } }
        var text = "task accuracy (the student's greedy answers to held-out and seed questions, graded by the leaf's verifiers"
            + (judged ? "; judge's mean score 1-10" : "") + ")\n"
        text += "leaf".padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  kind      "
        text += perStage.map { $0.stage.padding(toLength: 22, withPad: " ", startingAt: 0) }.joined() + "\n"
        func cell(_ accuracy: TaskAccuracy?, previous: TaskAccuracy?) -> String {
            guard let accuracy else { return "-" }
            var cell = "\(accuracy.correct)/\(accuracy.asked)"
            if let previous, previous.asked > 0 { cell += String(format: " (%+.0f)", 100 * (accuracy.fraction - previous.fraction)) }
            if let judge = accuracy.judgeMean { cell += String(format: " j%.1f", judge) }
            return cell
        }
        for leaf in leaves {
            let kind = perStage.lazy.compactMap { $0.accuracy.first { $0.leaf == leaf }?.kind }.first ?? ""
            text += leaf.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  " + kind.padding(toLength: 10, withPad: " ", startingAt: 0)
            var previous: TaskAccuracy?
            for stage in perStage {
                let accuracy = stage.accuracy.first { $0.leaf == leaf }
                text += cell(accuracy, previous: previous).padding(toLength: 22, withPad: " ", startingAt: 0)
                previous = accuracy
            }
            text += "\n"
        }
        text += "all".padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "            "
        var previous: TaskAccuracy?
        for stage in stages {
            let scores = stage.answers.compactMap(\.judgeScore)
            let total = TaskAccuracy(leaf: "all", kind: "", asked: stage.answers.count, correct: stage.answers.filter(\.correct).count,
                                     judgeMean: scores.isEmpty ? nil : scores.reduce(0, +) / Double(scores.count))
            let percent = total.asked > 0 ? String(format: " %.0f%%", 100 * total.fraction) : ""
            text += (cell(total, previous: previous) + percent).padding(toLength: 22, withPad: " ", startingAt: 0)
            previous = total
        }
        return text + "\n"
    }

    /// General benchmarks (forgetting): right/items per stage, with the change in points.
    static func benchmarkTable(_ records: [TrainingBenchmarkRecord]) -> String {
        let stages = records.reduce(into: [String]()) { if !$0.contains($1.stage) { $0.append($1.stage) } }
        var text = "general benchmark (forgetting; log-likelihood per byte of each choice, as lm-evaluation-harness's acc_norm)\n"
        let nameWidth = max(24, records.map(\.benchmark.count).max() ?? 0)
        text += "benchmark".padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  "
        text += stages.map { $0.padding(toLength: 22, withPad: " ", startingAt: 0) }.joined() + "\n"
        for benchmark in records.reduce(into: [String](), { if !$0.contains($1.benchmark) { $0.append($1.benchmark) } }) {
            text += benchmark.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  "
            var previous: Double?
            for stage in stages {
                guard let record = records.first(where: { $0.benchmark == benchmark && $0.stage == stage }), record.items > 0 else {
                    text += "-".padding(toLength: 22, withPad: " ", startingAt: 0)
                    continue
                }
                let fraction = Double(record.correct) / Double(record.items)
                var cell = String(format: "%d/%d %.1f%%", record.correct, record.items, 100 * fraction)
                if let previous { cell += String(format: " (%+.1f)", 100 * (fraction - previous)) }
                text += cell.padding(toLength: 22, withPad: " ", startingAt: 0)
                previous = fraction
            }
            text += "\n"
        }
        return text
    }

    static func benchmarksJSON(_ records: [TrainingBenchmarkRecord]) -> [[String: Any]] {
        records.map {
            ["stage": $0.stage, "benchmark": $0.benchmark, "items": $0.items, "correct": $0.correct, "correct_unnormalised": $0.correctUnnormalised]
        }
    }

    static func taskAccuracyJSON(_ stages: [(stage: String, answers: [TrainingTaskAnswerRecord])]) -> [[String: Any]] {
        stages.map { stage in
            [
                "stage": stage.stage,
                "leaves": TaskAccuracy.perLeaf(stage.answers).map { accuracy -> [String: Any] in
                    ["leaf": accuracy.leaf, "kind": accuracy.kind, "asked": accuracy.asked, "correct": accuracy.correct,
                     "judge_mean": accuracy.judgeMean ?? NSNull()]
                },
                "answers": stage.answers.map { answer -> [String: Any] in
                    ["question_id": answer.questionID, "leaf": answer.leaf, "origin": answer.origin, "question": answer.question,
                     "answer": answer.answer, "correct": answer.correct, "rejected_by": answer.rejectedBy ?? NSNull(),
                     "reason": answer.reason ?? NSNull(), "judge_score": answer.judgeScore ?? NSNull()]
                },
            ]
        }
    }

    static func evaluationsJSON(_ stages: [(stage: String, results: [EvaluationResult])]) -> [[String: Any]] {
        stages.map { stage in
            ["stage": stage.stage, "results": stage.results.map {
                ["set": $0.set, "kind": $0.kind.rawValue, "loss": $0.loss, "perplexity": exp($0.loss), "targets": $0.targets]
            }]
        }
    }
}

