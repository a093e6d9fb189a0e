/// Cuts special tokens out of text before BPE runs, so `<|im_start|>` becomes one id.
///
/// Like llama.cpp's `tokenizer_st_partition` (src/llama-vocab.cpp): special tokens are tried
/// longest first; each one is found left to right in every stretch of text not yet claimed.
/// Control and unknown tokens are matched only when parsing specials; user-defined tokens always.
struct SpecialTokenSplitter: Sendable {
    /// A stretch of input: raw text (a byte range) or an already-decided token.
    enum Fragment: Equatable {
        case text(Range<Int>)
        case token(Int32)
    }

    private struct Candidate: Sendable {
        var id: Int32
        var bytes: [UInt8]
        var alwaysMatched: Bool
    }

    private let candidates: [Candidate]

    init(tokens: [String], types: [TokenizerVocabulary.TokenType]) {
        var found: [Candidate] = []
        for (index, type) in types.enumerated() where index < tokens.count {
            guard type == .control || type == .userDefined || type == .unknown else { continue }
            let bytes = Array(tokens[index].utf8)
            guard !bytes.isEmpty else { continue }
            found.append(Candidate(id: Int32(index), bytes: bytes, alwaysMatched: type == .userDefined))
        }
        // Longest first; equal lengths by id so the order never depends on the sort algorithm.
        candidates = found.sorted { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
    }

    /// The fragments of `bytes`, in order.
    func split(_ bytes: [UInt8], parseSpecial: Bool) -> [Fragment] {
        guard !bytes.isEmpty else { return [] }
        var fragments: [Fragment] = [.text(0..<bytes.count)]
        for candidate in candidates where parseSpecial || candidate.alwaysMatched {
            var result: [Fragment] = []
            result.reserveCapacity(fragments.count + 2)
            var changed = false
            for fragment in fragments {
                guard case .text(let range) = fragment else {
                    result.append(fragment)
                    continue
                }
                var start = range.lowerBound
                var position = range.lowerBound
                let needle = candidate.bytes
                let first = needle[0]
                let lastStart = range.upperBound - needle.count
                while position <= lastStart {
                    if bytes[position] == first && Self.matches(bytes, at: position, needle) {
                        if position > start { result.append(.text(start..<position)) }
                        result.append(.token(candidate.id))
                        changed = true
                        position += needle.count
                        start = position
                    } else {
                        position += 1
                    }
                }
                if start < range.upperBound { result.append(.text(start..<range.upperBound)) }
            }
            if changed { fragments = result }
        }
        return fragments
    }

    @inline(__always)
    private static func matches(_ haystack: [UInt8], at position: Int, _ needle: [UInt8]) -> Bool {
        for offset in 1..<needle.count where haystack[position + offset] != needle[offset] {
            return false
        }
        return true
    }
}
