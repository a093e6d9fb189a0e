import LabGGUF
import LabTensor

/// A matrix the block multiplies by and its optional bias.
struct Linear: Sendable {
    var matrix: QuantizedMatrix
    /// Added to every output row (Qwen2's Q/K/V biases, any `*.bias` tensor the file has).
    var bias: [Float]?
}

/// One transformer block's tensors, named as on disk (`blk.N.…`).
struct DecoderLayerWeights: Sendable {
    /// attn_norm (C)
    var attentionNorm: [Float]
    /// attn_q (H·hs, C), or the first rows of a fused attn_qkv
    var query: Linear
    /// attn_k (KVH·hs, C)
    var key: Linear
    /// attn_v (KVH·hs, C)
    var value: Linear
    /// attn_q_norm, attn_k_norm (hs): RMSNorm per head (Qwen3, Gemma 3)
    var queryNorm: [Float]?
    var keyNorm: [Float]?
    /// attn_output (C, H·hs)
    var attentionOutput: Linear
    /// post_attention_norm (C) (Gemma 2 and 3)
    var postAttentionNorm: [Float]?
    /// ffn_norm (C)
    var feedForwardNorm: [Float]
    /// ffn_gate (FF, C), or the first half of a fused ffn_up (Phi-3)
    var gate: Linear
    /// ffn_up (FF, C)
    var up: Linear
    /// ffn_down (C, FF)
    var down: Linear
    /// post_ffw_norm (C) (Gemma 2 and 3)
    var postFeedForwardNorm: [Float]?
}

/// Every weight of a decoder, viewed in place inside the memory-mapped GGUF file: matrices stay
/// in their stored format (any `WeightFormat`); only the small norm and bias vectors are copied.
struct DecoderWeights: Sendable {
    /// token_embd (vocab, C)
    var tokenEmbedding: QuantizedMatrix
    var layers: [DecoderLayerWeights]
    /// output_norm (C)
    var outputNorm: [Float]
    /// output (vocab, C), or `token_embd` when the file has no `output.weight` (tied head).
    var output: Linear

    /// Every matrix the forward pass multiplies by.
    var matrices: [QuantizedMatrix] {
        layers.flatMap { [$0.query, $0.key, $0.value, $0.attentionOutput, $0.gate, $0.up, $0.down].map(\.matrix) } + [output.matrix]
    }

    /// Views the tensors of `file` and checks each one's presence, type and shape against `config`.
    init(file: GGUFFile, config: DecoderConfig) throws(ModelError) {
        let tensors = TensorReader(file: file, architecture: config.architecture)
        let C = config.embeddingLength
        let attention = config.attentionWidth
        let kv = config.kvDimension
        let ff = config.feedForwardLength
        let hs = config.headSize
        tokenEmbedding = try tensors.matrix("token_embd.weight", inputs: C, outputs: config.vocabularySize)
        var layers: [DecoderLayerWeights] = []
        for i in 0..<config.layerCount {
            let p = "blk.\(i)."
            // Q, K and V: three tensors, or one fused attn_qkv (Phi-3) sliced by rows.
            let query: Linear, key: Linear, value: Linear
            if file.tensorInfo(named: p + "attn_qkv.weight") != nil {
                let fused = try tensors.matrix(p + "attn_qkv.weight", inputs: C, outputs: attention + 2 * kv)
                let bias = try tensors.optionalVector(p + "attn_qkv.bias", count: attention + 2 * kv)
                func part(_ rows: Range<Int>, _ name: String) throws(ModelError) -> Linear {
                    let matrix = try tensors.rows(rows, of: fused, name: p + "attn_qkv.weight")
                    if let bias { return Linear(matrix: matrix, bias: Array(bias[rows])) }
                    return Linear(matrix: matrix, bias: try tensors.optionalVector(p + name + ".bias", count: rows.count))
                }
                query = try part(0..<attention, "attn_q")
                key = try part(attention..<(attention + kv), "attn_k")
                value = try part((attention + kv)..<(attention + 2 * kv), "attn_v")
            } else {
                query = try tensors.linear(p + "attn_q", inputs: C, outputs: attention)
                key = try tensors.linear(p + "attn_k", inputs: C, outputs: kv)
                value = try tensors.linear(p + "attn_v", inputs: C, outputs: kv)
            }
            // Gate and up: two tensors, or one ffn_up of 2·FF rows, gate first (Phi-3).
            let gate: Linear, up: Linear
            if file.tensorInfo(named: p + "ffn_gate.weight") == nil, let fused = file.tensorInfo(named: p + "ffn_up.weight"),
               fused.dimensions.count == 2, fused.dimensions[1] == 2 * ff {
                let both = try tensors.matrix(p + "ffn_up.weight", inputs: C, outputs: 2 * ff)
                gate = Linear(matrix: try tensors.rows(0..<ff, of: both, name: p + "ffn_up.weight"), bias: nil)
                up = Linear(matrix: try tensors.rows(ff..<(2 * ff), of: both, name: p + "ffn_up.weight"), bias: nil)
            } else {
                gate = try tensors.linear(p + "ffn_gate", inputs: C, outputs: ff)
                up = try tensors.linear(p + "ffn_up", inputs: C, outputs: ff)
            }
            layers.append(DecoderLayerWeights(
                attentionNorm: try tensors.vector(p + "attn_norm.weight", count: C),
                query: query, key: key, value: value,
                queryNorm: config.normalizesQueryKey ? try tensors.vector(p + "attn_q_norm.weight", count: hs) : nil,
                keyNorm: config.normalizesQueryKey ? try tensors.vector(p + "attn_k_norm.weight", count: hs) : nil,
                attentionOutput: try tensors.linear(p + "attn_output", inputs: attention, outputs: C),
                postAttentionNorm: config.normalizesBlockOutputs ? try tensors.vector(p + "post_attention_norm.weight", count: C) : nil,
                feedForwardNorm: try tensors.vector(p + "ffn_norm.weight", count: C),
                gate: gate, up: up,
                down: try tensors.linear(p + "ffn_down", inputs: ff, outputs: C),
                postFeedForwardNorm: config.normalizesBlockOutputs ? try tensors.vector(p + "post_ffw_norm.weight", count: C) : nil
            ))
        }
        self.layers = layers
        outputNorm = try tensors.vector("output_norm.weight", count: C)
        let head = config.alwaysTiesOutput || file.tensorInfo(named: "output.weight") == nil
            ? tokenEmbedding : try tensors.matrix("output.weight", inputs: C, outputs: config.vocabularySize)
        output = Linear(matrix: head, bias: try tensors.optionalVector("output.bias", count: config.vocabularySize))
    }
}

/// Finds and checks the tensors of one file, throwing errors that name the tensor.
private struct TensorReader {
    let file: GGUFFile
    let architecture: String

    func matrix(_ name: String, inputs: Int, outputs: Int) throws(ModelError) -> QuantizedMatrix {
        guard let info = file.tensorInfo(named: name) else {
            throw ModelError(path: file.path, field: name, "tensor is missing", hint: "the file is not a complete \(architecture) model")
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

    /// `name.weight` and, when the file has it, `name.bias`.
    func linear(_ name: String, inputs: Int, outputs: Int) throws(ModelError) -> Linear {
        Linear(matrix: try matrix(name + ".weight", inputs: inputs, outputs: outputs),
               bias: try optionalVector(name + ".bias", count: outputs))
    }

    /// Rows `range` of a fused matrix, viewed in place.
    func rows(_ range: Range<Int>, of fused: QuantizedMatrix, name: String) throws(ModelError) -> QuantizedMatrix {
        do {
            return try QuantizedMatrix(
                format: fused.format, data: fused.data + range.lowerBound * fused.rowBytes,
                rows: range.count, columns: fused.columns, name: "\(name)[\(range.lowerBound)..<\(range.upperBound)]"
            )
        } catch {
            throw ModelError(path: file.path, field: name, "\(error)")
        }
    }

    func vector(_ name: String, count: Int) throws(ModelError) -> [Float] {
        guard let info = file.tensorInfo(named: name) else {
            throw ModelError(path: file.path, field: name, "tensor is missing", hint: "the file is not a complete \(architecture) model")
        }
        guard info.dimensions == [count] else {
            throw ModelError(path: file.path, field: name, "shape is \(info.dimensions), expected [\(count)]")
        }
        guard info.type == .f32 || info.type == .f16 else {
            throw ModelError(path: file.path, field: name, "vectors of type \(info.type) are not supported; expected F32 or F16")
        }
        return file.floats(of: info)
    }

    func optionalVector(_ name: String, count: Int) throws(ModelError) -> [Float]? {
        file.tensorInfo(named: name) == nil ? nil : try vector(name, count: count)
    }
}
