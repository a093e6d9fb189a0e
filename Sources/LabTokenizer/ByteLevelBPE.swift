import Foundation

/// Byte-level BPE (`tokenizer.ggml.model = gpt2`): the pre-tokenizer splits text into words, and
/// the bytes of each word, spelled with GPT-2's byte-to-character mapping, are merged by rank.
///
/// Follows llama.cpp's `llm_tokenizer_bpe_session::tokenize` (src/llama-vocab.cpp), including its
/// fallback for a merged symbol that is not in the vocabulary (each byte of its spelling looked up
/// as a one-character token). Encoding caches the tokens of recently seen words.
struct ByteLevelBPE: TokenizerModel {
    let preTokenizer: PreTokenizer?
    let specialTokens: SpecialTokenSettings
    var spelling: TokenSpelling { .byteLevel }

    private let words: PreTokenizer
    private let merges: BPEMerges
    /// The symbol of each byte value (its GPT-2 character).
    private let byteSymbols: [Int32]
    /// Tokens emitted for a symbol id `vocabularyCount + k` (llama.cpp's per-byte fallback).
    private let fallback: [[Int32]]
    /// Token id by stored (byte-mapped) text, for `ignore_merges`.
    private let tokenIds: [TokenText: Int32]
    private let cache = WordCache()

    init(_ vocabulary: TokenizerVocabulary, preTokenizer: PreTokenizer, tokenIds: [TokenText: Int32]) throws {
        self.preTokenizer = preTokenizer
        words = preTokenizer
        self.tokenIds = tokenIds
        let merges = try BPEMerges(vocabularyCount: vocabulary.tokens.count, tokenIds: tokenIds, merges: vocabulary.merges)
        self.merges = merges
        // A byte whose character appears in no token and no merge stays unmergeable (-1).
        byteSymbols = ByteLevelEncoding.characterForByte.map { merges.symbol(TokenText(String($0)), tokenIds: tokenIds) ?? -1 }
        fallback = merges.extraTexts.map { text in
            text.compactMap { byte in tokenIds[TokenText([byte])] }
        }
        specialTokens = SpecialTokenSettings(
            beginOfSequenceId: vocabulary.beginOfSequenceId, endOfSequenceId: vocabulary.endOfSequenceId,
            addsBeginOfSequence: vocabulary.addBeginOfSequence ?? preTokenizer.addsBeginOfSequenceByDefault,
            addsEndOfSequence: vocabulary.addEndOfSequence ?? false)
    }

    func encode(_ bytes: [UInt8], _ range: Range<Int>, followsSpecial: Bool, into output: inout [Int32]) {
        var pieces = PieceWorkspace()
        var workspace = BPEWorkspace()
        words.forEachPiece(of: bytes, range, workspace: &pieces) { piece in
            let word = bytes[piece]
            if let cached = cache.lookup(word) {
                output.append(contentsOf: cached)
                return
            }
            let before = output.count
            encodeWord(word, workspace: &workspace, into: &output)
            cache.store(word, Array(output[before...]))
        }
    }

    /// Appends the tokens of one word's raw bytes to `output`.
    func encodeWord(_ bytes: ArraySlice<UInt8>, workspace: inout BPEWorkspace, into output: inout [Int32]) {
        guard !bytes.isEmpty else { return }
        if words.ignoresMerges, let id = tokenIds[TokenText(ByteLevelEncoding.encode(bytes))] {
            output.append(id)
            return
        }
        if bytes.count == 1, let byte = bytes.first {
            emit(byteSymbols[Int(byte)], into: &output)
            return
        }
        workspace.reset(bytes.map { byteSymbols[Int($0)] })
        merges.merge(&workspace)
        var index = 0
        while index >= 0 {
            emit(workspace.symbols[index], into: &output)
            index = workspace.next[index]
        }
    }

    @inline(__always)
    private func emit(_ symbol: Int32, into output: inout [Int32]) {
        if symbol >= 0 && Int(symbol) < merges.vocabularyCount {
            output.append(symbol)
        } else if symbol >= 0 {
            output.append(contentsOf: fallback[Int(symbol) - merges.vocabularyCount])
        }
    }
}

/// Recently encoded words and their tokens, shared by every copy of a tokenizer.
private final class WordCache: @unchecked Sendable {
    // A plain dictionary behind a lock: lookups are a few hundred nanoseconds, far below BPE cost.
    // The key is the word's text, but a hit also compares bytes: canonically equivalent words
    // ("é" and "e\u{301}") share a String key yet tokenize differently.
    private let lock = NSLock()
    private var entries: [String: (bytes: [UInt8], tokens: [Int32])] = [:]
    private static let capacity = 100_000

    func lookup(_ word: ArraySlice<UInt8>) -> [Int32]? {
        let key = String(decoding: word, as: UTF8.self)
        lock.lock()
        defer { lock.unlock() }
        guard let entry = entries[key], entry.bytes.elementsEqual(word) else { return nil }
        return entry.tokens
    }

    func store(_ word: ArraySlice<UInt8>, _ tokens: [Int32]) {
        let key = String(decoding: word, as: UTF8.self)
        lock.lock()
        defer { lock.unlock() }
        if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
        entries[key] = (Array(word), tokens)
    }
}
