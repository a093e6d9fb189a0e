import Foundation
import LabCore
import LabGGUF
import LabTestSupport
import Testing

@Suite("model quantize: llama-quantize's bytes")
struct ModelQuantizerTests {
    /// SHA-256 of `llama-quantize --allow-requantize SmolLM2-135M-Instruct.Q4_1.gguf OUT TYPE`
    /// (llama.cpp 0c1e570, the vendored tree of llama-cpp-python 0.3.36, built natively on
    /// 2026-12-07; no importance matrix). SmolLM's 576-wide rows exercise the fallbacks to Q5_0,
    /// Q5_1 and Q8_0; its 1536-wide ffn_down rows the K-quants and the layer rules of the mixes.
    static let llamaQuantize: [(QuantizationMix, String)] = [
        (.q8_0, "7b46609d11703c058397e5cfe4cc6e4b2508cb1eb4c80ddc472a5d421fbdb508"),
        (.q4_0, "aa4256f3b46eb4add75ece1c0eeac1c6e4f1ec0c93e6fbe64fe1770f4ad09ae8"),
        (.q4_k_s, "7d9eb1146bf78d98207372d1db5f4aad16ec094f11f8edd661627eda54f7cf53"),
        (.q4_k_m, "dc0f3a02e821146247a0af6895adf9872124f368682cb110cb9ed09ff2a9f9f1"),
        (.q5_k_m, "8170c7ef444692b3b2fe63459c326def0358807ef9be6e3cb020efb86a71015e"),
        (.q6_k, "a969ae2086dd4945a7c61594bf72b2bcc3b7df8571c92aed8f213918673a7f80"),
    ]

    @Test("requantizing the default model gives llama-quantize's file, byte for byte", arguments: Self.llamaQuantize)
    func equalsLlamaQuantize(mix: QuantizationMix, sha256: String) throws {
        let model = try GGUFFile(url: TestPaths.defaultModel())
        let directory = try TestPaths.temporaryDirectory("quantize")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("\(mix.rawValue).gguf")
        let summary = try ModelQuantizer.quantize(model, mix: mix, to: out)
        #expect(summary.tensors == model.tensors.count)
        #expect(try ContentHash.sha256Hex(fileAt: out) == sha256, "\(mix.rawValue) differs from llama-quantize's output")
        // And the engine's reader takes it back with the metadata llama.cpp sets last.
        let written = try GGUFFile(url: out)
        #expect(written.metadata.suffix(2).map(\.key) == ["general.quantization_version", "general.file_type"])
        #expect(written.int("general.file_type") == Int(mix.fileType))
    }

    @Test("K-quant blocks decode to within their step of the input, and all-zero blocks stay zero")
    func kQuantRoundTrip() throws {
        var random = SeededRandom(seed: 21)
        var values = [Float](repeating: 0, count: 4 * 256)
        for i in 256..<values.count {
            let magnitude = Float(i % 7 + 1)
            values[i] = (random.nextUnitFloat() * 2 - 1) * magnitude
        }
        for (type, levels) in [(GGMLType.q4_K, Float(15)), (.q5_K, 31), (.q6_K, 63)] {
            let bytes = try Quantize.encode(type, values)
            var decoded = [Float](repeating: .nan, count: values.count)
            bytes.withUnsafeBytes { raw in
                decoded.withUnsafeMutableBufferPointer { Dequantize.run(type, from: raw, count: values.count, into: $0.baseAddress!) }
            }
            #expect(decoded.prefix(256).allSatisfy { $0 == 0 }, "\(type): a zero block decodes to zeros")
            for block in 1..<4 {
                let range = (256 * block)..<(256 * (block + 1))
                let spread = values[range].max()! - values[range].min()!
                let worst = range.map { abs(decoded[$0] - values[$0]) }.max()!
                // One level of a scale that covers the block's range, with room for the 6/8-bit scale rounding.
                #expect(worst <= 1.5 * spread / levels, "\(type) block \(block): error \(worst), range \(spread)")
            }
        }
    }

    @Test("the mixes give llama.cpp's types: tied output, layer rules, fallbacks for short rows")
    func plan() {
        // A 16-layer model with 512-wide rows, a 1024-wide ffn_down and a 576-wide attn_output.
        var tensors: [(name: String, dimensions: [Int], type: GGMLType)] = [("token_embd.weight", [512, 1000], .f32), ("output_norm.weight", [512], .f32)]
        for l in 0..<16 {
            tensors += [
                ("blk.\(l).attn_norm.weight", [512], .f32), ("blk.\(l).attn_q.weight", [512, 512], .f32),
                ("blk.\(l).attn_v.weight", [512, 128], .f32), ("blk.\(l).attn_output.weight", [576, 512], .f32),
                ("blk.\(l).ffn_down.weight", [1024, 512], .f32),
            ]
        }
        let plan = QuantizationPlan(tensors: tensors, layerCount: 16, mix: .q4_k_m)
        func type(_ name: String) -> GGMLType? { plan.entries.first { $0.name == name }?.to }
        #expect(plan.entries.first?.name == "output_norm.weight" && plan.entries[1].name == "token_embd.weight", "non-block tensors first, by name")
        #expect(type("token_embd.weight") == .q6_K, "a tied embedding is the output head: Q6_K")
        #expect(type("output_norm.weight") == .f32 && type("blk.3.attn_norm.weight") == .f32)
        #expect(type("blk.3.attn_q.weight") == .q4_K)
        #expect(type("blk.3.attn_output.weight") == .q5_0, "576 is not whole 256-blocks: Q4_K falls back to Q5_0")
        // use_more_bits(i, 16): i < 2, i ≥ 14, or (i − 2) % 3 == 2.
        let more = (0..<16).filter { $0 < 2 || $0 >= 14 || ($0 - 2) % 3 == 2 }
        for l in 0..<16 {
            let expected: GGMLType = more.contains(l) ? .q6_K : .q4_K
            #expect(type("blk.\(l).ffn_down.weight") == expected, "ffn_down \(l)")
            #expect(type("blk.\(l).attn_v.weight") == expected, "attn_v \(l)")
        }
        let small = QuantizationPlan(tensors: tensors, layerCount: 16, mix: .q4_k_s)
        #expect(small.entries.first { $0.name == "blk.1.ffn_down.weight" }?.to == .q5_K)
        #expect(small.entries.first { $0.name == "blk.2.ffn_down.weight" }?.to == .q4_K)
        #expect(small.entries.first { $0.name == "blk.3.attn_v.weight" }?.to == .q5_K && small.entries.first { $0.name == "blk.4.attn_v.weight" }?.to == .q4_K)
        let q8 = QuantizationPlan(tensors: tensors, layerCount: 16, mix: .q8_0)
        #expect(q8.entries.allSatisfy { $0.dimensions.count == 1 ? $0.to == .f32 : $0.to == .q8_0 })
    }
}
