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

    /// Norm weights are vectors; weight decay and low-precision checkpoints leave them alone.
    public var isMatrix: Bool { dimensions.count == 2 }
}

/// Where every tensor of a Llama-family model lives in one flat Float buffer. A single buffer
/// makes the optimiser, gradient clipping and norms one loop, and a checkpoint one pass.
public struct ParameterLayout: Sendable {
    /// Offsets of one block's tensors.
    struct Layer: Sendable {
        var attentionNorm, query, key, value, attentionOutput, feedForwardNorm, gate, up, down: Int
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

    init(config: LlamaConfig, tiedOutput: Bool) {
        self.tiedOutput = tiedOutput
        let (C, F, V) = (config.embeddingLength, config.feedForwardLength, config.vocabularySize)
        let attention = config.headCount * config.headSize
        var tensors: [ParameterTensor] = []
        var count = 0
        func add(_ name: String, _ dimensions: [Int]) -> Int {
            let elements = dimensions.reduce(1, *)
            tensors.append(ParameterTensor(name: name, dimensions: dimensions, offset: count, count: elements))
            count += elements
            return count - elements
        }
        embedding = add("token_embd.weight", [C, V])
        var layers: [Layer] = []
        for i in 0..<config.layerCount {
            let p = "blk.\(i)."
            layers.append(Layer(
                attentionNorm: add(p + "attn_norm.weight", [C]),
                query: add(p + "attn_q.weight", [C, attention]),
                key: add(p + "attn_k.weight", [C, config.kvDimension]),
                value: add(p + "attn_v.weight", [C, config.kvDimension]),
                attentionOutput: add(p + "attn_output.weight", [attention, C]),
                feedForwardNorm: add(p + "ffn_norm.weight", [C]),
                gate: add(p + "ffn_gate.weight", [C, F]),
                up: add(p + "ffn_up.weight", [C, F]),
                down: add(p + "ffn_down.weight", [F, C])
            ))
        }
        self.layers = layers
        outputNorm = add("output_norm.weight", [C])
        output = tiedOutput ? embedding : add("output.weight", [C, V])
        self.tensors = tensors
        self.count = count
    }

    /// The tensor called `name`, if the model has it.
    public func tensor(named name: String) -> ParameterTensor? { tensors.first { $0.name == name } }
}
