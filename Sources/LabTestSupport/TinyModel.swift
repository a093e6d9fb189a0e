public import Foundation
import LabCore
public import LabGGUF

/// A small random llama-architecture model written as GGUF, for engine, tokenizer and teacher tests
/// that must not download anything.
///
/// The file looks like a real llama.cpp conversion: `llama.*` hyper-parameters, a byte-level BPE
/// vocabulary with merges and `tokenizer.ggml.*` keys (`gpt2` model, control tokens 0–2, BOS 1,
/// EOS 2), a ChatML chat template, and tensors named exactly as llama.cpp names them
/// (`token_embd.weight`, `blk.N.attn_q.weight`, …, `output_norm.weight`, optional `output.weight`).
/// Weights are uniform random, scaled by 1/√fan-in so activations stay of order one.
public enum TinyDecoderModel {
    /// The model's shape and encoding.
    public struct Config: Sendable, Equatable {
        /// Transformer blocks (`llama.block_count`).
        public var layers: Int
        /// Embedding width (`llama.embedding_length`).
        public var embedding: Int
        /// Query heads (`llama.attention.head_count`).
        public var heads: Int
        /// Key/value heads (`llama.attention.head_count_kv`); divides `heads`.
        public var kvHeads: Int
        /// Hidden width of the SwiGLU feed-forward block (`llama.feed_forward_length`).
        public var feedForward: Int
        /// Merges learned for the vocabulary (the vocabulary is 3 control + 256 byte tokens + merges).
        public var merges: Int
        /// `llama.context_length`.
        public var contextLength: Int
        /// `llama.rope.freq_base`.
        public var ropeBase: Float
        /// `llama.attention.layer_norm_rms_epsilon`.
        public var rmsEpsilon: Float
        /// Encoding of the matrices (norm weights are always F32, as llama.cpp writes them).
        public var weightType: GGMLType
        /// When true there is no `output.weight`: the output head reuses the token embedding.
        public var tiedOutput: Bool
        /// `tokenizer.ggml.pre`, the pre-tokenizer llama.cpp selects.
        public var preTokenizer: String

        /// A 2-layer model of width 64 with 4 query and 2 key/value heads, by default in F32.
        public init(
            layers: Int = 2, embedding: Int = 64, heads: Int = 4, kvHeads: Int = 2, feedForward: Int = 128,
            merges: Int = 64, contextLength: Int = 256, ropeBase: Float = 10_000, rmsEpsilon: Float = 1e-5,
            weightType: GGMLType = .f32, tiedOutput: Bool = false, preTokenizer: String = "smollm"
        ) {
            self.layers = layers
            self.embedding = embedding
            self.heads = heads
            self.kvHeads = kvHeads
            self.feedForward = feedForward
            self.merges = merges
            self.contextLength = contextLength
            self.ropeBase = ropeBase
            self.rmsEpsilon = rmsEpsilon
            self.weightType = weightType
            self.tiedOutput = tiedOutput
            self.preTokenizer = preTokenizer
        }

        /// Elements per attention head.
        public var headSize: Int { embedding / heads }
    }

    /// A configuration that cannot make a valid model.
    public struct InvalidConfig: Error, CustomStringConvertible {
        /// What is wrong.
        public var description: String
    }

    /// Writes a model with random weights drawn from `seed` to `url` (atomically) and returns its
    /// vocabulary. The same config and seed always give the same bytes.
    @discardableResult
    public static func write(to url: URL, config: Config = Config(), seed: UInt64) throws -> TinyModelVocabulary {
        try validate(config)
        let vocabulary = TinyModelVocabulary(mergeCount: config.merges)
        var writer = GGUFWriter()
        setMetadata(&writer, config: config, vocabulary: vocabulary)
        var random = SeededRandom(seed: seed, stream: "tiny-llama")
        func uniform(_ count: Int, scale: Float) -> [Float] {
            (0..<count).map { _ in (random.nextUnitFloat() * 2 - 1) * scale }
        }
        func matrix(_ name: String, inputs: Int, outputs: Int) {
            let values = uniform(inputs * outputs, scale: 1 / Float(inputs).squareRoot())
            writer.addTensor(name, dimensions: [inputs, outputs], type: config.weightType, values: values)
        }
        func norm(_ name: String) {
            writer.addTensor(name, dimensions: [config.embedding], type: .f32,
                             values: uniform(config.embedding, scale: 0.2).map { 1 + $0 })
        }
        let (width, kvWidth, vocab) = (config.embedding, config.kvHeads * config.headSize, vocabulary.tokens.count)
        writer.addTensor("token_embd.weight", dimensions: [width, vocab], type: config.weightType,
                         values: uniform(width * vocab, scale: 1))
        for layer in 0..<config.layers {
            let prefix = "blk.\(layer)."
            norm(prefix + "attn_norm.weight")
            matrix(prefix + "attn_q.weight", inputs: width, outputs: width)
            matrix(prefix + "attn_k.weight", inputs: width, outputs: kvWidth)
            matrix(prefix + "attn_v.weight", inputs: width, outputs: kvWidth)
            matrix(prefix + "attn_output.weight", inputs: width, outputs: width)
            norm(prefix + "ffn_norm.weight")
            matrix(prefix + "ffn_gate.weight", inputs: width, outputs: config.feedForward)
            matrix(prefix + "ffn_up.weight", inputs: width, outputs: config.feedForward)
            matrix(prefix + "ffn_down.weight", inputs: config.feedForward, outputs: width)
        }
        norm("output_norm.weight")
        if !config.tiedOutput {
            matrix("output.weight", inputs: width, outputs: vocab)
        }
        try writer.write(to: url)
        return vocabulary
    }

    private static func setMetadata(_ writer: inout GGUFWriter, config: Config, vocabulary: TinyModelVocabulary) {
        writer.set("general.architecture", .string("llama"))
        writer.set("general.name", .string("tiny-llama"))
        writer.set("llama.block_count", .uint32(UInt32(config.layers)))
        writer.set("llama.context_length", .uint32(UInt32(config.contextLength)))
        writer.set("llama.embedding_length", .uint32(UInt32(config.embedding)))
        writer.set("llama.feed_forward_length", .uint32(UInt32(config.feedForward)))
        writer.set("llama.attention.head_count", .uint32(UInt32(config.heads)))
        writer.set("llama.attention.head_count_kv", .uint32(UInt32(config.kvHeads)))
        writer.set("llama.rope.freq_base", .float32(config.ropeBase))
        writer.set("llama.attention.layer_norm_rms_epsilon", .float32(config.rmsEpsilon))
        writer.set("llama.vocab_size", .uint32(UInt32(vocabulary.tokens.count)))
        writer.set("llama.rope.dimension_count", .uint32(UInt32(config.headSize)))
        writer.set("tokenizer.ggml.model", .string("gpt2"))
        writer.set("tokenizer.ggml.pre", .string(config.preTokenizer))
        writer.set("tokenizer.ggml.tokens", .array(elementType: .string, vocabulary.tokens.map { .string($0) }))
        writer.set("tokenizer.ggml.token_type", .array(elementType: .int32, vocabulary.tokenTypes.map { .int32($0) }))
        writer.set("tokenizer.ggml.merges", .array(elementType: .string, vocabulary.merges.map { .string($0) }))
        writer.set("tokenizer.ggml.bos_token_id", .uint32(1))
        writer.set("tokenizer.ggml.eos_token_id", .uint32(2))
        writer.set("tokenizer.ggml.unknown_token_id", .uint32(0))
        writer.set("tokenizer.ggml.padding_token_id", .uint32(2))
        writer.set("tokenizer.ggml.add_bos_token", .bool(false))
        writer.set("tokenizer.ggml.add_space_prefix", .bool(false))
        writer.set("tokenizer.chat_template", .string(TinyModelVocabulary.chatTemplate))
    }

    private static func validate(_ config: Config) throws {
        func fail(_ text: String) -> InvalidConfig { InvalidConfig(description: "tiny model config: \(text)") }
        guard config.layers > 0, config.embedding > 0, config.heads > 0, config.kvHeads > 0, config.feedForward > 0 else {
            throw fail("layers, embedding, heads, kvHeads and feedForward must be positive")
        }
        guard config.embedding % config.heads == 0, config.headSize % 2 == 0 else {
            throw fail("embedding \(config.embedding) must split into \(config.heads) heads of even size")
        }
        guard config.heads % config.kvHeads == 0 else {
            throw fail("heads \(config.heads) must be a multiple of kvHeads \(config.kvHeads)")
        }
        let block = config.weightType.blockSize
        guard config.embedding % block == 0, config.feedForward % block == 0 else {
            throw fail("embedding and feedForward must be multiples of the \(config.weightType) block size \(block)")
        }
        guard Quantize.supported.contains(config.weightType) else {
            throw fail("weights can be written as \(Quantize.supported.map(\.description).sorted()), not \(config.weightType)")
        }
    }
}
