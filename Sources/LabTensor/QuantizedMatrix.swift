import CQuantKernels
import Foundation

/// A read-only (rows, columns) weight matrix in one of the `WeightFormat`s, viewed in place
/// (typically inside a memory-mapped GGUF file) and never copied whole to Float.
///
/// The owner of the memory must keep it alive as long as the view is used.
public struct QuantizedMatrix: @unchecked Sendable {
    /// Storage format of every row.
    public let format: WeightFormat
    /// First byte of row 0; rows follow each other without padding.
    public let data: UnsafeRawPointer
    /// Output channels.
    public let rows: Int
    /// Input channels (weights per row).
    public let columns: Int

    /// A view of `rows` rows of `columns` weights at `data`; `name` is used in errors.
    /// Throws when `columns` is not a multiple of 32 (the kernels decode 32 weights at a time) and
    /// of the format's block.
    public init(format: WeightFormat, data: UnsafeRawPointer, rows: Int, columns: Int, name: String) throws {
        guard rows > 0, columns > 0, columns % 32 == 0, columns % format.blockSize == 0 else {
            throw TensorError(
                "tensor \(name): \(rows)×\(columns) \(format.rawValue) is not supported; rows must be made of whole \(max(32, format.blockSize))-weight blocks"
            )
        }
        self.format = format
        self.data = data
        self.rows = rows
        self.columns = columns
    }

    /// Bytes per row.
    public var rowBytes: Int { format.rowBytes(columns: columns) }

    /// Total bytes of the matrix.
    public var byteCount: Int { rows * rowBytes }

    /// dst (rows.count, columns) = the given rows decoded to Float: Swift SIMD decoders for Q4_1,
    /// Q8_0 and F32, F16C/shift conversions for F16/BF16, and LabGGUF's reference decoder for
    /// the other block formats (their products never decode whole rows: only embedding lookups
    /// and the optional sgemm path for long prompts do).
    public func dequantize(rows range: Range<Int>, into dst: UnsafeMutablePointer<Float>) {
        switch format {
        case .q4_1: dequantizeKernel(Q4_1Decoder.self, range, dst)
        case .q8_0: dequantizeKernel(Q8_0Decoder.self, range, dst)
        case .f32: dequantizeKernel(F32Decoder.self, range, dst)
        case .f16, .bf16:
            lab_float_weights(format.kernelCode, data + range.lowerBound * rowBytes, range.count * columns, dst)
        case .q4_0, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K:
            dequantizeNaive(rows: range, into: dst)
        }
    }

    /// Scalar twin of `dequantize(rows:into:)`.
    public func dequantizeNaive(rows range: Range<Int>, into dst: UnsafeMutablePointer<Float>) {
        for (i, r) in range.enumerated() {
            dequantizeRowNaive(format, data + r * rowBytes, dst + i * columns, count: columns)
        }
    }

    /// out[n, r] = Σ_c x[n, c] · w[r, c] for the given weight rows, decoding each block in
    /// registers (no Float copy of the weights): the decode path for a few input rows.
    ///
    /// x (N, columns); out (N, outStride) with columns `rows` filled.
    ///
    /// The activations are rounded as llama.cpp rounds them for this format
    /// (`WeightFormat.activationRounding`): for the block formats to int8, so the product is an
    /// integer dot product per block (`CQuantKernels`), about twice the speed of decoding to
    /// Float; for F16/BF16 to binary16/bfloat16. `multiplyFloat` is the all-Float Swift SIMD twin.
    public func multiply(
        _ x: UnsafePointer<Float>, count N: Int, into out: UnsafeMutablePointer<Float>, outStride: Int, rows range: Range<Int>,
        kernel: IntegerKernel = .best
    ) {
        guard !range.isEmpty, N > 0 else { return }
        if format.quantizesActivations {
            let quantized = QuantizedActivations(x, rows: N, columns: columns, for: [format])
            multiply(quantized, into: out, outStride: outStride, rows: range, kernel: kernel)
            return
        }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: N * columns) { rounded in
            let xr = rounded.baseAddress!
            lab_round_activations(format.kernelCode, x, N * columns, xr)
            lab_matmul_float(
                kernel.rawValue, format.kernelCode, data, rowBytes, Int32(range.lowerBound), Int32(range.upperBound), Int32(columns),
                Int32(N), xr, out, outStride
            )
        }
    }

    /// out[n, r] = Σ_c x[n, c] · w[r, c] for many inputs (a prompt's rows) of F32, F16 or BF16
    /// weights, x already rounded to the format's activation precision
    /// (`WeightFormat.roundActivations`): tiles of rows × inputs in registers, BF16 pairs
    /// through vdpbf16ps where the CPU has it. Every `kernel` gives the same bits; they differ
    /// from `multiply`'s in summation order only.
    ///
    /// `prepared` (from `prepareTiled` on the same x, count and kernel) saves each call laying
    /// out the inputs again when several calls share them — the threads' chunks of the rows.
    public func multiplyTiled(
        _ x: UnsafePointer<Float>, count N: Int, into out: UnsafeMutablePointer<Float>, outStride: Int, rows range: Range<Int>,
        kernel: IntegerKernel = .best, prepared: TiledInputs? = nil
    ) {
        precondition(!format.quantizesActivations, "tiled Float products need F32, F16 or BF16 weights, not \(format)")
        guard !range.isEmpty, N > 0 else { return }
        lab_gemm_float(
            kernel.rawValue, format.kernelCode, data, rowBytes, Int32(range.lowerBound), Int32(range.upperBound), Int32(columns),
            Int32(N), x, prepared?.pointer, out, outStride
        )
    }

    /// The inputs of `multiplyTiled` in the layout `kernel` reads for this format, made once.
    public func prepareTiled(_ x: UnsafePointer<Float>, count N: Int, kernel: IntegerKernel = .best) -> TiledInputs {
        TiledInputs(pointer: lab_gemm_float_prepare(kernel.rawValue, format.kernelCode, Int32(columns), Int32(N), x))
    }

    /// `multiply` on activations already rounded to int8, so several matrices (and threads)
    /// reading one input quantize it once. Only for the block formats; the activations must
    /// carry the rounding this format takes.
    ///
    /// `kernel` picks the instruction set; every choice gives the same result, bit for bit.
    ///
    /// `inputRows` picks the activation rows to multiply (all of them by default); result row i
    /// goes to `out + i · outStride` for the i-th picked row.
    public func multiply(
        _ x: QuantizedActivations, inputRows: Range<Int>? = nil, into out: UnsafeMutablePointer<Float>, outStride: Int,
        rows range: Range<Int>, kernel: IntegerKernel = .best
    ) {
        precondition(format.quantizesActivations, "integer products need block-format weights, not \(format)")
        precondition(x.columns == columns, "activations of \(x.columns) columns against a matrix of \(columns)")
        let picked = inputRows ?? 0..<x.rows
        precondition(picked.lowerBound >= 0 && picked.upperBound <= x.rows, "rows \(picked) of \(x.rows) activation rows")
        guard !range.isEmpty, !picked.isEmpty else { return }
        let begin = Int32(range.lowerBound), end = Int32(range.upperBound)
        if format.activationRounding == .int8Blocks256 {
            guard let wide = x.blocks256 else { preconditionFailure("activations were not rounded per 256 values for \(format)") }
            let blocks = columns / 256
            lab_matmul_integer(
                kernel.rawValue, format.kernelCode, data, rowBytes, begin, end, Int32(columns), Int32(picked.count),
                wide.values + picked.lowerBound * columns, wide.scales + picked.lowerBound * blocks,
                wide.groupSums + picked.lowerBound * blocks * 16, nil, out, outStride
            )
        } else {
            let blocks = columns / 32
            lab_matmul_integer(
                kernel.rawValue, format.kernelCode, data, rowBytes, begin, end, Int32(columns), Int32(picked.count),
                x.values + picked.lowerBound * columns, x.scales + picked.lowerBound * blocks, x.sums + picked.lowerBound * blocks,
                x.totals + picked.lowerBound * blocks, out, outStride
            )
        }
    }

    /// `multiply` with Float activations throughout: each weight block is decoded in registers
    /// and multiplied in Float (Swift SIMD). The path for F32/F16 weights, and the twin the
    /// integer kernels are measured against.
    public func multiplyFloat(
        _ x: UnsafePointer<Float>, count N: Int, into out: UnsafeMutablePointer<Float>, outStride: Int, rows range: Range<Int>
    ) {
        switch format {
        case .q4_1: multiplyKernel(Q4_1Decoder.self, x, N, out, outStride, range)
        case .q8_0: multiplyKernel(Q8_0Decoder.self, x, N, out, outStride, range)
        case .f32: multiplyKernel(F32Decoder.self, x, N, out, outStride, range)
        case .f16: multiplyKernel(F16Decoder.self, x, N, out, outStride, range)
        case .bf16, .q4_0, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K: multiplyDecodedRows(x, N, out, outStride, range)
        }
    }

    /// The Float twin for formats without a Swift SIMD decoder: each row decoded by the
    /// reference decoder, then SIMD dot products.
    private func multiplyDecodedRows(
        _ x: UnsafePointer<Float>, _ N: Int, _ out: UnsafeMutablePointer<Float>, _ outStride: Int, _ range: Range<Int>
    ) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: columns) { row in
            for r in range {
                dequantizeNaive(rows: r..<(r + 1), into: row.baseAddress!)
                for n in 0..<N {
                    out[n * outStride + r] = dot(UnsafePointer(row.baseAddress!), x + n * columns, count: columns)
                }
            }
        }
    }

    /// Naive twin of `multiply`: the activations rounded as the format takes them, written out
    /// here from llama.cpp's definitions (Q8_0/Q8_1: per 32 values, scale max|x|/127 kept in
    /// binary16; Q8_K: per 256 values, scale v/−127 for the value v of largest magnitude, codes
    /// capped at 127; binary16/bfloat16 to nearest even), then decode-then-dot in Double.
    public func multiplyQuantizedNaive(
        _ x: UnsafePointer<Float>, count N: Int, into out: UnsafeMutablePointer<Float>, outStride: Int, rows range: Range<Int>
    ) {
        var rounded = [Float](repeating: 0, count: N * columns)
        switch format.activationRounding {
        case .none:
            for i in 0..<(N * columns) { rounded[i] = x[i] }
        case .binary16:
            for i in 0..<(N * columns) { rounded[i] = Float(Float16(x[i])) }
        case .bfloat16:
            for i in 0..<(N * columns) {
                let bits = x[i].bitPattern
                rounded[i] = Float(bitPattern: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000)
            }
        case .int8Blocks32:
            for base in stride(from: 0, to: N * columns, by: 32) {
                var amax: Float = 0
                for j in 0..<32 { amax = max(amax, abs(x[base + j])) }
                let d = Float(Float16(amax / 127)), inverse: Float = amax > 0 ? 127 / amax : 0
                for j in 0..<32 { rounded[base + j] = d * (x[base + j] * inverse).rounded(.toNearestOrEven) }
            }
        case .int8Blocks256:
            for base in stride(from: 0, to: N * columns, by: 256) {
                var largest: Float = 0
                for j in 0..<256 where abs(x[base + j]) > abs(largest) { largest = x[base + j] }
                guard largest != 0 else { continue }
                let inverse = -127 / largest, d = 1 / inverse
                for j in 0..<256 { rounded[base + j] = d * min(127, (inverse * x[base + j]).rounded(.toNearestOrEven)) }
            }
        }
        multiplyNaive(rounded, count: N, into: out, outStride: outStride, rows: range)
    }

    /// Twin of `multiply`: naive decoding, then a Double-precision dot product.
    public func multiplyNaive(
        _ x: UnsafePointer<Float>, count N: Int, into out: UnsafeMutablePointer<Float>, outStride: Int, rows range: Range<Int>
    ) {
        var row = [Float](repeating: 0, count: columns)
        row.withUnsafeMutableBufferPointer { buffer in
            guard let w = buffer.baseAddress else { return }
            for r in range {
                dequantizeRowNaive(format, data + r * rowBytes, w, count: columns)
                for n in 0..<N {
                    var sum = 0.0
                    for c in 0..<columns {
                        sum += Double(w[c]) * Double(x[n * columns + c])
                    }
                    out[n * outStride + r] = Float(sum)
                }
            }
        }
    }

    @inline(__always)
    private func dequantizeKernel<D: BlockDecoder>(_: D.Type, _ range: Range<Int>, _ dst: UnsafeMutablePointer<Float>) {
        let blocks = columns / 32
        for (i, r) in range.enumerated() {
            let row = data + r * rowBytes
            let out = dst + i * columns
            for b in 0..<blocks {
                let (w0, w1) = D.decode(row + b * D.bytesPer32)
                store16(w0, out + 32 * b)
                store16(w1, out + 32 * b + 16)
            }
        }
    }

    @inline(__always)
    private func multiplyKernel<D: BlockDecoder>(
        _: D.Type, _ x: UnsafePointer<Float>, _ N: Int, _ out: UnsafeMutablePointer<Float>, _ outStride: Int, _ range: Range<Int>
    ) {
        let blocks = columns / 32
        let C = columns
        withUnsafeTemporaryAllocation(of: Float.self, capacity: D.usesInputSums ? N * blocks : 1) { sums in
            if D.usesInputSums {
                for n in 0..<N {
                    for b in 0..<blocks {
                        let p = x + n * C + 32 * b
                        sums[n * blocks + b] = (load16(p) + load16(p + 16)).sum()
                    }
                }
            }
            let s = sums.baseAddress!
            @inline(__always) func xSum(_ n: Int, _ b: Int) -> Float { D.usesInputSums ? s[n * blocks + b] : 0 }
            for r in range {
                let row = data + r * rowBytes
                // Four input rows per pass over a weight row, so each block is read once per four
                // inputs; a short last group takes its rows one by one. Every row's accumulator sees
                // the same operations in the same order either way.
                var n0 = 0
                while n0 + 4 <= N {
                    let x0 = x + n0 * C, x1 = x0 + C, x2 = x1 + C, x3 = x2 + C
                    var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
                    var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
                    for b in 0..<blocks {
                        let block = D.load(row + b * D.bytesPer32)
                        let o = 32 * b
                        D.accumulate(block, x0 + o, xSum: xSum(n0, b), into: &a0, scalar: &s0)
                        D.accumulate(block, x1 + o, xSum: xSum(n0 + 1, b), into: &a1, scalar: &s1)
                        D.accumulate(block, x2 + o, xSum: xSum(n0 + 2, b), into: &a2, scalar: &s2)
                        D.accumulate(block, x3 + o, xSum: xSum(n0 + 3, b), into: &a3, scalar: &s3)
                    }
                    out[n0 * outStride + r] = a0.sum() + s0
                    out[(n0 + 1) * outStride + r] = a1.sum() + s1
                    out[(n0 + 2) * outStride + r] = a2.sum() + s2
                    out[(n0 + 3) * outStride + r] = a3.sum() + s3
                    n0 += 4
                }
                for n in n0..<N {
                    let xn = x + n * C
                    var acc = SIMD16<Float>()
                    var scalar: Float = 0
                    for b in 0..<blocks {
                        D.accumulate(D.load(row + b * D.bytesPer32), xn + 32 * b, xSum: xSum(n, b), into: &acc, scalar: &scalar)
                    }
                    out[n * outStride + r] = acc.sum() + scalar
                }
            }
        }
    }
}

/// The instruction set of the products (`QuantizedMatrix.multiply`).
public enum IntegerKernel: Int32, Sendable, CaseIterable {
    /// Plain C: any CPU, and the reference the vector kernels are checked against.
    case portable = 0
    /// AVX2 byte multiply-adds (and F16C/FMA for Float weights).
    case avx2 = 1
    /// AVX-512 VNNI's one-instruction byte dot products (same results as `.avx2`).
    case vnni = 2

    /// The fastest kernel this CPU runs, or the one `SYNTHLAB_KERNEL` (portable, avx2, vnni)
    /// asks for — so the tests and benchmarks can measure an AVX2-only CPU's code on an AVX-512
    /// one. A variant the CPU lacks runs the next one down.
    public static let best: IntegerKernel = {
        let fastest = IntegerKernel(rawValue: lab_integer_kernel_best()) ?? .portable
        guard let asked = ProcessInfo.processInfo.environment["SYNTHLAB_KERNEL"], !asked.isEmpty else { return fastest }
        guard let forced = IntegerKernel(name: asked) else {
            FileHandle.standardError.write(Data("synthlab: SYNTHLAB_KERNEL=\(asked) is not a kernel (portable, avx2, vnni); using \(fastest.name)\n".utf8))
            return fastest
        }
        return IntegerKernel(rawValue: min(forced.rawValue, fastest.rawValue)) ?? .portable
    }()

    /// The fastest kernel this CPU has, whatever `SYNTHLAB_KERNEL` says.
    public static let fastest = IntegerKernel(rawValue: lab_integer_kernel_best()) ?? .portable

    public var name: String {
        switch self {
        case .portable: "portable"
        case .avx2: "avx2"
        case .vnni: "vnni"
        }
    }

    public init?(name: String) {
        guard let kernel = Self.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = kernel
    }
}

/// Activations (rows, columns) rounded to int8, made once per input and shared by every matrix
/// and thread that reads it: per 32 values with each block's scale (max|x|/127 in binary16, as
/// llama.cpp's Q8_1) and scale · Σ q, for the 32-weight formats; and, when a K-quant matrix
/// reads them, per 256 values as llama.cpp's Q8_K.
public final class QuantizedActivations: @unchecked Sendable {
    // @unchecked: the buffers are written only in init and freed in deinit.
    public let rows: Int
    public let columns: Int
    let values: UnsafeMutablePointer<Int8>
    let scales: UnsafeMutablePointer<Float>
    let sums: UnsafeMutablePointer<Float>
    /// Σ q per 32-value block, exact.
    let totals: UnsafeMutablePointer<Int32>
    /// The Q8_K rounding, when asked for.
    let blocks256: Blocks256?

    /// int8 values per 256, with a Float scale per 256 and the sum of each 16 values.
    struct Blocks256 {
        let values: UnsafeMutablePointer<Int8>
        let scales: UnsafeMutablePointer<Float>
        let groupSums: UnsafeMutablePointer<Int16>
    }

    /// Quantizes x (rows, columns) the ways the given weight formats take it; `columns` must be
    /// a multiple of 32 (and of 256 when a K-quant is among the formats).
    public init(_ x: UnsafePointer<Float>, rows: Int, columns: Int, for formats: Set<WeightFormat> = [.q8_0]) {
        precondition(columns % 32 == 0, "activations of \(columns) columns are not whole 32-value blocks")
        self.rows = rows
        self.columns = columns
        let blocks = columns / 32
        values = .allocate(capacity: max(1, rows * columns))
        scales = .allocate(capacity: max(1, rows * blocks))
        sums = .allocate(capacity: max(1, rows * blocks))
        totals = .allocate(capacity: max(1, rows * blocks))
        for n in 0..<rows {
            lab_quantize_q8(
                x + n * columns, Int32(blocks), values + n * columns, scales + n * blocks, sums + n * blocks, totals + n * blocks
            )
        }
        if formats.contains(where: { $0.activationRounding == .int8Blocks256 }) {
            precondition(columns % 256 == 0, "activations of \(columns) columns are not whole 256-value blocks")
            let wide = columns / 256
            let rounded = Blocks256(
                values: .allocate(capacity: max(1, rows * columns)), scales: .allocate(capacity: max(1, rows * wide)),
                groupSums: .allocate(capacity: max(1, rows * wide * 16))
            )
            for n in 0..<rows {
                lab_quantize_q8_k(
                    x + n * columns, Int32(wide), rounded.values + n * columns, rounded.scales + n * wide, rounded.groupSums + n * wide * 16
                )
            }
            blocks256 = rounded
        } else {
            blocks256 = nil
        }
    }

    deinit {
        values.deallocate()
        scales.deallocate()
        sums.deallocate()
        totals.deallocate()
        if let blocks256 {
            blocks256.values.deallocate()
            blocks256.scales.deallocate()
            blocks256.groupSums.deallocate()
        }
    }

    /// out (rows, columns) = the values `format` takes, back in Float (scale · q). The sgemm path
    /// feeds these to the Float product so that a sequence gets the same logits whether it is
    /// decoded alone or in a wide batch.
    public func dequantize(for format: WeightFormat, into out: UnsafeMutablePointer<Float>) {
        if format.activationRounding == .int8Blocks256, let wide = blocks256 {
            let blocks = columns / 256
            for n in 0..<rows {
                for b in 0..<blocks {
                    let scale = wide.scales[n * blocks + b], base = n * columns + 256 * b
                    for j in 0..<256 { out[base + j] = scale * Float(wide.values[base + j]) }
                }
            }
            return
        }
        let blocks = columns / 32
        for n in 0..<rows {
            for b in 0..<blocks {
                let scale = scales[n * blocks + b], base = n * columns + 32 * b
                for j in 0..<32 { out[base + j] = scale * Float(values[base + j]) }
            }
        }
    }
}

/// out (T, C) = rows `tokens[t]` of the embedding table (vocabulary, C), decoded to Float.
/// Every token must be a valid row index (callers check ids against the vocabulary first).
public func embeddingForward(_ out: UnsafeMutablePointer<Float>, table: QuantizedMatrix, tokens: [Int32]) {
    for (t, token) in tokens.enumerated() {
        let r = Int(token)
        precondition(r >= 0 && r < table.rows, "token id \(r) outside the embedding table")
        table.dequantize(rows: r..<(r + 1), into: out + t * table.columns)
    }
}

/// Twin of `embeddingForward` through the naive decoder.
public func embeddingForwardNaive(_ out: UnsafeMutablePointer<Float>, table: QuantizedMatrix, tokens: [Int32]) {
    for (t, token) in tokens.enumerated() {
        let r = Int(token)
        table.dequantizeNaive(rows: r..<(r + 1), into: out + t * table.columns)
    }
}

/// Inputs laid out for `QuantizedMatrix.multiplyTiled` (`prepareTiled`); read-only once made, so
/// the threads of one product share them.
public final class TiledInputs: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer?

    init(pointer: UnsafeMutableRawPointer?) {
        self.pointer = pointer
    }

    deinit {
        lab_gemm_float_release(pointer)
    }
}
