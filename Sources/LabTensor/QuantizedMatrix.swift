import CQuantKernels

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
    /// Throws when `columns` is not a multiple of 32 (the kernels decode 32 weights at a time).
    public init(format: WeightFormat, data: UnsafeRawPointer, rows: Int, columns: Int, name: String) throws {
        guard rows > 0, columns > 0, columns % 32 == 0 else {
            throw TensorError("tensor \(name): \(rows)×\(columns) \(format.rawValue) is not supported; rows must be made of whole 32-weight blocks")
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

    /// dst (rows.count, columns) = the given rows decoded to Float.
    public func dequantize(rows range: Range<Int>, into dst: UnsafeMutablePointer<Float>) {
        switch format {
        case .q4_1: dequantizeKernel(Q4_1Decoder.self, range, dst)
        case .q8_0: dequantizeKernel(Q8_0Decoder.self, range, dst)
        case .f32: dequantizeKernel(F32Decoder.self, range, dst)
        case .f16: dequantizeKernel(F16Decoder.self, range, dst)
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
    /// Q4_1 and Q8_0 weights meet activations quantized to int8 per 32-value block (as llama.cpp
    /// does): the product is an integer dot product per block (`CQuantKernels`), about twice the
    /// speed of decoding to Float. `multiplyFloat` is the all-Float Swift SIMD twin.
    public func multiply(
        _ x: UnsafePointer<Float>, count N: Int, into out: UnsafeMutablePointer<Float>, outStride: Int, rows range: Range<Int>
    ) {
        guard format.quantizesActivations, !range.isEmpty else {
            multiplyFloat(x, count: N, into: out, outStride: outStride, rows: range)
            return
        }
        multiply(QuantizedActivations(x, rows: N, columns: columns), into: out, outStride: outStride, rows: range)
    }

    /// `multiply` on activations already rounded to int8, so several matrices (and threads)
    /// reading one input quantize it once. Only for Q4_1 and Q8_0 weights.
    ///
    /// `kernel` picks the instruction set; every choice gives the same result, bit for bit.
    ///
    /// `inputRows` picks the activation rows to multiply (all of them by default); result row i
    /// goes to `out + i · outStride` for the i-th picked row.
    public func multiply(
        _ x: QuantizedActivations, inputRows: Range<Int>? = nil, into out: UnsafeMutablePointer<Float>, outStride: Int,
        rows range: Range<Int>, kernel: IntegerKernel = .best
    ) {
        precondition(format.quantizesActivations, "integer products need Q4_1 or Q8_0 weights, not \(format)")
        precondition(x.columns == columns, "activations of \(x.columns) columns against a matrix of \(columns)")
        let picked = inputRows ?? 0..<x.rows
        precondition(picked.lowerBound >= 0 && picked.upperBound <= x.rows, "rows \(picked) of \(x.rows) activation rows")
        guard !range.isEmpty, !picked.isEmpty else { return }
        let begin = Int32(range.lowerBound), end = Int32(range.upperBound), blocks = columns / 32
        let values = x.values + picked.lowerBound * columns
        let scales = x.scales + picked.lowerBound * blocks, sums = x.sums + picked.lowerBound * blocks
        if format == .q4_1 {
            lab_matmul_q4_1(kernel.rawValue, data, rowBytes, begin, end, Int32(blocks), Int32(picked.count), values, scales, sums, out, outStride)
        } else {
            lab_matmul_q8_0(kernel.rawValue, data, rowBytes, begin, end, Int32(blocks), Int32(picked.count), values, scales, out, outStride)
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
        }
    }

    /// Naive twin of the integer path: activations quantized per 32-value block exactly as the
    /// kernel does (round half to even), then decode-then-dot in Double.
    public func multiplyQuantizedNaive(
        _ x: UnsafePointer<Float>, count N: Int, into out: UnsafeMutablePointer<Float>, outStride: Int, rows range: Range<Int>
    ) {
        var quantized = [Float](repeating: 0, count: N * columns)
        for n in 0..<N {
            for b in 0..<(columns / 32) {
                let base = n * columns + 32 * b
                var amax: Float = 0
                for j in 0..<32 { amax = max(amax, abs(x[base + j])) }
                let d = Float(Float16(amax / 127)), inverse: Float = amax > 0 ? 127 / amax : 0
                for j in 0..<32 { quantized[base + j] = d * (x[base + j] * inverse).rounded(.toNearestOrEven) }
            }
        }
        multiplyNaive(quantized, count: N, into: out, outStride: outStride, rows: range)
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

extension WeightFormat {
    /// Whether products with these weights take int8-quantized activations (`QuantizedMatrix.multiply`).
    public var quantizesActivations: Bool { self == .q4_1 || self == .q8_0 }
}

/// The instruction set of the integer products (`QuantizedMatrix.multiply`).
public enum IntegerKernel: Int32, Sendable, CaseIterable {
    /// Plain C: any CPU, and the reference the vector kernels are checked against.
    case portable = 0
    /// AVX2 byte multiply-adds.
    case avx2 = 1
    /// AVX-512 VNNI's one-instruction byte dot products (same results as `.avx2`).
    case vnni = 2

    /// The fastest kernel this CPU runs.
    public static let best = IntegerKernel(rawValue: lab_integer_kernel_best()) ?? .portable
}

/// Activations (rows, columns) rounded to int8 per 32-value block, with each block's scale
/// (max|x|/127 in binary16, as llama.cpp's Q8_1) and scale · Σ q: the input of the integer
/// products. Made once per input and shared by every matrix and thread that reads it.
public final class QuantizedActivations: @unchecked Sendable {
    // @unchecked: the buffers are written only in init and freed in deinit.
    public let rows: Int
    public let columns: Int
    let values: UnsafeMutablePointer<Int8>
    let scales: UnsafeMutablePointer<Float>
    let sums: UnsafeMutablePointer<Float>

    /// Quantizes x (rows, columns); `columns` must be a multiple of 32.
    public init(_ x: UnsafePointer<Float>, rows: Int, columns: Int) {
        precondition(columns % 32 == 0, "activations of \(columns) columns are not whole 32-value blocks")
        self.rows = rows
        self.columns = columns
        let blocks = columns / 32
        values = .allocate(capacity: max(1, rows * columns))
        scales = .allocate(capacity: max(1, rows * blocks))
        sums = .allocate(capacity: max(1, rows * blocks))
        for n in 0..<rows {
            lab_quantize_q8(x + n * columns, Int32(blocks), values + n * columns, scales + n * blocks, sums + n * blocks)
        }
    }

    deinit {
        values.deallocate()
        scales.deallocate()
        sums.deallocate()
    }

    /// out (rows, columns) = the rounded values back in Float (scale · q). The sgemm path feeds
    /// these to the Float product so that a sequence gets the same logits whether it is decoded
    /// alone or in a wide batch.
    public func dequantize(into out: UnsafeMutablePointer<Float>) {
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
