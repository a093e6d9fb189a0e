import Foundation

// Gradients of `rmsnormForward`: y = x · r · w with r = 1/√(mean(x²) + ε) per row.
// ∂y_c/∂x_k = r·w_c·δ_ck − x_c·w_c·r³·x_k / C, so
// dx = r·(dy⊙w) − x · r³/C · Σ_c dy_c·w_c·x_c   and   dw += Σ_t dy ⊙ x·r.

/// Adds the gradient of every row's input to `dx` (the residual stream's gradient, which the
/// norm branches off) and of the norm weight to `dweight`. r is recomputed from `x`, which costs
/// one dot product per row and saves storing it.
public func rmsnormBackward(
    dx: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>?,
    dout: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    rows T: Int, channels C: Int, epsilon: Float
) {
    for t in 0..<T {
        let row = x + t * C, dy = dout + t * C, d = dx + t * C
        let r = 1 / (dot(row, row, count: C) / Float(C) + epsilon).squareRoot()
        var projection: Float = 0
        for c in 0..<C { projection += dy[c] * weight[c] * row[c] }
        let k = projection * r * r * r / Float(C)
        for c in 0..<C { d[c] += r * dy[c] * weight[c] - k * row[c] }
        if let dweight {
            for c in 0..<C { dweight[c] += dy[c] * row[c] * r }
        }
    }
}

/// Double-precision twin of `rmsnormBackward`.
public func rmsnormBackwardNaive(
    dx: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>?,
    dout: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    rows T: Int, channels C: Int, epsilon: Float
) {
    for t in 0..<T {
        var sum = 0.0
        for c in 0..<C { sum += Double(x[t * C + c]) * Double(x[t * C + c]) }
        let r = 1 / (sum / Double(C) + Double(epsilon)).squareRoot()
        var projection = 0.0
        for c in 0..<C { projection += Double(dout[t * C + c]) * Double(weight[c]) * Double(x[t * C + c]) }
        for c in 0..<C {
            let i = t * C + c
            dx[i] = Float(Double(dx[i]) + r * Double(dout[i]) * Double(weight[c]) - projection * r * r * r / Double(C) * Double(x[i]))
            if let dweight { dweight[c] = Float(Double(dweight[c]) + Double(dout[i]) * Double(x[i]) * r) }
        }
    }
}
