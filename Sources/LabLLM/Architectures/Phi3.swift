extension Architecture {
    /// Phi-3 and Phi-3.5 (dense, 4k context): rotate-half RoPE, fused `attn_qkv` and a fused
    /// `ffn_up` holding the gate then the up rows. Its `phi3.attention.sliding_window` is read by
    /// llama.cpp and then switched off (llama.cpp PR 13676), so every layer attends globally here too.
    static let phi3 = Architecture(name: "phi3", families: "Phi-3, Phi-3.5") { config, _ throws(ModelError) in
        config.ropeStyle = .halves
    }
}
