import CAttentionKernel
import Foundation

/// out (N) = silu(gate) ⊙ up with silu(g) = g·σ(g) (Shazeer 2020, "GLU Variants Improve
/// Transformer"); the Llama feed-forward nonlinearity. `out` may alias either input. Through
/// the C kernel (`lab_swiglu`): eight exponentials at a time, the same bits on every CPU.
public func swigluForward(
    _ out: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count N: Int
) {
    lab_swiglu(out, gate, up, N)
}

/// Double-precision twin of `swigluForward`.
public func swigluForwardNaive(
    _ out: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count N: Int
) {
    for i in 0..<N {
        let g = Double(gate[i])
        out[i] = Float(g / (1 + exp(-g)) * Double(up[i]))
    }
}
