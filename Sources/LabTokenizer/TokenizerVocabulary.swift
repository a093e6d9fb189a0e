public import LabGGUF

/// Everything a tokenizer needs, as plain data (usually read from a GGUF's `tokenizer.ggml.*` keys).
public struct TokenizerVocabulary: Sendable {
    /// `tokenizer.ggml.model`: `gpt2` (byte-level BPE) or `llama` (SentencePiece-style BPE).
    public enum Model: String, Sendable {
        case gpt2
        case llama
    }

    /// llama.cpp's token types (`tokenizer.ggml.token_type`).
    public enum TokenType: Int32, Sendable {
        case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    public var model: Model
    /// `tokenizer.ggml.pre`, which picks the pre-tokenizer of a `gpt2` vocabulary.
    public var preTokenizer: String
    public var tokens: [String]
    public var types: [TokenType]
    /// SentencePiece scores (llama model); empty for gpt2.
    public var scores: [Float]
    /// `"left right"` pairs in priority order (gpt2 model).
    public var merges: [String]
    public var bosID: Int32?
    public var eosID: Int32?
    /// End-of-turn (e.g. `<|im_end|>` for chat models), when different from EOS.
    public var eotID: Int32?
    public var unknownID: Int32?
    public var paddingID: Int32?
    public var addBOS: Bool
    public var addEOS: Bool
    /// SentencePiece: prepend a space to the text (`tokenizer.ggml.add_space_prefix`).
    public var addSpacePrefix: Bool
    /// The Jinja chat template, if the file has one.
    public var chatTemplate: String?

    public init(
        model: Model, preTokenizer: String = "default", tokens: [String], types: [TokenType] = [], scores: [Float] = [],
        merges: [String] = [], bosID: Int32? = nil, eosID: Int32? = nil, eotID: Int32? = nil, unknownID: Int32? = nil,
        paddingID: Int32? = nil, addBOS: Bool = false, addEOS: Bool = false, addSpacePrefix: Bool = true, chatTemplate: String? = nil
    ) {
        self.model = model
        self.preTokenizer = preTokenizer
        self.tokens = tokens
        self.types = types.isEmpty ? Array(repeating: .normal, count: tokens.count) : types
        self.scores = scores
        self.merges = merges
        self.bosID = bosID
        self.eosID = eosID
        self.eotID = eotID
        self.unknownID = unknownID
        self.paddingID = paddingID
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix
        self.chatTemplate = chatTemplate
    }

    /// Reads the vocabulary from a GGUF file's `tokenizer.ggml.*` metadata.
    public init(gguf file: GGUFFile) throws(TokenizerError) {
        guard let modelName = file.string("tokenizer.ggml.model") else {
            throw TokenizerError.missingMetadata("tokenizer.ggml.model", path: file.path)
        }
        guard let model = Model(rawValue: modelName) else {
            throw TokenizerError.unsupported("tokenizer model '\(modelName)' (supported: gpt2, llama)", path: file.path)
        }
        guard let tokens = file.stringArray("tokenizer.ggml.tokens"), !tokens.isEmpty else {
            throw TokenizerError.missingMetadata("tokenizer.ggml.tokens", path: file.path)
        }
        let rawTypes = file.intArray("tokenizer.ggml.token_type") ?? []
        let types = rawTypes.map { TokenType(rawValue: Int32(truncatingIfNeeded: $0)) ?? .normal }
        guard types.isEmpty || types.count == tokens.count else {
            throw TokenizerError.inconsistent("tokenizer.ggml.token_type has \(types.count) entries for \(tokens.count) tokens", path: file.path)
        }
        let merges = file.stringArray("tokenizer.ggml.merges") ?? []
        if model == .gpt2 && merges.isEmpty {
            throw TokenizerError.missingMetadata("tokenizer.ggml.merges", path: file.path)
        }
        func id(_ key: String) -> Int32? {
            guard let value = file.int(key), value >= 0, value < tokens.count else { return nil }
            return Int32(value)
        }
        self.init(
            model: model, preTokenizer: file.string("tokenizer.ggml.pre") ?? "default", tokens: tokens, types: types,
            scores: file.floatArray("tokenizer.ggml.scores") ?? [], merges: merges,
            bosID: id("tokenizer.ggml.bos_token_id"), eosID: id("tokenizer.ggml.eos_token_id"),
            eotID: id("tokenizer.ggml.eot_token_id"), unknownID: id("tokenizer.ggml.unknown_token_id"),
            paddingID: id("tokenizer.ggml.padding_token_id"),
            addBOS: file.bool("tokenizer.ggml.add_bos_token") ?? (model == .llama),
            addEOS: file.bool("tokenizer.ggml.add_eos_token") ?? false,
            addSpacePrefix: file.bool("tokenizer.ggml.add_space_prefix") ?? (model == .llama),
            chatTemplate: file.string("tokenizer.chat_template"))
    }
}

/// Why a tokenizer could not be built or used.
public enum TokenizerError: Error, Sendable, Equatable, CustomStringConvertible {
    case missingMetadata(String, path: String)
    case unsupported(String, path: String)
    case inconsistent(String, path: String)
    case unknownToken(String)

    public var description: String {
        switch self {
        case let .missingMetadata(key, path): "\(path): metadata key \(key) is missing (hint: the model has no usable tokenizer; re-convert it with llama.cpp)"
        case let .unsupported(what, path): "\(path): unsupported \(what)"
        case let .inconsistent(what, path): "\(path): \(what) (hint: the file is damaged; download it again)"
        case let .unknownToken(text): "no token for '\(text)' and the vocabulary has no unknown token"
        }
    }
}
