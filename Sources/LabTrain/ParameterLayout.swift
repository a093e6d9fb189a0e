public import LabLLM

/// One trainable tensor inside the flat parameter buffer, under its GGUF name.
public struct ParameterTensor: Sendable, Equatable {
    /// The GGUF tensor name (`blk.3.attn_q.weight`).
    public var name: String
    /// GGUF dimensions, fastest first: [inputs, outputs] for a matrix, [C] for a norm weight.
    public var dimensions: [Int]
    /// First element in the flat buffer.
    public var offset: Int
    /// Number of elements.
    public var count: Int

    /// Norm weights and biases are vectors; weight decay and low-precision checkpoints leave them alone.
    public var isMatrix: Bool { dimensions.count == 2 }
}

/// One matrix a projection multiplies by: a whole tensor, or a block of rows of a fused one
/// (Phi-3's `attn_qkv` holds Q, K and V; its `ffn_up` the gate then the up rows). Rows of a
/// row-major matrix are contiguous, so a part is an offset like any other.
struct MatrixView: Sendable {
    var offset: Int
    var inputs: Int
    var outputs: Int
    /// The tensor it lies in and its first row there (what QLoRA reads from the file).
    var tensor: String
    var firstRow: Int
}

/// Where every tensor of a decoder lives in one flat Float buffer. A single buffer makes the
/// optimiser, gradient clipping and norms one loop, and a checkpoint one pass. The tensors are
/// those of the file: optional ones (biases, Q/K norms, post-norms) are trained where present,
/// fused ones are kept fused and addressed by parts.
public struct ParameterLayout: Sendable {
    /// Offsets of one block's tensors.
    struct Layer: Sendable {
        var attentionNorm, query, key, value, attentionOutput, feedForwardNorm, gate, up, down: Int
        var queryBias, keyBias, valueBias, attentionOutputBias, gateBias, upBias, downBias: Int?
        var queryNorm, keyNorm, postAttentionNorm, postFeedForwardNorm: Int?
    }

    /// Every tensor, in GGUF order: embedding, blocks, output norm, then the output head if untied.
    public private(set) var tensors: [ParameterTensor] = []
    /// Total elements.
    public private(set) var count = 0
    /// Whether the output head reuses the token embedding (no `output.weight`).
    public let tiedOutput: Bool

    let embedding: Int
    let layers: [Layer]
    let outputNorm: Int
    /// Equal to `embedding` when tied.
    let output: Int
    let outputBias: Int?
    /// Every projection's matrix, by offset.
    let views: [MatrixView]

    /// The layout of a model with `config`, holding the tensors `dimensions` reports present
    /// (name → GGUF dimensions, nil when the file has no such tensor).
    init(config: DecoderConfig, dimensions: (String) -> [Int]?) {
        let (C, F, V) = (config.embeddingLength, config.feedForwardLength, config.vocabularySize)
        let (A, KV, hs) = (config.attentionWidth, config.kvDimension, config.headSize)
        tiedOutput = config.alwaysTiesOutput || dimensions("output.weight") == nil
        var tensors: [ParameterTensor] = []
        var views: [MatrixView] = []
        var count = 0
        func add(_ name: String, _ shape: [Int]) -> Int {
            let elements = shape.reduce(1, *)
            tensors.append(ParameterTensor(name: name, dimensions: shape, offset: count, count: elements))
            count += elements
            return count - elements
        }
        func optional(_ name: String, _ shape: [Int]) -> Int? {
            dimensions(name) == nil ? nil : add(name, shape)
        }
        func matrix(_ name: String, inputs: Int, outputs: Int) -> Int {
            let offset = add(name, [inputs, outputs])
            views.append(MatrixView(offset: offset, inputs: inputs, outputs: outputs, tensor: name, firstRow: 0))
            return offset
        }
        /// Consecutive row blocks of one fused tensor: their offsets.
        func fused(_ name: String, inputs: Int, parts: [Int]) -> [Int] {
            let base = add(name, [inputs, parts.reduce(0, +)])
            var row = 0
            return parts.map { rows in
                defer { row += rows }
                views.append(MatrixView(offset: base + row * inputs, inputs: inputs, outputs: rows, tensor: name, firstRow: row))
                return base + row * inputs
            }
        }
        // Llama 3.1+'s RoPE frequency factors: a constant of the model (no gradient reaches it),
        // kept in the buffer so checkpoints carry it.
        _ = optional("rope_freqs.weight", [config.ropeDimensions / 2])
        embedding = add("token_embd.weight", [C, V])
        views.append(MatrixView(offset: embedding, inputs: C, outputs: V, tensor: "token_embd.weight", firstRow: 0))
        var layers: [Layer] = []
        for i in 0..<config.layerCount {
            let p = "blk.\(i)."
            let attentionNorm = add(p + "attn_norm.weight", [C])
            let query: Int, key: Int, value: Int
            var queryBias: Int?, keyBias: Int?, valueBias: Int?
            if dimensions(p + "attn_qkv.weight") != nil {
                let parts = fused(p + "attn_qkv.weight", inputs: C, parts: [A, KV, KV])
                (query, key, value) = (parts[0], parts[1], parts[2])
                if let bias = optional(p + "attn_qkv.bias", [A + 2 * KV]) {
                    (queryBias, keyBias, valueBias) = (bias, bias + A, bias + A + KV)
                }
            } else {
                query = matrix(p + "attn_q.weight", inputs: C, outputs: A)
                queryBias = optional(p + "attn_q.bias", [A])
                key = matrix(p + "attn_k.weight", inputs: C, outputs: KV)
                keyBias = optional(p + "attn_k.bias", [KV])
                value = matrix(p + "attn_v.weight", inputs: C, outputs: KV)
                valueBias = optional(p + "attn_v.bias", [KV])
            }
            let queryNorm = config.normalizesQueryKey ? add(p + "attn_q_norm.weight", [hs]) : nil
            let keyNorm = config.normalizesQueryKey ? add(p + "attn_k_norm.weight", [hs]) : nil
            let attentionOutput = matrix(p + "attn_output.weight", inputs: A, outputs: C)
            let attentionOutputBias = optional(p + "attn_output.bias", [C])
            let postAttentionNorm = config.normalizesBlockOutputs ? add(p + "post_attention_norm.weight", [C]) : nil
            let feedForwardNorm = add(p + "ffn_norm.weight", [C])
            let gate: Int, up: Int
            var gateBias: Int?, upBias: Int?
            if dimensions(p + "ffn_gate.weight") == nil, dimensions(p + "ffn_up.weight") == [C, 2 * F] {
                let parts = fused(p + "ffn_up.weight", inputs: C, parts: [F, F])
                (gate, up) = (parts[0], parts[1])
            } else {
                gate = matrix(p + "ffn_gate.weight", inputs: C, outputs: F)
                gateBias = optional(p + "ffn_gate.bias", [F])
                up = matrix(p + "ffn_up.weight", inputs: C, outputs: F)
                upBias = optional(p + "ffn_up.bias", [F])
            }
            let down = matrix(p + "ffn_down.weight", inputs: F, outputs: C)
            let downBias = optional(p + "ffn_down.bias", [C])
            let postFeedForwardNorm = config.normalizesBlockOutputs ? add(p + "post_ffw_norm.weight", [C]) : nil
            layers.append(Layer(
                attentionNorm: attentionNorm, query: query, key: key, value: value, attentionOutput: attentionOutput,
                feedForwardNorm: feedForwardNorm, gate: gate, up: up, down: down,
                queryBias: queryBias, keyBias: keyBias, valueBias: valueBias, attentionOutputBias: attentionOutputBias,
                gateBias: gateBias, upBias: upBias, downBias: downBias,
                queryNorm: queryNorm, keyNorm: keyNorm, postAttentionNorm: postAttentionNorm, postFeedForwardNorm: postFeedForwardNorm
            ))
        }
        self.layers = layers
        outputNorm = add("output_norm.weight", [C])
        output = tiedOutput ? embedding : matrix("output.weight", inputs: C, outputs: V)
        outputBias = optional("output.bias", [V])
        self.tensors = tensors
        self.views = views
        self.count = count
    }

    /// The tensor called `name`, if the model has it.
    public func tensor(named name: String) -> ParameterTensor? { tensors.first { $0.name == name } }
}
