import Foundation
import LabJinja

/// Turns text into token ids and back exactly as llama.cpp does for the same GGUF vocabulary.
///
/// Built once from a `TokenizerVocabulary` (about 0.1 s for a 49k-token vocabulary), then safe to
/// share between threads. The algorithm is the one `tokenizer.ggml.model` names (`TokenizerModel`);
/// byte-level BPE caches the tokens of recently seen words.
public struct Tokenizer: Sendable {
    /// The vocabulary this tokenizer was built from.
    public let vocabulary: TokenizerVocabulary
    /// The pre-tokenizer (the BPE models only; nil for SentencePiece and WordPiece).
    public let preTokenizer: PreTokenizer?
    /// Beginning-of-sequence token.
    public let beginOfSequenceId: Int32?
    /// End-of-sequence token.
    public let endOfSequenceId: Int32?
    /// End-of-turn token: `tokenizer.ggml.eot_token_id`, else the first well-known end-of-turn
    /// token text in the vocabulary (`<|endoftext|>`, `<|im_end|>`, `<|eot_id|>`, …).
    public let endOfTurnId: Int32?
    /// Every token that ends generation: EOS, EOT and the well-known end-of-turn tokens
    /// (llama.cpp's `special_eog_ids`).
    public let endOfGenerationIds: Set<Int32>
    /// Whether `encode(_:addSpecial: true)` starts with BOS.
    public let addsBeginOfSequence: Bool
    /// Whether `encode(_:addSpecial: true)` ends with EOS.
    public let addsEndOfSequence: Bool
    /// WordPiece only: the separator (`[SEP]`) that `encode(_:addSpecial: true)` puts last.
    public let separatorId: Int32?
    /// SentencePiece only: whether a space is put before the text (and removed again when decoding).
    public let addsSpacePrefix: Bool

    private let types: [TokenizerVocabulary.TokenType]
    private let tokenIds: [TokenText: Int32]
    private let specialTokens: SpecialTokenSplitter
    private let model: any TokenizerModel
    private let pieces: PieceTable
    /// The vocabulary's `tokenizer.chat_template`, parsed once (nil: none), or why it can't be.
    let parsedChatTemplate: Result<JinjaTemplate, any Error>?
    /// The known format that template is, if any; computed once.
    public let recognizedChatTemplate: ChatTemplate?

    /// Token texts that end a turn, as llama.cpp recognises them (src/llama-vocab.cpp, `special_eog_ids`).
    static let endOfTurnTexts = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>",
    ]

    /// Builds the tokenizer; throws `TokenizerError` when the vocabulary is inconsistent or uses
    /// a model or pre-tokenizer this module does not implement.
    public init(_ vocabulary: TokenizerVocabulary) throws {
        try vocabulary.validate()
        self.vocabulary = vocabulary
        let tokens = vocabulary.tokens
        let tokenIds = TokenText.index(tokens)
        self.tokenIds = tokenIds

        var types = vocabulary.tokenTypes.isEmpty
            ? [TokenizerVocabulary.TokenType](repeating: .normal, count: tokens.count) : vocabulary.tokenTypes
        // llama.cpp treats the well-known end-of-turn texts as control tokens whatever their stored type.
        var endOfGeneration = Set<Int32>()
        var detectedEndOfTurn: Int32?
        for text in Self.endOfTurnTexts {
            if let id = tokenIds[TokenText(text)] {
                types[Int(id)] = .control
                endOfGeneration.insert(id)
                if text != "<|eom_id|>" { detectedEndOfTurn = min(detectedEndOfTurn ?? id, id) }
            }
        }
        self.types = types

        let model = try vocabulary.model.makeTokenizerModel(vocabulary, tokenIds: tokenIds)
        self.model = model
        preTokenizer = model.preTokenizer
        let settings = model.specialTokens
        beginOfSequenceId = settings.beginOfSequenceId
        endOfSequenceId = settings.endOfSequenceId
        addsBeginOfSequence = settings.addsBeginOfSequence
        addsEndOfSequence = settings.addsEndOfSequence
        addsSpacePrefix = settings.addsSpacePrefix
        separatorId = settings.separatorId
        if addsBeginOfSequence && beginOfSequenceId == nil {
            throw TokenizerError(
                .invalidVocabulary, "tokenizer.ggml.add_bos_token is true but there is no tokenizer.ggml.bos_token_id",
                hint: "the file is damaged or was written by a broken converter")
        }
        if addsEndOfSequence && endOfSequenceId == nil {
            throw TokenizerError(
                .invalidVocabulary, "tokenizer.ggml.add_eos_token is true but there is no tokenizer.ggml.eos_token_id",
                hint: "the file is damaged or was written by a broken converter")
        }
        let endOfTurn = vocabulary.endOfTurnId ?? detectedEndOfTurn
        if let id = endOfSequenceId { endOfGeneration.insert(id) }
        if let id = endOfTurn { endOfGeneration.insert(id) }
        endOfTurnId = endOfTurn
        endOfGenerationIds = endOfGeneration
        specialTokens = SpecialTokenSplitter(tokens: tokens, types: types)
        pieces = PieceTable(tokens: tokens, types: types, spelling: model.spelling)
        // Parsed here, not per prompt: a template is a few kilobytes of Jinja and every chat request renders it.
        parsedChatTemplate = vocabulary.chatTemplate.map { source in
            Result { try JinjaTemplate(source, name: "tokenizer.chat_template") }
        }
        recognizedChatTemplate = vocabulary.chatTemplate.flatMap { ChatTemplate(recognizing: $0) }
    }

    /// Number of tokens in the vocabulary.
    public var count: Int { vocabulary.tokens.count }

    /// The tokens of `text`, as llama.cpp's `llama_tokenize` gives them.
    ///
    /// - Parameters:
    ///   - addSpecial: add BOS/EOS as the model asks (`add_bos_token`, `add_eos_token`; WordPiece:
    ///     `[CLS]` … `[SEP]`). Pass false for text that continues a sequence, or to compare with
    ///     llama.cpp's tokenizer tests.
    ///   - parseSpecial: match control tokens such as `<|im_start|>` written in the text; when
    ///     false they are tokenized as ordinary text (user-defined tokens always match). Pass
    ///     false for text from users that must not inject chat markup.
    public func encode(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = true) -> [Int32] {
        let bytes = Array(text.utf8)
        var output: [Int32] = []
        output.reserveCapacity(bytes.count / 3 + 2)
        if addSpecial && addsBeginOfSequence, let id = beginOfSequenceId {
            output.append(id)
        }
        var previousWasSpecial = true
        for fragment in specialTokens.split(bytes, parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id):
                output.append(id)
                previousWasSpecial = true
            case .text(let range):
                model.encode(bytes, range, followsSpecial: previousWasSpecial, into: &output)
                previousWasSpecial = false
            }
        }
        if addSpecial && addsEndOfSequence, let id = endOfSequenceId {
            output.append(id)
        }
        if addSpecial, let id = separatorId {
            output.append(id)
        }
        return output
    }

    /// The text of `ids`.
    ///
    /// Control and unknown tokens appear as their text only when `renderSpecial` is true.
    /// SentencePiece's prefix space is removed from the first piece. Bytes that do not form valid
    /// UTF-8 (a character cut off by the end of `ids`) and ids outside the vocabulary become U+FFFD.
    public func decode(_ ids: [Int32], renderSpecial: Bool = false) -> String {
        var bytes: [UInt8] = []
        var atStart = true
        for id in ids {
            appendPiece(of: id, renderSpecial: renderSpecial, atStart: &atStart, to: &bytes)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the bytes of one token; `atStart` tracks whether anything visible came before.
    func appendPiece(of id: Int32, renderSpecial: Bool, atStart: inout Bool, to bytes: inout [UInt8]) {
        guard contains(id) else {
            bytes.append(contentsOf: Self.replacementCharacter)
            atStart = false
            return
        }
        let index = Int(id)
        if pieces.isSpecial[index] && !renderSpecial { return }
        var piece = pieces.bytes(index)
        guard !piece.isEmpty else { return }
        if atStart && addsSpacePrefix && types[index] == .normal && piece.first == UInt8(ascii: " ") {
            piece = piece.dropFirst()
        }
        atStart = false
        bytes.append(contentsOf: piece)
    }

    /// U+FFFD in UTF-8.
    private static let replacementCharacter: [UInt8] = [0xEF, 0xBF, 0xBD]

    /// The bytes a token stands for; control tokens give their text unless `renderSpecial` is
    /// false; an id outside the vocabulary gives nothing.
    public func bytes(of id: Int32, renderSpecial: Bool = true) -> [UInt8] {
        guard contains(id), renderSpecial || !pieces.isSpecial[Int(id)] else { return [] }
        return Array(pieces.bytes(Int(id)))
    }

    /// Whether generation ends at this token (EOS, EOT or another end-of-turn token).
    public func isEndOfGeneration(_ id: Int32) -> Bool { endOfGenerationIds.contains(id) }

    /// Whether `id` is a token of this vocabulary.
    public func contains(_ id: Int32) -> Bool { id >= 0 && Int(id) < vocabulary.tokens.count }

    /// The token's text as stored in the vocabulary (`Ġthe`, `▁the`, `<|im_end|>`), nil outside it.
    public func tokenText(of id: Int32) -> String? {
        contains(id) ? vocabulary.tokens[Int(id)] : nil
    }

    /// The token's type after llama.cpp's adjustments (well-known end-of-turn tokens are control).
    public func tokenType(of id: Int32) -> TokenizerVocabulary.TokenType? {
        contains(id) ? types[Int(id)] : nil
    }

    /// The id of a token given its exact stored text, if the vocabulary has it.
    public func id(of token: String) -> Int32? { tokenIds[TokenText(token)] }
}
