import Foundation
import LabCore

/// How one phase trains (the optimiser and loop settings; which rows is the curriculum's business).
public struct TrainingSettings: Sendable, Codable, Equatable {
    public var epochs: Int
    public var learningRate: Float
    /// Share of the phase's steps spent warming up (linear), before the cosine decay.
    public var warmupFraction: Double
    /// Stop the phase after this many optimiser steps (nil: all epochs).
    public var maxSteps: Int?
    /// Sequences per optimiser step (the effective batch).
    public var batchSize: Int
    /// Tokens packed into one forward/backward pass; a step accumulates gradients over as many
    /// passes as its batch needs, so memory is bounded by this, not by the batch.
    public var microBatchTokens: Int
    /// Global gradient-norm clip.
    public var maxGradientNorm: Double
    public var optimiser: AdamWSettings
    public var seed: UInt64

    public init(epochs: Int = 3, learningRate: Float = 5e-5, warmupFraction: Double = 0.1, maxSteps: Int? = nil, batchSize: Int = 8,
                microBatchTokens: Int = 2048, maxGradientNorm: Double = 1.0, optimiser: AdamWSettings = AdamWSettings(), seed: UInt64 = 42) {
        self.epochs = epochs
        self.learningRate = learningRate
        self.warmupFraction = warmupFraction
        self.maxSteps = maxSteps
        self.batchSize = batchSize
        self.microBatchTokens = microBatchTokens
        self.maxGradientNorm = maxGradientNorm
        self.optimiser = optimiser
        self.seed = seed
    }
}

extension TrainingSettings {
    /// The batches of a phase over `items` rows or pairs, in training order — a seeded shuffle
    /// per epoch, cut at `maxSteps` — and the seed of the phase's dropout masks. Depends only on
    /// the settings, the count and the stream, so a phase resumed at step k continues exactly.
    func stepPlan(items: Int, stream: String) -> (batches: [[Int]], dropoutSeed: UInt64) {
        var streamRandom = SeededRandom(seed: seed, stream: "dropout/\(stream)")
        let dropoutSeed = streamRandom.next()
        var random = SeededRandom(seed: seed, stream: "phase-order/\(stream)")
        var batches: [[Int]] = []
        let size = max(1, batchSize)
        for _ in 0..<max(1, epochs) {
            let order = Array(0..<items).shuffled(using: &random)
            batches += stride(from: 0, to: order.count, by: size).map { Array(order[$0..<min(order.count, $0 + size)]) }
        }
        if let maxSteps { batches = Array(batches.prefix(max(1, maxSteps))) }
        return (batches, dropoutSeed)
    }

    /// Linear warm-up over `warmupFraction` of the steps, then cosine decay.
    func schedule(totalSteps: Int) -> LearningRateSchedule {
        LearningRateSchedule(peak: learningRate, warmupSteps: Int((Double(totalSteps) * warmupFraction).rounded()), totalSteps: totalSteps)
    }
}

/// What one optimiser step did.
public struct StepReport: Sendable {
    public var step: Int
    public var totalSteps: Int
    public var epoch: Int
    public var loss: Double
    public var gradientNorm: Double
    public var learningRate: Float
    /// Tokens through the network this step (scored or not).
    public var tokens: Int
    public var tokensPerSecond: Double
    public var elapsed: Duration
}

/// A phase that could not go on.
public enum TrainingError: Error, Sendable, CustomStringConvertible {
    /// The loss or the gradient stopped being a finite number.
    case nonFinite(step: Int, loss: Double, gradientNorm: Double)
    case noSequences
    /// LAPACK could not decompose a matrix for OSFT.
    case decomposition(tensor: String)

    public var description: String {
        switch self {
        case .nonFinite(let step, let loss, let norm):
            return "step \(step): the loss (\(loss)) or gradient norm (\(norm)) is not finite; the weights of that step were not applied "
                + "(hint: lower --lr, or check the samples for garbage; the last good checkpoint is kept)"
        case .decomposition(let tensor):
            return "the singular value decomposition of \(tensor) failed (hint: the weights may hold NaN or infinity; check the base model)"
        case .noSequences:
            return "nothing to train on: every row was empty or longer than the sequence limit (hint: raise --max-seq-len)"
        }
    }
}

/// Runs the optimiser steps of one phase over a fixed list of sequences: seeded shuffle per
/// epoch, batches of `batchSize` sequences split into packed micro-batches, gradient of the
/// batch's mean loss over scored tokens, clipping, AdamW with warm-up and cosine decay.
///
/// The order of batches depends only on the seed and the sequences, so a phase restarted at
/// step k (after restoring weights and optimiser state saved at step k) continues exactly.
public struct PhaseTrainer {
    public let settings: TrainingSettings
    public let sequences: [TrainingSequence]
    /// Batches of indices into `sequences`, in training order.
    public let batches: [[Int]]
    /// Distinguishes this phase's dropout masks from another phase's.
    private let streamSeed: UInt64

    public init(sequences: [TrainingSequence], settings: TrainingSettings, stream: String) throws(TrainingError) {
        let usable = sequences.filter { $0.scoredCount > 0 }
        guard !usable.isEmpty else { throw TrainingError.noSequences }
        self.settings = settings
        self.sequences = usable
        (batches, streamSeed) = settings.stepPlan(items: usable.count, stream: stream)
    }

    public var totalSteps: Int { batches.count }

    public var schedule: LearningRateSchedule { settings.schedule(totalSteps: totalSteps) }

    /// Trains steps `start + 1 … totalSteps`; `afterStep` sees each report and may save a checkpoint.
    /// Throws before applying a step whose loss or gradient is not finite.
    public func run(model: TrainableDecoder, optimiser: AdamW, startingAfter start: Int = 0,
                    afterStep: (StepReport) throws -> Void) throws {
        let clock = ContinuousClock()
        let began = clock.now
        var tokensSoFar = 0
        let epochLength = max(1, (sequences.count + max(1, settings.batchSize) - 1) / max(1, settings.batchSize))
        for step in (start + 1)...max(start + 1, totalSteps) where step <= totalSteps {
            let batch = batches[step - 1].map { sequences[$0] }
            let scored = batch.reduce(0) { $0 + $1.scoredCount }
            model.zeroGradients()
            var loss = LossSum()
            for (index, micro) in Self.pack(batch, tokens: settings.microBatchTokens).enumerated() {
                let dropoutSeed = streamSeed &+ UInt64(step) &* 1_000_003 &+ UInt64(index)
                loss = loss + model.accumulateGradients(micro, lossScale: 1 / Float(scored), dropoutSeed: dropoutSeed)
            }
            let norm = clipGradients(model, maximum: settings.maxGradientNorm)
            guard loss.mean.isFinite, norm.isFinite else {
                throw TrainingError.nonFinite(step: step, loss: loss.mean, gradientNorm: norm)
            }
            let rate = schedule.rate(at: step)
            optimiser.update(model, learningRate: rate)
            let tokens = batch.reduce(0) { $0 + $1.tokens.count }
            tokensSoFar += tokens
            let elapsed = clock.now - began
            try afterStep(StepReport(
                step: step, totalSteps: totalSteps, epoch: (step - 1) / epochLength + 1, loss: loss.mean, gradientNorm: norm,
                learningRate: rate, tokens: tokens, tokensPerSecond: Double(tokensSoFar) / max(1e-9, elapsed.seconds), elapsed: elapsed
            ))
        }
    }

    /// Groups sequences into micro-batches of at most `tokens` tokens (a longer sequence goes alone).
    static func pack(_ batch: [TrainingSequence], tokens budget: Int) -> [[TrainingSequence]] {
        var groups: [[TrainingSequence]] = [], current: [TrainingSequence] = [], size = 0
        for sequence in batch {
            if !current.isEmpty, size + sequence.tokens.count > budget {
                groups.append(current)
                current = []
                size = 0
            }
            current.append(sequence)
            size += sequence.tokens.count
        }
        if !current.isEmpty { groups.append(current) }
        return groups
    }
}

extension TrainableDecoder {
    /// The loss of many sequences, packed into passes of at most `microBatchTokens` tokens.
    public func loss(of sequences: [TrainingSequence], microBatchTokens: Int = 2048) -> LossSum {
        PhaseTrainer.pack(sequences, tokens: microBatchTokens).reduce(LossSum()) { $0 + loss($1) }
    }
}
