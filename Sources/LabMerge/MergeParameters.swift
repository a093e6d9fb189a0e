/// A mergekit parameter setting: a number, a gradient over the layers, or a list of conditions
/// on tensor names (`- filter: self_attn` / `value: …`, the first that matches wins; a condition
/// without `filter` matches every tensor).
public indirect enum ParameterSetting: Sendable, Equatable {
    case number(Double)
    case flag(Bool)
    /// Values spread evenly over the layers, interpolated linearly in between.
    case gradient([Double])
    case conditional([Condition])

    public struct Condition: Sendable, Equatable {
        public var filter: String?
        public var value: ParameterSetting
    }

    /// The value for one tensor. `tensorName` is the name mergekit filters on (Hugging Face's
    /// names, see `MergeTensorName`); `position` is where the tensor sits in the stack, 0 at the
    /// embedding end and 1 at the output end. Nil when no condition matches.
    public func value(for tensorName: String, position: Double) -> Double? {
        switch self {
        case .number(let value): return value
        case .flag(let value): return value ? 1 : 0
        case .gradient(let values):
            guard values.count > 1 else { return values.first }
            let scaled = min(max(position, 0), 1) * Double(values.count - 1)
            let lower = min(Int(scaled), values.count - 1), upper = min(lower + 1, values.count - 1)
            let fraction = scaled - Double(lower)
            return values[lower] * (1 - fraction) + values[upper] * fraction
        case .conditional(let conditions):
            for condition in conditions where condition.filter.map({ $0 == "*" || tensorName.contains($0) }) ?? true {
                return condition.value.value(for: tensorName, position: position)
            }
            return nil
        }
    }
}

/// The names mergekit sees. Filters in a mergekit config (`self_attn`, `mlp`, `layernorm`, …)
/// are substrings of Hugging Face's tensor names, so a GGUF name is translated before matching.
public enum MergeTensorName {
    private static let blockParts: [String: String] = [
        "attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
        "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj", "attn_q_norm": "self_attn.q_norm",
        "attn_k_norm": "self_attn.k_norm", "ffn_norm": "post_attention_layernorm", "ffn_gate": "mlp.gate_proj",
        "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj",
    ]
    private static let topLevel: [String: String] = [
        "token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head",
    ]

    /// `blk.3.attn_q.weight` → `model.layers.3.self_attn.q_proj.weight`; a name it does not know
    /// is returned as it is.
    public static func huggingFace(_ name: String) -> String {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 4, parts[0] == "blk", Int(parts[1]) != nil, let mapped = blockParts[parts[2]] {
            return "model.layers.\(parts[1]).\(mapped).\(parts[3])"
        }
        if parts.count == 2, let mapped = topLevel[parts[0]] { return "\(mapped).\(parts[1])" }
        return name
    }

    /// The block index of `blk.N.…`, nil for tensors outside the blocks.
    public static func layer(_ name: String) -> Int? {
        let parts = name.split(separator: ".")
        guard parts.count >= 3, parts[0] == "blk" else { return nil }
        return Int(parts[1])
    }

    /// mergekit's position for a gradient: block i of n at i / (n − 1) (a single block at 1);
    /// tensors outside the blocks (embedding, final norm, output) at 0, as mergekit plans them.
    public static func position(_ name: String, layers: Int) -> Double {
        guard let layer = layer(name) else { return 0 }
        return layers > 1 ? Double(layer) / Double(layers - 1) : 1
    }
}
