import LabCore

/// Splits documents into chunks that fit a token budget, breaking where the text itself breaks.
///
/// InstructLab cuts knowledge documents into chunks of about 500 tokens (`chunk_word_count`
/// ≈ 1000 words for a 2 048-token context, see LAB-FACTS) and pairs every chunk with every seed
/// example. Here each chunk is greedily made as long as the budget allows, then cut at the best
/// boundary in its second half: a heading, else a blank line, else a line break, else a sentence
/// end, else between words — never inside a word. A heading is kept with the text after it.
/// The next chunk repeats up to `overlapTokens` of the previous one's end (starting at a sentence
/// or line start when there is one), except after a heading break, where a new section starts
/// clean. A single word longer than the budget becomes a chunk of its own (over budget) rather
/// than being cut. Deterministic: the same text, budget and counter give the same chunks.
public struct DocumentChunker: Sendable {
    /// The most tokens a chunk may hold.
    public let maxTokens: Int
    /// The most tokens the start of a chunk may repeat from the end of the previous one.
    public let overlapTokens: Int
    /// How tokens are counted.
    public let tokenCounter: TokenCounter

    /// InstructLab's knowledge chunk size in tokens.
    public static let defaultMaxTokens = 500
    /// A tenth of the chunk, enough to carry a sentence of context across a cut.
    public static let defaultOverlapTokens = 50

    /// Chunks must end at least this far (as a fraction of the longest chunk that fits) into the
    /// text, so a strong break early on does not leave a tiny chunk.
    static let minimumFill = 0.5

    /// A chunker; throws when `maxTokens` is not positive or `overlapTokens` is negative or not
    /// smaller than `maxTokens`.
    public init(
        maxTokens: Int = defaultMaxTokens, overlapTokens: Int = defaultOverlapTokens,
        tokenCounter: TokenCounter = .wordEstimate
    ) throws(DocumentError) {
        let location = SourceLocation(path: "chunker")
        guard maxTokens > 0 else {
            throw DocumentError(.invalidChunkingOptions("the token budget must be positive, not \(maxTokens)"), at: location)
        }
        guard overlapTokens >= 0, overlapTokens < maxTokens else {
            throw DocumentError(.invalidChunkingOptions(
                "the overlap (\(overlapTokens) tokens) must be at least 0 and less than the budget (\(maxTokens) tokens)"), at: location)
        }
        self.maxTokens = maxTokens
        self.overlapTokens = overlapTokens
        self.tokenCounter = tokenCounter
    }

    /// The document's chunks in order; empty when the document has no words.
    public func chunks(of document: SourceDocument) -> [DocumentChunk] {
        let scan = MarkdownScan(text: document.text)
        let bytes = Array(document.text.utf8)
        let words = scan.words
        guard !words.isEmpty else { return [] }

        func text(_ first: Int, _ end: Int) -> String {
            String(decoding: bytes[words[first].start..<words[end - 1].end], as: UTF8.self)
        }
        func fits(_ first: Int, _ end: Int) -> Bool {
            tokenCounter(text(first, end)) <= maxTokens
        }

        var chunks: [DocumentChunk] = []
        var first = 0
        var previousEnd = 0
        var guess = 1
        while first < words.count {
            var longest = longestFit(from: first, words: words.count, guess: guess, fits: fits)
            if longest <= previousEnd, first < previousEnd {
                // The overlap left no room for a new word: start the chunk without overlap.
                first = previousEnd
                longest = longestFit(from: first, words: words.count, guess: guess, fits: fits)
            }
            guess = longest - first
            // A chunk must reach past the previous one's end, or it would repeat only old text.
            let earliest = max(first, previousEnd) + 1
            let end = longest == words.count ? longest : bestBreak(in: first, longest, earliest: earliest, scan: scan)
            let chunkText = text(first, end)
            chunks.append(DocumentChunk(
                documentPath: document.path, documentHash: document.contentHash, index: chunks.count,
                text: chunkText, startOffset: words[first].start, endOffset: words[end - 1].end,
                headingPath: scan.headingPath(atWord: first), tokenCount: tokenCounter(chunkText)))
            if end == words.count { break }
            previousEnd = end
            first = overlapStart(after: first, end: end, scan: scan, text: text)
        }
        return chunks
    }

    /// The largest `end` such that words `first..<end` fit, at least `first + 1` (a single word
    /// always makes a chunk). Searches outward from `first + guess` (neighbouring chunks are
    /// similar in length) in doubling steps, then bisects: O(log n) counter calls on chunk-sized
    /// text, few when the guess is close.
    private func longestFit(from first: Int, words count: Int, guess: Int, fits: (Int, Int) -> Bool) -> Int {
        var good = first + 1
        guard good < count, fits(first, good) else { return good }
        var bad = count + 1
        let initialStep = max(1, guess / 16)
        let probe = min(first + max(guess, 2), count)
        if fits(first, probe) {
            good = probe
            var step = initialStep
            while good < count {
                let next = min(good + step, count)
                if fits(first, next) { good = next } else { bad = next; break }
                step *= 2
            }
        } else {
            bad = probe
            var step = initialStep
            while bad - good > 1 {
                let next = max(bad - step, good + 1)
                if fits(first, next) { good = next; break }
                bad = next
                step *= 2
            }
        }
        while bad - good > 1 {
            let middle = (good + bad) / 2
            if fits(first, middle) { good = middle } else { bad = middle }
        }
        return good
    }

    /// The best place to end a chunk that starts at `first` and may run to `longest` (exclusive):
    /// the strongest break in the second half by length, the latest among equals, not before
    /// `earliest`.
    private func bestBreak(in first: Int, _ longest: Int, earliest: Int, scan: MarkdownScan) -> Int {
        let words = scan.words
        let span = Double(words[longest - 1].end - words[first].start)
        var best = longest
        var bestStrength = scan.breaks[longest]
        var candidate = longest - 1
        while candidate >= earliest {
            let length = Double(words[candidate - 1].end - words[first].start)
            if length < span * Self.minimumFill { break }
            if scan.breaks[candidate] > bestStrength {
                best = candidate
                bestStrength = scan.breaks[candidate]
            }
            candidate -= 1
        }
        return best
    }

    /// Where the chunk after `first..<end` starts: `end` after a heading break or without overlap,
    /// else the earliest word from which the rest up to `end` fits in `overlapTokens`, moved on
    /// to a sentence or line start when there is one, and never back across a heading.
    private func overlapStart(after first: Int, end: Int, scan: MarkdownScan, text: (Int, Int) -> String) -> Int {
        guard overlapTokens > 0, scan.breaks[end] != .heading else { return end }
        var low = first + 1
        var high = end
        // Smallest k in (first, end) with tokens(k..<end) ≤ overlap; `end` when there is none.
        while low < high {
            let middle = (low + high) / 2
            if tokenCounter(text(middle, end)) <= overlapTokens { high = middle } else { low = middle + 1 }
        }
        var start = low
        for candidate in (first + 1)..<end where scan.breaks[candidate] == .heading {
            start = max(start, candidate)
        }
        if let sentence = (start..<end).first(where: { scan.breaks[$0] >= .sentence }) {
            start = sentence
        }
        return start
    }
}
