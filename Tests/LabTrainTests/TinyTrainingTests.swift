import Foundation
import LabCore
import LabGGUF
import LabLLM
import LabTestSupport
import LabTrain
import Testing

/// A tiny random model, loaded for training, with its file kept for the engine.
struct TinyFixture {
    let directory: URL
    let url: URL
    let model: TrainableDecoder

    init(_ config: TinyDecoderModel.Config = TinyDecoderModel.Config(), seed: UInt64 = 7) throws {
        directory = try TestPaths.temporaryDirectory("train")
        url = directory.appendingPathComponent("tiny.gguf")
        try TinyDecoderModel.write(to: url, config: config, seed: seed)
        model = try TrainableDecoder(file: GGUFFile(url: url))
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// Deterministic token sequences for a vocabulary of `size`.
func tokenSequences(_ lengths: [Int], vocabulary size: Int, seed: UInt64) -> [[Int32]] {
    var random = SeededRandom(seed: seed)
    return lengths.map { n in (0..<n).map { _ in Int32(random.next() % UInt64(size)) } }
}

@Suite("Training on a tiny model")
struct TinyTrainingTests {
    @Test("the training forward pass gives the engine's logits", arguments: [false, true])
    func forwardMatchesEngine(tied: Bool) throws {
        let fixture = try TinyFixture(TinyDecoderModel.Config(tiedOutput: tied))
        defer { fixture.remove() }
        let engine = try DecoderModel(file: GGUFFile(url: fixture.url), threads: 1, quantizesActivations: false)
        let tokens = tokenSequences([19], vocabulary: engine.vocabularySize, seed: 3)[0]
        let state = try engine.makeSequenceState(capacity: 64)
        let expected = try engine.forwardAllPositions(tokens: tokens, state: state)
        let actual = fixture.model.logits(tokens)
        #expect(actual.count == expected.count)
        let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-4, "largest logit difference \(worst)")
    }

    @Test("packed sequences score exactly as when run one by one")
    func packingIsolatesSequences() throws {
        let fixture = try TinyFixture()
        defer { fixture.remove() }
        let model = fixture.model
        let sequences = tokenSequences([5, 12, 1, 9], vocabulary: model.config.vocabularySize, seed: 4).map { TrainingSequence(tokens: $0) }
        let packed = model.loss(sequences)
        let separate = sequences.map { model.loss([$0]) }.reduce(LossSum(), +)
        #expect(packed.count == 5 - 1 + 12 - 1 + 0 + 9 - 1)
        #expect(abs(packed.nll - separate.nll) < 1e-3 * separate.nll)
    }

    @Test("every tensor's gradient equals a central difference of the loss along a random direction", arguments: [false, true])
    func gradientsMatchFiniteDifferences(tied: Bool) throws {
        let fixture = try TinyFixture(TinyDecoderModel.Config(layers: 2, embedding: 32, heads: 4, kvHeads: 2, feedForward: 64, tiedOutput: tied))
        defer { fixture.remove() }
        let model = fixture.model
        var sequences = tokenSequences([7, 11], vocabulary: model.config.vocabularySize, seed: 5).map { TrainingSequence(tokens: $0) }
        sequences[1].scored = sequences[1].scored.enumerated().map { $0.offset >= 6 }  // a masked prompt
        let targets = sequences.reduce(0) { $0 + $1.scoredCount }
        model.zeroGradients()
        let base = model.accumulateGradients(sequences, lossScale: 1 / Float(targets))
        #expect(base.count == targets)
        expectGradientsMatchFiniteDifferences(model, sequences, label: tied ? "tied" : "untied")
    }

    @Test("one optimiser step equals AdamW written out in Double")
    func adamStepMatchesNaive() throws {
        let fixture = try TinyFixture()
        defer { fixture.remove() }
        let model = fixture.model
        let sequences = tokenSequences([16, 9], vocabulary: model.config.vocabularySize, seed: 6).map { TrainingSequence(tokens: $0) }
        let settings = AdamWSettings(beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1)
        let optimiser = AdamW(model: model, settings: settings)
        var moments: (m: [Double], v: [Double]) = ([], [])
        for step in 1...2 {
            model.zeroGradients()
            model.accumulateGradients(sequences, lossScale: 1 / Float(sequences.reduce(0) { $0 + $1.scoredCount }))
            let w = model.withMutableWeights { Array($0) }, g = model.withMutableGradients { Array($0) }
            let expected = naiveAdamW(weights: w, gradients: g, layout: model.layout, settings: settings, lr: 1e-3, step: step,
                                      moments: &moments)
            optimiser.update(model, learningRate: 1e-3)
            let actual = model.withMutableWeights { Array($0) }
            let worst = zip(actual, expected).map { abs(Double($0) - $1) / (1e-3 + abs($1)) }.max() ?? .infinity
            #expect(worst < 1e-4, "step \(step): worst relative difference \(worst)")
        }
        #expect(optimiser.step == 2)
    }

    @Test("training memorises a short text: the loss falls by more than half in 30 steps")
    func memorisation() throws {
        let fixture = try TinyFixture()
        defer { fixture.remove() }
        let model = fixture.model
        let sequences = tokenSequences([24, 24], vocabulary: model.config.vocabularySize, seed: 8).map { TrainingSequence(tokens: $0) }
        let optimiser = AdamW(model: model, settings: AdamWSettings())
        let before = model.loss(sequences).mean
        for _ in 0..<30 {
            model.zeroGradients()
            model.accumulateGradients(sequences, lossScale: 1 / Float(sequences.reduce(0) { $0 + $1.scoredCount }))
            clipGradients(model, maximum: 1)
            optimiser.update(model, learningRate: 1e-2)
        }
        let after = model.loss(sequences).mean
        #expect(after < before / 2, "loss \(before) → \(after)")
    }

    @Test("a checkpoint reloads with identical logits in the trainer and the engine", arguments: CheckpointPrecision.allCases)
    func checkpointRoundTrip(precision: CheckpointPrecision) throws {
        let fixture = try TinyFixture()
        defer { fixture.remove() }
        let model = fixture.model
        let sequences = tokenSequences([10], vocabulary: model.config.vocabularySize, seed: 10).map { TrainingSequence(tokens: $0) }
        let optimiser = AdamW(model: model, settings: AdamWSettings())
        model.accumulateGradients(sequences, lossScale: 0.1)
        optimiser.update(model, learningRate: 1e-2)
        let url = fixture.directory.appendingPathComponent("step1-\(precision).gguf")
        try model.writeCheckpoint(to: url, precision: precision)
        let file = try GGUFFile(url: url)
        #expect(file.string("tokenizer.chat_template") != nil, "the base model's metadata is carried over")
        let reloaded = try TrainableDecoder(file: file)
        let tokens = sequences[0].tokens
        let original = model.logits(tokens), again = reloaded.logits(tokens)
        if precision == .f32 {
            #expect(original == again, "an F32 checkpoint is exact")
        } else {
            let worst = zip(original, again).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst < (precision == .f16 ? 0.02 : 0.2), "\(precision): worst logit difference \(worst)")
        }
        let engine = try DecoderModel(file: file, threads: 1, quantizesActivations: false)
        let engineLogits = try engine.forwardAllPositions(tokens: tokens, state: engine.makeSequenceState(capacity: 32))
        let worstEngine = zip(again, engineLogits).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worstEngine < 1e-4, "engine vs trainer on the checkpoint: \(worstEngine)")
    }

    @Test("the learning-rate schedule warms up linearly, starts the decay at the peak and never spends a step at zero")
    func schedule() {
        let schedule = LearningRateSchedule(peak: 1e-3, warmupSteps: 10, totalSteps: 110, minimum: 1e-5)
        #expect(abs(schedule.rate(at: 1) - 1e-4) < 1e-9)
        #expect(abs(schedule.rate(at: 10) - 1e-3) < 1e-9)
        #expect(abs(schedule.rate(at: 11) - 1e-3) < 1e-9, "the first decay step runs at the peak")
        #expect(abs(schedule.rate(at: 61) - (1e-5 + (1e-3 - 1e-5) / 2)) < 1e-8, "half-way down at the middle")
        #expect(schedule.rate(at: 110) > 1e-5 && schedule.rate(at: 110) < 2e-5, "the last step is just above the minimum")
        #expect(abs(schedule.rate(at: 200) - 1e-5) < 1e-9)
        let short = LearningRateSchedule(peak: 1e-3, warmupSteps: 0, totalSteps: 2)
        #expect(short.rate(at: 1) == 1e-3 && short.rate(at: 2) > 0)
    }
}

/// AdamW as the paper writes it, in Double, carrying its moments in `moments`.
private func naiveAdamW(
    weights: [Float], gradients: [Float], layout: ParameterLayout, settings: AdamWSettings, lr: Double, step: Int,
    moments: inout (m: [Double], v: [Double])
) -> [Double] {
    if moments.m.count != weights.count { moments = ([Double](repeating: 0, count: weights.count), [Double](repeating: 0, count: weights.count)) }
    var decays = [Bool](repeating: false, count: weights.count)
    for tensor in layout.tensors where tensor.isMatrix { for i in tensor.offset..<(tensor.offset + tensor.count) { decays[i] = true } }
    let (b1, b2, eps) = (Double(settings.beta1), Double(settings.beta2), Double(settings.epsilon))
    var out = [Double](repeating: 0, count: weights.count)
    for i in weights.indices {
        let g = Double(gradients[i])
        moments.m[i] = b1 * moments.m[i] + (1 - b1) * g
        moments.v[i] = b2 * moments.v[i] + (1 - b2) * g * g
        let mHat = moments.m[i] / (1 - pow(b1, Double(step)))
        let vHat = moments.v[i] / (1 - pow(b2, Double(step)))
        var w = Double(weights[i])
        if decays[i] { w -= lr * Double(settings.weightDecay) * w }
        out[i] = w - lr * mHat / (vHat.squareRoot() + eps)
    }
    return out
}

@Suite("Models the trainer refuses")
struct UnsupportedModelTests {
    @Test("a non-llama architecture, or a tensor of the wrong shape, is refused naming the field")
    func refusesWhatItCannotTrain() throws {
        let directory = try TestPaths.temporaryDirectory("train-refuse")
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("tiny.gguf")
        try TinyDecoderModel.write(to: good, seed: 1)
        let file = try GGUFFile(url: good)

        func rewritten(_ name: String, _ change: (inout GGUFWriter, GGUFFile) -> Void) throws -> URL {
            var writer = GGUFWriter()
            for (key, value) in file.metadata { writer.set(key, value) }
            change(&writer, file)
            let url = directory.appendingPathComponent(name)
            try writer.write(to: url)
            return url
        }
        let falcon = try rewritten("falcon.gguf") { writer, file in
            writer.set("general.architecture", .string("falcon"))
            for info in file.tensors { writer.addTensor(info.name, dimensions: info.dimensions, type: .f32, values: file.floats(of: info)) }
        }
        #expect {
            try TrainableDecoder(file: GGUFFile(url: falcon))
        } throws: { error in
            "\(error)".contains("general.architecture") && "\(error)".contains("supported architectures")
        }
        let misshapen = try rewritten("misshapen.gguf") { writer, file in
            for info in file.tensors where info.name != "blk.0.ffn_up.weight" {
                writer.addTensor(info.name, dimensions: info.dimensions, type: .f32, values: file.floats(of: info))
            }
            let up = file.tensorInfo(named: "blk.0.ffn_up.weight")!
            writer.addTensor(up.name, dimensions: [up.dimensions[0], up.dimensions[1] / 2], type: .f32,
                             values: Array(file.floats(of: up).prefix(up.elementCount / 2)))
        }
        #expect {
            try TrainableDecoder(file: GGUFFile(url: misshapen))
        } throws: { error in
            "\(error)".contains("blk.0.ffn_up.weight") && "\(error)".contains("expected")
        }
    }
}
