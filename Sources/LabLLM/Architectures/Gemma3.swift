extension Architecture {
    /// Gemma 3 (text): Gemma 2's block with Q/K head norms instead of attention soft-capping,
    /// five sliding-window layers to one global (rotary base 10000 on the sliding ones), and an
    /// optional final-logit cap. Constants as llama.cpp's `llama_model_gemma3::load_arch_hparams`.
    static let gemma3 = Architecture(name: "gemma3", families: "Gemma 3") { config, keys throws(ModelError) in
        config.ropeStyle = .halves
        config.activation = .geluTanh
        config.normalizesQueryKey = true
        config.normalizesBlockOutputs = true
        config.embeddingScale = Float(config.embeddingLength).squareRoot()
        config.finalLogitSoftcap = try keys.optionalReal("final_logit_softcapping").map(Float.init)
        if keys.has("attention.sliding_window") {
            config.slidingWindow = try keys.integer("attention.sliding_window")
            config.slidingLayers = try keys.slidingPattern(layers: config.layerCount, default: 6)
            config.slidingRopeFrequencyBase = Float(try keys.real("rope.freq_base_swa", default: 10_000))
        }
        // Gemma 3 27B (62 layers) scales queries by 1/√(C / heads), the others by 1/√(head size).
        if config.layerCount == 62 {
            config.attentionScale = 1 / Float(config.embeddingLength / config.headCount).squareRoot()
        }
    }
}
