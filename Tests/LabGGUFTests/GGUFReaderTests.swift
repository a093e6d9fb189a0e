import Foundation
import LabGGUF
import LabTestSupport
import Testing

/// The reader on the default model, against llama.cpp's figures (shared/reference/README.md) and
/// gguf-py's decoding of the same tensors (Fixtures/model_rows.json).
@Suite struct TheDefaultModelFile {
    @Test func headerAndLayoutMatchLlamaCpp() throws {
        let file = try GGUFFile(url: try TestPaths.defaultModel())
        #expect(file.version == 3)
        #expect(file.metadata.count == 33)
        #expect(file.tensors.count == 272)
        #expect(file.alignment == 32)
        #expect(file.dataOffset == 1_785_664)
        let counts = Dictionary(grouping: file.tensors, by: \.type).mapValues(\.count)
        #expect(counts == [.q4_1: 210, .q8_0: 1, .f32: 61])
        #expect(file.tensorInfo(named: "output.weight") == nil)
        let embedding = try #require(file.tensorInfo(named: "token_embd.weight"))
        #expect(embedding.dimensions == [576, 49152])
        #expect(embedding.type == .q8_0)
    }

    @Test func llamaHyperParametersAreReadable() throws {
        let file = try GGUFFile(url: try TestPaths.defaultModel())
        #expect(file.architecture == "llama")
        #expect(file.int("llama.block_count") == 30)
        #expect(file.int("llama.embedding_length") == 576)
        #expect(file.int("llama.feed_forward_length") == 1536)
        #expect(file.int("llama.attention.head_count") == 9)
        #expect(file.int("llama.attention.head_count_kv") == 3)
        #expect(file.int("llama.context_length") == 8192)
        #expect(file.float("llama.rope.freq_base") == 100_000)
        #expect(abs((file.float("llama.attention.layer_norm_rms_epsilon") ?? 0) - 1e-5) < 1e-12)
        #expect(file.string("tokenizer.ggml.model") == "gpt2")
        #expect(file.string("tokenizer.ggml.pre") == "smollm")
        #expect(file.stringArray("tokenizer.ggml.tokens")?.count == 49152)
        #expect(file.stringArray("tokenizer.ggml.merges")?.count == 48900)
        #expect(file.int("tokenizer.ggml.bos_token_id") == 1)
        #expect(file.int("tokenizer.ggml.eos_token_id") == 2)
        #expect(throws: GGUFError.self) { try file.require("llama.nonexistent") { file.int($0) } }
    }

    @Test func dequantizedRowsEqualLlamaCppsPythonReader() throws {
        let file = try GGUFFile(url: try TestPaths.defaultModel())
        let fixture = try #require(try Fixture.json("model_rows") as? [String: Any])
        let expected = try #require(fixture["rows"] as? [String: [Double]])
        #expect(expected.count == 6)
        for (key, row) in expected {
            let parts = key.split(separator: "#")
            let tensor = try #require(file.tensorInfo(named: String(parts[0])))
            let rowIndex = try #require(Int(parts[1]))
            let rowBytes = tensor.type.byteCount(elements: tensor.rowLength)!
            let data = file.data(of: tensor)
            let slice = UnsafeRawBufferPointer(rebasing: data[(rowIndex * rowBytes)..<((rowIndex + 1) * rowBytes)])
            var values = [Float](repeating: 0, count: tensor.rowLength)
            values.withUnsafeMutableBufferPointer { Dequantize.run(tensor.type, from: slice, count: tensor.rowLength, into: $0.baseAddress!) }
            // gguf-py computes in float32 with the same operations, so the floats agree bit for bit.
            // JSONSerialization may be off by a float64 ulp; rounding to Float recovers gguf-py's float32.
            let differing = zip(values, row).enumerated().filter { $0.element.0 != Float($0.element.1) }
            #expect(values.count == row.count && differing.isEmpty,
                    "\(key): \(differing.count) of \(row.count) differ, first \(differing.first.map { "[\($0.offset)] \($0.element.0) vs \($0.element.1)" } ?? "")")
        }
    }

    @Test(arguments: ["token_embd.weight", "blk.0.attn_q.weight", "blk.29.ffn_down.weight", "output_norm.weight"])
    func wholeTensorSumsEqualGgufPys(name: String) throws {
        let file = try GGUFFile(url: try TestPaths.defaultModel())
        let fixture = try #require(try Fixture.json("model_rows") as? [String: Any])
        let sums = try #require((fixture["sums"] as? [String: [String: Double]])?[name])
        let values = file.floats(of: try #require(file.tensorInfo(named: name)))
        var sum = 0.0, absSum = 0.0
        for value in values {
            sum += Double(value)
            absSum += abs(Double(value))
        }
        // Summation order differs from numpy's pairwise sum, so allow float64 rounding.
        let expectedSum = try #require(sums["sum"]), expectedAbs = try #require(sums["abs_sum"])
        #expect(abs(sum - expectedSum) <= 1e-9 * expectedAbs, "\(name): sum \(sum) vs \(expectedSum)")
        #expect(abs(absSum - expectedAbs) <= 1e-9 * expectedAbs, "\(name): |sum| \(absSum) vs \(expectedAbs)")
    }

    /// The engine reads the file into huge pages: the same metadata and every tensor's bytes as the
    /// mapping, at the file's alignment.
    @Test func aCopyInHugePagesHoldsTheMappedBytes() throws {
        let mapped = try GGUFFile(url: try TestPaths.defaultModel())
        let copied = try GGUFFile(url: try TestPaths.defaultModel(), residency: .hugePages)
        #if os(Linux)
        #expect(copied.residency == .hugePages)
        #endif
        #expect(mapped.residency == .mapped)
        #expect(copied.tensors == mapped.tensors)
        #expect(copied.metadata.map(\.key) == mapped.metadata.map(\.key))
        #expect(copied.string("tokenizer.ggml.model") == mapped.string("tokenizer.ggml.model"))
        #expect(copied.stringArray("tokenizer.ggml.tokens") == mapped.stringArray("tokenizer.ggml.tokens"))
        for tensor in mapped.tensors {
            let a = mapped.data(of: tensor), b = copied.data(of: tensor)
            #expect(Int(bitPattern: b.baseAddress) % copied.alignment == 0, "\(tensor.name)")
            #expect(memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0, "\(tensor.name)")
        }
    }

    @Test func typedArrayAccessorsRefuseArraysOfAnotherType() throws {
        let file = try GGUFFile(url: try TestPaths.defaultModel())
        #expect(file.intArray("tokenizer.ggml.token_type").map { Array($0.prefix(18)) } == Array(repeating: 3, count: 17) + [1])
        #expect(file.stringArray("tokenizer.ggml.token_type") == nil)
        #expect(file.intArray("tokenizer.ggml.tokens") == nil)
        #expect(file.floatArray("tokenizer.ggml.merges") == nil)
        #expect(file.string("llama.block_count") == nil)
        let error = try #require(throws: GGUFError.self) { try file.require("llama.block_count") { file.string($0) } }
        #expect(error.kind == .wrongType && error.field == "llama.block_count", "\(error)")
    }
}

@Suite struct BlockFormats {
    @Test(arguments: ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"])
    func idsAndSizesEqualGgufPys(name: String) throws {
        let fixtures = try #require(try Fixture.json("blocks") as? [String: Any])
        let sizes = try #require((fixtures["sizes"] as? [String: [Int]])?[name])
        let id = try #require((fixtures["ids"] as? [String: Int])?[name])
        let type = try #require(GGMLType(rawValue: UInt32(id)))
        #expect(type.description == name)
        #expect([type.blockSize, type.bytesPerBlock] == sizes, "\(name): ours \([type.blockSize, type.bytesPerBlock]), gguf-py \(sizes)")
    }

    @Test(arguments: ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"])
    func decodingEqualsGgufPy(name: String) throws {
        let fixtures = try #require(try Fixture.json("blocks") as? [String: Any])
        let entry = try #require(fixtures[name] as? [String: Any])
        let type = try #require(GGMLType.allCases.first { $0.description == name })
        let bytes = Fixture.bytes(hex: try #require(entry["bytes"] as? String))
        let expected = try #require(entry["values"] as? [Double])
        let values = dequantized(type, bytes)
        #expect(values.count == expected.count)
        // Same float32 operations in the same order as ggml and gguf-py: equal bit for bit.
        // JSONSerialization may be off by a float64 ulp; rounding to Float recovers gguf-py's float32.
        let differing = zip(values, expected).enumerated().filter { $0.element.0 != Float($0.element.1) }
        #expect(differing.isEmpty, "\(name): \(differing.count) differ, first \(differing.first.map { "[\($0.offset)] \($0.element.0) vs \($0.element.1)" } ?? "")")
    }

    @Test(arguments: ["Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "F16", "BF16"])
    func encodingEqualsGgufPyByteForByte(name: String) throws {
        let fixtures = try #require(try Fixture.json("blocks") as? [String: Any])
        let entry = try #require(fixtures["quantize"] as? [String: Any])
        let source = try #require(entry["source"] as? [Double]).map(Float.init)
        let type = try #require(GGMLType.allCases.first { $0.description == name })
        let expected = Fixture.bytes(hex: try #require(entry[name] as? String))
        let encoded = Quantize.run(type, source)
        #expect(encoded.count == expected.count)
        let differing = zip(encoded, expected).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        #expect(differing.isEmpty, "\(name): bytes differ at \(differing.prefix(8))")
    }

    @Test(arguments: [GGMLType.q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .f16, .bf16])
    func nonFiniteValuesEncodeWithoutTrapping(type: GGMLType) throws {
        var values = (0..<64).map { Float($0) / 10 - 3 }
        values[3] = .nan
        values[40] = .infinity
        values[41] = -.infinity
        let encoded = try Quantize.encode(type, values)
        #expect(encoded.count == type.byteCount(elements: 64))
        let decoded = dequantized(type, encoded)
        // The finite block-mates of a NaN still decode near their values where the scale is finite.
        if type != .f16, type != .bf16 {
            #expect(abs(decoded[10] - values[10]) < 0.5, "\(type): \(decoded[10]) vs \(values[10])")
        } else {
            #expect(decoded[3].isNaN && decoded[40] == .infinity && decoded[41] == -.infinity)
        }
    }

    @Test func encodingRefusesPartialBlocks() {
        #expect(throws: GGUFError.self) { try Quantize.encode(.q4_1, [Float](repeating: 1, count: 33)) }
        #expect(throws: GGUFError.self) { try Quantize.encode(.q6_K, [Float](repeating: 1, count: 255)) }
        #expect(throws: GGUFError.self) { try Quantize.encode(.q4_K, [Float](repeating: 1, count: 288)) }
    }

    @Test func blockSizesAreGgmls() {
        let sizes = Dictionary(uniqueKeysWithValues: GGMLType.allCases.map { ($0.description, ($0.blockSize, $0.bytesPerBlock)) })
        #expect(sizes["Q4_0"]! == (32, 18) && sizes["Q4_1"]! == (32, 20) && sizes["Q5_0"]! == (32, 22))
        #expect(sizes["Q5_1"]! == (32, 24) && sizes["Q8_0"]! == (32, 34))
        #expect(sizes["Q4_K"]! == (256, 144) && sizes["Q5_K"]! == (256, 176) && sizes["Q6_K"]! == (256, 210))
        #expect(GGMLType.q4_1.byteCount(elements: 576) == 360)
        #expect(GGMLType.q4_1.byteCount(elements: 50) == nil)
    }

    @Test func quantizationErrorStaysWithinHalfAStep() {
        var random = LabCoreRandom(seed: 3)
        let values = (0..<256).map { _ in random.float() * 4 - 2 }
        for type in [GGMLType.q8_0, .q4_0, .q4_1, .q5_0, .q5_1] {
            let decoded = dequantized(type, Quantize.run(type, values))
            for block in 0..<(256 / 32) {
                let slice = values[(block * 32)..<(block * 32 + 32)]
                let range = (slice.max()! - slice.min()!)
                let amax = slice.map(abs).max()!
                let step: Float = switch type {
                case .q8_0: amax / 127
                case .q4_0: amax / 8
                case .q5_0: amax / 16
                case .q5_1: range / 31
                default: range / 15
                }
                for j in (block * 32)..<(block * 32 + 32) {
                    // Half a step, plus the f16 rounding of the scale and minimum. Q4_0 maps the
                    // largest magnitude to -8, so the opposite end clamps at +7: up to a whole step.
                    let allowed = (type == .q4_0 || type == .q5_0 ? step : step * 0.5) + 2e-3 * max(1, abs(values[j]))
                    #expect(abs(decoded[j] - values[j]) <= allowed, "\(type) element \(j)")
                }
            }
        }
    }
}
