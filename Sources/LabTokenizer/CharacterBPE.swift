/// BPE over UTF-8 characters with ranked merges, SentencePiece's spelling (`▁` for a space) and
/// `<0xAB>` byte fallback: Gemma 4 (`tokenizer.ggml.model = gemma4`, or a `gpt2` model whose
/// pre-tokenizer is `gemma4`).
///
/// As llama.cpp does for its `GEMMA4` pre-tokenizer type (src/llama-vocab.cpp): spaces become
/// `▁` (`escape_whitespaces`), the text is split into runs of line feeds and runs of everything
/// else, and each run is merged from single characters by merge rank. A run of line feeds that is
/// itself a token is emitted whole; a merged symbol that is not a token becomes the byte tokens
/// of its bytes. No space is put before the text.
struct CharacterBPE: TokenizerModel {
    let preTokenizer: PreTokenizer?
    let specialTokens: SpecialTokenSettings
    var spelling: TokenSpelling { .escapedSpaces }

    private let words: PreTokenizer
    private let merges: BPEMerges
    private let tokenIds: [TokenText: Int32]
    /// The `<0xAB>` token of each byte value.
    private let byteTokens: [Int32?]

    init(_ vocabulary: TokenizerVocabulary, preTokenizer: PreTokenizer, tokenIds: [TokenText: Int32]) throws {
        self.preTokenizer = preTokenizer
        words = preTokenizer
        self.tokenIds = tokenIds
        merges = try BPEMerges(vocabularyCount: vocabulary.tokens.count, tokenIds: tokenIds, merges: vocabulary.merges)
        byteTokens = (0..<256).map { tokenIds[TokenText(SentencePieceBPE.byteTokenText(UInt8($0)))] }
        // llama.cpp turns add_bos_token on for Gemma 4 even when the file says false (its PR #21500).
        specialTokens = SpecialTokenSettings(
            beginOfSequenceId: vocabulary.beginOfSequenceId, endOfSequenceId: vocabulary.endOfSequenceId,
            addsBeginOfSequence: vocabulary.beginOfSequenceId != nil,
            addsEndOfSequence: vocabulary.addEndOfSequence ?? false,
            addsSpacePrefix: vocabulary.addSpacePrefix ?? false)
    }

    func encode(_ bytes: [UInt8], _ range: Range<Int>, followsSpecial: Bool, into output: inout [Int32]) {
        var escaped: [UInt8] = []
        escaped.reserveCapacity(range.count + 8)
        for byte in bytes[range] {
            if byte == UInt8(ascii: " ") {
                escaped.append(contentsOf: SentencePieceBPE.escapedSpace)
            } else {
                escaped.append(byte)
            }
        }
        var pieces = PieceWorkspace()
        var workspace = BPEWorkspace()
        words.forEachPiece(of: escaped, 0..<escaped.count, workspace: &pieces) { piece in
            encodeWord(escaped[piece], workspace: &workspace, into: &output)
        }
    }

    /// Appends the tokens of one run (already escaped) to `output`.
    private func encodeWord(_ word: ArraySlice<UInt8>, workspace: inout BPEWorkspace, into output: inout [Int32]) {
        guard !word.isEmpty else { return }
        if word.allSatisfy({ $0 == UInt8(ascii: "\n") }), let id = tokenIds[TokenText(word)] {
            output.append(id)
            return
        }
        var symbols: [Int32] = []
        workspace.starts.removeAll(keepingCapacity: true)
        var index = word.startIndex
        while index < word.endIndex {
            let length = min(SentencePieceBPE.sequenceLength(leadByte: word[index]), word.endIndex - index)
            // A character in no token and no merge never merges (-1) and falls back to bytes.
            symbols.append(merges.symbol(TokenText(word[index..<(index + length)]), tokenIds: tokenIds) ?? -1)
            workspace.starts.append(index)
            index += length
        }
        workspace.reset(symbols)
        merges.merge(&workspace)
        var symbol = 0
        while symbol >= 0 {
            let next = workspace.next[symbol]
            let id = workspace.symbols[symbol]
            if id >= 0 && Int(id) < merges.vocabularyCount {
                output.append(id)
            } else {
                let end = next >= 0 ? workspace.starts[next] : word.endIndex
                for byte in word[workspace.starts[symbol]..<end] {
                    if let token = byteTokens[Int(byte)] { output.append(token) }
                }
            }
            symbol = next
        }
    }
}
