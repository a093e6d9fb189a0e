import Foundation
import LabCore
import LabGGUF
import LabLLM
import LabTestSupport
import LabTrain
import Testing

@Suite("Training every architecture")
struct ArchitectureTrainingTests {
    @Test("the trainer's forward gives the engine's logits", arguments: ArchitectureFixture.names)
    func forwardMatchesEngine(name: String) throws {
        let fixture = try ArchitectureFixture.named(name)
        let model = try TrainableDecoder(file: GGUFFile(url: fixture.url))
        let engine = try DecoderModel(file: GGUFFile(url: fixture.url), threads: 1, quantizesActivations: false)
        let state = try engine.makeSequenceState(capacity: 64)
        let expected = try engine.forwardAllPositions(tokens: fixture.prompt, state: state)
        let actual = model.logits(fixture.prompt)
        #expect(actual.count == expected.count)
        // The engine's GeGLU reads llama.cpp's binary16 GELU table; the trainer's is exact Float.
        let tolerance: Float = model.config.activation == .geluTanh ? 2e-2 : 1e-4
        let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < tolerance, "\(name): largest logit difference \(worst)")
    }

    @Test("every tensor's gradient equals a central difference of the loss along a random direction",
          arguments: ArchitectureFixture.names)
    func gradientsMatchFiniteDifferences(name: String) throws {
        let fixture = try ArchitectureFixture.named(name)
        let model = try TrainableDecoder(file: GGUFFile(url: fixture.url))
        // 13 tokens: longer than the sliding window (8), so windowed layers mask.
        var sequences = tokenSequences([13, 9], vocabulary: model.config.vocabularySize, seed: 5).map { TrainingSequence(tokens: $0) }
        sequences[1].scored = sequences[1].scored.enumerated().map { $0.offset >= 4 }
        let targets = sequences.reduce(0) { $0 + $1.scoredCount }
        model.zeroGradients()
        model.accumulateGradients(sequences, lossScale: 1 / Float(targets))
        expectGradientsMatchFiniteDifferences(model, sequences, label: name)
    }

    @Test("a checkpoint keeps the architecture's tensors and reloads with the trainer's logits in the engine",
          arguments: ArchitectureFixture.names)
    func checkpointRoundTrip(name: String) throws {
        let fixture = try ArchitectureFixture.named(name)
        let directory = try TestPaths.temporaryDirectory("arch-checkpoint")
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try TrainableDecoder(file: GGUFFile(url: fixture.url))
        // One optimiser step first, so the checkpoint differs from the fixture.
        let sequences = tokenSequences([12], vocabulary: model.config.vocabularySize, seed: 8).map { TrainingSequence(tokens: $0) }
        let optimiser = AdamW(model: model, settings: AdamWSettings(beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1))
        model.zeroGradients()
        model.accumulateGradients(sequences, lossScale: 1 / Float(sequences[0].scoredCount))
        optimiser.update(model, learningRate: 1e-2)
        let url = directory.appendingPathComponent("step1.gguf")
        try model.writeCheckpoint(to: url, precision: .f32)
        let written = try GGUFFile(url: url)
        let source = try GGUFFile(url: fixture.url)
        let expectedNames = Set(source.tensors.map(\.name)).subtracting(model.layout.tiedOutput ? ["output.weight"] : [])
        #expect(Set(written.tensors.map(\.name)) == expectedNames)
        #expect(written.architecture.map { name.hasPrefix($0) } == true)
        let engine = try DecoderModel(file: written, threads: 1, quantizesActivations: false)
        let state = try engine.makeSequenceState(capacity: 64)
        let reloaded = try engine.forwardAllPositions(tokens: fixture.prompt, state: state)
        let trained = model.logits(fixture.prompt)
        let tolerance: Float = model.config.activation == .geluTanh ? 2e-2 : 1e-4
        let worst = zip(reloaded, trained).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < tolerance, "\(name): checkpoint logits differ by \(worst)")
        let before = try DecoderModel(file: source, threads: 1, quantizesActivations: false)
        let original = try before.forwardAllPositions(tokens: fixture.prompt, state: before.makeSequenceState(capacity: 64))
        #expect(zip(original, reloaded).contains { $0 != $1 }, "the step changed the model")
    }

    @Test("LoRA on every projection of a fused-QKV model: merged weights give the adapted logits")
    func loraOnFusedProjections() throws {
        let fixture = try ArchitectureFixture.named("phi3")
        let model = try TrainableDecoder(file: GGUFFile(url: fixture.url))
        model.attachLoRA(LoRASettings(rank: 4, alpha: 8, dropout: 0, targets: LoRATarget.allCases), seed: 3)
        // B starts at zero; give the adapters weights so the merge has something to fold in.
        model.withMutableAdapterWeights { w in
            var random = SeededRandom(seed: 4)
            for i in w.indices { w[i] = (random.nextUnitFloat() - 0.5) * 0.2 }
        }
        let adapted = model.logits(fixture.prompt)
        model.mergeLoRA()
        let merged = model.logits(fixture.prompt)
        let worst = zip(adapted, merged).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-3, "merged logits differ from the adapted ones by \(worst)")
    }
}
