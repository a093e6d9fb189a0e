/// Ranked BPE merging, shared by byte-level BPE (`gpt2`) and Gemma 4's BPE over UTF-8 characters:
/// repeatedly merges the adjacent pair with the lowest merge rank, leftmost first among equal
/// ranks, whether or not the merged text is a token.
///
/// Follows llama.cpp's `llm_tokenizer_bpe_session::tokenize` (src/llama-vocab.cpp). Every string
/// a merge mentions is interned once as a symbol id — token ids first, then ids past the
/// vocabulary for merge results that are not tokens — so merging compares integers, not text.
/// Strings are compared byte for byte, as llama.cpp's `std::string` keys are.
struct BPEMerges: Sendable {
    /// Number of real tokens; symbol ids at or above it are merge strings missing from the vocabulary.
    let vocabularyCount: Int
    /// The text of symbol `vocabularyCount + k`.
    let extraTexts: [[UInt8]]
    /// `(left << 32 | right)` → `(rank << 32 | merged)`, all symbol ids.
    private let table: [UInt64: UInt64]
    private let extraIds: [TokenText: Int32]

    /// Interns `tokenizer.ggml.merges`; `tokenIds` maps token text to id.
    init(vocabularyCount: Int, tokenIds: [TokenText: Int32], merges mergeLines: [String]) throws {
        self.vocabularyCount = vocabularyCount
        var extraIds: [TokenText: Int32] = [:]
        var extraTexts: [[UInt8]] = []
        func intern(_ text: TokenText) -> Int32 {
            if let id = tokenIds[text] ?? extraIds[text] { return id }
            let id = Int32(vocabularyCount + extraTexts.count)
            extraIds[text] = id
            extraTexts.append(text.bytes)
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
            let left = Array(bytes[..<split])
            let right = Array(bytes[(split + 1)...])
            let key = Self.pair(intern(TokenText(left)), intern(TokenText(right)))
            if table[key] == nil {
                let merged = intern(TokenText(left + right))
                table[key] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merged))
            }
        }
        self.table = table
        self.extraIds = extraIds
        self.extraTexts = extraTexts
    }

    /// The symbol id of a text: its token id, else its id as a merge string, else nil.
    func symbol(_ text: TokenText, tokenIds: [TokenText: Int32]) -> Int32? {
        tokenIds[text] ?? extraIds[text]
    }

    @inline(__always)
    private static func pair(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Merges the symbols of `workspace` (set with `reset`) until no adjacent pair has a merge;
    /// the result is the linked list from index 0. A negative symbol never merges.
    func merge(_ workspace: inout BPEWorkspace) {
        for index in 1..<max(workspace.symbols.count, 1) {
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
    }

    private func enqueue(left: Int, right: Int, workspace: inout BPEWorkspace) {
        let leftSymbol = workspace.symbols[left]
        let rightSymbol = workspace.symbols[right]
        guard let value = table[Self.pair(leftSymbol, rightSymbol)] else { return }
        workspace.queue.insert(MergeCandidate(
            rank: UInt32(truncatingIfNeeded: value >> 32), left: Int32(left), right: Int32(right),
            leftSymbol: leftSymbol, rightSymbol: rightSymbol, merged: Int32(bitPattern: UInt32(truncatingIfNeeded: value))))
    }
}

/// A token's text as UTF-8 bytes, for dictionaries that must match llama.cpp's byte-for-byte
/// `std::string` keys: Swift's `String` equality is canonical equivalence, under which `é` and
/// `e` + U+0301 (both tokens of a SentencePiece vocabulary) would be one key.
struct TokenText: Hashable, Sendable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }
    init(_ bytes: ArraySlice<UInt8>) { self.bytes = Array(bytes) }
    init(_ text: String) { self.bytes = Array(text.utf8) }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    /// Token id by text for `tokens`; later duplicates win, as in llama.cpp's `token_to_id[word] = i`.
    static func index(_ tokens: [String]) -> [TokenText: Int32] {
        var ids: [TokenText: Int32] = [:]
        ids.reserveCapacity(tokens.count)
        for (index, text) in tokens.enumerated() {
            ids[TokenText(text)] = Int32(index)
        }
        return ids
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
    /// Byte offset in the piece where each initial symbol starts (filled by callers that need it).
    var starts: [Int] = []
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
