/// SentencePiece-style BPE (`tokenizer.ggml.model = llama`): starting from single characters,
/// repeatedly merges the adjacent pair whose concatenation is the highest-scoring token
/// (leftmost first among equal scores); characters left without a token become byte tokens
/// `<0xAB>`, or the unknown token when the vocabulary has no byte tokens.
///
/// Follows llama.cpp's `llm_tokenizer_spm_session` (src/llama-vocab.cpp), itself a port of
/// SentencePiece's `bpe_model.cc`. The caller has already replaced spaces with `▁` (U+2581).
struct SentencePieceBPE: Sendable {
    private let tokenIds: [String: Int32]
    private let scores: [Float]
    /// The token for each byte value: `<0xAB>`, else the one-byte text itself, else unknown.
    private let byteTokens: [Int32?]

    init(tokens: [String], tokenIds: [String: Int32], scores: [Float], unknownId: Int32?) {
        self.tokenIds = tokenIds
        self.scores = scores.isEmpty ? [Float](repeating: 0, count: tokens.count) : scores
        byteTokens = (0..<256).map { value in
            let hex = String(value, radix: 16, uppercase: true)
            let name = "<0x\(hex.count == 1 ? "0" + hex : hex)>"
            return tokenIds[name] ?? tokenIds[String(decoding: [UInt8(value)], as: UTF8.self)] ?? unknownId
        }
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
    func encode(_ bytes: [UInt8], into output: inout [Int32]) {
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

        func text(_ start: Int, _ length: Int) -> String {
            String(decoding: bytes[start..<(start + length)], as: UTF8.self)
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
