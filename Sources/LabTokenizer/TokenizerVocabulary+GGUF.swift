public import LabGGUF

extension TokenizerVocabulary {
    /// Reads the vocabulary from a GGUF file's `tokenizer.*` metadata.
    ///
    /// Throws `TokenizerError` (naming the key and the file) when a required key is missing or
    /// has the wrong type, or when the model kind is not one this module implements.
    public init(gguf file: GGUFFile) throws {
        func fail(_ kind: TokenizerError.Kind, _ message: String, _ hint: String) -> TokenizerError {
            TokenizerError(kind, message, hint: hint, path: file.path)
        }
        guard let modelName = file.string("tokenizer.ggml.model") else {
            throw fail(
                .invalidVocabulary, "metadata key tokenizer.ggml.model is missing or not a string",
                "the file has no tokenizer; re-convert the model with llama.cpp's convert_hf_to_gguf.py")
        }
        guard let model = Model(rawValue: modelName) else {
            throw fail(
                .unsupportedModel, "unsupported tokenizer.ggml.model = '\(modelName)'",
                "supported tokenizer models: gpt2 (byte-level BPE), llama (SentencePiece BPE), bert (WordPiece), gemma4 (BPE over characters)")
        }
        guard let tokens = file.stringArray("tokenizer.ggml.tokens") else {
            throw fail(
                .invalidVocabulary, "metadata key tokenizer.ggml.tokens is missing or not an array of strings",
                "the file is damaged or was written by a broken converter")
        }
        var types: [TokenType] = []
        if let raw = file.intArray("tokenizer.ggml.token_type") {
            // llama.cpp maps values it does not know to "undefined".
            types = raw.map { TokenType(rawValue: Int32(truncatingIfNeeded: $0)) ?? .undefined }
        }
        func id(_ key: String) -> Int32? {
            file.int(key).map { Int32(clamping: $0) }
        }
        self.init(
            model: model,
            preTokenizer: file.string("tokenizer.ggml.pre"),
            tokens: tokens,
            tokenTypes: types,
            scores: file.floatArray("tokenizer.ggml.scores") ?? [],
            merges: file.stringArray("tokenizer.ggml.merges") ?? [],
            beginOfSequenceId: id("tokenizer.ggml.bos_token_id"),
            endOfSequenceId: id("tokenizer.ggml.eos_token_id"),
            endOfTurnId: id("tokenizer.ggml.eot_token_id"),
            unknownId: id("tokenizer.ggml.unknown_token_id"),
            paddingId: id("tokenizer.ggml.padding_token_id"),
            separatorId: id("tokenizer.ggml.seperator_token_id"),
            addBeginOfSequence: file.bool("tokenizer.ggml.add_bos_token"),
            addEndOfSequence: file.bool("tokenizer.ggml.add_eos_token"),
            addSpacePrefix: file.bool("tokenizer.ggml.add_space_prefix"),
            normalizerLowercase: file.bool("tokenizer.ggml.normalizer.lowercase"),
            normalizerStripAccents: file.bool("tokenizer.ggml.normalizer.strip_accents"),
            chatTemplate: file.string("tokenizer.chat_template"))
        do {
            try validate()
        } catch let error as TokenizerError {
            throw error.at(path: file.path)
        }
    }
}
