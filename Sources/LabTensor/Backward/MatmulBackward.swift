import COpenBLAS

// Gradients of `matmulForward` (out = x · wᵀ, w stored (OC, C) as GGUF lays it out).

/// For out (T,OC) = x (T,C) · wᵀ: dx (T,C) = dout · w, added to `dx` when `accumulateInput`;
/// dw (OC,C) += doutᵀ · x (weight gradients always accumulate, across layers' micro-batches).
/// Either output may be nil when its gradient is not needed (a frozen weight, the first layer's input).
public func matmulBackward(
    dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?,
    dout: UnsafePointer<Float>, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
    rows T: Int, inputs C: Int, outputs OC: Int, doutStride: Int? = nil, accumulateInput: Bool = false
) {
    guard T > 0, C > 0, OC > 0 else { return }
    // `doutStride` (≥ OC): dout is a column slice of a wider matrix, as when the weight comes one tile of rows at a time.
    let ldDout = Int32(doutStride ?? OC)
    if let dx {
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(T), Int32(C), Int32(OC),
            1, dout, ldDout, w, Int32(C), accumulateInput ? 1 : 0, dx, Int32(C)
        )
    }
    if let dw {
        cblas_sgemm(
            CblasRowMajor, CblasTrans, CblasNoTrans, Int32(OC), Int32(C), Int32(T),
            1, dout, ldDout, x, Int32(C), 1, dw, Int32(C)
        )
    }
}

/// Double-precision loops of `matmulBackward`; the reference in tests.
public func matmulBackwardNaive(
    dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?,
    dout: UnsafePointer<Float>, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
    rows T: Int, inputs C: Int, outputs OC: Int, accumulateInput: Bool = false
) {
    if let dx {
        for t in 0..<T {
            for c in 0..<C {
                var sum = accumulateInput ? Double(dx[t * C + c]) : 0
                for o in 0..<OC { sum += Double(dout[t * OC + o]) * Double(w[o * C + c]) }
                dx[t * C + c] = Float(sum)
            }
        }
    }
    if let dw {
        for o in 0..<OC {
            for c in 0..<C {
                var sum = Double(dw[o * C + c])
                for t in 0..<T { sum += Double(dout[t * OC + o]) * Double(x[t * C + c]) }
                dw[o * C + c] = Float(sum)
            }
        }
    }
}
