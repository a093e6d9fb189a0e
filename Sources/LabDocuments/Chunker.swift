import Foundation

/// A piece of a document small enough for one generation prompt.
public struct DocumentChunk: Sendable, Hashable, Codable {
    /// Stable identity: SHA-256 of the document's content hash, the offsets and the text.
    public var id: String
    /// Position of this chunk in its document, from 0.
    public var index: Int
    public var text: String
    /// Offsets in Unicode scalars (code points, as Python's `str` indexes) into `SourceDocument.text`:
    /// `text == document.text.unicodeScalars[startOffset..<endOffset]`.
    public var startOffset: Int
    public var endOffset: Int
    /// The Markdown headings this chunk sits under, outermost first.
    public var headingPath: [String]
    /// The chunk's size as measured by the chunker's token counter.
    public var tokenCount: Int
}

/// Splits documents into overlapping chunks by a token budget, breaking at Markdown headings and
/// paragraphs first, then at sentence ends and line breaks, then between words — never inside a word.
///
/// InstructLab chunks knowledge documents to about 500 tokens; those are the defaults here.
public struct Chunker: Sendable {
    /// The most tokens one chunk may hold (a single word longer than this still forms a chunk).
    public var tokenBudget: Int
    /// About this many tokens at the end of a chunk are repeated at the start of the next, so a fact
    /// that straddles a boundary is whole in one of them.
    public var overlap: Int
    /// Counts tokens in a piece of text; plug in the real tokenizer when one is at hand.
    public var countTokens: @Sendable (String) -> Int

    public init(tokenBudget: Int = 500, overlap: Int = 50, countTokens: @escaping @Sendable (String) -> Int = Chunker.estimateTokens) {
        self.tokenBudget = max(1, tokenBudget)
        self.overlap = max(0, min(overlap, tokenBudget / 2))
        self.countTokens = countTokens
    }

    /// A tokenizer-free estimate: 1.3 tokens per word, the usual ratio for English BPE vocabularies.
    public static let estimateTokens: @Sendable (String) -> Int = { text in
        let words = DocumentText.wordCount(text)
        return words == 0 ? 0 : Int((Double(words) * 1.3).rounded(.up))
    }

    public func chunks(of document: SourceDocument) -> [DocumentChunk] {
        let scalars = Array(document.text.unicodeScalars)
        let segments = Segmenter(scalars: scalars, budget: tokenBudget, countTokens: countTokens).segments()
        guard !segments.isEmpty else { return [] }

        var chunks: [DocumentChunk] = []
        var start = 0  // index into segments of the current chunk's first segment
        while start < segments.count {
            var end = start
            var tokens = 0
            // Grow the chunk while the budget allows; always take at least one segment.
            while end < segments.count {
                let segment = segments[end]
                if end > start {
                    if tokens + segment.tokens > tokenBudget { break }
                    // Prefer to start a new chunk at a heading once this one holds a fair amount.
                    if segment.isHeading && tokens >= tokenBudget / 2 { break }
                }
                tokens += segment.tokens
                end += 1
            }
            // Don't leave a heading dangling at the end of a chunk: it belongs with what follows.
            while end - 1 > start && segments[end - 1].isHeading && end < segments.count {
                end -= 1
                tokens -= segments[end].tokens
            }
            let first = segments[start], last = segments[end - 1]
            let text = String(String.UnicodeScalarView(scalars[first.start..<last.end]))
            let id = ContentHashing.sha256("\(document.contentHash):\(first.start):\(last.end):\(text)")
            chunks.append(DocumentChunk(
                id: id, index: chunks.count, text: text, startOffset: first.start, endOffset: last.end,
                headingPath: first.headingPath, tokenCount: countTokens(text)))
            guard end < segments.count else { break }
            // Step back over whole non-heading segments worth at most `overlap` tokens.
            var next = end
            var carried = 0
            while next - 1 > start && !segments[next - 1].isHeading && carried + segments[next - 1].tokens <= overlap {
                next -= 1
                carried += segments[next].tokens
            }
            start = next
        }
        return chunks
    }
}

/// A run of text that is never split further: a heading line, a sentence, a line of a list or table,
/// or (for an over-long sentence) a group of whole words.
struct Segment {
    var start: Int
    var end: Int
    var tokens: Int
    var isHeading: Bool
    var headingPath: [String]
}

/// Cuts a document into segments with their heading context.
struct Segmenter {
    let scalars: [Unicode.Scalar]
    let budget: Int
    let countTokens: (String) -> Int

    func segments() -> [Segment] {
        var result: [Segment] = []
        var headings: [(level: Int, title: String)] = []
        var lineStart = 0
        var inFence = false
        while lineStart < scalars.count {
            var lineEnd = lineStart
            while lineEnd < scalars.count && scalars[lineEnd] != "\n" { lineEnd += 1 }
            let line = String(String.UnicodeScalarView(scalars[lineStart..<lineEnd]))
            let trimmed = line.trimmingLeadingSpaces()
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") { inFence.toggle() }
            if !inFence, let heading = Self.heading(trimmed) {
                headings.removeAll { $0.level >= heading.level }
                headings.append(heading)
                if let range = trimmedRange(lineStart, lineEnd) {
                    result.append(Segment(start: range.lowerBound, end: range.upperBound, tokens: countTokens(line),
                                          isHeading: true, headingPath: headings.map(\.title)))
                }
            } else if let range = trimmedRange(lineStart, lineEnd) {
                let path = headings.map(\.title)
                for piece in sentences(in: range) {
                    appendSplittingLong(piece, path: path, into: &result)
                }
            }
            lineStart = lineEnd + 1
        }
        return result
    }

    /// `# Title` … `###### Title` → level and title.
    static func heading(_ line: Substring) -> (level: Int, title: String)? {
        let hashes = line.prefix { $0 == "#" }.count
        guard (1...6).contains(hashes) else { return nil }
        let rest = line.dropFirst(hashes)
        guard rest.isEmpty || rest.first == " " else { return nil }
        return (hashes, rest.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "#")).trimmingCharacters(in: .whitespaces))
    }

    private func trimmedRange(_ start: Int, _ end: Int) -> Range<Int>? {
        var low = start, high = end
        while low < high && scalars[low].properties.isWhitespace { low += 1 }
        while high > low && scalars[high - 1].properties.isWhitespace { high -= 1 }
        return low < high ? low..<high : nil
    }

    /// Sentence ranges in a line: a sentence ends after `.`, `!` or `?` (plus closing quotes or
    /// brackets) followed by a space. Abbreviations may split early; that only moves a boundary.
    private func sentences(in range: Range<Int>) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        var start = range.lowerBound
        var index = range.lowerBound
        while index < range.upperBound {
            let scalar = scalars[index]
            if scalar == "." || scalar == "!" || scalar == "?" {
                var after = index + 1
                while after < range.upperBound && "\"')]”’".unicodeScalars.contains(scalars[after]) { after += 1 }
                if after < range.upperBound && scalars[after] == " " {
                    pieces.append(start..<after)
                    var next = after
                    while next < range.upperBound && scalars[next] == " " { next += 1 }
                    start = next
                    index = next
                    continue
                }
            }
            index += 1
        }
        if start < range.upperBound { pieces.append(start..<range.upperBound) }
        return pieces
    }

    /// Adds a sentence, cutting it into groups of whole words when it alone exceeds the budget.
    private func appendSplittingLong(_ range: Range<Int>, path: [String], into result: inout [Segment]) {
        let text = String(String.UnicodeScalarView(scalars[range]))
        let tokens = countTokens(text)
        if tokens <= budget {
            result.append(Segment(start: range.lowerBound, end: range.upperBound, tokens: tokens, isHeading: false, headingPath: path))
            return
        }
        var groupStart = range.lowerBound
        var index = range.lowerBound
        var lastGood: Int? = nil
        while index <= range.upperBound {
            let atBoundary = index == range.upperBound || scalars[index].properties.isWhitespace
            if atBoundary && index > groupStart {
                let candidate = String(String.UnicodeScalarView(scalars[groupStart..<index]))
                if countTokens(candidate) > budget, let good = lastGood {
                    let piece = String(String.UnicodeScalarView(scalars[groupStart..<good]))
                    result.append(Segment(start: groupStart, end: good, tokens: countTokens(piece), isHeading: false, headingPath: path))
                    groupStart = good
                    while groupStart < range.upperBound && scalars[groupStart].properties.isWhitespace { groupStart += 1 }
                    lastGood = nil
                    index = groupStart
                    continue
                }
                lastGood = index
            }
            index += 1
        }
        if groupStart < range.upperBound {
            let piece = String(String.UnicodeScalarView(scalars[groupStart..<range.upperBound]))
            result.append(Segment(start: groupStart, end: range.upperBound, tokens: countTokens(piece), isHeading: false, headingPath: path))
        }
    }
}

private extension String {
    func trimmingLeadingSpaces() -> Substring { drop { $0 == " " || $0 == "\t" } }
}
