import Foundation

/// WordPiece (`tokenizer.ggml.model = bert`): BERT's normalizer splits text into words, and each
/// word is cut greedily into the longest tokens from its start.
///
/// Follows llama.cpp's `llm_tokenizer_wpm_session` (src/llama-vocab.cpp). The normalizer drops
/// control characters, NUL and U+FFFD; when stripping accents it keeps only the first code point
/// of each character's canonical decomposition and drops marks; it lowercases (simple case
/// mapping); it splits at whitespace and makes every punctuation character, ASCII symbol and CJK
/// ideograph a word of its own. llama.cpp's converter stores a word-initial piece as `▁the` and a
/// continuation as plain `ing` (Hugging Face's `##ing`), so each word is matched as `▁` + word.
/// A word that cannot be covered by tokens becomes the unknown token.
struct WordPiece: TokenizerModel {
    let specialTokens: SpecialTokenSettings
    var spelling: TokenSpelling { .escapedSpaces }
    var preTokenizer: PreTokenizer? { nil }

    private let tokenIds: [TokenText: Int32]
    private let unknownId: Int32?
    /// The longest token, in bytes: no match is tried past it.
    private let maxTokenLength: Int
    /// `tokenizer.ggml.normalizer.lowercase`.
    private let lowercases: Bool
    /// `tokenizer.ggml.normalizer.strip_accents`.
    private let stripsAccents: Bool

    init(_ vocabulary: TokenizerVocabulary, tokenIds: [TokenText: Int32]) {
        self.tokenIds = tokenIds
        let count = vocabulary.tokens.count
        maxTokenLength = vocabulary.tokens.lazy.map(\.utf8.count).max() ?? 0
        // llama.cpp's defaults for BERT vocabularies: [UNK] 100, [CLS] 101 (as BOS), [SEP] 102.
        func known(_ id: Int32) -> Int32? { Int(id) < count ? id : nil }
        unknownId = vocabulary.unknownId ?? known(100)
        let beginOfSequence = vocabulary.beginOfSequenceId ?? known(101)
        // llama.cpp's WPM session adds [CLS] … [SEP] for add_special whatever add_bos_token says.
        specialTokens = SpecialTokenSettings(
            beginOfSequenceId: beginOfSequence, endOfSequenceId: vocabulary.endOfSequenceId,
            addsBeginOfSequence: beginOfSequence != nil, addsEndOfSequence: false,
            separatorId: vocabulary.separatorId ?? known(102))
        lowercases = vocabulary.normalizerLowercase ?? true
        stripsAccents = vocabulary.normalizerStripAccents ?? lowercases
    }

    func encode(_ bytes: [UInt8], _ range: Range<Int>, followsSpecial: Bool, into output: inout [Int32]) {
        for word in words(String(decoding: bytes[range], as: UTF8.self)) {
            let text = SentencePieceBPE.escapedSpace + word
            let wordStart = output.count
            var start = 0
            while start < text.count {
                var end = min(text.count, start + maxTokenLength + 1)
                while end > start, tokenIds[TokenText(text[start..<end])] == nil {
                    end -= 1
                }
                guard end > start, let id = tokenIds[TokenText(text[start..<end])] else {
                    // One part without a token loses the whole word.
                    output.removeSubrange(wordStart...)
                    break
                }
                output.append(id)
                start = end
            }
            if output.count == wordStart, let unknownId {
                output.append(unknownId)
            }
        }
    }

    /// The normalized words of `text`, as UTF-8 (llama.cpp's `preprocess`).
    func words(_ text: String) -> [[UInt8]] {
        var words: [[UInt8]] = []
        var current: [UInt8] = []
        func finishWord() {
            if !current.isEmpty { words.append(current) }
            current.removeAll(keepingCapacity: true)
        }
        for scalar in text.unicodeScalars {
            let value = stripsAccents ? Self.decompositionStart(scalar) : scalar
            let classes = CharacterClass.of(value.value)
            if classes.contains(.whitespace) {
                finishWord()
                continue
            }
            if value.value == 0 || value.value == 0xFFFD || classes.contains(.control) { continue }
            if stripsAccents && classes.contains(.mark) { continue }
            let character = String(lowercases ? Self.lowercase(value) : value).utf8
            if classes.contains(.punctuation) || (value.value < 0x7F && classes.contains(.symbol)) || Self.isCJK(value.value) {
                finishWord()
                words.append(Array(character))
            } else {
                current.append(contentsOf: character)
            }
        }
        finishWord()
        return words
    }

    /// The first code point of the scalar's canonical decomposition (`é` → `e`, `가` → `ᄀ`), as
    /// llama.cpp's `unicode_cpts_normalize_nfd` table keeps.
    static func decompositionStart(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        // Nothing below U+00C0 decomposes.
        guard scalar.value >= 0xC0 else { return scalar }
        return String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars.first ?? scalar
    }

    /// The simple lowercase mapping (UnicodeData.txt), which llama.cpp's `unicode_tolower` uses:
    /// the first scalar of the full mapping (they differ only for `İ`, whose full mapping is `i̇`).
    static func lowercase(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        if scalar.isASCII {
            return scalar.value >= 0x41 && scalar.value <= 0x5A ? Unicode.Scalar(UInt8(scalar.value + 0x20)) : scalar
        }
        return scalar.properties.lowercaseMapping.unicodeScalars.first ?? scalar
    }

    /// CJK ideographs as BERT defines them (llama.cpp's `is_chinese_char`, with its 0x2B920 bound).
    static func isCJK(_ value: UInt32) -> Bool {
        switch value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
            0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
