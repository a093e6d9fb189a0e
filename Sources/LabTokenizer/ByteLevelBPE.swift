/// Byte-level BPE (`tokenizer.ggml.model = gpt2`): merges the bytes of one pre-tokenized piece
/// by merge rank, lowest rank first and leftmost first among equal ranks.
///
/// Follows llama.cpp's `llm_tokenizer_bpe_session::tokenize` (src/llama-vocab.cpp), including its
/// fallback for a merged symbol that is not in the vocabulary (each of its bytes looked up as a
/// one-character token). Strings are interned once, so merging compares integers, not text.
struct ByteLevelBPE: Sendable {
    /// Number of real tokens; symbol ids at or above it are merge strings missing from the vocabulary.
    let vocabularyCount: Int
    /// `(left << 32 | right)` → `(rank << 32 | merged)`, all symbol ids.
    private let merges: [UInt64: UInt64]
    /// The symbol of each byte value (its GPT-2 character).
    private let byteSymbols: [Int32]
    /// Tokens emitted for a symbol id `vocabularyCount + k` (llama.cpp's per-byte fallback).
    private let fallback: [[Int32]]
    /// Token id by stored (byte-mapped) text, for `ignore_merges`.
    private let tokenIds: [String: Int32]

    init(tokens: [String], tokenIds: [String: Int32], merges mergeLines: [String]) throws {
        vocabularyCount = tokens.count
        self.tokenIds = tokenIds
        var extraIds: [String: Int32] = [:]
        var extraTexts: [String] = []
        let count = tokens.count
        func intern(_ text: String) -> Int32 {
            if let id = tokenIds[text] { return id }
            if let id = extraIds[text] { return id }
            let id = Int32(count + extraTexts.count)
            extraIds[text] = id
            extraTexts.append(text)
            return id
        }
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(mergeLines.count)
        for (rank, line) in mergeLines.enumerated() {
            // llama.cpp splits at the first space after the first byte, so a merge may start with a space.
            let bytes = Array(line.utf8)
            guard bytes.count >= 3, let split = bytes[1...].firstIndex(of: UInt8(ascii: " ")) else {
                throw TokenizerError(
                    .invalidVocabulary, "tokenizer.ggml.merges[\(rank)] = '\(line)' is not two symbols separated by a space",
                    hint: "the file is damaged or was written by a broken converter")
            }
            let left = String(decoding: bytes[..<split], as: UTF8.self)
            let right = String(decoding: bytes[(split + 1)...], as: UTF8.self)
            let key = UInt64(UInt32(bitPattern: intern(left))) << 32 | UInt64(UInt32(bitPattern: intern(right)))
            if table[key] == nil {
                let merged = intern(left + right)
                table[key] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merged))
            }
        }
        byteSymbols = ByteLevelEncoding.characterForByte.map { intern(String($0)) }
        merges = table
        fallback = extraTexts.map { text in
            text.utf8.compactMap { byte in tokenIds[String(decoding: [byte], as: UTF8.self)] }
        }
    }

    /// Appends the tokens of one piece's raw bytes to `output`.
    func encode(_ bytes: ArraySlice<UInt8>, ignoringMerges: Bool, workspace: inout BPEWorkspace, into output: inout [Int32]) {
        guard !bytes.isEmpty else { return }
        if ignoringMerges, let id = tokenIds[ByteLevelEncoding.encode(bytes)] {
            output.append(id)
            return
        }
        if bytes.count == 1, let byte = bytes.first {
            emit(byteSymbols[Int(byte)], into: &output)
            return
        }
        workspace.reset(bytes.map { byteSymbols[Int($0)] })
        for index in 1..<workspace.symbols.count {
            enqueue(left: index - 1, right: index, workspace: &workspace)
        }
        while let pair = workspace.queue.popMinimum() {
            let left = Int(pair.left)
            let right = Int(pair.right)
            // Skip pairs made stale by an earlier merge (either side changed or was absorbed).
            guard workspace.next[left] == right,
                workspace.symbols[left] == pair.leftSymbol,
                workspace.symbols[right] == pair.rightSymbol
            else { continue }
            workspace.symbols[left] = pair.merged
            let after = workspace.next[right]
            workspace.next[left] = after
            workspace.next[right] = -2
            if after >= 0 { workspace.previous[after] = left }
            if workspace.previous[left] >= 0 {
                enqueue(left: workspace.previous[left], right: left, workspace: &workspace)
            }
            if after >= 0 {
                enqueue(left: left, right: after, workspace: &workspace)
            }
        }
        var index = 0
        while index >= 0 {
            emit(workspace.symbols[index], into: &output)
            index = workspace.next[index]
        }
    }

    private func enqueue(left: Int, right: Int, workspace: inout BPEWorkspace) {
        let leftSymbol = workspace.symbols[left]
        let rightSymbol = workspace.symbols[right]
        let key = UInt64(UInt32(bitPattern: leftSymbol)) << 32 | UInt64(UInt32(bitPattern: rightSymbol))
        guard let value = merges[key] else { return }
        workspace.queue.insert(MergeCandidate(
            rank: UInt32(truncatingIfNeeded: value >> 32), left: Int32(left), right: Int32(right),
            leftSymbol: leftSymbol, rightSymbol: rightSymbol, merged: Int32(bitPattern: UInt32(truncatingIfNeeded: value))))
    }

    @inline(__always)
    private func emit(_ symbol: Int32, into output: inout [Int32]) {
        if Int(symbol) < vocabularyCount {
            output.append(symbol)
        } else {
            output.append(contentsOf: fallback[Int(symbol) - vocabularyCount])
        }
    }
}

/// A possible merge of two adjacent symbols, ordered by rank and then by position.
struct MergeCandidate {
    var rank: UInt32
    var left: Int32
    var right: Int32
    var leftSymbol: Int32
    var rightSymbol: Int32
    var merged: Int32

    @inline(__always)
    func precedes(_ other: MergeCandidate) -> Bool {
        rank != other.rank ? rank < other.rank : left < other.left
    }
}

/// Reusable arrays for merging one piece: a doubly linked list of symbols and a binary heap.
struct BPEWorkspace {
    var symbols: [Int32] = []
    var previous: [Int] = []
    /// Index of the next live symbol, -1 at the end, -2 for a symbol absorbed into its left neighbour.
    var next: [Int] = []
    var queue = MergeQueue()

    mutating func reset(_ initial: [Int32]) {
        symbols = initial
        let count = initial.count
        previous.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
        for index in 0..<count {
            previous.append(index - 1)
            next.append(index + 1 < count ? index + 1 : -1)
        }
        queue.removeAll()
    }
}

/// A binary min-heap of merge candidates.
struct MergeQueue {
    private var heap: [MergeCandidate] = []

    mutating func removeAll() { heap.removeAll(keepingCapacity: true) }

    mutating func insert(_ element: MergeCandidate) {
        heap.append(element)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popMinimum() -> MergeCandidate? {
        guard let last = heap.popLast() else { return nil }
        guard !heap.isEmpty else { return last }
        let top = heap[0]
        heap[0] = last
        var parent = 0
        let count = heap.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            let right = left + 1
            let smaller = right < count && heap[right].precedes(heap[left]) ? right : left
            guard heap[smaller].precedes(heap[parent]) else { break }
            heap.swapAt(smaller, parent)
            parent = smaller
        }
        return top
    }
}
