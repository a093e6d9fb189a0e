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

    /// Angles for `positions` with `dimensions` rotated dimensions and frequency base `base`.
    public init(positions: [Int], dimensions: Int, base: Float) {
        self.dimensions = dimensions
        let pairs = dimensions / 2
        cosines = [Float](repeating: 0, count: positions.count * pairs)
        sines = [Float](repeating: 0, count: positions.count * pairs)
        var frequencies = [Double](repeating: 0, count: pairs)
        for i in 0..<pairs {
            frequencies[i] = pow(Double(base), -2 * Double(i) / Double(dimensions))
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

/// Rotates x (T, H·hs) in place, each head's adjacent pairs (x[2i], x[2i+1]) by row t's angles:
/// llama.cpp's LLAMA_ROPE_TYPE_NORM, used by the `llama` architecture (whose converter permutes
/// the Q/K rows so adjacent pairs line up with Hugging Face's rotate-half).
public func ropeForward(_ x: UnsafeMutablePointer<Float>, table: RotaryTable, rows T: Int, heads H: Int, headSize hs: Int) {
    let pairs = table.dimensions / 2
    table.cosines.withUnsafeBufferPointer { cosines in
        table.sines.withUnsafeBufferPointer { sines in
            guard let cosBase = cosines.baseAddress, let sinBase = sines.baseAddress else { return }
            for t in 0..<T {
                let c = cosBase + t * pairs
                let s = sinBase + t * pairs
                for h in 0..<H {
                    let v = x + t * H * hs + h * hs
                    for i in 0..<pairs {
                        let x0 = v[2 * i], x1 = v[2 * i + 1]
                        v[2 * i] = x0 * c[i] - x1 * s[i]
                        v[2 * i + 1] = x0 * s[i] + x1 * c[i]
                    }
                }
            }
        }
    }
}

/// Twin of `ropeForward` that computes every angle itself in Double from the positions.
public func ropeForwardNaive(
    _ x: UnsafeMutablePointer<Float>, positions: [Int], dimensions: Int, base: Float,
    rows T: Int, heads H: Int, headSize hs: Int
) {
    for t in 0..<T {
        for h in 0..<H {
            for i in 0..<(dimensions / 2) {
                let angle = Double(positions[t]) / pow(Double(base), Double(2 * i) / Double(dimensions))
                let k = t * H * hs + h * hs + 2 * i
                let x0 = Double(x[k]), x1 = Double(x[k + 1])
                x[k] = Float(x0 * cos(angle) - x1 * sin(angle))
                x[k + 1] = Float(x0 * sin(angle) + x1 * cos(angle))
            }
        }
    }
}
