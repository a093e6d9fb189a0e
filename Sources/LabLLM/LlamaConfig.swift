public import LabGGUF

/// Hyperparameters of a Llama-family decoder, read from a GGUF file's `llama.*` metadata
/// (key names as llama.cpp's `llama-arch.cpp` spells them) and validated once, at load.
public struct LlamaConfig: Sendable, Equatable {
    /// Transformer blocks (`llama.block_count`).
    public var layerCount: Int
    /// Width of the residual stream, C (`llama.embedding_length`).
    public var embeddingLength: Int
    /// Hidden width of the feed-forward network (`llama.feed_forward_length`).
    public var feedForwardLength: Int
    /// Query heads (`llama.attention.head_count`).
    public var headCount: Int
    /// Key/value heads (`llama.attention.head_count_kv`, default: `headCount`).
    public var kvHeadCount: Int
    /// Rotary frequency base (`llama.rope.freq_base`, default 10000 as in llama.cpp).
    public var ropeFrequencyBase: Float
    /// Rotated dimensions per head (`llama.rope.dimension_count`, default: the head size).
    public var ropeDimensions: Int
    /// RMSNorm epsilon (`llama.attention.layer_norm_rms_epsilon`).
    public var rmsEpsilon: Float
    /// Trained context length (`llama.context_length`).
    public var contextLength: Int
    /// Tokens in the vocabulary (length of `tokenizer.ggml.tokens`).
    public var vocabularySize: Int

    /// Dimensions per head: C / heads.
    public var headSize: Int { embeddingLength / headCount }
    /// Width of one position's keys (or values): KV heads × head size.
    public var kvDimension: Int { kvHeadCount * headSize }

    /// A configuration given field by field (tests, converters).
    public init(
        layerCount: Int, embeddingLength: Int, feedForwardLength: Int, headCount: Int, kvHeadCount: Int,
        ropeFrequencyBase: Float, ropeDimensions: Int, rmsEpsilon: Float, contextLength: Int, vocabularySize: Int
    ) {
        self.layerCount = layerCount
        self.embeddingLength = embeddingLength
        self.feedForwardLength = feedForwardLength
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.ropeFrequencyBase = ropeFrequencyBase
        self.ropeDimensions = ropeDimensions
        self.rmsEpsilon = rmsEpsilon
        self.contextLength = contextLength
        self.vocabularySize = vocabularySize
    }

    /// Reads and checks the configuration of `file`; throws naming the first key that is
    /// missing, of the wrong type, inconsistent, or asks for something this engine does not do.
    public init(file: GGUFFile) throws(ModelError) {
        let path = file.path
        let architecture = file.architecture ?? ""
        guard architecture == "llama" else {
            throw ModelError(
                path: path, field: "general.architecture",
                architecture.isEmpty ? "missing; cannot tell which network the file holds" : "is '\(architecture)', but only 'llama' is supported",
                hint: "use a Llama-family model (Llama, SmolLM, TinyLlama, Mistral converted as llama)"
            )
        }
        func integer(_ key: String, default value: Int? = nil) throws(ModelError) -> Int {
            guard file[key] != nil else {
                if let value { return value }
                throw ModelError(path: path, field: key, "metadata key is missing", hint: "re-convert the model with a current llama.cpp")
            }
            guard let read = file.int(key), read > 0 else {
                throw ModelError(path: path, field: key, "must be a positive integer, found \(file[key]?.summary ?? "?")")
            }
            return read
        }
        func real(_ key: String, default value: Double? = nil) throws(ModelError) -> Double {
            guard file[key] != nil else {
                if let value { return value }
                throw ModelError(path: path, field: key, "metadata key is missing", hint: "re-convert the model with a current llama.cpp")
            }
            guard let read = file.float(key), read.isFinite, read > 0 else {
                throw ModelError(path: path, field: key, "must be a positive number, found \(file[key]?.summary ?? "?")")
            }
            return read
        }
        if let scaling = file.string("llama.rope.scaling.type"), scaling != "none" {
            throw ModelError(
                path: path, field: "llama.rope.scaling.type", "RoPE scaling '\(scaling)' is not implemented",
                hint: "use a model without RoPE scaling"
            )
        }
        if let factor = file.float("llama.rope.scaling.factor"), factor != 0, factor != 1 {
            throw ModelError(path: path, field: "llama.rope.scaling.factor", "RoPE scaling by \(factor) is not implemented")
        }
        layerCount = try integer("llama.block_count")
        embeddingLength = try integer("llama.embedding_length")
        feedForwardLength = try integer("llama.feed_forward_length")
        headCount = try integer("llama.attention.head_count")
        kvHeadCount = try integer("llama.attention.head_count_kv", default: headCount)
        contextLength = try integer("llama.context_length")
        rmsEpsilon = Float(try real("llama.attention.layer_norm_rms_epsilon"))
        ropeFrequencyBase = Float(try real("llama.rope.freq_base", default: 10_000))
        guard embeddingLength % headCount == 0 else {
            throw ModelError(
                path: path, field: "llama.attention.head_count",
                "\(headCount) heads do not divide the embedding length \(embeddingLength)"
            )
        }
        guard headCount % kvHeadCount == 0 else {
            throw ModelError(
                path: path, field: "llama.attention.head_count_kv",
                "\(kvHeadCount) key/value heads do not divide the \(headCount) query heads"
            )
        }
        ropeDimensions = try integer("llama.rope.dimension_count", default: embeddingLength / headCount)
        guard ropeDimensions % 2 == 0, ropeDimensions <= embeddingLength / headCount else {
            throw ModelError(
                path: path, field: "llama.rope.dimension_count",
                "\(ropeDimensions) rotated dimensions must be even and at most the head size \(embeddingLength / headCount)"
            )
        }
        guard let tokens = file["tokenizer.ggml.tokens"]?.arrayValue, !tokens.isEmpty else {
            throw ModelError(path: path, field: "tokenizer.ggml.tokens", "the vocabulary is missing or empty")
        }
        vocabularySize = tokens.count
    }
}
