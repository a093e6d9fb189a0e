extension Architecture {
    /// Llama 2 and 3, SmolLM, TinyLlama, Mistral (converted as llama): the defaults of
    /// `DecoderConfig`. Optional Q/K/V/output biases are used when a file has them.
    static let llama = Architecture(name: "llama", families: "Llama 2/3, SmolLM, TinyLlama, Mistral") { _, _ throws(ModelError) in }
}
