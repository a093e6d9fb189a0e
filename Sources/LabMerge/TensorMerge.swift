import Foundation
import LabCore

/// One tensor's merge: the models' values (float32, one array per model, in config order) and
/// the base's, with each model's `weight` and `density` for this tensor. Arithmetic follows
/// mergekit's operation order in float32, so deterministic methods give its numbers.
struct TensorMerge {
    var method: MergeMethod
    /// The base's values (nil for linear).
    var base: [Float]?
    /// The other models' values and their parameters (for linear: every model).
    var inputs: [(values: [Float], weight: Double, density: Double)]
    var normalize: Bool
    var lambda: Double
    /// Scale each sparsified task vector back to its L1 norm before sparsification (DARE's default).
    var rescale: Bool
    /// slerp's interpolation factor.
    var t: Double
    /// Per-tensor random stream (DARE's drops).
    var random: SeededRandom

    mutating func run() -> [Float] {
        switch method {
        case .linear: return linear()
        case .slerp: return slerp()
        case .taskArithmetic, .ties, .dareTies, .dareLinear: return taskArithmetic()
        }
    }

    /// Σ wᵢ·xᵢ (fused multiply-adds in input order, as torch's addcmul), divided by Σ wᵢ (float32,
    /// in input order) when normalizing. The caller refuses weights that sum to 0.
    private func linear() -> [Float] {
        let count = inputs[0].values.count
        var out = [Float](repeating: 0, count: count)
        for input in inputs {
            let w = Float(input.weight)
            input.values.withUnsafeBufferPointer { x in
                for i in 0..<count { out[i].addProduct(x[i], w) }
            }
        }
        if normalize {
            let total = inputs.reduce(Float(0)) { $0 + Float($1.weight) }
            for i in 0..<count { out[i] /= total }
        }
        return out
    }

    /// The generalized task arithmetic of TIES/DARE: task vectors (model − base), sparsified
    /// (by magnitude for TIES, by a random drop for DARE), weighted, optionally sign-elected
    /// (TIES, DARE-TIES), summed, normalized by the weights that survived, scaled by λ, added to the base.
    private mutating func taskArithmetic() -> [Float] {
        // The base's array becomes the output (moved out, so writing it copies nothing).
        guard var out = base else { return linear() }
        base = nil
        let count = out.count
        // Each model's values become its task vector in place: one array per model in memory.
        var deltas: [[Float]] = []
        for index in inputs.indices {
            var delta: [Float] = []
            swap(&delta, &inputs[index].values)
            delta.withUnsafeMutableBufferPointer { d in
                out.withUnsafeBufferPointer { b in for i in 0..<count { d[i] -= b[i] } }
            }
            deltas.append(delta)
        }
        for index in deltas.indices {
            let density = inputs[index].density
            if density < 1, method != .taskArithmetic {
                let before = rescale ? Self.l1(deltas[index]) : 0
                if method == .ties { Self.keepLargest(&deltas[index], density: density) } else { Self.randomDrop(&deltas[index], density: density, random: &random) }
                if rescale {
                    // mergekit's L1 rescale: skipped when either norm is below 1e-7.
                    let after = Self.l1(deltas[index])
                    if before >= 1e-7, after >= 1e-7 {
                        let scale = Float(before) / Float(after)
                        for i in 0..<count { deltas[index][i] *= scale }
                    }
                }
            }
            let w = Float(inputs[index].weight)
            for i in 0..<count { deltas[index][i] *= w }
        }
        // One pass per entry, in mergekit's order of operations: the sign elected from the sum of
        // the weighted task vectors ("sum" consensus; a tie elects +), the agreeing entries summed
        // with their weights as the divisor (entries trimmed to zero never agree), normalized,
        // scaled by λ and added to the base — written over the base's copy, so the tensor's
        // memory is the base and one task vector per model.
        let elect = method == .ties || method == .dareTies
        let weights = inputs.map { Float($0.weight) }
        let plainDivisor = weights.reduce(Float(0), +)
        let l = Float(lambda)
        out.withUnsafeMutableBufferPointer { out in
            for i in 0..<count {
                var mixed: Float = 0, divisor: Float = 0
                if elect {
                    var total: Float = 0
                    for delta in deltas { total += delta[i] }
                    let majority: Float = total >= 0 ? 1 : -1
                    for (index, delta) in deltas.enumerated() where Self.sign(delta[i]) == majority {
                        mixed += delta[i]
                        divisor += weights[index]
                    }
                } else {
                    for delta in deltas { mixed += delta[i] }
                    divisor = plainDivisor
                }
                // mergekit: a sign-elected divisor of exactly 0 becomes 1; a plain one below 1e-8 in magnitude does.
                if normalize, elect ? divisor != 0 : abs(divisor) >= 1e-8 { mixed /= divisor }
                out[i] += l == 1 ? mixed : mixed * l
            }
        }
        return out
    }

    private static func sign(_ x: Float) -> Float { x > 0 ? 1 : (x < 0 ? -1 : 0) }

    /// TIES's trim: keeps the max(1, ⌊density·n⌋) entries of largest magnitude over the whole
    /// tensor (none at density 0). Which of equal magnitudes at the boundary survive is the lowest
    /// indices here; mergekit's unstable sort leaves it unspecified.
    static func keepLargest(_ delta: inout [Float], density: Double) {
        guard density < 1 else { return }
        guard density > 0 else { delta = [Float](repeating: 0, count: delta.count); return }
        let keep = max(1, Int(density * Double(delta.count)))
        guard keep < delta.count else { return }
        // The keep-th largest magnitude; ties at the threshold are kept in index order.
        var magnitudes = delta.map(abs)
        let threshold = Self.kthLargest(&magnitudes, keep)
        var above = delta.reduce(0) { $0 + (abs($1) > threshold ? 1 : 0) }
        for i in delta.indices {
            let m = abs(delta[i])
            if m > threshold { continue }
            if m == threshold, above < keep { above += 1; continue }
            delta[i] = 0
        }
    }

    /// The k-th largest value (1-based) of `values` (reordered in place): quickselect.
    private static func kthLargest(_ values: inout [Float], _ k: Int) -> Float {
        var low = 0, high = values.count - 1
        let target = k - 1
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        while low < high {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            let pivot = values[low + Int((seed >> 33) % UInt64(high - low + 1))]
            var i = low, j = high
            while i <= j {
                while values[i] > pivot { i += 1 }
                while values[j] < pivot { j -= 1 }
                if i <= j { values.swapAt(i, j); i += 1; j -= 1 }
            }
            if target <= j { high = j } else if target >= i { low = i } else { return values[target] }
        }
        return values[target]
    }

    /// DARE's drop: each entry kept with probability `density` (a Bernoulli mask).
    static func randomDrop(_ delta: inout [Float], density: Double, random: inout SeededRandom) {
        guard density < 1 else { return }
        for i in delta.indices where Double.random(in: 0..<1, using: &random) >= density { delta[i] = 0 }
    }

    /// Σ|x|, accumulated in double so the order of summation does not matter at float32 precision.
    static func l1(_ x: [Float]) -> Double {
        x.reduce(0.0) { $0 + Double(abs($1)) }
    }

    /// Spherical interpolation between the base (t = 0) and the other model (t = 1), treating each
    /// tensor as one vector; nearly parallel tensors are interpolated linearly.
    private func slerp() -> [Float] {
        let v0 = base ?? inputs[0].values, v1 = inputs[0].values
        let count = v0.count
        var norm0 = 0.0, norm1 = 0.0
        for i in 0..<count {
            norm0 += Double(v0[i]) * Double(v0[i])
            norm1 += Double(v1[i]) * Double(v1[i])
        }
        norm0 = norm0.squareRoot()
        norm1 = norm1.squareRoot()
        let eps = 1e-8
        var dot = 0.0
        for i in 0..<count {
            dot += (norm0 > eps ? Double(v0[i]) / norm0 : Double(v0[i])) * (norm1 > eps ? Double(v1[i]) / norm1 : Double(v1[i]))
        }
        dot = min(1, max(-1, dot))
        let s0: Double, s1: Double
        if abs(dot) > 0.9995 {
            (s0, s1) = (1 - t, t)
        } else {
            let theta0 = acos(dot), sinTheta0 = sin(theta0)
            let thetaT = theta0 * t
            (s0, s1) = (sin(theta0 - thetaT) / sinTheta0, sin(thetaT) / sinTheta0)
        }
        let a = Float(s0), b = Float(s1)
        var out = [Float](repeating: 0, count: count)
        for i in 0..<count { out[i] = a * v0[i] + b * v1[i] }
        return out
    }
}
