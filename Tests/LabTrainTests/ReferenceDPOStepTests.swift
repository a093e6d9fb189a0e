import Foundation
import LabGGUF
import LabTestSupport
import LabTrain
import Testing

/// TRL's DPOTrainer (sigmoid loss, β 0.1, frozen reference = the starting model) on the default
/// model dequantized to float32, for two preference pairs given as token ids
/// (`Fixtures/dpo_step.json`, written by `scripts/reference/dpo_reference.py`).
private struct DPOReference: Decodable {
    struct Pair: Decodable {
        var prompt_ids: [Int32]
        var chosen_ids: [Int32]
        var rejected_ids: [Int32]
    }

    struct Step0: Decodable {
        var policy_chosen_logps: [Double]
        var policy_rejected_logps: [Double]
        var loss: Double
        var grad_l2_norm_per_tensor: [String: Double]
        var grad_l2_norm_total: Double
    }

    struct AfterStep: Decodable {
        var lr: Float
        var betas: [Float]
        var eps: Float
        var weight_decay: Float
        var policy_chosen_logps: [Double]
        var policy_rejected_logps: [Double]
        var loss: Double
    }

    var trl_version: String
    var beta: Double
    var pairs: [Pair]
    var step0: Step0
    var after_one_adamw_step: AfterStep
}

@Suite("One DPO step on the default model equals TRL's", .serialized)
struct ReferenceDPOStepTests {
    @Test("log-probabilities, ln 2 at the start, every tensor's gradient norm, and the loss after one AdamW step")
    func matchesTRL() throws {
        let reference = try referenceFixture("dpo_step.json", as: DPOReference.self)
        let model = try TrainableDecoder(file: GGUFFile(url: TestPaths.defaultModel()))
        let pairs = reference.pairs.map { PreferencePair(prompt: $0.prompt_ids, chosen: $0.chosen_ids, rejected: $0.rejected_ids) }
        // One step of both pairs, no warm-up (the rate at step 1 is the peak), no clipping: TRL's numbers are a bare AdamW step.
        let step = reference.after_one_adamw_step
        let trainer = try PreferenceTrainer(
            pairs: pairs,
            settings: TrainingSettings(epochs: 1, learningRate: step.lr, warmupFraction: 0, batchSize: 2, microBatchTokens: 4096,
                                       maxGradientNorm: .infinity,
                                       optimiser: AdamWSettings(beta1: step.betas[0], beta2: step.betas[1], epsilon: step.eps, weightDecay: step.weight_decay)),
            dpo: DPOSettings(beta: reference.beta), stream: "dpo")
        #expect(trainer.totalSteps == 1 && trainer.schedule.rate(at: 1) == step.lr)

        let start = trainer.logProbabilities(model)
        for (k, pair) in start.enumerated() {
            expectRelative(pair.chosen, reference.step0.policy_chosen_logps[k], "pair \(k + 1) chosen log-probability", peer: "TRL")
            expectRelative(pair.rejected, reference.step0.policy_rejected_logps[k], "pair \(k + 1) rejected log-probability", peer: "TRL")
        }

        var reports: [StepReport] = []
        try trainer.run(model: model, optimiser: AdamW(model: model, settings: trainer.settings.optimiser), reference: start) { report in
            reports.append(report)
            // Checked before the weights move on: the gradient of the step's mean loss.
            expectRelative(report.gradientNorm, reference.step0.grad_l2_norm_total, "total gradient norm", peer: "TRL")
        }
        // At step 0 the policy is the reference, so both losses are ln 2 up to float32 rounding of
        // two passes that pack the pairs differently; OpenBLAS's thread count (process-wide, set by
        // whichever model loaded last, fewer under load) changes that rounding by up to ~2e-6.
        #expect(abs(reports[0].loss - reference.step0.loss) < 5e-6, "step-0 loss \(reports[0].loss), TRL \(reference.step0.loss)")
        var worst = (name: "", error: 0.0)
        #expect(reference.step0.grad_l2_norm_per_tensor.count == model.layout.tensors.count)
        for tensor in model.layout.tensors {
            guard let expected = reference.step0.grad_l2_norm_per_tensor[tensor.name] else {
                Issue.record("no TRL gradient norm for \(tensor.name)")
                continue
            }
            let error = abs(gradientNorm(model, tensor: tensor) - expected) / expected
            if error > worst.error { worst = (tensor.name, error) }
            #expect(error <= 1e-3, "\(tensor.name): gradient norm \(gradientNorm(model, tensor: tensor)), TRL \(expected)")
        }

        let after = trainer.logProbabilities(model)
        var loss = 0.0
        for (k, pair) in after.enumerated() {
            expectRelative(pair.chosen, step.policy_chosen_logps[k], "pair \(k + 1) chosen log-probability after the step", peer: "TRL")
            expectRelative(pair.rejected, step.policy_rejected_logps[k], "pair \(k + 1) rejected log-probability after the step", peer: "TRL")
            loss += DPOLoss.pair(policy: pair, reference: start[k], beta: reference.beta).loss / Double(after.count)
        }
        expectRelative(loss, step.loss, "loss after one AdamW step", peer: "TRL")
        print("DPO vs TRL \(reference.trl_version): total gradient norm \(reports[0].gradientNorm) (TRL \(reference.step0.grad_l2_norm_total)); "
              + "largest relative gradient-norm difference \(worst.name) \(worst.error); loss after the step \(loss) (TRL \(step.loss))")
    }
}
