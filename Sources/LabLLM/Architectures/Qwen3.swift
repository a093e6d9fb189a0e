extension Architecture {
    /// Qwen3 (dense): rotate-half RoPE, RMSNorm over each query and key head before RoPE, and a
    /// head size of its own (`qwen3.attention.key_length`, 128 where C / heads is 64).
    static let qwen3 = Architecture(name: "qwen3", families: "Qwen3") { config, _ throws(ModelError) in
        config.ropeStyle = .halves
        config.normalizesQueryKey = true
    }
}
