/// Everything a tokenizer is built from, as stored in a GGUF file's `tokenizer.*` metadata.
///
/// A plain value, so a tokenizer can be built from a model file, from a test's hand-made
/// vocabulary, or from any other source. Field names follow the GGUF keys
/// (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md, "Tokenizer").
public struct TokenizerVocabulary: Sendable, Hashable, Codable {
    /// `tokenizer.ggml.model`: which algorithm turns text into tokens.
    public enum Model: String, Sendable, Hashable, Codable {
        /// Byte-level BPE with ranked merges (GPT-2, Llama-3, SmolLM, Qwen2, Granite, DeepSeek).
        case gpt2
        /// SentencePiece-style BPE merging by score, with byte fallback (Llama-2, Mistral, TinyLlama).
        case llama
        /// WordPiece, longest token first (BERT, BGE).
        case bert
        /// BPE with ranked merges over UTF-8 characters, `▁` for a space, byte fallback (Gemma 4).
        case gemma4
    }

    /// `tokenizer.ggml.token_type`, numbered as in llama.cpp's `llama_token_type`.
    public enum TokenType: Int32, Sendable, Hashable, Codable {
        case undefined = 0
        case normal = 1
        case unknown = 2
        /// Markup the model was trained with (`<|im_start|>`); matched in text only when parsing specials.
        case control = 3
        /// Added tokens that are always matched literally in text.
        case userDefined = 4
        case unused = 5
        /// `<0xAB>`: one raw byte (SentencePiece byte fallback).
        case byte = 6
    }

    /// `tokenizer.ggml.model`.
    public var model: Model
    /// `tokenizer.ggml.pre`: the pre-tokenizer name (`smollm`, `llama-bpe`, …); nil when absent.
    public var preTokenizer: String?
    /// `tokenizer.ggml.tokens`: token text by id.
    public var tokens: [String]
    /// `tokenizer.ggml.token_type`: one per token; empty means every token is normal.
    public var tokenTypes: [TokenType]
    /// `tokenizer.ggml.scores`: one per token (SentencePiece merge priority); empty means all zero.
    public var scores: [Float]
    /// `tokenizer.ggml.merges`: `"left right"` pairs, highest priority first.
    public var merges: [String]
    /// `tokenizer.ggml.bos_token_id`.
    public var beginOfSequenceId: Int32?
    /// `tokenizer.ggml.eos_token_id`.
    public var endOfSequenceId: Int32?
    /// `tokenizer.ggml.eot_token_id`: end of a chat turn, when it differs from end of sequence.
    public var endOfTurnId: Int32?
    /// `tokenizer.ggml.unknown_token_id`.
    public var unknownId: Int32?
    /// `tokenizer.ggml.padding_token_id`.
    public var paddingId: Int32?
    /// `tokenizer.ggml.seperator_token_id` (spelled so in GGUF): WordPiece's `[SEP]`.
    public var separatorId: Int32?
    /// `tokenizer.ggml.add_bos_token`; nil means the model kind's default.
    public var addBeginOfSequence: Bool?
    /// `tokenizer.ggml.add_eos_token`; nil means false.
    public var addEndOfSequence: Bool?
    /// `tokenizer.ggml.add_space_prefix`; nil means the model kind's default (true for `llama`).
    public var addSpacePrefix: Bool?
    /// `tokenizer.ggml.normalizer.lowercase` (WordPiece); nil means true.
    public var normalizerLowercase: Bool?
    /// `tokenizer.ggml.normalizer.strip_accents` (WordPiece); nil means the same as lowercasing.
    public var normalizerStripAccents: Bool?
    /// `tokenizer.chat_template`: the Jinja template text, used to recognise the chat format.
    public var chatTemplate: String?

    /// Creates a vocabulary; omitted fields take the GGUF defaults (absent keys).
    public init(
        model: Model,
        preTokenizer: String? = nil,
        tokens: [String],
        tokenTypes: [TokenType] = [],
        scores: [Float] = [],
        merges: [String] = [],
        beginOfSequenceId: Int32? = nil,
        endOfSequenceId: Int32? = nil,
        endOfTurnId: Int32? = nil,
        unknownId: Int32? = nil,
        paddingId: Int32? = nil,
        separatorId: Int32? = nil,
        addBeginOfSequence: Bool? = nil,
        addEndOfSequence: Bool? = nil,
        addSpacePrefix: Bool? = nil,
        normalizerLowercase: Bool? = nil,
        normalizerStripAccents: Bool? = nil,
        chatTemplate: String? = nil
    ) {
        self.model = model
        self.preTokenizer = preTokenizer
        self.tokens = tokens
        self.tokenTypes = tokenTypes
        self.scores = scores
        self.merges = merges
        self.beginOfSequenceId = beginOfSequenceId
        self.endOfSequenceId = endOfSequenceId
        self.endOfTurnId = endOfTurnId
        self.unknownId = unknownId
        self.paddingId = paddingId
        self.separatorId = separatorId
        self.addBeginOfSequence = addBeginOfSequence
        self.addEndOfSequence = addEndOfSequence
        self.addSpacePrefix = addSpacePrefix
        self.normalizerLowercase = normalizerLowercase
        self.normalizerStripAccents = normalizerStripAccents
        self.chatTemplate = chatTemplate
    }

    /// Checks lengths and ids so the tokenizer never indexes out of range.
    func validate() throws {
        guard !tokens.isEmpty else {
            throw TokenizerError(
                .invalidVocabulary, "tokenizer.ggml.tokens is empty",
                hint: "the model file has no vocabulary; re-convert it with llama.cpp's convert_hf_to_gguf.py")
        }
        if !tokenTypes.isEmpty && tokenTypes.count != tokens.count {
            throw TokenizerError(
                .invalidVocabulary,
                "tokenizer.ggml.token_type has \(tokenTypes.count) entries but tokenizer.ggml.tokens has \(tokens.count)",
                hint: "the file is damaged or was written by a broken converter")
        }
        if !scores.isEmpty && scores.count != tokens.count {
            throw TokenizerError(
                .invalidVocabulary,
                "tokenizer.ggml.scores has \(scores.count) entries but tokenizer.ggml.tokens has \(tokens.count)",
                hint: "the file is damaged or was written by a broken converter")
        }
        let fields: [(String, Int32?)] = [
            ("tokenizer.ggml.bos_token_id", beginOfSequenceId), ("tokenizer.ggml.eos_token_id", endOfSequenceId),
            ("tokenizer.ggml.eot_token_id", endOfTurnId), ("tokenizer.ggml.unknown_token_id", unknownId),
            ("tokenizer.ggml.padding_token_id", paddingId), ("tokenizer.ggml.seperator_token_id", separatorId),
        ]
        for (name, value) in fields {
            if let value, value < 0 || Int(value) >= tokens.count {
                throw TokenizerError(
                    .invalidVocabulary, "\(name) is \(value), outside the vocabulary of \(tokens.count) tokens",
                    hint: "the file is damaged or was written by a broken converter")
            }
        }
        if (model == .gpt2 || model == .gemma4) && merges.isEmpty {
            throw TokenizerError(
                .invalidVocabulary, "tokenizer.ggml.merges is missing for a \(model.rawValue) (BPE) tokenizer",
                hint: "the file is damaged or was written by a broken converter")
        }
    }
}
