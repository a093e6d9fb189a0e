import Foundation
import LabCore
import LabCurriculum
import LabGGUF
import LabStore
import LabTestSupport
import LabTrain
import Testing

/// A tiny base model, a store and an output directory in one temporary folder.
private struct JobFixture {
    let directory: URL
    let base: URL
    let store: SampleStore

    init() throws {
        directory = try TestPaths.temporaryDirectory("job")
        base = directory.appendingPathComponent("base.gguf")
        try TinyDecoderModel.write(to: base, seed: 3)
        store = try SampleStore(url: directory.appendingPathComponent("store.sqlite"))
    }

    func recipe(saveEvery: Int = 0, replayRatio: Double = 0.3, lora: LoRASettings? = nil, dpo: Bool = false,
                osft: OSFTSettings? = nil, qlora: Bool = false) throws -> TrainingRecipe {
        TrainingRecipe(
            baseModel: base.path, baseModelSHA256: try ContentHash.sha256Hex(fileAt: base), generationRunID: nil, jsonlFiles: [],
            curriculum: CurriculumSettings(phases: dpo ? [.knowledge, .skills, .dpo] : TrainingPhase.defaultPhases, replayRatio: replayRatio),
            training: TrainingSettings(epochs: 2, learningRate: 1e-3, batchSize: 4, microBatchTokens: 256),
            maximumSequenceLength: 200, precision: .f32, saveEvery: saveEvery, evaluationWindow: 64, lora: lora,
            dpo: dpo ? DPOSettings(beta: 0.2) : nil, osft: osft, qlora: qlora)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

private func weights(_ url: URL) throws -> [Float] {
    let file = try GGUFFile(url: url)
    return file.tensors.flatMap { file.floats(of: $0) }
}

@Suite("Training jobs: phases, evaluation, journal and resume", .serialized)
struct TrainingJobTests {
    @Test("a job writes a checkpoint per phase, evaluates before and after each, and journals it all")
    func wholeJob() throws {
        let fixture = try JobFixture()
        defer { fixture.remove() }
        let output = fixture.directory.appendingPathComponent("out")
        let job = TrainingJob(store: fixture.store, recipe: try fixture.recipe(), examples: sampleExamples(), outputDirectory: output)
        let summary = try job.run()
        #expect(summary.checkpoints == [output.appendingPathComponent("phase1.gguf").path, output.appendingPathComponent("phase2.gguf").path])
        #expect(summary.evaluations.map(\.stage) == ["base", "after knowledge", "after skills"])
        let base = summary.evaluations[0].results, afterKnowledge = summary.evaluations[1].results
        #expect(base.map(\.set) == ["knowledge/a", "knowledge/b", "skills/c", "skills/d", "general text"])
        for (before, after) in zip(base, afterKnowledge) where before.kind == .knowledge {
            #expect(after.loss < before.loss, "\(before.set): knowledge held-out loss \(before.loss) → \(after.loss)")
        }
        let record = try fixture.store.training(summary.trainingID)
        #expect(record.status == "finished")
        let rows = try fixture.store.trainingRows(summary.trainingID)
        #expect(rows.filter { $0.phase == "held_out" }.count == 4)
        #expect(rows.filter { $0.phase == "knowledge" }.count == 8)
        #expect(try fixture.store.trainingEvaluations(summary.trainingID).count == 15)
        #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("recipe.json").path))
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent(".resume").path))
        _ = try TrainableDecoder(file: GGUFFile(url: output.appendingPathComponent("phase2.gguf")))
    }

    @Test("a job stopped mid-phase resumes from its journal to the same weights as an uninterrupted job",
          arguments: [(2, false), (5, false), (9, false), (3, true), (7, true)])
    func resumeGivesSameWeights(stopAfter: Int, withLoRA: Bool) throws {
        let fixture = try JobFixture()
        defer { fixture.remove() }
        let lora = withLoRA ? LoRASettings(rank: 4, alpha: 8, dropout: 0.1) : nil
        let straight = fixture.directory.appendingPathComponent("straight")
        _ = try TrainingJob(store: fixture.store, recipe: try fixture.recipe(lora: lora), examples: sampleExamples(),
                            outputDirectory: straight).run()

        let stopped = fixture.directory.appendingPathComponent("stopped")
        let recipe = try fixture.recipe(saveEvery: 1, lora: lora)
        var steps = 0
        let first = TrainingJob(store: fixture.store, recipe: recipe, examples: sampleExamples(), outputDirectory: stopped,
                                shouldStop: { steps >= stopAfter }) { event in
            if case .step = event { steps += 1 }
        }
        #expect(throws: TrainingJobError.self) { try first.run() }
        let id = try #require(try fixture.store.latestTrainingID())
        #expect(try fixture.store.training(id).status == "interrupted")
        let checkpoint = try #require(try fixture.store.latestCheckpoint(trainingID: id))
        #expect(checkpoint.step > 0)
        let second = TrainingJob(store: fixture.store, recipe: recipe, examples: sampleExamples(), outputDirectory: stopped)
        let summary = try second.run(resuming: id)
        #expect(summary.evaluations.map(\.stage) == ["base", "after knowledge", "after skills"])
        #expect(try weights(stopped.appendingPathComponent("phase2.gguf")) == weights(straight.appendingPathComponent("phase2.gguf")))
        #expect(try fixture.store.training(id).status == "finished")
    }

    @Test("a job with a DPO phase trains on pairs whose answer is not held out, and resumes mid-DPO to the same weights",
          arguments: [(11, false), (13, false), (12, true)])
    func dpoPhaseResumes(stopAfter: Int, withLoRA: Bool) throws {
        let fixture = try JobFixture()
        defer { fixture.remove() }
        let examples = sampleExamples()
        let preferences = examples.filter { $0.kind == .skill }.map {
            PreferenceExample(id: "\($0.id)|bad", leaf: $0.leaf, chosenExampleID: $0.id, system: $0.system, user: $0.user,
                              chosen: $0.assistant, rejected: "Not done, sorry.")
        }
        let lora = withLoRA ? LoRASettings(rank: 4, alpha: 8) : nil
        let straightDirectory = fixture.directory.appendingPathComponent("straight")
        var dpoRows = 0
        let straight = try TrainingJob(store: fixture.store, recipe: try fixture.recipe(lora: lora, dpo: true), examples: examples,
                                       outputDirectory: straightDirectory, preferences: preferences, onEvent: { event in
            if case .prepared(.dpo, let rows, _, _) = event { dpoRows = rows }
        }).run()
        #expect(straight.evaluations.map(\.stage) == ["base", "after knowledge", "after skills", "after dpo"])
        let heldOut = Set(try fixture.store.trainingRows(straight.trainingID).filter { $0.phase == "held_out" }.map(\.exampleID))
        #expect(dpoRows == preferences.filter { !heldOut.contains($0.chosenExampleID) }.count && dpoRows < preferences.count)

        let stopped = fixture.directory.appendingPathComponent("stopped")
        let recipe = try fixture.recipe(saveEvery: 1, lora: lora, dpo: true)
        var steps = 0
        #expect(throws: TrainingJobError.self) {
            try TrainingJob(store: fixture.store, recipe: recipe, examples: examples, outputDirectory: stopped, preferences: preferences,
                            shouldStop: { steps >= stopAfter }) { event in
                if case .step = event { steps += 1 }
            }.run()
        }
        let id = try #require(try fixture.store.latestTrainingID())
        #expect(try fixture.store.latestCheckpoint(trainingID: id)?.phase == "dpo")
        let resumed = try TrainingJob(store: fixture.store, recipe: recipe, examples: examples, outputDirectory: stopped,
                                      preferences: preferences).run(resuming: id)
        #expect(resumed.checkpoints.count == 3)
        #expect(try weights(stopped.appendingPathComponent("phase3.gguf")) == weights(straightDirectory.appendingPathComponent("phase3.gguf")))
    }

    @Test("an OSFT job stopped mid-phase resumes to the same weights", arguments: [3, 8])
    func osftResumes(stopAfter: Int) throws {
        let fixture = try JobFixture()
        defer { fixture.remove() }
        let osft = OSFTSettings(unfreezeRankRatio: 0.5)
        let straight = fixture.directory.appendingPathComponent("straight")
        _ = try TrainingJob(store: fixture.store, recipe: try fixture.recipe(osft: osft), examples: sampleExamples(), outputDirectory: straight).run()
        let stopped = fixture.directory.appendingPathComponent("stopped")
        let recipe = try fixture.recipe(saveEvery: 1, osft: osft)
        var steps = 0
        #expect(throws: TrainingJobError.self) {
            try TrainingJob(store: fixture.store, recipe: recipe, examples: sampleExamples(), outputDirectory: stopped,
                            shouldStop: { steps >= stopAfter }, onEvent: { event in if case .step = event { steps += 1 } }).run()
        }
        let id = try #require(try fixture.store.latestTrainingID())
        _ = try TrainingJob(store: fixture.store, recipe: recipe, examples: sampleExamples(), outputDirectory: stopped).run(resuming: id)
        #expect(try weights(stopped.appendingPathComponent("phase2.gguf")) == weights(straight.appendingPathComponent("phase2.gguf")))
    }

    @Test("a QLoRA job keeps one set of adapters through both phases and resumes mid-phase or between phases to the same weights",
          arguments: [3, 4, 8])
    func qloraResumes(stopAfter: Int) throws {
        let fixture = try JobFixture()
        defer { fixture.remove() }
        let lora = LoRASettings(rank: 4, alpha: 8, targets: LoRATarget.allCases)
        let straight = fixture.directory.appendingPathComponent("straight")
        let summary = try TrainingJob(store: fixture.store, recipe: try fixture.recipe(lora: lora, qlora: true), examples: sampleExamples(),
                                      outputDirectory: straight).run()
        let base = try weights(fixture.base), first = try weights(straight.appendingPathComponent("phase1.gguf"))
        let second = try weights(straight.appendingPathComponent("phase2.gguf"))
        #expect(first != base && second != first)
        #expect(summary.evaluations.count == 3)
        let stopped = fixture.directory.appendingPathComponent("stopped")
        let recipe = try fixture.recipe(saveEvery: 1, lora: lora, qlora: true)
        var steps = 0
        #expect(throws: TrainingJobError.self) {
            try TrainingJob(store: fixture.store, recipe: recipe, examples: sampleExamples(), outputDirectory: stopped,
                            shouldStop: { steps >= stopAfter }, onEvent: { event in if case .step = event { steps += 1 } }).run()
        }
        let id = try #require(try fixture.store.latestTrainingID())
        _ = try TrainingJob(store: fixture.store, recipe: recipe, examples: sampleExamples(), outputDirectory: stopped).run(resuming: id)
        #expect(try weights(stopped.appendingPathComponent("phase2.gguf")) == weights(straight.appendingPathComponent("phase2.gguf")))
    }

    @Test("a non-finite loss stops the phase before the update and keeps the earlier checkpoint")
    func nonFiniteLoss() throws {
        let fixture = try JobFixture()
        defer { fixture.remove() }
        let model = try TrainableDecoder(file: GGUFFile(url: fixture.base))
        model.withMutableWeights { $0[model.layout.tensor(named: "output_norm.weight")!.offset] = .nan }
        let sequences = [TrainingSequence(tokens: [5, 6, 7, 8, 9])]
        let trainer = try PhaseTrainer(sequences: sequences, settings: TrainingSettings(epochs: 1), stream: "t")
        let before = model.withMutableWeights { Array($0) }
        #expect {
            try trainer.run(model: model, optimiser: AdamW(model: model, settings: AdamWSettings())) { _ in }
        } throws: { error in
            guard case TrainingError.nonFinite(step: 1, _, _) = error else { return false }
            return true
        }
        let after = model.withMutableWeights { Array($0) }
        #expect(zip(before, after).allSatisfy { $0.bitPattern == $1.bitPattern }, "no update was applied")
    }

    @Test("rows longer than the limit are skipped and counted; a phase left empty is an error")
    func tooLong() throws {
        let fixture = try JobFixture()
        defer { fixture.remove() }
        var examples = sampleExamples()
        examples[0].assistant = String(repeating: "very long answer ", count: 100)
        var skipped = 0
        let job = TrainingJob(store: fixture.store, recipe: try fixture.recipe(), examples: examples,
                              outputDirectory: fixture.directory.appendingPathComponent("out"), onEvent: { event in
            if case .prepared(_, _, let tooLong, _) = event { skipped += tooLong }
        })
        let summary = try job.run()
        #expect(summary.skippedTooLong >= 1 && skipped == summary.skippedTooLong)

        var allLong = sampleExamples()
        for i in allLong.indices where allLong[i].kind == .skill { allLong[i].assistant = String(repeating: "long ", count: 300) }
        let failing = TrainingJob(store: fixture.store, recipe: try fixture.recipe(replayRatio: 0), examples: allLong,
                                  outputDirectory: fixture.directory.appendingPathComponent("out2"))
        let error = try #require(throwsError { _ = try failing.run() })
        #expect("\(error)".contains("skills phase") && "\(error)".contains("--max-seq-len"))
    }
}

private func throwsError(_ body: () throws -> Void) -> (any Error)? {
    do { try body() } catch { return error }
    return nil
}
