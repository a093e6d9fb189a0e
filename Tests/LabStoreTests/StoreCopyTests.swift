import Foundation
import LabCore
import LabStore
import LabStorePostgres
import LabTestSupport
import Testing

@Suite struct StoreCopying {
    /// A store with a bit of everything: a run with samples, verdicts, teacher answers, a review, and a training job.
    static func filled(_ fixture: StoreFixture) throws {
        let store = fixture.store
        let (run, leaf, seeds) = try fixture.seeded()
        let request = GenerationRequest(input: .chat([ChatMessage(.user, "Q?")]), parameters: SamplingParameters(temperature: 0.7, seed: 1))
        let key = try RequestKey.make(teacher: "scripted", request: request)
        let responses = try store.recordResult(key: key, teacher: "scripted", request: request,
                                               result: GenerationResult(completions: [Completion(text: "What is it?", finishReason: .stop, completionTokens: 4)],
                                                                        promptTokens: 9, latency: 0.25))
        try store.noteRequest(runID: run, key: key)
        for unit in 0..<3 {
            let samples = (0..<4).map { index in
                NewSample(leafID: leaf, responseID: responses[0], chunkID: "chunk-1", seedIDs: seeds, question: "Question \(unit).\(index) über café?",
                          answer: "Answer \(index)", context: index == 0 ? nil : "ctx",
                          verdicts: [Verdict(filter: "numbers", filterVersion: "1", score: Double(index) / 3, threshold: 0.5,
                                             decision: index % 2 == 0 ? .accept : .reject, reason: "why \(index)")])
            }
            try store.completeUnit(runID: run, unitKey: "u\(unit)", samples: samples, leafID: leaf, unitIndex: unit)
        }
        let first = try #require(try store.samples(runID: run, limit: 1).first)
        try store.addReview(NewReview(sampleID: first.id, decision: .accept, answer: "A curator's answer.", reviewer: "ann"))
        let training = try store.beginTraining(generationRunID: run, baseModel: "m.gguf", outputDirectory: "out", recipeJSON: "{}",
                                               rows: [TrainingRowRecord(phase: "knowledge", exampleID: "s1", leaf: "k", role: "train")])
        try store.recordEvaluation(trainingID: training, TrainingEvaluationRecord(stage: "base", stageIndex: 0, setName: "z", kind: "leaf", loss: 2.5, targets: 10))
        try store.recordEvaluation(trainingID: training, TrainingEvaluationRecord(stage: "base", stageIndex: 0, setName: "a", kind: "leaf", loss: 1.5, targets: 10))
        try store.recordCheckpoint(trainingID: training, TrainingCheckpointRecord(phase: "knowledge", phaseIndex: 0, step: 1, totalSteps: 2,
                                                                                   modelPath: "m1", optimiserPath: nil, adapterPath: nil, loss: 1.25))
        try store.finishTraining(training, status: "finished")
        try store.endRun(run, status: .finished)
    }

    @Test(arguments: [(StoreBackend.sqlite, StoreBackend.postgres), (.postgres, .sqlite), (.sqlite, .sqlite)])
    func aCopyHasEqualTablesAndTheCopyGrowsOnAsTheOriginalWould(from: StoreBackend, to: StoreBackend) throws {
        let source = try StoreFixture(from)
        try Self.filled(source)
        let destination = try StoreFixture(to)
        let copied = try StoreCopy.copy(from: source.store, to: destination.store)
        #expect(copied.first { $0.table == "samples" }?.rows == 12)
        #expect(copied.first { $0.table == "verdicts" }?.rows == 12)
        #expect(try StoreCopy.summaries(of: destination.store) == StoreCopy.summaries(of: source.store))
        // The queries users run read the same from both.
        let run = try #require(try source.store.latestRunID())
        #expect(try destination.store.funnel(runID: run).map(\.accepted) == source.store.funnel(runID: run).map(\.accepted))
        #expect(try destination.store.trainingSources(runID: run) == source.store.trainingSources(runID: run))
        let training = try #require(try source.store.latestTrainingID())
        #expect(try destination.store.trainingEvaluations(training).map(\.setName) == ["z", "a"], "insertion order survives the copy")
        // New rows get fresh ids after the copied ones, on both.
        let next = try destination.store.createRun(RunConfiguration(taxonomyHash: "t", pipelineHash: "p", teacher: "scripted", seed: 1))
        #expect(next == run + 1)
        // A second copy into a store that holds runs is refused and changes nothing.
        let before = try StoreCopy.summaries(of: destination.store)
        #expect(throws: StoreError.self) { try StoreCopy.copy(from: source.store, to: destination.store) }
        #expect(try StoreCopy.summaries(of: destination.store) == before)
    }
}
