import Foundation

// GeGLU, the Gemma feed-forward nonlinearity: out = gelu(gate) ⊙ up with the tanh form of GELU
// (Hendrycks & Gimpel 2016), gelu(g) = ½·g·(1 + tanh(√(2/π)·(g + 0.044715·g³))).

/// √(2/π), as llama.cpp's ggml-cpu spells it.
private let sqrtTwoOverPi: Float = 0.79788456080286535587989211986876
private let geluCoefficient: Float = 0.044715

/// gelu(g) in Float, the tanh approximation (PyTorch's `gelu(approximate="tanh")`).
@inline(__always)
public func geluTanh(_ g: Float) -> Float {
    0.5 * g * (1 + tanhf(sqrtTwoOverPi * g * (1 + geluCoefficient * g * g)))
}

/// gelu of every binary16 value, rounded to binary16: llama.cpp's CPU backend looks GELU up in
/// this table (`GGML_GELU_FP16`), so the engine does too and its Gemma logits follow llama.cpp's.
private let geluBinary16Table: [Float] = (0..<65536).map { bits in
    let x = Float(Float16(bitPattern: UInt16(bits)))
    return Float(Float16(geluTanh(x)))
}

/// out (N) = gelu(gate) ⊙ up as llama.cpp computes it on a CPU: gate rounded to binary16, gelu
/// read from a binary16 table; |gate| ≥ 10 passes gate (or 0) through. `out` may alias either input.
public func gegluForward(
    _ out: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count N: Int
) {
    geluBinary16Table.withUnsafeBufferPointer { table in
        for i in 0..<N {
            let g = gate[i]
            let activated: Float
            if g <= -10 {
                activated = 0
            } else if g >= 10 {
                activated = g
            } else {
                activated = table[Int(Float16(g).bitPattern)]
            }
            out[i] = activated * up[i]
        }
    }
}

/// out (N) = gelu(gate) ⊙ up in Float, no table: the trainer's forward (the gradient below is
/// that of this function).
public func gegluForwardExact(
    _ out: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count N: Int
) {
    for i in 0..<N {
        out[i] = geluTanh(gate[i]) * up[i]
    }
}

/// Gradients of out = gelu(gate) ⊙ up: dup = dout·gelu(g), dgate = dout·up·gelu′(g), with
/// gelu′(g) = ½(1 + t) + ½·g·(1 − t²)·√(2/π)·(1 + 3·0.044715·g²), t = tanh(√(2/π)(g + 0.044715g³)).
/// `dgate` may alias `gate` and `dup` may alias `up`.
public func gegluBackward(
    dgate: UnsafeMutablePointer<Float>, dup: UnsafeMutablePointer<Float>,
    dout: UnsafePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count N: Int
) {
    for i in 0..<N {
        let g = gate[i], u = up[i], dy = dout[i]
        let t = tanhf(sqrtTwoOverPi * g * (1 + geluCoefficient * g * g))
        let derivative = 0.5 * (1 + t) + 0.5 * g * (1 - t * t) * sqrtTwoOverPi * (1 + 3 * geluCoefficient * g * g)
        dup[i] = dy * 0.5 * g * (1 + t)
        dgate[i] = dy * u * derivative
    }
}

/// Double-precision twin of `gegluForwardExact`.
public func gegluForwardNaive(
    _ out: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count N: Int
) {
    for i in 0..<N {
        let g = Double(gate[i])
        let gelu = 0.5 * g * (1 + tanh((2 / Double.pi).squareRoot() * (g + 0.044715 * g * g * g)))
        out[i] = Float(gelu * Double(up[i]))
    }
}
