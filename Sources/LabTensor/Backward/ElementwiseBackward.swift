import Foundation

// Gradients of the position-wise pieces: RoPE, SwiGLU, the embedding lookup.

/// Gradient of `ropeForward` in place: a rotation's transpose is the rotation by −angle, so
/// dx = Rᵀ·dy pair by pair.
public func ropeBackward(
    _ d: UnsafeMutablePointer<Float>, table: RotaryTable, rows T: Int, heads H: Int, headSize hs: Int,
    style: RotaryStyle = .adjacentPairs
) {
    let pairs = table.dimensions / 2, dims = table.dimensions
    table.cosines.withUnsafeBufferPointer { cosines in
        table.sines.withUnsafeBufferPointer { sines in
            guard let cosBase = cosines.baseAddress, let sinBase = sines.baseAddress else { return }
            for t in 0..<T {
                let c = cosBase + t * pairs, s = sinBase + t * pairs
                for h in 0..<H {
                    let v = d + t * H * hs + h * hs
                    for i in 0..<pairs {
                        let (a, b) = style.pair(i, dimensions: dims)
                        let d0 = v[a], d1 = v[b]
                        v[a] = d0 * c[i] + d1 * s[i]
                        v[b] = -d0 * s[i] + d1 * c[i]
                    }
                }
            }
        }
    }
}

/// Double-precision twin of `ropeBackward`, angles computed from the positions.
public func ropeBackwardNaive(
    _ d: UnsafeMutablePointer<Float>, positions: [Int], dimensions: Int, base: Float,
    rows T: Int, heads H: Int, headSize hs: Int, style: RotaryStyle = .adjacentPairs
) {
    for t in 0..<T {
        for h in 0..<H {
            for i in 0..<(dimensions / 2) {
                let angle = Double(positions[t]) / pow(Double(base), Double(2 * i) / Double(dimensions))
                let (a, b) = style == .adjacentPairs ? (2 * i, 2 * i + 1) : (i, i + dimensions / 2)
                let k0 = t * H * hs + h * hs + a, k1 = t * H * hs + h * hs + b
                let d0 = Double(d[k0]), d1 = Double(d[k1])
                d[k0] = Float(d0 * cos(angle) + d1 * sin(angle))
                d[k1] = Float(-d0 * sin(angle) + d1 * cos(angle))
            }
        }
    }
}

/// Gradients of out = silu(gate) ⊙ up: dup = dout·silu(g), dgate = dout·up·σ(g)(1 + g(1 − σ(g))).
/// `dgate` may alias `gate` and `dup` may alias `up` (each element is read before it is written).
public func swigluBackward(
    dgate: UnsafeMutablePointer<Float>, dup: UnsafeMutablePointer<Float>,
    dout: UnsafePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count N: Int
) {
    for i in 0..<N {
        let g = gate[i], u = up[i], dy = dout[i]
        let sigma = 1 / (1 + expf(-g))
        dup[i] = dy * g * sigma
        dgate[i] = dy * u * sigma * (1 + g * (1 - sigma))
    }
}

/// Double-precision twin of `swigluBackward`.
public func swigluBackwardNaive(
    dgate: UnsafeMutablePointer<Float>, dup: UnsafeMutablePointer<Float>,
    dout: UnsafePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count N: Int
) {
    for i in 0..<N {
        let g = Double(gate[i]), u = Double(up[i]), dy = Double(dout[i])
        let sigma = 1 / (1 + exp(-g))
        dup[i] = Float(dy * g * sigma)
        dgate[i] = Float(dy * u * sigma * (1 + g * (1 - sigma)))
    }
}

/// Gradient of an embedding lookup: row `tokens[t]` of dtable (V,C) += dout row t.
public func embeddingBackward(_ dtable: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, tokens: [Int32], channels C: Int) {
    for (t, token) in tokens.enumerated() {
        axpy(dtable + Int(token) * C, dout + t * C, alpha: 1, count: C)
    }
}
