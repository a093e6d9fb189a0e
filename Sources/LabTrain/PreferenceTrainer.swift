import Foundation
public import LabCore

/// A prompt with a preferred and a dispreferred completion, as token ids.
public struct PreferencePair: Sendable, Equatable {
    public var prompt: [Int32]
    public var chosen: [Int32]
    public var rejected: [Int32]

    public init(prompt: [Int32], chosen: [Int32], rejected: [Int32]) {
        self.prompt = prompt
        self.chosen = chosen
        self.rejected = rejected
    }

    /// The prompt followed by the chosen (or rejected) completion, scored on the completion only.
    public var chosenSequence: TrainingSequence { Self.sequence(prompt, chosen) }
    public var rejectedSequence: TrainingSequence { Self.sequence(prompt, rejected) }

    static func sequence(_ prompt: [Int32], _ completion: [Int32]) -> TrainingSequence {
        TrainingSequence(tokens: prompt + completion, scored: prompt.map { _ in false } + completion.map { _ in true })
    }

    public var tokenCount: Int { 2 * prompt.count + chosen.count + rejected.count }
}

/// Log-likelihoods of a pair's completions (Σ log p over the completion's tokens).
public struct PairLogProbabilities: Sendable, Equatable, Codable {
    public var chosen: Double
    public var rejected: Double

    public init(chosen: Double, rejected: Double) {
        self.chosen = chosen
        self.rejected = rejected
    }
}

/// Direct preference optimisation (Rafailov et al., 2023) with the sigmoid loss, as TRL's
/// `DPOTrainer` computes it by default (`loss_type="sigmoid"`, no label smoothing): with
/// log-probabilities summed over each completion's tokens,
/// z = β·((log π(chosen) − log π_ref(chosen)) − (log π(rejected) − log π_ref(rejected))),
/// loss = −log σ(z), averaged over the pairs of a step.
public enum DPOLoss {
    /// The loss of one pair and its derivatives with respect to the two completions' summed nll
    /// (nll = −log π).
    public static func pair(policy: PairLogProbabilities, reference: PairLogProbabilities, beta: Double)
        -> (loss: Double, dChosenNLL: Double, dRejectedNLL: Double, margin: Double) {
        let z = beta * ((policy.chosen - reference.chosen) - (policy.rejected - reference.rejected))
        // −log σ(z) = softplus(−z), computed without overflow either way.
        let loss = z > 0 ? log1p(exp(-z)) : -z + log1p(exp(z))
        let sigmoidOfMinusZ = z > 0 ? exp(-z) / (1 + exp(-z)) : 1 / (1 + exp(z))
        // ∂loss/∂z = −σ(−z); ∂z/∂nll_chosen = −β; ∂z/∂nll_rejected = +β.
        return (loss, beta * sigmoidOfMinusZ, -beta * sigmoidOfMinusZ, z)
    }
}

/// Settings of a DPO phase.
public struct DPOSettings: Sendable, Codable, Equatable {
    public var beta: Double

    public init(beta: Double = 0.1) {
        self.beta = beta
    }
}

/// Runs the optimiser steps of a DPO phase: batches of pairs in a seeded order per epoch, each
/// step's gradient that of the batch's mean DPO loss against reference log-probabilities of the
/// frozen model the phase started from, clipping, AdamW with warm-up and cosine decay. Like
/// `PhaseTrainer`, the order depends only on the seed, so a phase resumed at step k continues exactly.
public struct PreferenceTrainer {
    public let settings: TrainingSettings
    public let dpo: DPOSettings
    public let pairs: [PreferencePair]
    public let batches: [[Int]]
    private let streamSeed: UInt64

    public init(pairs: [PreferencePair], settings: TrainingSettings, dpo: DPOSettings, stream: String) throws(TrainingError) {
        let usable = pairs.filter { !$0.chosen.isEmpty && !$0.rejected.isEmpty && !$0.prompt.isEmpty }
        guard !usable.isEmpty else { throw TrainingError.noSequences }
        self.settings = settings
        self.dpo = dpo
        self.pairs = usable
        (batches, streamSeed) = settings.stepPlan(items: usable.count, stream: stream)
    }

    public var totalSteps: Int { batches.count }

    public var schedule: LearningRateSchedule { settings.schedule(totalSteps: totalSteps) }

    /// Every pair's log-probabilities under `model`'s current weights (the reference, before the
    /// phase's first step).
    public func logProbabilities(_ model: TrainableDecoder) -> [PairLogProbabilities] {
        var result: [PairLogProbabilities] = []
        for group in Self.pack(Array(pairs.indices), pairs: pairs, tokens: settings.microBatchTokens) {
            let losses = model.sequenceLosses(group.flatMap { [pairs[$0].chosenSequence, pairs[$0].rejectedSequence] })
            for k in group.indices {
                result.append(PairLogProbabilities(chosen: -losses[2 * k].nll, rejected: -losses[2 * k + 1].nll))
            }
        }
        return result
    }

    /// Trains steps `start + 1 … totalSteps` against `reference` (one entry per pair, from
    /// `logProbabilities` of the starting weights). The report's loss is the batch's mean DPO loss.
    public func run(model: TrainableDecoder, optimiser: AdamW, reference: [PairLogProbabilities], startingAfter start: Int = 0,
                    afterStep: (StepReport) throws -> Void) throws {
        precondition(reference.count == pairs.count, "one reference entry per pair")
        let clock = ContinuousClock()
        let began = clock.now
        var tokensSoFar = 0
        let epochLength = max(1, (pairs.count + max(1, settings.batchSize) - 1) / max(1, settings.batchSize))
        for step in (start + 1)...max(start + 1, totalSteps) where step <= totalSteps {
            let batch = batches[step - 1]
            let scale = 1 / Double(batch.count)
            model.zeroGradients()
            var lossSum = 0.0
            for (index, group) in Self.pack(batch, pairs: pairs, tokens: settings.microBatchTokens).enumerated() {
                let dropoutSeed = streamSeed &+ UInt64(step) &* 1_000_003 &+ UInt64(index)
                let sequences = group.flatMap { [pairs[$0].chosenSequence, pairs[$0].rejectedSequence] }
                model.accumulateGradients(sequences, dropoutSeed: dropoutSeed) { losses in
                    var weights: [Float] = []
                    for (k, pair) in group.enumerated() {
                        let policy = PairLogProbabilities(chosen: -losses[2 * k].nll, rejected: -losses[2 * k + 1].nll)
                        let result = DPOLoss.pair(policy: policy, reference: reference[pair], beta: dpo.beta)
                        lossSum += result.loss
                        weights += [Float(result.dChosenNLL * scale), Float(result.dRejectedNLL * scale)]
                    }
                    return weights
                }
            }
            let loss = lossSum * scale
            let norm = clipGradients(model, maximum: settings.maxGradientNorm)
            guard loss.isFinite, norm.isFinite else { throw TrainingError.nonFinite(step: step, loss: loss, gradientNorm: norm) }
            let rate = schedule.rate(at: step)
            optimiser.update(model, learningRate: rate)
            let tokens = batch.reduce(0) { $0 + pairs[$1].tokenCount }
            tokensSoFar += tokens
            let elapsed = clock.now - began
            try afterStep(StepReport(
                step: step, totalSteps: totalSteps, epoch: (step - 1) / epochLength + 1, loss: loss, gradientNorm: norm,
                learningRate: rate, tokens: tokens, tokensPerSecond: Double(tokensSoFar) / max(1e-9, elapsed.seconds), elapsed: elapsed))
        }
    }

    /// Groups pair indices into passes of at most `tokens` tokens, a pair's two sequences always together.
    static func pack(_ indices: [Int], pairs: [PreferencePair], tokens budget: Int) -> [[Int]] {
        var groups: [[Int]] = [], current: [Int] = [], size = 0
        for index in indices {
            let length = pairs[index].tokenCount
            if !current.isEmpty, size + length > budget {
                groups.append(current)
                current = []
                size = 0
            }
            current.append(index)
            size += length
        }
        if !current.isEmpty { groups.append(current) }
        return groups
    }
}
