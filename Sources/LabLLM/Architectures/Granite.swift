extension Architecture {
    /// IBM Granite 3.x (dense): Llama's block with four multipliers, `granite.embedding_scale`,
    /// `granite.residual_scale`, `granite.attention.scale` and `granite.logit_scale` (logits are
    /// divided by it).
    static let granite = Architecture(name: "granite", families: "Granite 3") { config, keys throws(ModelError) in
        config.logitScale = 1 / Float(try keys.real("logit_scale"))
        if let scale = try keys.optionalReal("embedding_scale") { config.embeddingScale = Float(scale) }
        if let scale = try keys.optionalReal("residual_scale") { config.residualScale = Float(scale) }
        if let scale = try keys.optionalReal("attention.scale") { config.attentionScale = Float(scale) }
    }
}
