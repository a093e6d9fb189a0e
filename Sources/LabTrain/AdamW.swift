import Foundation
import LabTensor

/// Hyperparameters of AdamW (Loshchilov & Hutter 2019: Adam with decoupled weight decay).
public struct AdamWSettings: Sendable, Equatable, Codable {
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    /// Decoupled decay per step, w ← w − lr·decay·w, applied to matrices only: decaying RMSNorm
    /// weights toward zero would shrink activations, the usual exclusion for norm parameters.
    public var weightDecay: Float

    public init(beta1: Float = 0.9, beta2: Float = 0.95, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }
}

/// AdamW's state: first and second moments per parameter and the step count (for bias
/// correction). Works on a model's flat parameter and gradient buffers.
public final class AdamW: @unchecked Sendable {
    public let settings: AdamWSettings
    /// Steps taken so far.
    public private(set) var step = 0
    let firstMoment: FloatBuffer
    let secondMoment: FloatBuffer
    private let decayed: [Range<Int>]
    /// OSFT: each update is projected off the matrices' frozen subspaces.
    public var constraint: OrthogonalSubspaces?

    public init(model: TrainableDecoder, settings: AdamWSettings) {
        self.settings = settings
        firstMoment = FloatBuffer(count: model.trainableWeights.count)
        secondMoment = FloatBuffer(count: model.trainableWeights.count)
        decayed = model.decayedRanges
    }

    /// One update of `model`'s weights from its accumulated gradients at learning rate `lr`:
    /// m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², w ← w − lr·(m̂ / (√v̂ + ε)) − lr·λ·w (matrices).
    public func update(_ model: TrainableDecoder, learningRate lr: Float) {
        precondition(model.trainableWeights.count == firstMoment.count, "optimiser and model do not match")
        let before = constraint?.snapshot(model)
        defer { if let constraint, let before { constraint.constrain(model, since: before) } }
        step += 1
        let (b1, b2, eps) = (settings.beta1, settings.beta2, settings.epsilon)
        let correction1 = 1 - pow(Double(b1), Double(step))
        let correction2 = 1 - pow(Double(b2), Double(step))
        // lr·m̂/(√v̂+ε) = (lr/c1)·m / (√v/√c2 + ε): fold the corrections into two scalars.
        let stepSize = Float(Double(lr) / correction1)
        let rootCorrection2 = Float(correction2.squareRoot())
        let w = model.trainableWeights.pointer, g = model.trainableGradients.pointer
        let m = firstMoment.pointer, v = secondMoment.pointer
        let count = firstMoment.count
        if settings.weightDecay != 0 {
            let keep = 1 - lr * settings.weightDecay
            for range in decayed {
                for i in range { w[i] *= keep }
            }
        }
        // Elementwise over ~10⁸ parameters: split across cores, 16 lanes at a time.
        let (b1v, b2v) = (SIMD16<Float>(repeating: b1), SIMD16<Float>(repeating: b2))
        let (c1v, c2v) = (SIMD16<Float>(repeating: 1 - b1), SIMD16<Float>(repeating: 1 - b2))
        let (stepv, rootv, epsv) = (SIMD16<Float>(repeating: stepSize), SIMD16<Float>(repeating: 1 / rootCorrection2),
                                    SIMD16<Float>(repeating: eps))
        parallelRanges(count: count, threads: ProcessInfo.processInfo.activeProcessorCount, minimumPerThread: 1 << 16) { range in
            var i = range.lowerBound
            while i + 16 <= range.upperBound {
                let gi = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD16<Float>.self)
                let mi = b1v * UnsafeRawPointer(m + i).loadUnaligned(as: SIMD16<Float>.self) + c1v * gi
                let vi = b2v * UnsafeRawPointer(v + i).loadUnaligned(as: SIMD16<Float>.self) + c2v * gi * gi
                UnsafeMutableRawPointer(m + i).storeBytes(of: mi, as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(v + i).storeBytes(of: vi, as: SIMD16<Float>.self)
                let wi = UnsafeRawPointer(w + i).loadUnaligned(as: SIMD16<Float>.self)
                let update = stepv * mi / (vi.squareRoot() * rootv + epsv)
                UnsafeMutableRawPointer(w + i).storeBytes(of: wi - update, as: SIMD16<Float>.self)
                i += 16
            }
            while i < range.upperBound {
                let gi = g[i]
                let mi = b1 * m[i] + (1 - b1) * gi
                let vi = b2 * v[i] + (1 - b2) * gi * gi
                m[i] = mi
                v[i] = vi
                w[i] -= stepSize * mi / (vi.squareRoot() * (1 / rootCorrection2) + eps)
                i += 1
            }
        }
    }

    /// Restores a saved state (resume): the step count and both moment buffers.
    func restore(step: Int, first: UnsafeBufferPointer<Float>, second: UnsafeBufferPointer<Float>) {
        precondition(first.count == firstMoment.count && second.count == secondMoment.count)
        self.step = step
        _ = firstMoment.buffer.update(fromContentsOf: first)
        _ = secondMoment.buffer.update(fromContentsOf: second)
    }
}

/// Linear warm-up to the peak rate, then a cosine decay toward `minimum`, as Hugging Face's
/// cosine schedule counts it: the first step after warm-up runs at the peak and the last one
/// just above the minimum (no step is spent at a rate of zero).
public struct LearningRateSchedule: Sendable, Equatable, Codable {
    public var peak: Float
    public var warmupSteps: Int
    public var totalSteps: Int
    public var minimum: Float

    public init(peak: Float, warmupSteps: Int, totalSteps: Int, minimum: Float = 0) {
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.minimum = minimum
    }

    /// The rate of step `step` (1-based, as the optimiser counts).
    public func rate(at step: Int) -> Float {
        if step <= warmupSteps { return peak * Float(step) / Float(max(1, warmupSteps)) }
        let decaySteps = max(1, totalSteps - warmupSteps)
        let progress = min(1, Double(step - 1 - warmupSteps) / Double(decaySteps))
        return minimum + (peak - minimum) * Float(0.5 * (1 + cos(Double.pi * progress)))
    }
}

/// The L2 norm of every trainable gradient together (the adapters' with LoRA), or of one base
/// tensor's, in Double (30M-element sums lose digits in Float).
public func gradientNorm(_ model: TrainableDecoder, tensor: ParameterTensor? = nil) -> Double {
    let g = tensor == nil ? model.trainableGradients.pointer : model.gradients.pointer
    let range = tensor.map { $0.offset..<($0.offset + $0.count) } ?? 0..<model.trainableGradients.count
    var total = 0.0
    var i = range.lowerBound
    while i < range.upperBound {
        let end = min(range.upperBound, i + 4096)
        var partial: Float = 0
        for j in i..<end { partial += g[j] * g[j] }
        total += Double(partial)
        i = end
    }
    return total.squareRoot()
}

/// Scales the gradients so their global norm is at most `maximum`; returns the norm before.
@discardableResult
public func clipGradients(_ model: TrainableDecoder, maximum: Double) -> Double {
    let norm = gradientNorm(model)
    guard norm.isFinite, norm > maximum, maximum > 0 else { return norm }
    let scale = Float(maximum / norm)
    let g = model.trainableGradients.pointer
    for i in 0..<model.trainableGradients.count { g[i] *= scale }
    return norm
}
