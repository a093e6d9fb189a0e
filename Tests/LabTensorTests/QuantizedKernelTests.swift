import LabGGUF
import LabTensor
import Testing

@Suite("Quantized weight kernels agree with their naive twins")
struct QuantizedKernelTests {
    @Test("half-precision decoding equals the platform's Float16 for every bit pattern")
    func halfDecodingMatchesFloat16() {
        var mismatches: [UInt16] = []
        for bits in 0...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let actual = halfToFloatPortable(bits)
            if !(actual == expected || (actual.isNaN && expected.isNaN)) {
                mismatches.append(bits)
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) patterns differ, first: \(mismatches.prefix(5).map { String($0, radix: 16) })")
    }

    @Test("the portable half-precision decoder equals the platform's for every bit pattern")
    func portableHalfDecoding() {
        let mismatches = (0...UInt16.max).filter { bits in
            let a = halfToFloatPortable(bits), b = halfToFloat(bits)
            return !(a == b || (a.isNaN && b.isNaN))
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) patterns differ, first: \(mismatches.prefix(5).map { String($0, radix: 16) })")
    }

    @Test("block sizes are ggml's", arguments: [
        (WeightFormat.q4_1, 32, 20), (.q8_0, 32, 34), (.f16, 1, 2), (.f32, 1, 4), (.bf16, 1, 2), (.q4_0, 32, 18), (.q5_0, 32, 22),
        (.q5_1, 32, 24), (.q4_K, 256, 144), (.q5_K, 256, 176), (.q6_K, 256, 210),
    ])
    func blockSizes(expected: (WeightFormat, Int, Int)) {
        #expect(expected.0.blockSize == expected.1)
        #expect(expected.0.bytesPerBlock == expected.2)
    }

    @Test("Q4_1 decoding follows the nibble layout: low nibbles first, then high nibbles")
    func q4_1Layout() throws {
        // d = 1, m = -8: weights are the raw nibbles minus 8.
        var block: [UInt8] = [0x00, 0x3C, 0x00, 0xC8]
        for j in 0..<16 {
            let low = UInt8(j), high = UInt8(15 - j)
            block.append(low | high << 4)
        }
        var out = [Float](repeating: 0, count: 32)
        try block.withUnsafeBytes { bytes in
            let matrix = try QuantizedMatrix(format: .q4_1, data: bytes.baseAddress!, rows: 1, columns: 32, name: "block")
            matrix.dequantize(rows: 0..<1, into: &out)
        }
        let lows: [Float] = (0..<16).map { Float($0 - 8) }
        let highs: [Float] = (0..<16).map { Float(7 - $0) }
        let expected = lows + highs
        #expect(out == expected)
    }

    @Test("SIMD dequantization equals the naive decoder", arguments: WeightFormat.allCases)
    func dequantizeMatchesNaive(format: WeightFormat) throws {
        var data = TestData(seed: 11)
        let (rows, columns) = (5, 512)
        let bytes = data.matrixBytes(format, rows: rows, columns: columns)
        var fast = [Float](repeating: .nan, count: 3 * columns), naive = fast
        try bytes.withUnsafeBytes { raw in
            let matrix = try QuantizedMatrix(format: format, data: raw.baseAddress!, rows: rows, columns: columns, name: "w")
            #expect(matrix.byteCount == bytes.count)
            matrix.dequantize(rows: 1..<4, into: &fast)
            matrix.dequantizeNaive(rows: 1..<4, into: &naive)
        }
        expectClose(fast, naive, tolerance: 1e-6, "\(format) dequantize")
    }

    @Test(
        "the Float path of the quantized product equals decode-then-dot in Double",
        arguments: WeightFormat.allCases, [1, 3, 4, 9]
    )
    func multiplyFloatMatchesNaive(format: WeightFormat, inputs: Int) throws {
        var data = TestData(seed: 12)
        let (rows, columns) = (37, 768)
        let bytes = data.matrixBytes(format, rows: rows, columns: columns)
        let x = data.floats(inputs * columns)
        var fast = [Float](repeating: .nan, count: inputs * rows), naive = fast
        try bytes.withUnsafeBytes { raw in
            let matrix = try QuantizedMatrix(format: format, data: raw.baseAddress!, rows: rows, columns: columns, name: "w")
            matrix.multiplyFloat(x, count: inputs, into: &fast, outStride: rows, rows: 0..<rows)
            matrix.multiplyNaive(x, count: inputs, into: &naive, outStride: rows, rows: 0..<rows)
        }
        expectClose(fast, naive, tolerance: 1e-4, "\(format) × \(inputs) inputs")
    }

    @Test(
        "every product (its activations rounded as llama.cpp rounds them) equals its naive twin, in every kernel variant bit for bit, and stays within rounding error of Float",
        arguments: WeightFormat.allCases, [1, 3, 9, 10, 21]
    )
    // 21 inputs: the K-quants decode each strip of eight rows once (LAB_KSTRIP_INPUTS), with
    // groups of four or eight and a tail group under four; 41 rows leave a row past the strips.
    func multiplyIntegerMatchesNaive(format: WeightFormat, inputs: Int) throws {
        var data = TestData(seed: 21)
        let (rows, columns) = (41, 512)
        let bytes = data.matrixBytes(format, rows: rows, columns: columns)
        let x = data.floats(inputs * columns)
        var twin = [Float](repeating: .nan, count: inputs * rows), exact = twin
        var results: [IntegerKernel: [Float]] = [:]
        try bytes.withUnsafeBytes { raw in
            let matrix = try QuantizedMatrix(format: format, data: raw.baseAddress!, rows: rows, columns: columns, name: "w")
            results = everyVariant(rows: rows, inputs: inputs, split: 17) { kernel, slice, out in
                matrix.multiply(x, count: inputs, into: out, outStride: rows, rows: slice, kernel: kernel)
            }
            matrix.multiplyQuantizedNaive(x, count: inputs, into: &twin, outStride: rows, rows: 0..<rows)
            matrix.multiplyNaive(x, count: inputs, into: &exact, outStride: rows, rows: 0..<rows)
        }
        for kernel in IntegerKernel.allCases {
            expectClose(results[kernel]!, twin, tolerance: 1e-4, "\(format) \(kernel) integer kernel vs its twin")
        }
        // A CPU without a variant runs the next one down; every variant equals the portable
        // reference bit for bit (integer block sums are exact, the Float steps are the same).
        #expect(results[.avx2] == results[.portable], "\(format): the AVX2 kernel differs from the portable one")
        #expect(results[.vnni] == results[.portable], "\(format): the VNNI kernel differs from the portable one")
        // int8 activations carry about 1/254 of each block's largest value as error.
        let fast = results[.best]!
        let scale = exact.map(abs).max() ?? 1
        let worst = zip(fast, exact).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 0.02 * scale, "\(format): worst error \(worst) against outputs up to \(scale)")
        if format.activationRounding != .none {
            #expect(worst > 0, "the product really rounds the activations")
        }
    }

    @Test(
        "the tiled Float product of a prompt's rows gives the portable bits in every variant and equals its naive twin",
        arguments: [WeightFormat.f32, .f16, .bf16], [1, 5, 16, 70]
    )
    func tiledFloatProduct(format: WeightFormat, inputs: Int) throws {
        var data = TestData(seed: 23)
        // Heights and split points that leave every remainder of the tiles' heights (2 and 4 for
        // BF16, 4 for F32 and 6 for F16 on AVX2, 4 on AVX-512) in one of the two slices; 70
        // inputs: past one 64-input block.
        let columns = 256
        for (rows, split) in [(43, 22), (47, 23), (49, 25), (53, 26)] {
            let bytes = data.matrixBytes(format, rows: rows, columns: columns)
            let raw = data.floats(inputs * columns)
            var x = raw
            format.roundActivations(raw, count: raw.count, into: &x)
            var results: [IntegerKernel: [Float]] = [:]
            var prepared: [IntegerKernel: [Float]] = [:]
            var twin = [Float](repeating: .nan, count: inputs * rows)
            try bytes.withUnsafeBytes { raw in
                let matrix = try QuantizedMatrix(format: format, data: raw.baseAddress!, rows: rows, columns: columns, name: "w")
                results = everyVariant(rows: rows, inputs: inputs, split: split) { kernel, slice, out in
                    matrix.multiplyTiled(x, count: inputs, into: out, outStride: rows, rows: slice, kernel: kernel)
                }
                // The inputs laid out once and shared by both slices, as the threads share them.
                var layouts: [IntegerKernel: TiledInputs] = [:]
                prepared = everyVariant(rows: rows, inputs: inputs, split: split) { kernel, slice, out in
                    let layout = layouts[kernel] ?? matrix.prepareTiled(x, count: inputs, kernel: kernel)
                    layouts[kernel] = layout
                    matrix.multiplyTiled(x, count: inputs, into: out, outStride: rows, rows: slice, kernel: kernel, prepared: layout)
                }
                matrix.multiplyNaive(x, count: inputs, into: &twin, outStride: rows, rows: 0..<rows)
            }
            #expect(results[.avx2] == results[.portable], "\(format) \(rows) rows: the AVX2 tiles differ from the portable product")
            #expect(results[.vnni] == results[.portable], "\(format) \(rows) rows: the AVX-512 tiles differ from the portable product")
            #expect(prepared == results, "\(format) \(rows) rows: prepared inputs change the product")
            expectClose(results[.best]!, twin, tolerance: 1e-4, "\(format) \(rows) rows: tiled product vs the naive twin")
        }
    }

    @Test("the tiled BF16 product flushes denormal inputs and results to zero, as vdpbf16ps does, in every variant")
    func tiledBF16FlushesDenormals() throws {
        // Weight 1 (bf16 0x3F80) against activations whose products are denormal or land there.
        let columns = 32
        let weights = [UInt16](repeating: 0x3F80, count: columns)
        var x = [Float](repeating: 0, count: columns)
        x[1] = Float(bitPattern: 0x0040_0000)  // a denormal input: read as zero
        x[3] = Float(bitPattern: 0x0080_0000)  // the smallest normal: kept
        x[2] = -Float(bitPattern: 0x00C0_0000)  // pair (2, 3) sums to a denormal: flushed
        var results: [IntegerKernel: Float] = [:]
        try weights.withUnsafeBytes { raw in
            let matrix = try QuantizedMatrix(format: .bf16, data: raw.baseAddress!, rows: 1, columns: columns, name: "w")
            for kernel in IntegerKernel.allCases {
                var out: [Float] = [.nan]
                matrix.multiplyTiled(x, count: 1, into: &out, outStride: 1, rows: 0..<1, kernel: kernel)
                results[kernel] = out[0]
            }
        }
        #expect(results[.portable] == 0, "denormals are flushed: \(String(describing: results[.portable]))")
        #expect(results[.avx2] == results[.portable] && results[.vnni] == results[.portable], "\(results)")
    }

    @Test("the largest weights against the largest inputs sum exactly in every variant (no byte-sum overflow)",
          arguments: [WeightFormat.q4_0, .q4_1, .q5_0, .q5_1, .q8_0], [1, 8])
    func extremeBlocksSumExactly(format: WeightFormat, inputs: Int) throws {
        // One input: the eight-rows-per-lane path; eight: the transposed one.
        let (rows, columns) = (8, 64)
        // Every block: scale (and offset) 1.0, then every weight byte at its largest code.
        var block = [UInt8]()
        block += [0x00, 0x3C]
        if format == .q4_1 || format == .q5_1 { block += [0x00, 0x3C] }
        let rest = format.rowBytes(columns: 32) - block.count
        block += [UInt8](repeating: format == .q8_0 ? 0x7F : 0xFF, count: rest)
        let bytes = [UInt8]((0..<(rows * columns / 32)).flatMap { _ in block })
        // Inputs at ±their largest value: every code ±127.
        let x = (0..<(inputs * columns)).map { i in (i / columns) % 2 == 0 ? Float(1) : -1 }
        var results: [IntegerKernel: [Float]] = [:]
        var exact = [Float](repeating: 0, count: inputs * rows)
        try bytes.withUnsafeBytes { raw in
            let matrix = try QuantizedMatrix(format: format, data: raw.baseAddress!, rows: rows, columns: columns, name: "w")
            for kernel in IntegerKernel.allCases {
                var out = [Float](repeating: .nan, count: inputs * rows)
                matrix.multiply(x, count: inputs, into: &out, outStride: rows, rows: 0..<rows, kernel: kernel)
                results[kernel] = out
            }
            matrix.multiplyQuantizedNaive(x, count: inputs, into: &exact, outStride: rows, rows: 0..<rows)
        }
        #expect(results[.avx2] == results[.portable] && results[.vnni] == results[.portable], "\(format): \(results)")
        expectClose(results[.portable]!, exact, tolerance: 1e-5, "\(format) against its naive twin")
    }

    /// Each kernel variant's output (inputs × rows) of `product`, called on two slices of the rows
    /// split at `split`, with an offset output pointer, as two threads call it.
    func everyVariant(
        rows: Int, inputs: Int, split: Int, _ product: (IntegerKernel, Range<Int>, UnsafeMutablePointer<Float>) -> Void
    ) -> [IntegerKernel: [Float]] {
        var results: [IntegerKernel: [Float]] = [:]
        for kernel in IntegerKernel.allCases {
            var out = [Float](repeating: .nan, count: inputs * rows)
            out.withUnsafeMutableBufferPointer { buffer in
                product(kernel, 0..<split, buffer.baseAddress!)
                product(kernel, split..<rows, buffer.baseAddress!)
            }
            results[kernel] = out
        }
        return results
    }

    /// The products' paths: Float activations for every format, int8 activations for Q4_1/Q8_0.
    static let productPaths: [(format: WeightFormat, integer: Bool)] =
        WeightFormat.allCases.map { ($0, false) } + WeightFormat.allCases.map { ($0, true) }

    @Test("an input's product is the same bits alone as in any batch width", arguments: productPaths)
    func productIgnoresBatch(path: (format: WeightFormat, integer: Bool)) throws {
        var data = TestData(seed: 22)
        // Up to 18 inputs: widths of 16 and more take the K-quants' decoded strips.
        let (rows, columns, inputs) = (19, 768, 18)
        let bytes = data.matrixBytes(path.format, rows: rows, columns: columns)
        let x = data.floats(inputs * columns)
        try bytes.withUnsafeBytes { raw in
            let matrix = try QuantizedMatrix(format: path.format, data: raw.baseAddress!, rows: rows, columns: columns, name: "w")
            func product(first: Int, count: Int) -> [Float] {
                var out = [Float](repeating: .nan, count: count * rows)
                x.withUnsafeBufferPointer { all in
                    let input = all.baseAddress! + first * columns
                    if path.integer {
                        matrix.multiply(input, count: count, into: &out, outStride: rows, rows: 0..<rows)
                    } else {
                        matrix.multiplyFloat(input, count: count, into: &out, outStride: rows, rows: 0..<rows)
                    }
                }
                return out
            }
            let alone = (0..<inputs).map { product(first: $0, count: 1) }
            // Every width from 2 up, so inputs land both in the kernels' row groups and in their tails.
            for width in 2...inputs {
                let batched = product(first: 0, count: width)
                for n in 0..<width {
                    #expect(alone[n] == Array(batched[(n * rows)..<((n + 1) * rows)]),
                            "\(path.format) \(path.integer ? "int8" : "Float"): input \(n) of a batch of \(width)")
                }
            }
        }
    }

    @Test(
        "the integer product of a slice of the activation rows equals those rows of the whole product",
        arguments: WeightFormat.allCases.filter(\.quantizesActivations)
    )
    func integerProductOfRowSlice(format: WeightFormat) throws {
        var data = TestData(seed: 24)
        let (rows, columns, inputs) = (23, 256, 6)
        let bytes = data.matrixBytes(format, rows: rows, columns: columns)
        let x = data.floats(inputs * columns)
        try bytes.withUnsafeBytes { raw in
            let matrix = try QuantizedMatrix(format: format, data: raw.baseAddress!, rows: rows, columns: columns, name: "w")
            let quantized = QuantizedActivations(x, rows: inputs, columns: columns, for: [format])
            var whole = [Float](repeating: .nan, count: inputs * rows)
            matrix.multiply(quantized, into: &whole, outStride: rows, rows: 0..<rows)
            var slice = [Float](repeating: .nan, count: 3 * rows)
            matrix.multiply(quantized, inputRows: 2..<5, into: &slice, outStride: rows, rows: 0..<rows)
            #expect(slice == Array(whole[(2 * rows)..<(5 * rows)]))
        }
    }

    @Test("activation rounding equals the naive per-block rounding")
    func activationRoundingMatchesNaive() {
        var data = TestData(seed: 23)
        var x = data.floats(5 * 64)
        x[0] = -3   // a block whose largest magnitude is negative
        for j in 64..<96 { x[j] = 0 }   // an all-zero block
        // A block scaled by exactly 1 (max 127), with ties: they round to even, as vroundps does.
        x[128] = 127; x[129] = 2.5; x[130] = -3.5; x[131] = 0.5
        var rounded = [Float](repeating: .nan, count: x.count)
        QuantizedActivations(x, rows: 5, columns: 64).dequantize(for: .q8_0, into: &rounded)
        var naive = [Float](repeating: 0, count: x.count)
        for b in 0..<(x.count / 32) {
            let block = x[(32 * b)..<(32 * b + 32)]
            let amax = block.map(abs).max()!
            let d = Float(Float16(amax / 127)), inverse: Float = amax > 0 ? 127 / amax : 0
            for j in 0..<32 { naive[32 * b + j] = d * (x[32 * b + j] * inverse).rounded(.toNearestOrEven) }
        }
        #expect(rounded == naive)
    }

    @Test("Q8_K activation rounding follows llama.cpp's quantize_row_q8_K")
    func q8KRoundingMatchesLlamaCpp() {
        var data = TestData(seed: 25)
        var x = data.floats(4 * 256)
        x[3] = 2; x[7] = -2       // the largest magnitude twice: the first one sets the scale (−127/2)
        for j in 256..<512 { x[j] = 0 }   // an all-zero block
        x[600] = -5               // a negative largest value: positive codes for it, scale 5/127
        var rounded = [Float](repeating: .nan, count: x.count)
        QuantizedActivations(x, rows: 1, columns: 1024, for: [.q4_K]).dequantize(for: .q4_K, into: &rounded)
        var naive = [Float](repeating: 0, count: x.count)
        for b in 0..<4 {
            let block = Array(x[(256 * b)..<(256 * b + 256)])
            var largest: Float = 0
            for v in block where abs(v) > abs(largest) { largest = v }
            guard largest != 0 else { continue }
            let inverse = -127 / largest
            for j in 0..<256 { naive[256 * b + j] = (1 / inverse) * min(127, (inverse * block[j]).rounded(.toNearestOrEven)) }
        }
        #expect(rounded == naive)
        #expect(rounded[3] == 2 && rounded[7] == -2 && rounded[600] == -5)
    }

    @Test("the activations of F16 and BF16 weights are rounded to nearest even, as ggml converts them")
    func floatActivationRounding() {
        let x: [Float] = [1 + 1.0 / 2048, 1 + 3.0 / 2048, 1 + 1.0 / 256, 1 + 3.0 / 256, -65519, 3.14159265]
        var f16 = [Float](repeating: .nan, count: x.count), bf16 = f16
        WeightFormat.f16.roundActivations(x, count: x.count, into: &f16)
        WeightFormat.bf16.roundActivations(x, count: x.count, into: &bf16)
        #expect(f16 == x.map { Float(Float16($0)) })
        #expect(f16[0] == 1 && f16[1] == 1 + 4.0 / 2048)   // ties go to the even neighbour
        #expect(bf16[2] == 1 && bf16[3] == 1 + 4.0 / 256)
        #expect(bf16[5] == Float(bitPattern: 0x4049_0000))
    }

    @Test("embedding lookup decodes the requested rows")
    func embeddingMatchesNaive() throws {
        var data = TestData(seed: 13)
        let bytes = data.matrixBytes(.q8_0, rows: 50, columns: 64)
        let tokens: [Int32] = [3, 49, 0, 3]
        var fast = [Float](repeating: .nan, count: tokens.count * 64), naive = fast
        try bytes.withUnsafeBytes { raw in
            let table = try QuantizedMatrix(format: .q8_0, data: raw.baseAddress!, rows: 50, columns: 64, name: "token_embd.weight")
            embeddingForward(&fast, table: table, tokens: tokens)
            embeddingForwardNaive(&naive, table: table, tokens: tokens)
        }
        expectClose(fast, naive, tolerance: 0, "embedding")
    }

    @Test("a row length that is not whole 32-weight blocks is rejected with the tensor's name")
    func rejectsPartialBlocks() {
        let bytes = [UInt8](repeating: 0, count: 400)
        bytes.withUnsafeBytes { raw in
            let error = #expect(throws: TensorError.self) {
                _ = try QuantizedMatrix(format: .f32, data: raw.baseAddress!, rows: 2, columns: 40, name: "blk.0.attn_q.weight")
            }
            #expect(error?.description.contains("blk.0.attn_q.weight") == true, "message: \(String(describing: error))")
        }
    }
}
