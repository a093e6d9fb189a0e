/// The algorithm a `tokenizer.ggml.model` value names: turns ordinary text (special tokens already
/// cut out by `SpecialTokenSplitter`) into token ids, as llama.cpp's session for that vocabulary
/// type does (src/llama-vocab.cpp).
///
/// Adding a model is one file with a type conforming to this protocol, plus its case in
/// `TokenizerVocabulary.Model` and its line in `TokenizerVocabulary.Model.makeTokenizerModel`.
protocol TokenizerModel: Sendable {
    /// How normal tokens spell their text, for decoding.
    var spelling: TokenSpelling { get }
    /// The pre-tokenizer that splits text into words first, for the BPE models.
    var preTokenizer: PreTokenizer? { get }
    /// BOS, EOS and separator handling, from the GGUF keys and this model's defaults.
    var specialTokens: SpecialTokenSettings { get }

    /// Appends the ids of `bytes[range]` (whole UTF-8 characters) to `output`.
    ///
    /// `followsSpecial` is true for the first text of the input and for text right after a
    /// special token (SentencePiece puts its prefix space there).
    func encode(_ bytes: [UInt8], _ range: Range<Int>, followsSpecial: Bool, into output: inout [Int32])
}

/// How a vocabulary's normal tokens spell the text they stand for.
enum TokenSpelling: Sendable {
    /// GPT-2's byte-to-character mapping (`Ġthe`).
    case byteLevel
    /// UTF-8 with `▁` (U+2581) for a space (`▁the`), and `<0xAB>` byte tokens.
    case escapedSpaces
}

/// What a tokenizer adds around the text when asked to add special tokens.
struct SpecialTokenSettings: Sendable {
    var beginOfSequenceId: Int32?
    var endOfSequenceId: Int32?
    /// Whether `encode(_:addSpecial: true)` starts with BOS.
    var addsBeginOfSequence: Bool
    /// Whether `encode(_:addSpecial: true)` ends with EOS.
    var addsEndOfSequence: Bool
    /// SentencePiece: a space is put before the text, and removed from the first piece when decoding.
    var addsSpacePrefix = false
    /// WordPiece: the separator (`[SEP]`) that ends the text when special tokens are added.
    var separatorId: Int32? = nil
}

extension TokenizerVocabulary.Model {
    /// The implementation of this `tokenizer.ggml.model`, built from the vocabulary.
    ///
    /// `tokenIds` maps every token's text (byte for byte) to its id, later duplicates winning.
    func makeTokenizerModel(_ vocabulary: TokenizerVocabulary, tokenIds: [TokenText: Int32]) throws -> any TokenizerModel {
        switch self {
        case .gpt2:
            // llama.cpp picks byte-level or character BPE by the pre-tokenizer (`byte_encode`).
            let preTokenizer = try PreTokenizer(ggmlName: vocabulary.preTokenizer)
            if preTokenizer.mapsBytes {
                return try ByteLevelBPE(vocabulary, preTokenizer: preTokenizer, tokenIds: tokenIds)
            }
            return try CharacterBPE(vocabulary, preTokenizer: preTokenizer, tokenIds: tokenIds)
        case .gemma4:
            // llama.cpp sets `tokenizer_pre = "gemma4"` for this model whatever the file says.
            return try CharacterBPE(vocabulary, preTokenizer: PreTokenizer(ggmlName: "gemma4"), tokenIds: tokenIds)
        case .llama:
            return SentencePieceBPE(vocabulary, tokenIds: tokenIds)
        case .bert:
            return WordPiece(vocabulary, tokenIds: tokenIds)
        }
    }
}
