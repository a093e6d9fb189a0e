import COpenBLAS

// Matrix multiplication against weights stored as GGUF lays them out: ne = [in, out], i.e. a
// row-major (out, in) matrix whose rows are the output channels.

/// out (T,OC) = x (T,C) · wᵀ for w (OC,C), through OpenBLAS `cblas_sgemm`.
///
/// `outStride` is the distance between rows of `out` (≥ OC), so a caller can fill a column
/// slice of a wider matrix one weight tile at a time. With `accumulate` the product is added
/// to what `out` holds.
public func matmulForward(
    _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
    rows T: Int, inputs C: Int, outputs OC: Int, outStride: Int? = nil, accumulate: Bool = false
) {
    guard T > 0, OC > 0 else { return }
    cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasTrans,
        Int32(T), Int32(OC), Int32(C),
        1, x, Int32(C), w, Int32(C),
        accumulate ? 1 : 0, out, Int32(outStride ?? OC)
    )
}

/// The obvious triple loop of `matmulForward`, accumulating in Double; the reference in tests.
public func matmulForwardNaive(
    _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
    rows T: Int, inputs C: Int, outputs OC: Int
) {
    for t in 0..<T {
        for o in 0..<OC {
            var sum = 0.0
            for c in 0..<C {
                sum += Double(x[t * C + c]) * Double(w[o * C + c])
            }
            out[t * OC + o] = Float(sum)
        }
    }
}

/// The BLAS library's own worker threads.
public enum BLASThreads {
    /// Sets how many threads OpenBLAS uses for one `cblas_sgemm` call.
    public static func set(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }
}
