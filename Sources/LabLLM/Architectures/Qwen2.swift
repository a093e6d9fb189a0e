extension Architecture {
    /// Qwen2 and Qwen2.5: rotate-half RoPE and biases on Q, K and V (read from the file's
    /// `attn_q.bias` … tensors).
    static let qwen2 = Architecture(name: "qwen2", families: "Qwen2, Qwen2.5") { config, _ throws(ModelError) in
        config.ropeStyle = .halves
    }
}
