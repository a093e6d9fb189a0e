import Foundation

/// out (T,C) = x (T,C) / sqrt(mean(x²) + eps) · weight (C), per row (Zhang & Sennrich 2019,
/// as llama.cpp's `ggml_rms_norm` followed by a multiplication with the norm weight).
/// `out` may alias `x`.
public func rmsnormForward(
    _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
    rows T: Int, channels C: Int, epsilon: Float
) {
    for t in 0..<T {
        let row = x + t * C
        let meanSquare = dot(row, row, count: C) / Float(C)
        let scale = 1 / (meanSquare + epsilon).squareRoot()
        let o = out + t * C
        let s = SIMD16<Float>(repeating: scale)
        var c = 0
        while c + 16 <= C {
            store16(load16(row + c) * s * load16(weight + c), o + c)
            c += 16
        }
        while c < C {
            o[c] = row[c] * scale * weight[c]
            c += 1
        }
    }
}

/// Scalar Double-precision twin of `rmsnormForward`.
public func rmsnormForwardNaive(
    _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
    rows T: Int, channels C: Int, epsilon: Float
) {
    for t in 0..<T {
        var sum = 0.0
        for c in 0..<C {
            sum += Double(x[t * C + c]) * Double(x[t * C + c])
        }
        let scale = 1 / (sum / Double(C) + Double(epsilon)).squareRoot()
        for c in 0..<C {
            out[t * C + c] = Float(Double(x[t * C + c]) * scale * Double(weight[c]))
        }
    }
}
