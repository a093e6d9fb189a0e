import COpenBLAS
import Foundation

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

/// Which of OpenBLAS's CPU kernels runs the matrix products.
///
/// OpenBLAS picks its kernel from the CPU model at load. A CPU it doesn't know (a newer Xeon, or a
/// VM that hides the model) gets the generic SSE3 "Prescott" kernel, 4–5× slower than the AVX-512
/// one the same CPU could run. The choice can only be made before the library loads, through
/// `OPENBLAS_CORETYPE`, so the executable re-launches itself with it (see `LabCLI.BLASLaunch`).
public enum BLASCore {
    /// The kernel OpenBLAS chose ("SkylakeX", "Haswell", "Prescott", …).
    public static var name: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name).trimmingCharacters(in: .whitespaces)
    }

    /// Kernels OpenBLAS falls back to when it does not recognise the CPU.
    static let genericCores: Set<String> = ["prescott", "core2", "katmai", "coppermine", "northwood", "banias", "unknown"]

    /// The kernel to ask for when OpenBLAS fell back to a generic one on a CPU with AVX2 or
    /// AVX-512 (from the CPU's flags in /proc/cpuinfo); nil when its own choice stands.
    public static func betterCoreType(cpuFlags: Set<String>? = nil) -> String? {
        guard genericCores.contains(name.lowercased()) else { return nil }
        guard let flags = cpuFlags ?? Self.cpuFlags() else { return nil }
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(flags.contains) { return "SkylakeX" }
        if ["avx2", "fma"].allSatisfy(flags.contains) { return "Haswell" }
        return nil
    }

    /// The `flags` line of /proc/cpuinfo (Linux); nil elsewhere.
    static func cpuFlags() -> Set<String>? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return nil }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
}
