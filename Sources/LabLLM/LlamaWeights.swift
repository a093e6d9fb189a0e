import LabGGUF
import LabTensor

/// One transformer block's tensors, named as on disk (`blk.N.…`).
struct LlamaLayerWeights: Sendable {
    /// attn_norm (C)
    var attentionNorm: [Float]
    /// attn_q (H·hs, C)
    var query: QuantizedMatrix
    /// attn_k (KVH·hs, C)
    var key: QuantizedMatrix
    /// attn_v (KVH·hs, C)
    var value: QuantizedMatrix
    /// attn_output (C, H·hs)
    var attentionOutput: QuantizedMatrix
    /// ffn_norm (C)
    var feedForwardNorm: [Float]
    /// ffn_gate (FF, C)
    var gate: QuantizedMatrix
    /// ffn_up (FF, C)
    var up: QuantizedMatrix
    /// ffn_down (C, FF)
    var down: QuantizedMatrix
}

/// Every weight of a Llama model, viewed in place inside the memory-mapped GGUF file: matrices
/// stay in their stored format (any `WeightFormat`); only the small norm vectors are copied.
struct LlamaWeights: Sendable {
    /// token_embd (vocab, C)
    var tokenEmbedding: QuantizedMatrix
    var layers: [LlamaLayerWeights]
    /// output_norm (C)
    var outputNorm: [Float]
    /// output (vocab, C), or `token_embd` when the file has no `output.weight` (tied head).
    var output: QuantizedMatrix

    /// Every matrix the forward pass multiplies by.
    var matrices: [QuantizedMatrix] {
        layers.flatMap { [$0.query, $0.key, $0.value, $0.attentionOutput, $0.gate, $0.up, $0.down] } + [output]
    }

    /// Views the tensors of `file` and checks each one's presence, type and shape against `config`.
    init(file: GGUFFile, config: LlamaConfig) throws(ModelError) {
        let C = config.embeddingLength
        let attention = config.headCount * config.headSize
        let kv = config.kvDimension
        let ff = config.feedForwardLength
        func matrix(_ name: String, inputs: Int, outputs: Int) throws(ModelError) -> QuantizedMatrix {
            guard let info = file.tensorInfo(named: name) else {
                throw ModelError(path: file.path, field: name, "tensor is missing", hint: "the file is not a complete llama model")
            }
            guard info.dimensions == [inputs, outputs] else {
                throw ModelError(path: file.path, field: name, "shape is \(info.dimensions), expected [\(inputs), \(outputs)] from the metadata")
            }
            guard let format = WeightFormat(rawValue: info.type.description) else {
                throw ModelError(
                    path: file.path, field: name, "tensor type \(info.type) is not supported by the engine",
                    hint: "re-quantize to one the engine reads: \(WeightFormat.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            let bytes = file.data(of: info)
            guard let base = bytes.baseAddress, bytes.count == format.rowBytes(columns: inputs) * outputs else {
                throw ModelError(path: file.path, field: name, "holds \(bytes.count) bytes, which does not match its shape and type")
            }
            do {
                return try QuantizedMatrix(format: format, data: base, rows: outputs, columns: inputs, name: name)
            } catch {
                throw ModelError(path: file.path, field: name, "\(error)")
            }
        }
        func vector(_ name: String, count: Int) throws(ModelError) -> [Float] {
            guard let info = file.tensorInfo(named: name) else {
                throw ModelError(path: file.path, field: name, "tensor is missing", hint: "the file is not a complete llama model")
            }
            guard info.dimensions == [count] else {
                throw ModelError(path: file.path, field: name, "shape is \(info.dimensions), expected [\(count)]")
            }
            guard info.type == .f32 || info.type == .f16 else {
                throw ModelError(path: file.path, field: name, "norm weights of type \(info.type) are not supported; expected F32 or F16")
            }
            return file.floats(of: info)
        }
        tokenEmbedding = try matrix("token_embd.weight", inputs: C, outputs: config.vocabularySize)
        var layers: [LlamaLayerWeights] = []
        for i in 0..<config.layerCount {
            let prefix = "blk.\(i)."
            layers.append(LlamaLayerWeights(
                attentionNorm: try vector(prefix + "attn_norm.weight", count: C),
                query: try matrix(prefix + "attn_q.weight", inputs: C, outputs: attention),
                key: try matrix(prefix + "attn_k.weight", inputs: C, outputs: kv),
                value: try matrix(prefix + "attn_v.weight", inputs: C, outputs: kv),
                attentionOutput: try matrix(prefix + "attn_output.weight", inputs: attention, outputs: C),
                feedForwardNorm: try vector(prefix + "ffn_norm.weight", count: C),
                gate: try matrix(prefix + "ffn_gate.weight", inputs: C, outputs: ff),
                up: try matrix(prefix + "ffn_up.weight", inputs: C, outputs: ff),
                down: try matrix(prefix + "ffn_down.weight", inputs: ff, outputs: C)
            ))
        }
        self.layers = layers
        outputNorm = try vector("output_norm.weight", count: C)
        if file.tensorInfo(named: "output.weight") != nil {
            output = try matrix("output.weight", inputs: C, outputs: config.vocabularySize)
        } else {
            output = tokenEmbedding
        }
    }
}
