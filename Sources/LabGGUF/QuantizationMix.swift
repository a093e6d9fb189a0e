/// The file types `synthlab model quantize` writes, by llama-quantize's names, and llama.cpp's
/// choice of type for each tensor (`llama_tensor_get_type` in src/llama-quant.cpp, no importance
/// matrix, no overrides): the `_M` and `_S` mixes give attention values, feed-forward down
/// projections and the output head more bits in the layers where that helps, and a row length
/// that is not whole 256-weight blocks falls back to a 32-weight format.
public enum QuantizationMix: String, Sendable, CaseIterable {
    case f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1
    case q4_k_s = "q4_k_s", q4_k_m = "q4_k_m", q5_k_s = "q5_k_s", q5_k_m = "q5_k_m", q6_k = "q6_k"

    /// `general.file_type` (llama.cpp's `llama_ftype`).
    public var fileType: UInt32 {
        switch self {
        case .f32: 0
        case .f16: 1
        case .q4_0: 2
        case .q4_1: 3
        case .q8_0: 7
        case .q5_0: 8
        case .q5_1: 9
        case .q4_k_s: 14
        case .q4_k_m: 15
        case .q5_k_s: 16
        case .q5_k_m: 17
        case .q6_k: 18
        case .bf16: 32
        }
    }

    /// The type of every quantizable tensor before the mix's exceptions.
    public var defaultType: GGMLType {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        case .q8_0: .q8_0
        case .q4_0: .q4_0
        case .q4_1: .q4_1
        case .q5_0: .q5_0
        case .q5_1: .q5_1
        case .q4_k_s, .q4_k_m: .q4_K
        case .q5_k_s, .q5_k_m: .q5_K
        case .q6_k: .q6_K
        }
    }

    /// The mix called `name` in any case (`Q4_K_M`, `q4_k_m`).
    public init?(name: String) {
        self.init(rawValue: name.lowercased())
    }
}

/// What each tensor of a model becomes under a mix, decided in llama.cpp's tensor order (blocks
/// by number, names sorted within; the counters of the layer-dependent rules follow that order).
public struct QuantizationPlan: Sendable {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var dimensions: [Int]
        public var from: GGMLType
        public var to: GGMLType
    }

    /// Every tensor, in the order the output file holds them.
    public let entries: [Entry]

    /// The plan for tensors `tensors` (name, GGUF dimensions, stored type) of a model with
    /// `layerCount` blocks.
    public init(tensors: [(name: String, dimensions: [Int], type: GGMLType)], layerCount: Int, mix: QuantizationMix) {
        let ordered = tensors.sorted { Self.llamaCppOrder($0.name, $1.name) }
        let tied = !tensors.contains { $0.name == "output.weight" }
        let attentionValues = ordered.filter { Category(name: $0.name).isAttentionValue }.count
        var state = Counters()
        entries = ordered.map { tensor in
            Entry(name: tensor.name, dimensions: tensor.dimensions, from: tensor.type,
                  to: Self.targetType(tensor, mix: mix, tied: tied, layers: layerCount, attentionValues: attentionValues, state: &state))
        }
    }

    /// llama.cpp's `weight_name_comparer`: tensors outside blocks first, then by block number,
    /// then by name (bytewise).
    static func llamaCppOrder(_ a: String, _ b: String) -> Bool {
        func layer(_ name: String) -> Int {
            guard name.hasPrefix("blk.") else { return -1 }
            let digits = name.dropFirst(4).prefix { $0.isASCII && $0.isNumber }
            return Int(digits) ?? -1
        }
        let (la, lb) = (layer(a), layer(b))
        return la != lb ? la < lb : Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
    }

    private struct Counters {
        var attentionValue = 0, feedForwardDown = 0
    }

    /// llama.cpp's broad tensor categories (`tensor_get_category`), in its order of tests.
    private enum Category {
        case output, tokenEmbedding, attentionQKV, attentionKVB, attentionValue, attentionKey, attentionQuery
        case attentionOutput, feedForwardUp, feedForwardGate, feedForwardDown, other

        init(name: String) {
            if name == "output.weight" { self = .output }
            else if name == "token_embd.weight" || name == "per_layer_token_embd.weight" { self = .tokenEmbedding }
            else if name.contains("attn_qkv.weight") { self = .attentionQKV }
            else if name.contains("attn_kv_b.weight") { self = .attentionKVB }
            else if name.contains("attn_v.weight") { self = .attentionValue }
            else if name.contains("attn_k.weight") { self = .attentionKey }
            else if name.contains("attn_q.weight") { self = .attentionQuery }
            else if name.contains("attn_output.weight") { self = .attentionOutput }
            else if name.contains("ffn_up") { self = .feedForwardUp }
            else if name.contains("ffn_gate") { self = .feedForwardGate }
            else if name.contains("ffn_down") { self = .feedForwardDown }
            else { self = .other }
        }

        /// attn_v-like tensors, the ones most sensitive to quantization.
        var isAttentionValue: Bool { self == .attentionValue || self == .attentionQKV || self == .attentionKVB }
    }

    /// llama.cpp's `tensor_allows_quantization` for the tensors of the architectures synthlab
    /// runs: 2-D `*weight` tensors other than norms, expert gates and positional tables.
    static func allowsQuantization(_ name: String, dimensions: [Int]) -> Bool {
        guard dimensions.count >= 2, name.hasSuffix("weight"), !name.contains("_norm.weight") else { return false }
        let excluded = ["ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel", "per_layer_model_proj", "ssm_conv1d",
                        "shortconv.conv.weight", "attn_rel_b.weight", ".position_embd", "time_mix_"]
        return name != "position_embd.weight" && name != "token_types.weight" && !excluded.contains { name.contains($0) }
    }

    private static func targetType(_ tensor: (name: String, dimensions: [Int], type: GGMLType), mix: QuantizationMix, tied: Bool,
                                   layers: Int, attentionValues: Int, state: inout Counters) -> GGMLType {
        guard allowsQuantization(tensor.name, dimensions: tensor.dimensions) else { return tensor.type }
        let defaultType = mix.defaultType
        guard defaultType.blockSize > 1 else { return defaultType }  // F32/F16/BF16: every quantizable tensor
        let columns = tensor.dimensions[0]
        var type = defaultType
        // Layers 0 … n/8, the last eighth, and every third in between get more bits.
        func moreBits(_ i: Int, _ n: Int) -> Bool { i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2 }
        let category = Category(name: tensor.name)
        if category == .output || (tied && category == .tokenEmbedding) {
            if columns % type.blockSize != 0 {
                type = .q8_0
            } else if type != .q8_0 {
                type = .q6_K
            }
        } else if category == .tokenEmbedding {
            // no exception for these mixes
        } else if category.isAttentionValue {
            if (mix == .q4_k_m || mix == .q5_k_m) && moreBits(state.attentionValue, attentionValues) {
                type = .q6_K
            } else if mix == .q4_k_s && state.attentionValue < 4 {
                type = .q5_K
            }
            state.attentionValue += 1
        } else if category == .feedForwardDown {
            let i = state.feedForwardDown
            if mix == .q4_k_m && moreBits(i, layers) {
                type = .q6_K
            } else if mix == .q5_k_m && moreBits(i, layers) {
                type = .q6_K
            } else if mix == .q4_k_s && i < layers / 8 {
                type = .q5_K
            }
            state.feedForwardDown += 1
        }
        // A row that is not whole blocks of the chosen type falls back (tensor_type_fallback).
        if columns % type.blockSize != 0 {
            switch type {
            case .q4_K: type = .q5_0
            case .q5_K: type = .q5_1
            case .q6_K: type = .q8_0
            default: break
            }
            if columns % type.blockSize != 0 { type = .f16 }
        }
        return type
    }
}
