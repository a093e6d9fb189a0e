import Foundation
import LabCore
import LabGGUF
import LabTestSupport
import LabTrain
import Testing

@Suite("LoRA adapters")
struct LoRATests {
    private func randomiseAdapters(_ model: TrainableDecoder, seed: UInt64) {
        var random = SeededRandom(seed: seed)
        _ = model.withMutableAdapterWeights { w in
            for i in w.indices { w[i] = (random.nextUnitFloat() * 2 - 1) * 0.05 }
        }
    }

    @Test("merged into the weights, the adapters give the logits they give applied", arguments: [false, true])
    func mergedEqualsApplied(viaCheckpoint: Bool) throws {
        let fixture = try TinyFixture()
        defer { fixture.remove() }
        let model = fixture.model
        let tokens = tokenSequences([14], vocabulary: model.config.vocabularySize, seed: 2)[0]
        let base = model.logits(tokens)
        model.attachLoRA(LoRASettings(rank: 4, alpha: 8, targets: LoRATarget.allCases), seed: 1)
        #expect(model.logits(tokens) == base, "fresh adapters (B = 0) leave the model unchanged")
        randomiseAdapters(model, seed: 3)
        let applied = model.logits(tokens)
        #expect(zip(applied, base).map { abs($0 - $1) }.max()! > 1e-2, "the adapters change the logits")
        let merged: [Float]
        if viaCheckpoint {
            let url = fixture.directory.appendingPathComponent("merged.gguf")
            try model.writeCheckpoint(to: url, precision: .f32)
            merged = try TrainableDecoder(file: GGUFFile(url: url)).logits(tokens)
        } else {
            model.mergeLoRA()
            #expect(model.loraSettings == nil)
            merged = model.logits(tokens)
        }
        let worst = zip(applied, merged).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-4, "merged vs applied: \(worst)")
    }

    @Test("adapter gradients equal central differences; the frozen base gets none")
    func adapterGradients() throws {
        let fixture = try TinyFixture(TinyDecoderModel.Config(layers: 2, embedding: 32, heads: 4, kvHeads: 2, feedForward: 64))
        defer { fixture.remove() }
        let model = fixture.model
        model.attachLoRA(LoRASettings(rank: 3, alpha: 6, targets: LoRATarget.allCases), seed: 1)
        randomiseAdapters(model, seed: 4)
        let sequences = tokenSequences([9, 6], vocabulary: model.config.vocabularySize, seed: 5).map { TrainingSequence(tokens: $0) }
        let targets = sequences.reduce(0) { $0 + $1.scoredCount }
        model.zeroGradients()
        model.accumulateGradients(sequences, lossScale: 1 / Float(targets))
        #expect(model.layout.tensors.allSatisfy { t in model.gradient(of: t.name)!.allSatisfy { $0 == 0 } }, "no base gradient")
        let count = model.withMutableAdapterWeights { $0.count }!
        var random = SeededRandom(seed: 6)
        let direction = (0..<count).map { _ in random.nextUnitFloat() * 2 - 1 }
        let gradient = model.withMutableTrainableGradients { Array($0) }
        let analytic = zip(gradient, direction).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let h: Float = 2e-3
        func shifted(_ sign: Float) -> Double {
            _ = model.withMutableAdapterWeights { w in for i in w.indices { w[i] += sign * h * direction[i] } }
            defer { _ = model.withMutableAdapterWeights { w in for i in w.indices { w[i] -= sign * h * direction[i] } } }
            return model.loss(sequences).mean
        }
        let numeric = (shifted(1) - shifted(-1)) / Double(2 * h)
        #expect(abs(analytic - numeric) / max(1e-3, abs(numeric)) < 2e-2, "analytic \(analytic), numeric \(numeric)")
    }

    @Test("LoRA training lowers the loss and leaves the base weights untouched until merged")
    func trainsAdaptersOnly() throws {
        let fixture = try TinyFixture()
        defer { fixture.remove() }
        let model = fixture.model
        let before = model.withMutableWeights { Array($0) }
        model.attachLoRA(LoRASettings(rank: 8, alpha: 16, dropout: 0.1), seed: 2)
        let sequences = tokenSequences([24, 24], vocabulary: model.config.vocabularySize, seed: 8).map { TrainingSequence(tokens: $0) }
        let optimiser = AdamW(model: model, settings: AdamWSettings())
        let initial = model.loss(sequences).mean
        for step in 0..<30 {
            model.zeroGradients()
            model.accumulateGradients(sequences, lossScale: 1 / Float(sequences.reduce(0) { $0 + $1.scoredCount }), dropoutSeed: UInt64(step))
            optimiser.update(model, learningRate: 1e-2)
        }
        let trained = model.loss(sequences).mean
        #expect(trained < initial * 0.8, "loss \(initial) → \(trained)")
        #expect(model.withMutableWeights { Array($0) } == before, "the base is frozen")
        model.mergeLoRA()
        #expect(model.withMutableWeights { Array($0) } != before)
        #expect(abs(model.loss(sequences).mean - trained) < 1e-3 * trained)
    }
}

