import Foundation
import LabCore
import LabGGUF
import LabTestSupport
import LabTrain
import Testing

@Suite("QLoRA: adapters over a base kept quantized", .serialized)
struct QLoRATests {
    @Test("on the default model (Q4_1 and Q8_0 blocks) loss, adapter gradients and the merged checkpoint equal LoRA over the float base")
    func matchesLoRAOverTheFloatBase() throws {
        let file = try GGUFFile(url: TestPaths.defaultModel())
        let settings = LoRASettings(rank: 4, alpha: 8, targets: LoRATarget.allCases)
        let float = try TrainableDecoder(file: file)
        let quantized = try TrainableDecoder(file: file, quantizedBase: true)
        #expect(quantized.hasQuantizedBase && !float.hasQuantizedBase)
        float.attachLoRA(settings, seed: 5)
        quantized.attachLoRA(settings, seed: 5)
        // B starts at zero; give both the same non-zero adapters so the adapted path counts.
        var random = SeededRandom(seed: 8)
        let adapters = float.withMutableAdapterWeights { buffer in (0..<buffer.count).map { _ in Float(Int(random.next() % 2001) - 1000) / 50_000 } }!
        float.withMutableAdapterWeights { _ = $0.update(fromContentsOf: adapters) }
        quantized.withMutableAdapterWeights { _ = $0.update(fromContentsOf: adapters) }

        let ids = try JSONDecoder().decode([Int32].self, from: Data(contentsOf: try #require(
            Bundle.module.url(forResource: "ppl_text_ids.json", withExtension: nil, subdirectory: "Fixtures"))))
        let sequences = [TrainingSequence(tokens: Array(ids[0..<96])), TrainingSequence(tokens: Array(ids[96..<150]))]
        let scale = 1 / Float(sequences.reduce(0) { $0 + $1.scoredCount })
        float.zeroGradients()
        quantized.zeroGradients()
        let a = float.accumulateGradients(sequences, lossScale: scale)
        let b = quantized.accumulateGradients(sequences, lossScale: scale)
        #expect(abs(a.mean - b.mean) <= 1e-5 * a.mean, "loss \(a.mean) vs \(b.mean)")
        let ga = float.withMutableTrainableGradients { Array($0) }, gb = quantized.withMutableTrainableGradients { Array($0) }
        let largest = ga.map { abs($0) }.max() ?? 1
        let worst = zip(ga, gb).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-4 * largest, "adapter gradients differ by \(worst) (largest \(largest))")

        let directory = try TestPaths.temporaryDirectory("qlora")
        defer { try? FileManager.default.removeItem(at: directory) }
        let fromFloat = directory.appendingPathComponent("lora.gguf"), fromQuantized = directory.appendingPathComponent("qlora.gguf")
        try float.writeCheckpoint(to: fromFloat, precision: .f32)
        try quantized.writeCheckpoint(to: fromQuantized, precision: .f32)
        #expect(try Data(contentsOf: fromFloat) == Data(contentsOf: fromQuantized), "the same merged weights, bit for bit")
        quantized.mergeLoRA()
        #expect(quantized.loraSettings != nil, "a quantized base keeps its adapters")
    }
}

@Suite("Activation checkpointing")
struct ActivationCheckpointingTests {
    @Test("recomputing each block in the backward gives the same loss and gradients, bit for bit", arguments: [false, true])
    func sameGradients(withLoRA: Bool) throws {
        let fixture = try TinyFixture()
        defer { fixture.remove() }
        let model = fixture.model
        if withLoRA { model.attachLoRA(LoRASettings(rank: 4, alpha: 8, dropout: 0.2, targets: LoRATarget.allCases), seed: 3) }
        let sequences = tokenSequences([11, 7, 16], vocabulary: model.config.vocabularySize, seed: 6).map { TrainingSequence(tokens: $0) }
        func gradients() -> (LossSum, [Float]) {
            model.zeroGradients()
            let loss = model.accumulateGradients(sequences, lossScale: 0.05, dropoutSeed: 9)
            return (loss, model.withMutableTrainableGradients { Array($0) })
        }
        let (plainLoss, plain) = gradients()
        model.checkpointsActivations = true
        let (checkpointedLoss, checkpointed) = gradients()
        #expect(plainLoss == checkpointedLoss)
        #expect(plain.count == checkpointed.count && zip(plain, checkpointed).allSatisfy { $0.bitPattern == $1.bitPattern })
        #expect(plain.contains { $0 != 0 })
    }
}
