public import Foundation
import LabCore
public import LabGGUF
public import LabStore
import LabTokenizer
public import LabTrain

/// Everything a training job was asked to do; stored as its recipe (JSON) so a resume rebuilds
/// exactly the same rows, order and schedule.
public struct TrainingRecipe: Sendable, Codable, Equatable {
    public var baseModel: String
    /// SHA-256 of the base file, so a resume against a different file is refused.
    public var baseModelSHA256: String
    /// Where the samples came from: a generation run in the store, or JSONL files.
    public var generationRunID: Int64?
    public var jsonlFiles: [String]
    public var curriculum: CurriculumSettings
    public var training: TrainingSettings
    public var maximumSequenceLength: Int
    public var precision: CheckpointPrecision
    /// Save weights and optimiser state every this many steps within a phase (0: only at phase ends).
    public var saveEvery: Int
    public var evaluationWindow: Int
    /// Train low-rank adapters on a frozen base, merged into the weights at the end of each phase.
    public var lora: LoRASettings?
    /// Ask the student the held-out and seed questions at every stage and grade the answers with
    /// the leaves' verifiers (nil: loss only, e.g. JSONL rows with no taxonomy).
    public var taskAccuracy: TaskAccuracySettings?
    /// The general multiple-choice set scored at every stage (forgetting); nil: not scored.
    public var generalBenchmark: GeneralBenchmarkSettings?
    /// The DPO phase's settings (used when `curriculum.phases` has `dpo`).
    public var dpo: DPOSettings?
    /// Orthogonal subspace fine-tuning: every phase keeps its starting matrices' top singular subspaces.
    public var osft: OSFTSettings?
    /// QLoRA: `lora`'s adapters over a base that stays quantized in memory; one set of adapters
    /// trains through every phase (there is no float base to fold them into), and each phase's
    /// checkpoint holds the merged weights.
    public var qlora: Bool
    /// Recompute each block's activations in the backward instead of keeping them all.
    public var checkpointActivations: Bool
    /// The documents of the CPT phase (their held-out chunks are scored at every stage, also in
    /// jobs without a cpt phase).
    public var cpt: CPTSettings?

    public init(baseModel: String, baseModelSHA256: String, generationRunID: Int64?, jsonlFiles: [String], curriculum: CurriculumSettings,
                training: TrainingSettings, maximumSequenceLength: Int, precision: CheckpointPrecision, saveEvery: Int,
                evaluationWindow: Int = 256, lora: LoRASettings? = nil, taskAccuracy: TaskAccuracySettings? = nil,
                generalBenchmark: GeneralBenchmarkSettings? = nil, dpo: DPOSettings? = nil, osft: OSFTSettings? = nil, qlora: Bool = false,
                checkpointActivations: Bool = false, cpt: CPTSettings? = nil) {
        self.cpt = cpt
        self.qlora = qlora
        self.checkpointActivations = checkpointActivations
        self.dpo = dpo
        self.osft = osft
        self.lora = lora
        self.generalBenchmark = generalBenchmark
        self.taskAccuracy = taskAccuracy
        self.baseModel = baseModel
        self.baseModelSHA256 = baseModelSHA256
        self.generationRunID = generationRunID
        self.jsonlFiles = jsonlFiles
        self.curriculum = curriculum
        self.training = training
        self.maximumSequenceLength = maximumSequenceLength
        self.precision = precision
        self.saveEvery = saveEvery
        self.evaluationWindow = evaluationWindow
    }
}

extension TrainingRecipe {
    private enum CodingKeys: String, CodingKey {
        case baseModel, baseModelSHA256, generationRunID, jsonlFiles, curriculum, training, maximumSequenceLength, precision, saveEvery
        case evaluationWindow, lora, taskAccuracy, generalBenchmark, dpo, osft, qlora, checkpointActivations, cpt
    }

    /// Decodes recipes of every version: settings added later are absent from older jobs' recipes.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(baseModel: try c.decode(String.self, forKey: .baseModel), baseModelSHA256: try c.decode(String.self, forKey: .baseModelSHA256),
                  generationRunID: try c.decodeIfPresent(Int64.self, forKey: .generationRunID),
                  jsonlFiles: try c.decode([String].self, forKey: .jsonlFiles), curriculum: try c.decode(CurriculumSettings.self, forKey: .curriculum),
                  training: try c.decode(TrainingSettings.self, forKey: .training),
                  maximumSequenceLength: try c.decode(Int.self, forKey: .maximumSequenceLength),
                  precision: try c.decode(CheckpointPrecision.self, forKey: .precision), saveEvery: try c.decode(Int.self, forKey: .saveEvery),
                  evaluationWindow: try c.decodeIfPresent(Int.self, forKey: .evaluationWindow) ?? 256,
                  lora: try c.decodeIfPresent(LoRASettings.self, forKey: .lora),
                  taskAccuracy: try c.decodeIfPresent(TaskAccuracySettings.self, forKey: .taskAccuracy),
                  generalBenchmark: try c.decodeIfPresent(GeneralBenchmarkSettings.self, forKey: .generalBenchmark),
                  dpo: try c.decodeIfPresent(DPOSettings.self, forKey: .dpo), osft: try c.decodeIfPresent(OSFTSettings.self, forKey: .osft),
                  qlora: try c.decodeIfPresent(Bool.self, forKey: .qlora) ?? false,
                  checkpointActivations: try c.decodeIfPresent(Bool.self, forKey: .checkpointActivations) ?? false,
                  cpt: try c.decodeIfPresent(CPTSettings.self, forKey: .cpt))
    }

    /// The recipe a stored job was started with; nil when the stored JSON is not one.
    public init?(stored record: TrainingRunRecord) {
        guard let recipe = try? JSONDecoder().decode(TrainingRecipe.self, from: Data(record.recipeJSON.utf8)) else { return nil }
        self = recipe
    }
}

extension EvaluationResult {
    /// Stored evaluations grouped by stage, in the order they were recorded.
    public static func stages(_ records: [TrainingEvaluationRecord]) -> [(stage: String, results: [EvaluationResult])] {
        var stages: [(stage: String, results: [EvaluationResult])] = []
        for record in records {
            if stages.last?.stage != record.stage { stages.append((record.stage, [])) }
            stages[stages.count - 1].results.append(EvaluationResult(
                set: record.setName, kind: EvaluationSet.Kind(rawValue: record.kind) ?? .general, loss: record.loss, targets: record.targets))
        }
        return stages
    }
}

/// What a job reports while it runs.
public enum TrainingEvent: Sendable {
    case prepared(phase: TrainingPhase, rows: Int, skippedTooLong: Int, steps: Int)
    /// The CPT corpus: document and general tokens trained, chunks held out, chunks below the novelty threshold.
    case cptCorpus(documentTokens: Int, replayTokens: Int, heldOutChunks: Int, notNovelChunks: Int)
    /// A phase begins (or continues after `startingAfter` steps, when resumed).
    case phaseStarted(phase: TrainingPhase, totalSteps: Int, startingAfter: Int)
    case step(phase: TrainingPhase, report: StepReport)
    case evaluated(stage: String, results: [EvaluationResult])
    /// The student's answers were graded: per-leaf accuracy at a stage.
    case taskEvaluationStarted(stage: String, questions: Int)
    case taskEvaluated(stage: String, accuracy: [TaskAccuracy], seconds: Double)
    case benchmarkScored(stage: String, score: TrainingBenchmarkRecord, seconds: Double)
    /// Weights saved: a phase's checkpoint (`final`) or a mid-phase resume point.
    case saved(phase: TrainingPhase, step: Int, path: String, final: Bool)
    case resumed(phase: TrainingPhase, step: Int)
}

/// The outcome of a finished job.
public struct TrainingSummary: Sendable {
    public var trainingID: Int64
    /// Stage name ("base", "after knowledge", …) and its results, in order.
    public var evaluations: [(stage: String, results: [EvaluationResult])]
    /// Graded answers per stage (empty without task accuracy).
    public var taskAnswers: [(stage: String, answers: [TrainingTaskAnswerRecord])]
    /// General benchmark scores per stage (empty when not scored).
    public var benchmarks: [TrainingBenchmarkRecord]
    public var checkpoints: [String]
    public var skippedTooLong: Int
    public var steps: Int
    public var tokensPerSecond: Double
}

/// Why a job stopped or could not start.
public struct TrainingJobError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A phased fine-tuning job: curriculum → evaluation of the base → each phase (checkpointed,
/// journaled in the store) → evaluation after it. A job killed at any point resumes from its
/// newest checkpoint and ends with the weights an uninterrupted job would have had.
public final class TrainingJob {
    public let store: SampleStore
    public let recipe: TrainingRecipe
    public let outputDirectory: URL
    private let examples: [TrainingExample]
    private let onEvent: (TrainingEvent) -> Void
    private let shouldStop: () -> Bool
    private let taskPlan: TaskAccuracyPlan?
    private let preferences: [PreferenceExample]

    public init(store: SampleStore, recipe: TrainingRecipe, examples: [TrainingExample], outputDirectory: URL,
                preferences: [PreferenceExample] = [], taskAccuracy: TaskAccuracyPlan? = nil,
                shouldStop: @escaping () -> Bool = { false }, onEvent: @escaping (TrainingEvent) -> Void = { _ in }) {
        self.preferences = preferences
        self.taskPlan = taskAccuracy
        self.store = store
        self.recipe = recipe
        self.examples = examples
        self.outputDirectory = outputDirectory
        self.shouldStop = shouldStop
        self.onEvent = onEvent
    }

    /// Starts a new job (nil) or continues `resuming`, and runs it to the end.
    public func run(resuming trainingID: Int64? = nil) throws -> TrainingSummary {
        let curriculum = try Curriculum(examples: examples, settings: recipe.curriculum)
        let baseFile = try GGUFFile(url: URL(fileURLWithPath: recipe.baseModel))
        let tokenizer = try Tokenizer(TokenizerVocabulary(gguf: baseFile))
        let template = tokenizer.recognizedChatTemplate
        guard template != nil || tokenizer.vocabulary.chatTemplate != nil else {
            throw TrainingJobError("\(recipe.baseModel): the model has no chat template, so chat rows cannot be laid out as it expects (hint: fine-tune an instruct model, whose GGUF carries its template)")
        }
        let encoder = SequenceEncoder(tokenizer: tokenizer, template: template, maximumLength: recipe.maximumSequenceLength)
        let cptCorpus = try recipe.cpt.map { settings in
            let (_, hash) = try CPTSettings.documentFiles(settings.documents)
            guard hash == settings.documentsSHA256 else {
                throw TrainingJobError("the CPT documents changed since the job was planned (hint: start a new job instead of --resume)")
            }
            // Novelty is measured against the base model the job trains.
            let scorer = try settings.novelty.map { selection in
                try ModelNoveltyScorer(target: URL(fileURLWithPath: recipe.baseModel), reference: selection.reference.map { URL(fileURLWithPath: $0) },
                                       threads: taskPlan?.threads)
            }
            return try CPTCorpus(settings: settings, tokenizer: tokenizer, maximumLength: recipe.maximumSequenceLength, seed: recipe.curriculum.seed,
                                 novelty: scorer.map { scorer in { try scorer.score($0) } })
        }
        if curriculum.phases.contains(where: { $0.phase == .cpt }), cptCorpus == nil {
            throw TrainingJobError("the cpt phase needs documents (hint: --cpt-documents documents/finance)")
        }
        let evaluationSets = try EvaluationSet.sets(heldOut: curriculum.heldOut, encoder: encoder, window: recipe.evaluationWindow,
                                                    documents: cptCorpus?.evaluationSets ?? [])
        let taskEvaluator = taskPlan?.evaluator(heldOut: curriculum.heldOut)
        var prepared: [(phase: TrainingPhase, trainer: PhaseRunner)] = []
        var skipped = 0
        // A pair whose accepted answer is held out would teach the answer the evaluation asks for.
        let heldOutIDs = Set(curriculum.heldOut.map(\.id))
        let usablePreferences = preferences.filter { !heldOutIDs.contains($0.chosenExampleID) }
        for phase in curriculum.phases {
            if phase.phase == .dpo {
                let pairs = usablePreferences.compactMap { try? $0.encoded(with: encoder) }
                skipped += usablePreferences.count - pairs.count
                let trainer: PreferenceTrainer
                do {
                    trainer = try PreferenceTrainer(pairs: pairs, settings: recipe.training, dpo: recipe.dpo ?? DPOSettings(), stream: phase.phase.rawValue)
                } catch {
                    throw TrainingJobError("the dpo phase has no preference pairs to train on (\(preferences.count) pairs, "
                                           + "\(preferences.count - usablePreferences.count) with a held-out answer, \(usablePreferences.count - pairs.count) "
                                           + "longer than --max-seq-len \(recipe.maximumSequenceLength)) (hint: `synthlab export --format dpo` lists a run's pairs; "
                                           + "drop dpo from --phases, or generate more)")
                }
                prepared.append((.dpo, .preference(trainer)))
                onEvent(.prepared(phase: .dpo, rows: pairs.count, skippedTooLong: usablePreferences.count - pairs.count, steps: trainer.totalSteps))
                continue
            }
            if phase.phase == .cpt, let cptCorpus {
                let trainer: PhaseTrainer
                do { trainer = try PhaseTrainer(sequences: cptCorpus.training.map(\.sequence), settings: recipe.training, stream: phase.phase.rawValue) } catch {
                    throw TrainingJobError("the cpt phase: \(error)")
                }
                prepared.append((.cpt, .supervised(trainer)))
                onEvent(.cptCorpus(documentTokens: cptCorpus.documentTokens, replayTokens: cptCorpus.replayTokens,
                                   heldOutChunks: cptCorpus.heldOutChunkIDs.count, notNovelChunks: cptCorpus.notNovel.count))
                onEvent(.prepared(phase: .cpt, rows: cptCorpus.training.count, skippedTooLong: 0, steps: trainer.totalSteps))
                continue
            }
            let sequences = try phase.rows.compactMap { try encoder.encode($0) }
            skipped += phase.rows.count - sequences.count
            let trainer: PhaseTrainer
            do { trainer = try PhaseTrainer(sequences: sequences, settings: recipe.training, stream: phase.phase.rawValue) } catch {
                throw TrainingJobError("the \(phase.phase.rawValue) phase: \(error) (\(phase.rows.count - sequences.count) of \(phase.rows.count) rows are longer than --max-seq-len \(recipe.maximumSequenceLength))")
            }
            prepared.append((phase.phase, .supervised(trainer)))
            onEvent(.prepared(phase: phase.phase, rows: sequences.count, skippedTooLong: phase.rows.count - sequences.count, steps: trainer.totalSteps))
        }
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)

        let rows = curriculum.phases.flatMap { phase in
            phase.rows.map { TrainingRowRecord(phase: phase.phase.rawValue, exampleID: $0.exampleID, leaf: $0.leaf, role: $0.role.rawValue) }
        } + (curriculum.phases.contains { $0.phase == .dpo }
            ? usablePreferences.map { TrainingRowRecord(phase: "dpo", exampleID: $0.id, leaf: $0.leaf, role: "pair") } : [])
          + curriculum.heldOut.map { TrainingRowRecord(phase: "held_out", exampleID: $0.id, leaf: $0.leaf, role: "evaluation") }
          + (cptCorpus?.rows(training: curriculum.phases.contains { $0.phase == .cpt }) ?? [])
        let id: Int64
        var model: TrainableDecoder
        var startPhase = 0, startStep = 0
        var evaluations: [(stage: String, results: [EvaluationResult])] = []
        var midPhase: TrainingCheckpointRecord?
        var phaseStartPath = recipe.baseModel
        // Whether `model` still holds the base weights (nothing trained yet, or resumed before any checkpoint).
        var modelIsBase = true
        if let trainingID {
            id = trainingID
            let recorded = try store.trainingRows(trainingID)
            guard Set(recorded) == Set(rows), recorded.count == rows.count else {
                throw TrainingJobError("training job \(trainingID) was planned on other samples than the store now gives (hint: start a new job instead of --resume)")
            }
            evaluations = EvaluationResult.stages(try store.trainingEvaluations(trainingID))
            if let checkpoint = try store.latestCheckpoint(trainingID: trainingID) {
                modelIsBase = false
                if recipe.qlora, let adapters = checkpoint.adapterPath {
                    // The exact state of a QLoRA job: the quantized base and the adapters.
                    model = try makeModel(baseFile)
                    try model.readAdapters(from: URL(fileURLWithPath: adapters))
                } else {
                    model = try TrainableDecoder(file: GGUFFile(url: URL(fileURLWithPath: checkpoint.modelPath)))
                    model.checkpointsActivations = recipe.checkpointActivations
                }
                if checkpoint.step >= checkpoint.totalSteps {
                    startPhase = checkpoint.phaseIndex + 1
                    phaseStartPath = checkpoint.modelPath
                } else {
                    guard checkpoint.optimiserPath != nil else {
                        throw TrainingJobError("checkpoint at step \(checkpoint.step) has no optimiser state; cannot resume mid-phase")
                    }
                    startPhase = checkpoint.phaseIndex
                    startStep = checkpoint.step
                    midPhase = checkpoint
                    // With LoRA the checkpoint's weights are the phase's starting weights; otherwise the phase
                    // started from the previous phase's checkpoint (or the base).
                    phaseStartPath = checkpoint.adapterPath != nil ? checkpoint.modelPath
                        : try store.phaseStartPath(trainingID: trainingID, phaseIndex: checkpoint.phaseIndex) ?? recipe.baseModel
                }
                onEvent(.resumed(phase: prepared[min(startPhase, prepared.count - 1)].phase, step: startStep))
            } else {
                model = try makeModel(baseFile)
            }
        } else {
            let recipeJSON = String(decoding: try Self.encoder.encode(recipe), as: UTF8.self)
            try recipeJSON.write(to: outputDirectory.appendingPathComponent("recipe.json"), atomically: true, encoding: .utf8)
            id = try store.beginTraining(generationRunID: recipe.generationRunID, baseModel: recipe.baseModel,
                                         outputDirectory: outputDirectory.path, recipeJSON: recipeJSON, rows: rows)
            model = try makeModel(baseFile)
        }

        do {
            if evaluations.isEmpty {
                let results = EvaluationSet.evaluate(evaluationSets, model: model, microBatchTokens: recipe.training.microBatchTokens)
                try record(results, stage: "base", index: 0, trainingID: id)
                evaluations.append(("base", results))
            }
            let generalItems = try recipe.generalBenchmark.map { try $0.items() } ?? []
            let stageModels = StageModelEvaluation(store: store, trainingID: id, tasks: taskEvaluator, generalItems: generalItems,
                                                   threads: taskPlan?.threads, onEvent: onEvent)
            if modelIsBase { try stageModels.evaluate(model, stage: "base", index: 0, scratch: resumeDirectory) }
            var checkpoints: [String] = []
            var steps = 0, tokens = 0, seconds = 0.0
            var phaseSeconds = 0.0
            for (index, entry) in prepared.enumerated() {
                let finalPath = outputDirectory.appendingPathComponent("phase\(index + 1).gguf")
                guard index >= startPhase else {
                    checkpoints.append(finalPath.path)
                    // Killed between a phase's checkpoint and its evaluations: `model` holds exactly
                    // that checkpoint (the newest), so the missing ones are made now.
                    if index == startPhase - 1 {
                        let stage = "after \(entry.phase.rawValue)"
                        if !evaluations.contains(where: { $0.stage == stage }) {
                            let results = EvaluationSet.evaluate(evaluationSets, model: model, microBatchTokens: recipe.training.microBatchTokens)
                            try record(results, stage: stage, index: index + 1, trainingID: id)
                            evaluations.append((stage, results))
                        }
                        try stageModels.evaluate(model, stage: stage, index: index + 1, scratch: resumeDirectory)
                    }
                    continue
                }
                if let lora = recipe.lora, !recipe.qlora { model.attachLoRA(lora, seed: recipe.training.seed &+ UInt64(index)) }
                let optimiser = AdamW(model: model, settings: recipe.training.optimiser)
                if let osft = recipe.osft {
                    // The subspaces of the weights the phase started from (a file when resumed mid-phase).
                    let start = index == startPhase && startStep > 0 ? try TrainableDecoder(file: GGUFFile(url: URL(fileURLWithPath: phaseStartPath))) : model
                    optimiser.constraint = try OrthogonalSubspaces(model: start, settings: osft)
                }
                if index == startPhase, let midPhase {
                    if let adapters = midPhase.adapterPath { try model.readAdapters(from: URL(fileURLWithPath: adapters)) }
                    try optimiser.read(from: URL(fileURLWithPath: midPhase.optimiserPath!))
                }
                let startPath = phaseStartPath
                onEvent(.phaseStarted(phase: entry.phase, totalSteps: entry.trainer.totalSteps,
                                      startingAfter: index == startPhase ? startStep : 0))
                func afterStep(_ report: StepReport) throws {
                    steps += 1
                    tokens += report.tokens
                    phaseSeconds = report.elapsed.seconds
                    onEvent(.step(phase: entry.phase, report: report))
                    if recipe.saveEvery > 0, report.step % recipe.saveEvery == 0, report.step < report.totalSteps {
                        try saveResumePoint(model: model, optimiser: optimiser, phase: entry.phase, index: index, report: report,
                                            phaseStartPath: startPath, trainingID: id)
                    }
                    if shouldStop() { throw TrainingJobError("interrupted") }
                }
                let resumedAt = index == startPhase ? startStep : 0
                switch entry.trainer {
                case .supervised(let trainer):
                    try trainer.run(model: model, optimiser: optimiser, startingAfter: resumedAt, afterStep: afterStep)
                case .preference(let trainer):
                    // The reference is the frozen model the phase started from: the weights in
                    // memory at a fresh start (LoRA's B is zero), its file when resumed mid-phase.
                    let reference = resumedAt > 0
                        ? trainer.logProbabilities(try TrainableDecoder(file: GGUFFile(url: URL(fileURLWithPath: startPath))))
                        : trainer.logProbabilities(model)
                    try trainer.run(model: model, optimiser: optimiser, reference: reference, startingAfter: resumedAt, afterStep: afterStep)
                }
                seconds += phaseSeconds
                phaseSeconds = 0
                model.mergeLoRA()
                try model.writeCheckpoint(to: finalPath, precision: recipe.precision,
                                          extraMetadata: [("general.name", .string("synthlab fine-tune, phase \(index + 1) (\(entry.phase.rawValue))"))])
                let exactPath = recipe.precision == .f32 ? finalPath : resumeDirectory.appendingPathComponent("phase\(index + 1).f32.gguf")
                var exactAdapters: String?
                if recipe.qlora {
                    // QLoRA's exact state is the base file and the adapters, not a float file.
                    try FileManager.default.createDirectory(at: resumeDirectory, withIntermediateDirectories: true)
                    let adapters = resumeDirectory.appendingPathComponent("phase\(index + 1).lora")
                    try model.writeAdapters(to: adapters)
                    exactAdapters = adapters.path
                } else if recipe.precision != .f32 {
                    try FileManager.default.createDirectory(at: resumeDirectory, withIntermediateDirectories: true)
                    try model.writeCheckpoint(to: exactPath, precision: .f32)
                }
                try store.recordCheckpoint(trainingID: id, TrainingCheckpointRecord(
                    phase: entry.phase.rawValue, phaseIndex: index, step: entry.trainer.totalSteps, totalSteps: entry.trainer.totalSteps,
                    modelPath: recipe.qlora ? recipe.baseModel : exactPath.path, optimiserPath: nil, adapterPath: exactAdapters, loss: nil))
                onEvent(.saved(phase: entry.phase, step: entry.trainer.totalSteps, path: finalPath.path, final: true))
                checkpoints.append(finalPath.path)
                phaseStartPath = recipe.qlora ? recipe.baseModel : exactPath.path
                let stage = "after \(entry.phase.rawValue)"
                let results = EvaluationSet.evaluate(evaluationSets, model: model, microBatchTokens: recipe.training.microBatchTokens)
                try record(results, stage: stage, index: index + 1, trainingID: id)
                evaluations.append((stage, results))
                try stageModels.evaluate(model, stage: stage, index: index + 1, scratch: resumeDirectory)
            }
            try store.finishTraining(id, status: "finished")
            try? FileManager.default.removeItem(at: resumeDirectory)
            return TrainingSummary(trainingID: id, evaluations: evaluations, taskAnswers: TaskAccuracy.stages(try store.trainingTaskAnswers(id)),
                                   benchmarks: try store.trainingBenchmarks(id),
                                   checkpoints: checkpoints, skippedTooLong: skipped,
                                   steps: steps, tokensPerSecond: seconds > 0 ? Double(tokens) / seconds : 0)
        } catch {
            let interrupted = (error as? TrainingJobError)?.description == "interrupted"
            try? store.finishTraining(id, status: interrupted ? "interrupted" : "failed", error: "\(error)")
            if interrupted {
                throw TrainingJobError("training job \(id) interrupted; continue it with: synthlab train --db \(store.path) --resume \(id)")
            }
            throw error
        }
    }

    private var resumeDirectory: URL { outputDirectory.appendingPathComponent(".resume", isDirectory: true) }

    /// The base as the recipe trains it: float32 weights, or (QLoRA) a quantized base with its
    /// one set of adapters attached.
    private func makeModel(_ file: GGUFFile) throws -> TrainableDecoder {
        let model = try TrainableDecoder(file: file, quantizedBase: recipe.qlora && recipe.lora != nil)
        model.checkpointsActivations = recipe.checkpointActivations
        if recipe.qlora, let lora = recipe.lora { model.attachLoRA(lora, seed: recipe.training.seed) }
        return model
    }

    /// Exact weights and optimiser state mid-phase; the previous resume point is removed once
    /// the new one is journaled, so at most one pair is on disk.
    private func saveResumePoint(model: TrainableDecoder, optimiser: AdamW, phase: TrainingPhase, index: Int, report: StepReport,
                                 phaseStartPath: String, trainingID: Int64) throws {
        try FileManager.default.createDirectory(at: resumeDirectory, withIntermediateDirectories: true)
        let stem = resumeDirectory.appendingPathComponent("phase\(index + 1)-step\(report.step)").path
        let moments = stem + ".adam"
        let weights: String, adapters: String?
        if model.loraSettings != nil {
            // The base is frozen: the phase's starting weights plus the adapters are the exact state.
            weights = phaseStartPath
            adapters = stem + ".lora"
            try model.writeAdapters(to: URL(fileURLWithPath: stem + ".lora"))
        } else {
            weights = stem + ".gguf"
            adapters = nil
            try model.writeCheckpoint(to: URL(fileURLWithPath: weights), precision: .f32)
        }
        try optimiser.write(to: URL(fileURLWithPath: moments))
        let previous = try store.latestCheckpoint(trainingID: trainingID)
        try store.recordCheckpoint(trainingID: trainingID, TrainingCheckpointRecord(
            phase: phase.rawValue, phaseIndex: index, step: report.step, totalSteps: report.totalSteps,
            modelPath: weights, optimiserPath: moments, adapterPath: adapters, loss: report.loss))
        // Only the newest resume point is kept: remove the previous one's own files (never a phase checkpoint).
        if let previous, previous.optimiserPath != nil {
            for path in [previous.modelPath, previous.optimiserPath, previous.adapterPath].compactMap({ $0 })
            where path.hasPrefix(resumeDirectory.path) && ![weights, moments, adapters].contains(path) {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        onEvent(.saved(phase: phase, step: report.step, path: weights, final: false))
    }

    private func record(_ results: [EvaluationResult], stage: String, index: Int, trainingID: Int64) throws {
        for result in results {
            try store.recordEvaluation(trainingID: trainingID, TrainingEvaluationRecord(
                stage: stage, stageIndex: index, setName: result.set, kind: result.kind.rawValue,
                loss: result.loss, targets: result.targets))
        }
        onEvent(.evaluated(stage: stage, results: results))
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return encoder
    }()
}

/// What trains one phase: rows with a masked cross-entropy, or preference pairs with DPO.
enum PhaseRunner {
    case supervised(PhaseTrainer)
    case preference(PreferenceTrainer)

    var totalSteps: Int {
        switch self {
        case .supervised(let trainer): trainer.totalSteps
        case .preference(let trainer): trainer.totalSteps
        }
    }
}
