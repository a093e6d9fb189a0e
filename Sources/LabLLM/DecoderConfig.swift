public import LabGGUF
public import LabTensor

/// Hyperparameters of a decoder-only transformer, read from a GGUF file's `ARCH.*` metadata (key
/// names as llama.cpp's `llama-arch.cpp` spells them, ARCH = `general.architecture`) and
/// validated once, at load. The fields after `vocabularySize` are what architectures change in
/// the shared block (see `Architecture`); their defaults are Llama's.
public struct DecoderConfig: Sendable, Equatable {
    /// `general.architecture`, e.g. "llama", "qwen2".
    public var architecture: String
    /// Transformer blocks (`ARCH.block_count`).
    public var layerCount: Int
    /// Width of the residual stream, C (`ARCH.embedding_length`).
    public var embeddingLength: Int
    /// Hidden width of the feed-forward network (`ARCH.feed_forward_length`).
    public var feedForwardLength: Int
    /// Query heads (`ARCH.attention.head_count`).
    public var headCount: Int
    /// Key/value heads (`ARCH.attention.head_count_kv`, default: `headCount`).
    public var kvHeadCount: Int
    /// Dimensions per head (`ARCH.attention.key_length`, default C / heads; Qwen3 and Gemma set it).
    public var headSize: Int
    /// Rotary frequency base (`ARCH.rope.freq_base`, default 10000 as in llama.cpp).
    public var ropeFrequencyBase: Float
    /// Rotated dimensions per head (`ARCH.rope.dimension_count`, default: the head size).
    public var ropeDimensions: Int
    /// RMSNorm epsilon (`ARCH.attention.layer_norm_rms_epsilon`).
    public var rmsEpsilon: Float
    /// Trained context length (`ARCH.context_length`).
    public var contextLength: Int
    /// Tokens in the vocabulary (length of `tokenizer.ggml.tokens`).
    public var vocabularySize: Int

    /// Per rotated pair, a divisor of its frequency (`rope_freqs.weight`: Llama 3.1+'s long-context
    /// scaling); nil for none.
    public var ropeFrequencyFactors: [Float]?
    /// Which elements of a head rotate together.
    public var ropeStyle: RotaryStyle = .adjacentPairs
    /// The feed-forward nonlinearity on the gate.
    public var activation: FeedForwardActivation = .silu
    /// RMSNorm over each query and key head before RoPE (`attn_q_norm`, `attn_k_norm`: Qwen3, Gemma 3).
    public var normalizesQueryKey = false
    /// RMSNorm on the attention and feed-forward outputs before the residual add
    /// (`post_attention_norm`, `post_ffw_norm`: Gemma 2 and 3).
    public var normalizesBlockOutputs = false
    /// Token embeddings are multiplied by this (Gemma: √C; Granite: `granite.embedding_scale`).
    public var embeddingScale: Float = 1
    /// Attention and feed-forward outputs are multiplied by this before the residual add (Granite).
    public var residualScale: Float = 1
    /// Attention scores are q·k times this (default 1/√headSize).
    public var attentionScale: Float
    /// Logits are multiplied by this (Granite: 1 / `granite.logit_scale`).
    public var logitScale: Float = 1
    /// Attention scores s become c·tanh(s/c) (Gemma 2).
    public var attentionSoftcap: Float?
    /// Logits z become c·tanh(z/c) (Gemma 2, optionally Gemma 3).
    public var finalLogitSoftcap: Float?
    /// Width of the sliding window of the layers marked in `slidingLayers` (Gemma 2 and 3).
    public var slidingWindow: Int?
    /// Per layer: whether it attends through the sliding window.
    public var slidingLayers: [Bool]
    /// Rotary base of the sliding-window layers (Gemma 3: `rope.freq_base_swa`, default 10000).
    public var slidingRopeFrequencyBase: Float?
    /// The output head is always the token embedding, even when the file has `output.weight` (Gemma 2).
    public var alwaysTiesOutput = false

    /// Width of one position's keys (or values): KV heads × head size.
    public var kvDimension: Int { kvHeadCount * headSize }
    /// Width of the attention output: heads × head size (C for most models, not Qwen3 or Gemma).
    public var attentionWidth: Int { headCount * headSize }

    /// The rotary base of layer `l`.
    public func ropeFrequencyBase(layer l: Int) -> Float {
        slidingLayers[l] ? slidingRopeFrequencyBase ?? ropeFrequencyBase : ropeFrequencyBase
    }

    /// The sliding window of layer `l`, or nil when it attends to every earlier position.
    public func window(layer l: Int) -> Int? {
        slidingLayers[l] ? slidingWindow : nil
    }

    /// A Llama configuration given field by field (tests, converters).
    public init(
        layerCount: Int, embeddingLength: Int, feedForwardLength: Int, headCount: Int, kvHeadCount: Int,
        ropeFrequencyBase: Float, ropeDimensions: Int, rmsEpsilon: Float, contextLength: Int, vocabularySize: Int
    ) {
        architecture = "llama"
        self.layerCount = layerCount
        self.embeddingLength = embeddingLength
        self.feedForwardLength = feedForwardLength
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        headSize = embeddingLength / headCount
        self.ropeFrequencyBase = ropeFrequencyBase
        self.ropeDimensions = ropeDimensions
        self.rmsEpsilon = rmsEpsilon
        self.contextLength = contextLength
        self.vocabularySize = vocabularySize
        attentionScale = 1 / Float(embeddingLength / headCount).squareRoot()
        slidingLayers = Array(repeating: false, count: layerCount)
    }

    /// Reads and checks the configuration of `file`; throws naming the first key that is
    /// missing, of the wrong type, inconsistent, or asks for something this engine does not do.
    public init(file: GGUFFile) throws(ModelError) {
        let name = file.architecture ?? ""
        guard let architecture = Architecture.named(name) else {
            let supported = Architecture.registry.map(\.name).joined(separator: ", ")
            throw ModelError(
                path: file.path, field: "general.architecture",
                name.isEmpty ? "missing; cannot tell which network the file holds" : "is '\(name)', which this engine does not run",
                hint: "supported architectures: \(supported)"
            )
        }
        let keys = MetadataReader(file: file, prefix: name)
        if let scaling = file.string("\(name).rope.scaling.type"), scaling != "none" {
            throw ModelError(
                path: file.path, field: "\(name).rope.scaling.type", "RoPE scaling '\(scaling)' is not implemented",
                hint: "use a model without RoPE scaling"
            )
        }
        if let factor = file.float("\(name).rope.scaling.factor"), factor != 0, factor != 1 {
            throw ModelError(path: file.path, field: "\(name).rope.scaling.factor", "RoPE scaling by \(factor) is not implemented")
        }
        for tensor in ["rope_factors_long.weight", "rope_factors_short.weight"] where file.tensorInfo(named: tensor) != nil {
            throw ModelError(path: file.path, field: tensor, "RoPE frequency factors (long-context scaling) are not implemented",
                             hint: "use a model without RoPE scaling")
        }
        self.architecture = name
        layerCount = try keys.integer("block_count")
        embeddingLength = try keys.integer("embedding_length")
        feedForwardLength = try keys.integer("feed_forward_length")
        headCount = try keys.integer("attention.head_count")
        kvHeadCount = try keys.integer("attention.head_count_kv", default: headCount)
        contextLength = try keys.integer("context_length")
        rmsEpsilon = Float(try keys.real("attention.layer_norm_rms_epsilon"))
        ropeFrequencyBase = Float(try keys.real("rope.freq_base", default: 10_000))
        guard headCount % kvHeadCount == 0 else {
            throw ModelError(
                path: file.path, field: "\(name).attention.head_count_kv",
                "\(kvHeadCount) key/value heads do not divide the \(headCount) query heads"
            )
        }
        if file["\(name).attention.key_length"] == nil, embeddingLength % headCount != 0 {
            throw ModelError(
                path: file.path, field: "\(name).attention.head_count",
                "\(headCount) heads do not divide the embedding length \(embeddingLength) and attention.key_length is not set"
            )
        }
        headSize = try keys.integer("attention.key_length", default: embeddingLength / headCount)
        let valueSize = try keys.integer("attention.value_length", default: headSize)
        guard valueSize == headSize else {
            throw ModelError(path: file.path, field: "\(name).attention.value_length",
                             "value heads of \(valueSize) differ from key heads of \(headSize), which this engine does not run")
        }
        ropeDimensions = try keys.integer("rope.dimension_count", default: headSize)
        guard ropeDimensions % 2 == 0, ropeDimensions <= headSize else {
            throw ModelError(
                path: file.path, field: "\(name).rope.dimension_count",
                "\(ropeDimensions) rotated dimensions must be even and at most the head size \(headSize)"
            )
        }
        if let factors = file.tensorInfo(named: "rope_freqs.weight") {
            guard factors.dimensions == [ropeDimensions / 2], factors.type == .f32 else {
                throw ModelError(path: file.path, field: "rope_freqs.weight",
                                 "shape \(factors.dimensions) \(factors.type), expected [\(ropeDimensions / 2)] F32 (one factor per rotated pair)")
            }
            ropeFrequencyFactors = file.floats(of: factors)
        }
        guard let tokens = file["tokenizer.ggml.tokens"]?.arrayValue, !tokens.isEmpty else {
            throw ModelError(path: file.path, field: "tokenizer.ggml.tokens", "the vocabulary is missing or empty")
        }
        vocabularySize = tokens.count
        attentionScale = 1 / Float(headSize).squareRoot()
        slidingLayers = Array(repeating: false, count: layerCount)
        try architecture.configure(&self, keys)
        guard slidingLayers.count == layerCount else {
            throw ModelError(path: file.path, field: "\(name).attention.sliding_window_pattern",
                             "gives \(slidingLayers.count) layers for a model of \(layerCount)")
        }
    }
}

/// The nonlinearity of a gated feed-forward block: out = act(gate) ⊙ up.
public enum FeedForwardActivation: Sendable, Equatable {
    /// SiLU: SwiGLU (Llama, Qwen, Granite, Phi-3).
    case silu
    /// GELU, tanh form: GeGLU (Gemma).
    case geluTanh
}

/// Reads `PREFIX.KEY` metadata of a file with the checks every key gets.
public struct MetadataReader {
    let file: GGUFFile
    /// The architecture name every key starts with.
    public let prefix: String

    /// Whether `PREFIX.key` is present.
    public func has(_ key: String) -> Bool { file["\(prefix).\(key)"] != nil }

    /// A positive integer; `default` when absent, else an error.
    public func integer(_ key: String, default value: Int? = nil) throws(ModelError) -> Int {
        let full = "\(prefix).\(key)"
        guard file[full] != nil else {
            if let value { return value }
            throw ModelError(path: file.path, field: full, "metadata key is missing", hint: "re-convert the model with a current llama.cpp")
        }
        guard let read = file.int(full), read > 0 else {
            throw ModelError(path: file.path, field: full, "must be a positive integer, found \(file[full]?.summary ?? "?")")
        }
        return read
    }

    /// A positive finite number; `default` when absent, else an error.
    public func real(_ key: String, default value: Double? = nil) throws(ModelError) -> Double {
        let full = "\(prefix).\(key)"
        guard file[full] != nil else {
            if let value { return value }
            throw ModelError(path: file.path, field: full, "metadata key is missing", hint: "re-convert the model with a current llama.cpp")
        }
        guard let read = file.float(full), read.isFinite, read > 0 else {
            throw ModelError(path: file.path, field: full, "must be a positive number, found \(file[full]?.summary ?? "?")")
        }
        return read
    }

    /// A number that may be absent or zero (llama.cpp reads 0 as "off").
    public func optionalReal(_ key: String) throws(ModelError) -> Double? {
        let full = "\(prefix).\(key)"
        guard file[full] != nil else { return nil }
        guard let read = file.float(full), read.isFinite, read >= 0 else {
            throw ModelError(path: file.path, field: full, "must be a number ≥ 0, found \(file[full]?.summary ?? "?")")
        }
        return read == 0 ? nil : read
    }

    /// Which layers use the sliding window: `PREFIX.attention.sliding_window_pattern` as a
    /// per-layer array, or as n (every layer but each n-th), or `pattern` when absent —
    /// llama.cpp's `set_swa_pattern`: layer l slides when l mod n < n − 1.
    public func slidingPattern(layers: Int, default pattern: Int) throws(ModelError) -> [Bool] {
        let full = "\(prefix).attention.sliding_window_pattern"
        if let items = file[full]?.arrayValue {
            let flags = items.compactMap(\.intValue)
            guard flags.count == items.count else {
                throw ModelError(path: file.path, field: full, "must be an array of booleans")
            }
            return flags.map { $0 != 0 }
        }
        let n = file[full] == nil ? pattern : try integer("attention.sliding_window_pattern")
        return (0..<layers).map { n == 0 || $0 % n < n - 1 }
    }
}
