@testable import LabTokenizer
import Testing

/// WordPiece and Gemma 4's character BPE on tiny hand-made vocabularies, where every expected
/// token follows from the rules by hand; the real vocabularies are `LlamaCppVocabularyTests`.
@Suite struct WordPieceTokenization {
    static func vocabulary() -> TokenizerVocabulary {
        let tokens = ["[PAD]", "▁un", "▁unaff", "able", "aff", "▁the", "▁,", "[UNK]", "[CLS]", "[SEP]", "▁cafe"]
        var types = [TokenizerVocabulary.TokenType](repeating: .normal, count: tokens.count)
        for id in [0, 7, 8, 9] { types[id] = .control }
        return TokenizerVocabulary(
            model: .bert, tokens: tokens, tokenTypes: types, beginOfSequenceId: 8, unknownId: 7, paddingId: 0,
            separatorId: 9)
    }

    // "unaffable": longest first from the start is ▁unaff (not ▁un), then able.
    // "Café": lowercased and stripped of its accent, ▁cafe. "xyz" has no first piece: [UNK].
    // "THE" loses its case; "," is a word of its own.
    @Test func wordsAreCutIntoTheLongestTokensFromTheirStart() throws {
        let tokenizer = try Tokenizer(Self.vocabulary())
        let ids = tokenizer.encode("unaffable THE, Café xyz", addSpecial: false, parseSpecial: false)
        #expect(ids.map { tokenizer.tokenText(of: $0) ?? "?" } == ["▁unaff", "able", "▁the", "▁,", "▁cafe", "[UNK]"])
    }

    @Test func aWordWithAnUncoveredTailIsUnknownAsAWhole() throws {
        let tokenizer = try Tokenizer(Self.vocabulary())
        // ▁un matches, then "x" has no token: the whole word becomes [UNK], not ▁un [UNK].
        #expect(tokenizer.encode("unx", addSpecial: false, parseSpecial: false) == [7])
    }

    @Test func specialTokensAreClassifierThenSeparator() throws {
        let tokenizer = try Tokenizer(Self.vocabulary())
        #expect(tokenizer.encode("the", addSpecial: true) == [8, 5, 9])
        #expect(tokenizer.encode("the", addSpecial: false) == [5])
        #expect(tokenizer.beginOfSequenceId == 8 && tokenizer.separatorId == 9)
    }

    /// Reference words from llama.cpp's `llm_tokenizer_wpm_session::preprocess` (src/llama-vocab.cpp)
    /// run on these texts.
    @Test(arguments: [
        ("Hello, 世界! 123 Ωmega\n\n  ", ["hello", ",", "世", "界", "!", "123", "ωmega"]),
        ("Ünïcödé\u{200D} TEST\u{00A0}ŉ İstanbul ﬁ ２", ["unicode", "test", "ŉ", "istanbul", "ﬁ", "２"]),
        ("Ὀδυσσεύς ไทย ½ Thé", ["οδυσσευς", "ไทย", "½", "the"]),
    ])
    func theNormalizerSplitsLikeLlamaCpp(text: String, expected: [String]) throws {
        let vocabulary = Self.vocabulary()
        let words = WordPiece(vocabulary, tokenIds: TokenText.index(vocabulary.tokens)).words(text)
        // Compared as bytes: String equality would accept "é" for "e\u{301}".
        #expect(words == expected.map { Array($0.utf8) }, "\(words.map { String(decoding: $0, as: UTF8.self) })")
    }
}

@Suite struct CharacterBPETokenization {
    /// Control tokens, byte tokens, a few characters and merges ranked by position.
    static func vocabulary(newlineToken: Bool) -> TokenizerVocabulary {
        var tokens = ["<pad>", "<eos>", "<bos>", "<unk>"]
        var types: [TokenizerVocabulary.TokenType] = [.control, .control, .control, .control]
        for byte in 0..<256 {
            tokens.append(SentencePieceBPE.byteTokenText(UInt8(byte)))
            types.append(.byte)
        }
        for piece in ["a", "b", "▁", "ab", "▁ab", "\n"] + (newlineToken ? ["\n\n\n"] : ["\n\n"]) {
            tokens.append(piece)
            types.append(.normal)
        }
        return TokenizerVocabulary(
            model: .gemma4, tokens: tokens, tokenTypes: types, merges: ["a b", "▁ ab", "\n \n"],
            beginOfSequenceId: 2, endOfSequenceId: 1, unknownId: 3, addSpacePrefix: false)
    }

    private func pieces(_ tokenizer: Tokenizer, _ text: String) -> [String] {
        tokenizer.encode(text, addSpecial: false, parseSpecial: false).map { tokenizer.tokenText(of: $0) ?? "?" }
    }

    // "ab ab\n\n\nx" → runs "ab▁ab", "\n\n\n", "x": a+b (rank 0) twice, then ▁+ab (rank 1);
    // the newlines merge pairwise from the left ("\n\n" "\n"); "x" is no token: its byte.
    @Test func spacesBecomeEscapedAndRunsMergeByRank() throws {
        let tokenizer = try Tokenizer(Self.vocabulary(newlineToken: false))
        #expect(tokenizer.preTokenizer?.name == "gemma4")
        #expect(pieces(tokenizer, "ab ab\n\n\nx") == ["ab", "▁ab", "\n\n", "\n", "<0x78>"])
        #expect(tokenizer.decode(tokenizer.encode("ab ab\n\n\nx", addSpecial: false)) == "ab ab\n\n\nx")
        #expect(tokenizer.encode("ab", addSpecial: true).first == 2)
    }

    @Test func aRunOfLineFeedsThatIsATokenIsTakenWhole() throws {
        let tokenizer = try Tokenizer(Self.vocabulary(newlineToken: true))
        // No merge makes "\n\n\n", but llama.cpp looks the whole run up first.
        #expect(pieces(tokenizer, "a\n\n\nb") == ["a", "\n\n\n", "b"])
    }
}
