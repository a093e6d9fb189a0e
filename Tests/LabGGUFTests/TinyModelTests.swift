import Foundation
import LabGGUF
import LabTestSupport
import Testing

/// The tiny llama model that engine, tokenizer and teacher tests write for themselves.
@Suite struct TheTinyDecoderModel {
    static let layerTensors = ["attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"]

    @Test(arguments: [GGMLType.f32, .f16, .q8_0, .q4_1])
    func hasLlamaCppsTensorNamesShapesAndTheChosenType(type: GGMLType) throws {
        let directory = try TestPaths.temporaryDirectory("tiny")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("tiny.gguf")
        let config = TinyDecoderModel.Config(weightType: type)
        let vocabulary = try TinyDecoderModel.write(to: url, config: config, seed: 1)
        let file = try GGUFFile(url: url)
        let vocab = vocabulary.tokens.count
        var expected = ["token_embd.weight"]
        for layer in 0..<config.layers { expected += Self.layerTensors.map { "blk.\(layer).\($0).weight" } }
        expected += ["output_norm.weight", "output.weight"]
        #expect(file.tensors.map(\.name) == expected)
        #expect(file.tensorInfo(named: "token_embd.weight")?.dimensions == [64, vocab])
        #expect(file.tensorInfo(named: "blk.1.attn_k.weight")?.dimensions == [64, 32])
        #expect(file.tensorInfo(named: "blk.0.ffn_down.weight")?.dimensions == [128, 64])
        #expect(file.tensorInfo(named: "output.weight")?.dimensions == [64, vocab])
        for tensor in file.tensors {
            #expect(tensor.type == (tensor.name.hasSuffix("norm.weight") ? .f32 : type), "\(tensor.name)")
            let values = file.floats(of: tensor)
            let finite = values.allSatisfy { $0.isFinite }
            #expect(finite, "\(tensor.name)")
        }
        #expect(file.architecture == "llama")
        #expect(file.int("llama.block_count") == 2 && file.int("llama.embedding_length") == 64)
        #expect(file.int("llama.attention.head_count") == 4 && file.int("llama.attention.head_count_kv") == 2)
        #expect(file.int("llama.feed_forward_length") == 128 && file.int("llama.vocab_size") == vocab)
        #expect(file.int("llama.rope.dimension_count") == 16)
    }

    @Test func carriesAByteLevelBPEVocabularyWithMergesAndChatML() throws {
        let directory = try TestPaths.temporaryDirectory("tiny")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("tiny.gguf")
        try TinyDecoderModel.write(to: url, seed: 2)
        let file = try GGUFFile(url: url)
        let tokens = try #require(file.stringArray("tokenizer.ggml.tokens"))
        let merges = try #require(file.stringArray("tokenizer.ggml.merges"))
        let types = try #require(file.intArray("tokenizer.ggml.token_type"))
        #expect(file.string("tokenizer.ggml.model") == "gpt2")
        #expect(Array(tokens.prefix(3)) == ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
        #expect(Array(types.prefix(4)) == [3, 3, 3, 1])
        #expect(tokens.count == 3 + 256 + merges.count && merges.count == 64)
        #expect(Set(tokens).count == tokens.count, "token strings are unique")
        // GPT-2 order: '!' first, the space byte mapped to 'Ġ' among the remapped ones.
        #expect(tokens[3] == "!" && tokens.contains("Ġ") && tokens.contains("Ċ"))
        // Every merge joins two tokens that exist before it, and its result is the next token.
        for (rank, merge) in merges.enumerated() {
            let parts = merge.split(separator: " ").map(String.init)
            #expect(parts.count == 2, "\(merge)")
            let earlier = Set(tokens.prefix(3 + 256 + rank))
            #expect(earlier.contains(parts[0]) && earlier.contains(parts[1]), "merge \(rank) \(merge)")
            #expect(tokens[3 + 256 + rank] == parts.joined(), "merge \(rank) \(merge)")
        }
        #expect(merges.contains("Ġ t") && tokens.contains("Ġthe"))
        #expect(file.int("tokenizer.ggml.bos_token_id") == 1 && file.int("tokenizer.ggml.eos_token_id") == 2)
        #expect(file.bool("tokenizer.ggml.add_bos_token") == false)
        #expect(file.string("tokenizer.chat_template")?.contains("<|im_start|>") == true)
    }

    @Test func theSameSeedGivesTheSameBytesAndAnotherSeedOtherWeights() throws {
        let directory = try TestPaths.temporaryDirectory("tiny")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (a, b, c) = (directory.appendingPathComponent("a.gguf"), directory.appendingPathComponent("b.gguf"), directory.appendingPathComponent("c.gguf"))
        try TinyDecoderModel.write(to: a, seed: 7)
        try TinyDecoderModel.write(to: b, seed: 7)
        try TinyDecoderModel.write(to: c, seed: 8)
        #expect(try Data(contentsOf: a) == Data(contentsOf: b))
        #expect(try Data(contentsOf: a) != Data(contentsOf: c))
    }

    @Test func aTiedOutputLeavesOutOutputWeight() throws {
        let directory = try TestPaths.temporaryDirectory("tiny")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("tied.gguf")
        try TinyDecoderModel.write(to: url, config: .init(layers: 1, tiedOutput: true), seed: 3)
        let file = try GGUFFile(url: url)
        #expect(file.tensorInfo(named: "output.weight") == nil)
        #expect(file.tensors.count == 1 + 9 + 1)
    }

    @Test(arguments: [
        TinyDecoderModel.Config(embedding: 60),
        TinyDecoderModel.Config(heads: 4, kvHeads: 3),
        TinyDecoderModel.Config(feedForward: 100, weightType: .q4_1),
        TinyDecoderModel.Config(weightType: .q6_K),
        TinyDecoderModel.Config(layers: 0),
    ])
    func anImpossibleConfigIsAnErrorNotACrash(config: TinyDecoderModel.Config) throws {
        let directory = try TestPaths.temporaryDirectory("tiny")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: TinyDecoderModel.InvalidConfig.self) {
            try TinyDecoderModel.write(to: directory.appendingPathComponent("x.gguf"), config: config, seed: 1)
        }
    }
}
