import Foundation

/// Cosines and sines of rotary position embedding angles for a list of positions.
///
/// Angle for position p and pair i: p · base^(−2i/d), d = rotated dimensions
/// (Su et al. 2021, RoFormer; llama.cpp `rope_yarn` without scaling). Computed once per
/// forward pass and shared by every layer and head.
public struct RotaryTable: Sendable {
    /// Number of rotated dimensions per head (even); later dimensions pass through unchanged.
    public let dimensions: Int
    /// cos (T, dimensions/2)
    public private(set) var cosines: [Float]
    /// sin (T, dimensions/2)
    public private(set) var sines: [Float]

    /// Angles for `positions` with `dimensions` rotated dimensions and frequency base `base`;
    /// `factors` (one per pair) divide each pair's frequency, as a GGUF's `rope_freqs.weight`
    /// does for Llama 3.1+ long-context scaling (llama.cpp's `freq_factors`).
    public init(positions: [Int], dimensions: Int, base: Float, factors: [Float]? = nil) {
        self.dimensions = dimensions
        let pairs = dimensions / 2
        cosines = [Float](repeating: 0, count: positions.count * pairs)
        sines = [Float](repeating: 0, count: positions.count * pairs)
        var frequencies = [Double](repeating: 0, count: pairs)
        for i in 0..<pairs {
            frequencies[i] = pow(Double(base), -2 * Double(i) / Double(dimensions)) / Double(factors?[i] ?? 1)
        }
        for (t, p) in positions.enumerated() {
            for i in 0..<pairs {
                let angle = Double(p) * frequencies[i]
                cosines[t * pairs + i] = Float(cos(angle))
                sines[t * pairs + i] = Float(sin(angle))
            }
        }
    }
}

/// Which elements of a head rotate together.
public enum RotaryStyle: Sendable, Equatable {
    /// (x[2i], x[2i+1]): llama.cpp's LLAMA_ROPE_TYPE_NORM, used by `llama` and `granite` (whose
    /// converter permutes the Q/K rows so adjacent pairs line up with Hugging Face's rotate-half).
    case adjacentPairs
    /// (x[i], x[i + d/2]): llama.cpp's LLAMA_ROPE_TYPE_NEOX, Hugging Face's rotate-half as stored
    /// (qwen2, qwen3, gemma2, gemma3, phi3).
    case halves

    /// The two elements of pair i among d rotated dimensions.
    @inline(__always)
    func pair(_ i: Int, dimensions d: Int) -> (Int, Int) {
        switch self {
        case .adjacentPairs: (2 * i, 2 * i + 1)
        case .halves: (i, i + d / 2)
        }
    }
}

/// Rotates x (T, H·hs) in place, each head's pairs (see `RotaryStyle`) by row t's angles.
public func ropeForward(
    _ x: UnsafeMutablePointer<Float>, table: RotaryTable, rows T: Int, heads H: Int, headSize hs: Int,
    style: RotaryStyle = .adjacentPairs
) {
    let pairs = table.dimensions / 2, d = table.dimensions
    table.cosines.withUnsafeBufferPointer { cosines in
        table.sines.withUnsafeBufferPointer { sines in
            guard let cosBase = cosines.baseAddress, let sinBase = sines.baseAddress else { return }
            for t in 0..<T {
                let c = cosBase + t * pairs
                let s = sinBase + t * pairs
                for h in 0..<H {
                    let v = x + t * H * hs + h * hs
                    for i in 0..<pairs {
                        let (a, b) = style.pair(i, dimensions: d)
                        let x0 = v[a], x1 = v[b]
                        v[a] = x0 * c[i] - x1 * s[i]
                        v[b] = x0 * s[i] + x1 * c[i]
                    }
                }
            }
        }
    }
}

/// Twin of `ropeForward` that computes every angle itself in Double from the positions.
public func ropeForwardNaive(
    _ x: UnsafeMutablePointer<Float>, positions: [Int], dimensions: Int, base: Float,
    rows T: Int, heads H: Int, headSize hs: Int, style: RotaryStyle = .adjacentPairs
) {
    for t in 0..<T {
        for h in 0..<H {
            for i in 0..<(dimensions / 2) {
                let angle = Double(positions[t]) / pow(Double(base), Double(2 * i) / Double(dimensions))
                let (a, b) = style == .adjacentPairs ? (2 * i, 2 * i + 1) : (i, i + dimensions / 2)
                let k0 = t * H * hs + h * hs + a, k1 = t * H * hs + h * hs + b
                let x0 = Double(x[k0]), x1 = Double(x[k1])
                x[k0] = Float(x0 * cos(angle) - x1 * sin(angle))
                x[k1] = Float(x0 * sin(angle) + x1 * cos(angle))
            }
        }
    }
}
