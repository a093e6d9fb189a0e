import Foundation
import LabCore
import LabGGUF
import LabTestSupport
import LabTrain
import Testing

@Suite("DPO: the loss, per-sequence weighted gradients, and the trainer")
struct PreferenceTests {
    @Test("the pair loss is softplus(−z) and its derivatives match central differences")
    func lossAndDerivatives() {
        let reference = PairLogProbabilities(chosen: -20, rejected: -25)
        for (chosen, rejected) in [(-20.0, -25.0), (-18.0, -30.0), (-40.0, -10.0), (-1e4, -1.0)] {
            let policy = PairLogProbabilities(chosen: chosen, rejected: rejected)
            let result = DPOLoss.pair(policy: policy, reference: reference, beta: 0.1)
            let z = 0.1 * ((chosen + 20) - (rejected + 25))
            #expect(abs(result.loss - log(1 + exp(-z))) < 1e-9 || (z < -30 && abs(result.loss + z) < 1e-6), "z \(z)")
            #expect(result.loss.isFinite && result.dChosenNLL.isFinite)
            let h = 1e-4
            // nll = −log π, so raising a completion's nll by h lowers its log-probability by h.
            let plus = DPOLoss.pair(policy: PairLogProbabilities(chosen: chosen - h, rejected: rejected), reference: reference, beta: 0.1).loss
            let minus = DPOLoss.pair(policy: PairLogProbabilities(chosen: chosen + h, rejected: rejected), reference: reference, beta: 0.1).loss
            #expect(abs((plus - minus) / (2 * h) - result.dChosenNLL) < 1e-6)
            let plusR = DPOLoss.pair(policy: PairLogProbabilities(chosen: chosen, rejected: rejected - h), reference: reference, beta: 0.1).loss
            let minusR = DPOLoss.pair(policy: PairLogProbabilities(chosen: chosen, rejected: rejected + h), reference: reference, beta: 0.1).loss
            #expect(abs((plusR - minusR) / (2 * h) - result.dRejectedNLL) < 1e-6)
        }
        let equal = DPOLoss.pair(policy: reference, reference: reference, beta: 0.1)
        #expect(abs(equal.loss - log(2)) < 1e-12, "the policy equal to its reference costs ln 2")
    }

    @Test("weighted gradients of one pass equal the sum of uniformly scaled passes, and per-sequence losses the packed loss")
    func weightedGradientsMatchTheirNaiveTwin() throws {
        let fixture = try TinyFixture()
        defer { fixture.remove() }
        let model = fixture.model
        let tokens = tokenSequences([9, 14, 6], vocabulary: model.config.vocabularySize, seed: 11)
        let sequences = tokens.map { TrainingSequence(tokens: $0, scored: $0.indices.map { $0 >= 3 }) }
        let weights: [Float] = [0.7, -0.4, 0.25]

        let losses = model.sequenceLosses(sequences)
        for (loss, sequence) in zip(losses, sequences) {
            let alone = model.loss([sequence])
            #expect(loss.count == alone.count && abs(loss.nll - alone.nll) < 1e-4 * max(1, alone.nll))
        }

        model.zeroGradients()
        var seen: [LossSum] = []
        model.accumulateGradients(sequences) { losses in
            seen = losses
            return weights
        }
        #expect(seen == losses)
        let fused = model.withMutableGradients { Array($0) }

        model.zeroGradients()
        for (sequence, weight) in zip(sequences, weights) { model.accumulateGradients([sequence], lossScale: weight) }
        let naive = model.withMutableGradients { Array($0) }
        let scale = naive.map { abs($0) }.max() ?? 1
        let worst = zip(fused, naive).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5 * scale, "largest difference \(worst) of gradients up to \(scale)")
    }

    @Test("a DPO step raises the chosen answers' margin over the rejected ones, from exactly ln 2")
    func trainerLearnsPreferences() throws {
        let fixture = try TinyFixture()
        defer { fixture.remove() }
        let model = fixture.model
        let ids = tokenSequences([6, 4, 5, 6, 3, 4], vocabulary: model.config.vocabularySize, seed: 5)
        let pairs = [PreferencePair(prompt: ids[0], chosen: ids[1], rejected: ids[2]), PreferencePair(prompt: ids[3], chosen: ids[4], rejected: ids[5])]
        let trainer = try PreferenceTrainer(pairs: pairs, settings: TrainingSettings(epochs: 8, learningRate: 5e-3, warmupFraction: 0, batchSize: 2),
                                            dpo: DPOSettings(beta: 0.5), stream: "dpo")
        let reference = trainer.logProbabilities(model)
        var losses: [Double] = []
        try trainer.run(model: model, optimiser: AdamW(model: model, settings: AdamWSettings()), reference: reference) { losses.append($0.loss) }
        #expect(abs(losses[0] - log(2)) < 1e-6)
        #expect(losses.last! < losses[0] - 0.05, "losses \(losses)")
        let after = trainer.logProbabilities(model)
        for (a, r) in zip(after, reference) { #expect((a.chosen - r.chosen) - (a.rejected - r.rejected) > 0) }
    }
}
