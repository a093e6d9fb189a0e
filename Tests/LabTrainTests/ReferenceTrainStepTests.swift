import Foundation
import LabGGUF
import LabTestSupport
import LabTrain
import Testing

/// PyTorch's loss, gradient norms and post-step loss on the default model
/// (`Fixtures/train_step.json`, copied from shared/reference/smollm2).
private struct TrainStepReference: Decodable {
    struct Masked: Decodable {
        var loss_targets_127_to_254: Double
        var grad_l2_norm_total: Double
        var grad_attn_q_blk0: Double
        var grad_token_embd: Double
    }

    struct AfterStep: Decodable {
        var lr: Float
        var betas: [Float]
        var eps: Float
        var weight_decay: Float
        var loss_all_targets: Double
    }

    var loss_all_targets: Double
    var grad_l2_norm_per_tensor: [String: Double]
    var grad_l2_norm_total: Double
    var masked: Masked
    var after_one_adamw_step: AfterStep
}

@Suite("One training step on the default model equals PyTorch's", .serialized)
struct ReferenceTrainStepTests {
    @Test("loss, every tensor's gradient norm, the masked loss, and the loss after one AdamW step")
    func matchesPyTorch() throws {
        let reference = try referenceFixture("train_step.json", as: TrainStepReference.self)
        let ids = try referenceFixture("ppl_text_ids.json", as: [Int32].self)
        let model = try TrainableDecoder(file: GGUFFile(url: TestPaths.defaultModel()))
        let tokens = Array(ids[0..<256])

        // All 255 targets.
        let all = TrainingSequence(tokens: tokens)
        model.zeroGradients()
        let loss = model.accumulateGradients([all], lossScale: 1 / Float(all.scoredCount))
        #expect(loss.count == 255)
        expectRelative(loss.mean, reference.loss_all_targets, "loss over all targets", peer: "PyTorch")
        expectRelative(gradientNorm(model), reference.grad_l2_norm_total, "total gradient norm", peer: "PyTorch")
        #expect(reference.grad_l2_norm_per_tensor.count == model.layout.tensors.count)
        var worst = (name: "", error: 0.0)
        for tensor in model.layout.tensors {
            guard let expected = reference.grad_l2_norm_per_tensor[tensor.name] else {
                Issue.record("no PyTorch gradient norm for \(tensor.name)")
                continue
            }
            let error = abs(gradientNorm(model, tensor: tensor) - expected) / expected
            if error > worst.error { worst = (tensor.name, error) }
            #expect(error <= 1e-3, "\(tensor.name): gradient norm \(gradientNorm(model, tensor: tensor)), PyTorch \(expected)")
        }
        print("loss \(loss.mean) (PyTorch \(reference.loss_all_targets)), total gradient norm \(gradientNorm(model)) "
              + "(PyTorch \(reference.grad_l2_norm_total)); largest relative gradient-norm difference: \(worst.name) \(worst.error)")

        // One AdamW step from these gradients, then the loss again.
        let step = reference.after_one_adamw_step
        let optimiser = AdamW(model: model, settings: AdamWSettings(
            beta1: step.betas[0], beta2: step.betas[1], epsilon: step.eps, weightDecay: step.weight_decay))
        optimiser.update(model, learningRate: step.lr)
        let after = model.loss([all]).mean
        print("loss after one AdamW step \(after) (PyTorch \(step.loss_all_targets))")
        expectRelative(after, step.loss_all_targets, "loss after one AdamW step", peer: "PyTorch")
    }

    @Test("with the loss only on targets 127…254")
    func maskedMatchesPyTorch() throws {
        let reference = try referenceFixture("train_step.json", as: TrainStepReference.self)
        let ids = try referenceFixture("ppl_text_ids.json", as: [Int32].self)
        let model = try TrainableDecoder(file: GGUFFile(url: TestPaths.defaultModel()))
        // Target i predicts token i+1, so targets 127…254 are tokens 128…255.
        let masked = TrainingSequence(tokens: Array(ids[0..<256]), scored: (0..<256).map { $0 >= 128 })
        #expect(masked.scoredCount == 128)
        model.zeroGradients()
        let loss = model.accumulateGradients([masked], lossScale: 1 / Float(masked.scoredCount))
        expectRelative(loss.mean, reference.masked.loss_targets_127_to_254, "masked loss", peer: "PyTorch")
        expectRelative(gradientNorm(model), reference.masked.grad_l2_norm_total, "masked total gradient norm", peer: "PyTorch")
        expectRelative(gradientNorm(model, tensor: model.layout.tensor(named: "blk.0.attn_q.weight")!),
                       reference.masked.grad_attn_q_blk0, "masked blk.0.attn_q gradient norm", peer: "PyTorch")
        expectRelative(gradientNorm(model, tensor: model.layout.tensor(named: "token_embd.weight")!),
                       reference.masked.grad_token_embd, "masked token_embd gradient norm", peer: "PyTorch")
    }
}
