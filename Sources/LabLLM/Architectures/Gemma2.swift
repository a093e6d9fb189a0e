extension Architecture {
    /// Gemma 2: embeddings × √C, GeGLU, RMSNorm after attention and feed-forward (the converter
    /// stores Gemma's (1 + w) norm weights already added), attention-score and final-logit
    /// soft-capping, sliding-window attention on every other layer, and the output head tied to
    /// the token embedding. Constants as llama.cpp's `llama_model_gemma2::load_arch_hparams`.
    static let gemma2 = Architecture(name: "gemma2", families: "Gemma 2") { config, keys throws(ModelError) in
        config.ropeStyle = .halves
        config.activation = .geluTanh
        config.normalizesBlockOutputs = true
        config.alwaysTiesOutput = true
        config.embeddingScale = Float(config.embeddingLength).squareRoot()
        config.attentionSoftcap = Float(try keys.optionalReal("attn_logit_softcapping") ?? 50)
        config.finalLogitSoftcap = Float(try keys.optionalReal("final_logit_softcapping") ?? 30)
        config.slidingWindow = try keys.integer("attention.sliding_window", default: 4096)
        config.slidingLayers = try keys.slidingPattern(layers: config.layerCount, default: 2)
        config.slidingRopeFrequencyBase = Float(try keys.real("rope.freq_base_swa", default: Double(config.ropeFrequencyBase)))
        // Gemma 2 27B (46 layers) scales queries by 1/√(C / heads), the others by 1/√(head size).
        if config.layerCount == 46 {
            config.attentionScale = 1 / Float(config.embeddingLength / config.headCount).squareRoot()
        }
    }
}
