/// SentencePiece-style BPE (`tokenizer.ggml.model = llama`): starting from single characters,
/// repeatedly merges the adjacent pair whose concatenation is the highest-scoring token
/// (leftmost first among equal scores); characters left without a token become byte tokens
/// `<0xAB>`, or the unknown token when the vocabulary has no byte tokens.
///
/// Follows llama.cpp's `llm_tokenizer_spm_session` (src/llama-vocab.cpp), itself a port of
/// SentencePiece's `bpe_model.cc`. Spaces become `▁` (U+2581), and a space is put before the first
/// text and after every special token when `tokenizer.ggml.add_space_prefix` says so.
struct SentencePieceBPE: TokenizerModel {
    let specialTokens: SpecialTokenSettings
    var spelling: TokenSpelling { .escapedSpaces }
    var preTokenizer: PreTokenizer? { nil }

    private let tokenIds: [TokenText: Int32]
    private let scores: [Float]
    /// The token for each byte value: `<0xAB>`, else the one-byte text itself, else unknown.
    private let byteTokens: [Int32?]

    init(_ vocabulary: TokenizerVocabulary, tokenIds: [TokenText: Int32]) {
        let count = vocabulary.tokens.count
        self.tokenIds = tokenIds
        scores = vocabulary.scores.isEmpty ? [Float](repeating: 0, count: count) : vocabulary.scores
        byteTokens = (0..<256).map { value in
            tokenIds[TokenText(Self.byteTokenText(UInt8(value)))] ?? tokenIds[TokenText([UInt8(value)])]
                ?? vocabulary.unknownId
        }
        // llama.cpp's defaults for SentencePiece vocabularies: <s> = 1, </s> = 2, BOS added.
        specialTokens = SpecialTokenSettings(
            beginOfSequenceId: vocabulary.beginOfSequenceId ?? (count > 1 ? 1 : nil),
            endOfSequenceId: vocabulary.endOfSequenceId ?? (count > 2 ? 2 : nil),
            addsBeginOfSequence: vocabulary.addBeginOfSequence ?? true,
            addsEndOfSequence: vocabulary.addEndOfSequence ?? false,
            addsSpacePrefix: vocabulary.addSpacePrefix ?? true)
    }

    /// `▁` (U+2581), SentencePiece's stand-in for a space.
    static let escapedSpace: [UInt8] = [0xE2, 0x96, 0x81]

    /// The text of the byte token for `value`: `<0x0A>`.
    static func byteTokenText(_ value: UInt8) -> String {
        let hex = String(value, radix: 16, uppercase: true)
        return "<0x\(hex.count == 1 ? "0" + hex : hex)>"
    }

    func encode(_ bytes: [UInt8], _ range: Range<Int>, followsSpecial: Bool, into output: inout [Int32]) {
        var escaped: [UInt8] = []
        escaped.reserveCapacity(range.count + 3)
        if specialTokens.addsSpacePrefix && followsSpecial { escaped.append(contentsOf: Self.escapedSpace) }
        for byte in bytes[range] {
            if byte == UInt8(ascii: " ") {
                escaped.append(contentsOf: Self.escapedSpace)
            } else {
                escaped.append(byte)
            }
        }
        encode(escaped, into: &output)
    }

    private struct Candidate {
        var score: Float
        var left: Int
        var right: Int
        var size: Int

        func precedes(_ other: Candidate) -> Bool {
            score != other.score ? score > other.score : left < other.left
        }
    }

    /// Appends the tokens of `bytes` (valid UTF-8, spaces already escaped) to `output`.
    private func encode(_ bytes: [UInt8], into output: inout [Int32]) {
        guard !bytes.isEmpty else { return }
        // One symbol per UTF-8 character: its start and byte length (0 once merged away).
        var starts: [Int] = []
        var lengths: [Int] = []
        var index = 0
        while index < bytes.count {
            let length = min(Self.sequenceLength(leadByte: bytes[index]), bytes.count - index)
            starts.append(index)
            lengths.append(length)
            index += length
        }
        let count = starts.count
        var previous = (0..<count).map { $0 - 1 }
        var next = (0..<count).map { $0 + 1 < count ? $0 + 1 : -1 }
        var heap: [Candidate] = []

        func text(_ start: Int, _ length: Int) -> TokenText {
            TokenText(bytes[start..<(start + length)])
        }
        func push(_ left: Int, _ right: Int) {
            guard left >= 0, right >= 0 else { return }
            let size = lengths[left] + lengths[right]
            guard let id = tokenIds[text(starts[left], size)] else { return }
            heap.append(Candidate(score: scores[Int(id)], left: left, right: right, size: size))
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard heap[child].precedes(heap[parent]) else { break }
                heap.swapAt(child, parent)
                child = parent
            }
        }
        func pop() -> Candidate? {
            guard let last = heap.popLast() else { return nil }
            guard !heap.isEmpty else { return last }
            let top = heap[0]
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < heap.count else { break }
                let right = left + 1
                let smaller = right < heap.count && heap[right].precedes(heap[left]) ? right : left
                guard heap[smaller].precedes(heap[parent]) else { break }
                heap.swapAt(smaller, parent)
                parent = smaller
            }
            return top
        }

        for right in 1..<max(count, 1) {
            push(right - 1, right)
        }
        while let candidate = pop() {
            let left = candidate.left
            let right = candidate.right
            // Stale when either side was absorbed or has grown since the pair was queued.
            guard lengths[left] > 0, lengths[right] > 0, lengths[left] + lengths[right] == candidate.size else {
                continue
            }
            lengths[left] += lengths[right]
            lengths[right] = 0
            next[left] = next[right]
            if next[right] >= 0 { previous[next[right]] = left }
            push(previous[left], left)
            push(left, next[left])
        }

        var symbol = 0
        while symbol >= 0 {
            let start = starts[symbol]
            let length = lengths[symbol]
            if let id = tokenIds[text(start, length)] {
                output.append(id)
            } else {
                for byte in bytes[start..<(start + length)] {
                    if let id = byteTokens[Int(byte)] { output.append(id) }
                }
            }
            symbol = next[symbol]
        }
    }

    /// Bytes in the UTF-8 sequence a lead byte starts (1 for stray continuation bytes).
    static func sequenceLength(leadByte: UInt8) -> Int {
        switch leadByte {
        case 0xF0...: 4
        case 0xE0...: 3
        case 0xC0...: 2
        default: 1
        }
    }
}
