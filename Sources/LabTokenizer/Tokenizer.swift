import Foundation

/// Text ↔ token ids for GPT-2-style byte-level BPE and SentencePiece-style BPE vocabularies,
/// matching llama.cpp's tokenizer on the same GGUF metadata.
public final class Tokenizer: @unchecked Sendable {
    // @unchecked: all stored properties are immutable except the word cache, which is locked.
    public let vocabulary: TokenizerVocabulary
    private let idOf: [String: Int32]
    /// gpt2: (left id << 32 | right id) → (rank, merged id).
    private let merges: [UInt64: (rank: Int32, merged: Int32)]
    /// Token id for each raw byte (gpt2: the byte's mapped character; llama: `<0xXX>`), or -1.
    private let byteTokens: [Int32]
    private let preTokenizer: PreTokenizer?
    /// Tokens matched literally in the input: (UTF-8 bytes, id, needs parseSpecial), longest first.
    private let specials: [(bytes: [UInt8], id: Int32, isControl: Bool)]
    private let wordCache = WordCache()

    public init(_ vocabulary: TokenizerVocabulary) throws(TokenizerError) {
        self.vocabulary = vocabulary
        var idOf: [String: Int32] = [:]
        idOf.reserveCapacity(vocabulary.tokens.count)
        for (id, token) in vocabulary.tokens.enumerated() where idOf[token] == nil { idOf[token] = Int32(id) }
        self.idOf = idOf

        switch vocabulary.model {
        case .gpt2:
            guard let pre = PreTokenizer(name: vocabulary.preTokenizer) else {
                throw .unsupported("pre-tokenizer '\(vocabulary.preTokenizer)' (tokenizer.ggml.pre)", path: "tokenizer")
            }
            preTokenizer = pre
            byteTokens = (0..<256).map { idOf[String(ByteLevel.byteToScalar[$0])] ?? -1 }
            var table: [UInt64: (rank: Int32, merged: Int32)] = [:]
            table.reserveCapacity(vocabulary.merges.count)
            for (rank, merge) in vocabulary.merges.enumerated() {
                guard let space = merge.firstIndex(of: " ") else {
                    throw .inconsistent("merge \(rank) '\(merge)' has no space", path: "tokenizer.ggml.merges")
                }
                let left = String(merge[..<space]), right = String(merge[merge.index(after: space)...])
                guard let l = idOf[left], let r = idOf[right], let m = idOf[left + right] else { continue }
                let key = UInt64(UInt32(bitPattern: l)) << 32 | UInt64(UInt32(bitPattern: r))
                if table[key] == nil { table[key] = (Int32(rank), m) }
            }
            merges = table
        case .llama:
            preTokenizer = nil
            merges = [:]
            byteTokens = (0..<256).map { idOf[String(format: "<0x%02X>", $0)] ?? -1 }
        }

        var specials: [(bytes: [UInt8], id: Int32, isControl: Bool)] = []
        for (id, type) in vocabulary.types.enumerated() {
            let text = vocabulary.tokens[id]
            guard !text.isEmpty else { continue }
            switch type {
            case .control, .unknown: specials.append((Array(text.utf8), Int32(id), true))
            case .userDefined: specials.append((Array(text.utf8), Int32(id), false))
            default: break
            }
        }
        self.specials = specials.sorted { $0.bytes.count > $1.bytes.count }
    }

    /// Number of tokens in the vocabulary.
    public var count: Int { vocabulary.tokens.count }

    /// The id of a token's exact text, if it is one token.
    public func id(of token: String) -> Int32? { idOf[token] }

    // MARK: Encoding

    /// Token ids for `text`.
    /// - Parameters:
    ///   - addSpecial: add BOS/EOS as the vocabulary asks (`add_bos_token`, `add_eos_token`).
    ///   - parseSpecial: recognise control tokens such as `<|im_start|>` written in the text.
    public func encode(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = true) -> [Int32] {
        var ids: [Int32] = []
        if addSpecial, vocabulary.addBOS, let bos = vocabulary.bosID { ids.append(bos) }
        var isFirstText = true
        for fragment in partition(Array(text.utf8), parseSpecial: parseSpecial) {
            switch fragment {
            case .special(let id):
                ids.append(id)
            case .text(let bytes):
                let piece = String(decoding: bytes, as: UTF8.self)
                switch vocabulary.model {
                case .gpt2: encodeByteLevel(piece, into: &ids)
                case .llama: encodeSentencePiece(piece, prefixSpace: isFirstText && vocabulary.addSpacePrefix, into: &ids)
                }
            }
            isFirstText = false
        }
        if addSpecial, vocabulary.addEOS, let eos = vocabulary.eosID { ids.append(eos) }
        return ids
    }

    private enum Fragment {
        case text([UInt8])
        case special(Int32)
    }

    /// Splits the input at special tokens (longest match at the leftmost position).
    private func partition(_ bytes: [UInt8], parseSpecial: Bool) -> [Fragment] {
        let candidates = specials.filter { parseSpecial || !$0.isControl }
        guard !candidates.isEmpty, !bytes.isEmpty else { return bytes.isEmpty ? [] : [.text(bytes)] }
        var firstBytes = Set<UInt8>()
        for candidate in candidates { firstBytes.insert(candidate.bytes[0]) }
        var fragments: [Fragment] = []
        var textStart = 0
        var i = 0
        outer: while i < bytes.count {
            if firstBytes.contains(bytes[i]) {
                for candidate in candidates where candidate.bytes.count <= bytes.count - i {
                    if bytes[i..<i + candidate.bytes.count].elementsEqual(candidate.bytes) {
                        if textStart < i { fragments.append(.text(Array(bytes[textStart..<i]))) }
                        fragments.append(.special(candidate.id))
                        i += candidate.bytes.count
                        textStart = i
                        continue outer
                    }
                }
            }
            i += 1
        }
        if textStart < bytes.count { fragments.append(.text(Array(bytes[textStart...]))) }
        return fragments
    }

    private func encodeByteLevel(_ text: String, into ids: inout [Int32]) {
        guard let preTokenizer else { return }
        let scalars = Array(text.unicodeScalars)
        for range in preTokenizer.split(scalars) {
            let word = String(String.UnicodeScalarView(scalars[range]))
            if let cached = wordCache.get(word) { ids.append(contentsOf: cached); continue }
            let encoded = bpe(Array(word.utf8))
            wordCache.set(word, encoded)
            ids.append(contentsOf: encoded)
        }
    }

    /// Byte-level BPE on one pre-token: start from bytes, repeatedly merge the adjacent pair with the
    /// lowest merge rank (leftmost on ties), as llama.cpp's bigram queue does.
    private func bpe(_ bytes: [UInt8]) -> [Int32] {
        var symbols = bytes.map { byteTokens[Int($0)] }
        if symbols.contains(-1) {
            // A byte with no token can only happen with a broken vocabulary; fall back to unknown.
            return vocabulary.unknownID.map { [$0] } ?? []
        }
        while symbols.count > 1 {
            var bestRank = Int32.max
            var bestIndex = -1
            var bestMerged: Int32 = 0
            for k in 0..<(symbols.count - 1) {
                let key = UInt64(UInt32(bitPattern: symbols[k])) << 32 | UInt64(UInt32(bitPattern: symbols[k + 1]))
                if let merge = merges[key], merge.rank < bestRank {
                    bestRank = merge.rank
                    bestIndex = k
                    bestMerged = merge.merged
                }
            }
            guard bestIndex >= 0 else { break }
            symbols[bestIndex] = bestMerged
            symbols.remove(at: bestIndex + 1)
        }
        return symbols
    }

    /// SentencePiece-style BPE: characters, merged greedily by the best-scoring vocabulary entry,
    /// with unknown pieces falling back to `<0xXX>` byte tokens.
    private func encodeSentencePiece(_ text: String, prefixSpace: Bool, into ids: inout [Int32]) {
        var normalized = text.replacingOccurrences(of: " ", with: "\u{2581}")
        if prefixSpace { normalized = "\u{2581}" + normalized }
        var symbols = normalized.map { String($0) }
        while symbols.count > 1 {
            var bestScore = -Float.infinity
            var bestIndex = -1
            for k in 0..<(symbols.count - 1) {
                if let id = idOf[symbols[k] + symbols[k + 1]] {
                    let score = Int(id) < vocabulary.scores.count ? vocabulary.scores[Int(id)] : 0
                    if score > bestScore { bestScore = score; bestIndex = k }
                }
            }
            guard bestIndex >= 0 else { break }
            symbols[bestIndex] += symbols[bestIndex + 1]
            symbols.remove(at: bestIndex + 1)
        }
        for symbol in symbols {
            if let id = idOf[symbol] { ids.append(id); continue }
            for byte in symbol.utf8 {
                let id = byteTokens[Int(byte)]
                if id >= 0 { ids.append(id) } else if let unknown = vocabulary.unknownID { ids.append(unknown) }
            }
        }
    }

    // MARK: Decoding

    /// The raw bytes a token stands for (control tokens: their text when `renderSpecial`, else nothing).
    public func bytes(of id: Int32, renderSpecial: Bool = true) -> [UInt8] {
        guard id >= 0, Int(id) < vocabulary.tokens.count else { return [] }
        let text = vocabulary.tokens[Int(id)]
        switch vocabulary.types[Int(id)] {
        case .control, .unknown, .unused:
            return renderSpecial ? Array(text.utf8) : []
        case .userDefined:
            return Array(text.utf8)
        case .byte:
            if text.hasPrefix("<0x"), text.hasSuffix(">"), let byte = UInt8(text.dropFirst(3).dropLast(), radix: 16) { return [byte] }
            return Array(text.utf8)
        case .normal, .undefined:
            switch vocabulary.model {
            case .gpt2:
                var out: [UInt8] = []
                ByteLevel.decode(text, into: &out)
                return out
            case .llama:
                return Array(text.replacingOccurrences(of: "\u{2581}", with: " ").utf8)
            }
        }
    }

    /// The text of `ids`. Invalid UTF-8 (a sequence cut mid-character) becomes U+FFFD.
    public func decode(_ ids: [Int32], renderSpecial: Bool = false) -> String {
        var out: [UInt8] = []
        for id in ids { out.append(contentsOf: bytes(of: id, renderSpecial: renderSpecial)) }
        if vocabulary.model == .llama, vocabulary.addSpacePrefix, out.first == UInt8(ascii: " ") { out.removeFirst() }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether generation should stop at this token (end of sequence or end of turn).
    public func isEndOfGeneration(_ id: Int32) -> Bool {
        id == vocabulary.eosID || id == vocabulary.eotID
    }
}

/// Remembers the BPE of words seen before; text repeats words constantly.
private final class WordCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: [Int32]] = [:]
    private let limit = 100_000

    func get(_ word: String) -> [Int32]? {
        lock.lock(); defer { lock.unlock() }
        return entries[word]
    }

    func set(_ word: String, _ ids: [Int32]) {
        lock.lock(); defer { lock.unlock() }
        if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
        entries[word] = ids
    }
}
