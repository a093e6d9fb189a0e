/// How good a place is for ending one chunk and starting the next, weakest first.
enum BreakStrength: UInt8, Comparable {
    /// Inside or right after a heading line: splitting would orphan the heading.
    case avoid = 0
    /// Between two words of a sentence.
    case word
    /// After `.`, `!` or `?` (optionally followed by a closing quote or bracket).
    case sentence
    /// At a line break inside a paragraph (list items, table rows).
    case line
    /// At a blank line.
    case paragraph
    /// At the start of a Markdown heading.
    case heading

    static func < (lhs: BreakStrength, rhs: BreakStrength) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The words of a document with the break strength before each and the headings in force,
/// found in one pass over the text.
///
/// Headings are CommonMark ATX headings (`#` to `######` followed by a space or the line end,
/// up to three spaces of indent, an optional closing `#` run), ignored inside ``` and ~~~ code
/// fences. Setext headings (underlined with `===`/`---`) are not recognised.
struct MarkdownScan {
    /// A maximal run of non-whitespace scalars, as UTF-8 byte offsets into the text.
    struct Word {
        var start: Int
        var end: Int
    }

    /// The words in order.
    private(set) var words: [Word] = []
    /// `breaks[j]`: how good it is to end a chunk before word `j` (index 0 is never used).
    private(set) var breaks: [BreakStrength] = []
    /// From word `word` on, the heading path is `path`; sorted by word.
    private(set) var headingPaths: [(word: Int, path: [String])] = []

    /// One line's Markdown role.
    private struct Line {
        var heading: (level: Int, title: String)?
    }

    init(text: String) {
        let bytes = Array(text.utf8)
        let lines = Self.classifyLines(bytes)
        let isHeadingLine = lines.map { $0.heading != nil }
        var stack: [(level: Int, title: String)] = []
        var lineIndex = 0
        var lineOfWord: [Int] = []
        var newlinesBefore = 0
        var inWord = false
        var offset = 0
        for scalar in text.unicodeScalars {
            let width = UTF8.width(scalar)
            if TextMeasure.isWhitespace(scalar) {
                if inWord, let last = words.indices.last { words[last].end = offset }
                inWord = false
                if scalar == "\n" {
                    lineIndex += 1
                    newlinesBefore += 1
                }
            } else if !inWord {
                inWord = true
                let index = words.count
                words.append(Word(start: offset, end: offset + width))
                let startsLine = index == 0 || lineOfWord[index - 1] != lineIndex
                let heading = startsLine && isHeadingLine[safe: lineIndex] == true ? lines[lineIndex].heading : nil
                if index > 0 {
                    breaks.append(Self.strength(
                        previous: words[index - 1], afterHeading: isHeadingLine[safe: lineOfWord[index - 1]] == true,
                        newlines: newlinesBefore, startsHeading: heading != nil, bytes: bytes))
                } else {
                    breaks.append(.avoid)
                }
                if let heading {
                    while let top = stack.last, top.level >= heading.level { stack.removeLast() }
                    stack.append(heading)
                    headingPaths.append((index, stack.map(\.title).filter { !$0.isEmpty }))
                }
                lineOfWord.append(lineIndex)
                newlinesBefore = 0
            }
            offset += width
        }
        if inWord, let last = words.indices.last { words[last].end = offset }
    }

    /// The heading path in force at word `index`.
    func headingPath(atWord index: Int) -> [String] {
        var low = 0
        var high = headingPaths.count
        while low < high {
            let middle = (low + high) / 2
            if headingPaths[middle].word <= index { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? [] : headingPaths[low - 1].path
    }

    private static func strength(
        previous: Word, afterHeading: Bool, newlines: Int, startsHeading: Bool, bytes: [UInt8]
    ) -> BreakStrength {
        if afterHeading { return .avoid }
        if startsHeading { return .heading }
        if newlines >= 2 { return .paragraph }
        if newlines == 1 { return .line }
        return endsSentence(previous, bytes) ? .sentence : .word
    }

    /// Whether the word ends with `.`, `!` or `?`, allowing closing quotes and brackets after it.
    private static func endsSentence(_ word: Word, _ bytes: [UInt8]) -> Bool {
        var index = word.end - 1
        // ” and ’ end in 0x9D / 0x99 after E2 80; step over them as whole characters.
        while index >= word.start {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte == UInt8(ascii: ")")
                || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "*") || byte == UInt8(ascii: "_") {
                index -= 1
            } else if index - 2 >= word.start, bytes[index - 2] == 0xE2, bytes[index - 1] == 0x80,
                byte == 0x9D || byte == 0x99 {
                index -= 3
            } else {
                return byte == UInt8(ascii: ".") || byte == UInt8(ascii: "!") || byte == UInt8(ascii: "?")
            }
        }
        return false
    }

    /// Splits at LF and marks ATX heading lines outside code fences.
    private static func classifyLines(_ bytes: [UInt8]) -> [Line] {
        var lines: [Line] = []
        var fence: (byte: UInt8, length: Int)?
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            let line = bytes[start..<end]
            var role = Line()
            if let marker = fenceMarker(line) {
                if let open = fence {
                    if marker.byte == open.byte, marker.length >= open.length, marker.restIsBlank { fence = nil }
                } else {
                    fence = (marker.byte, marker.length)
                }
            } else if fence == nil {
                role.heading = atxHeading(line)
            }
            lines.append(role)
            start = end + 1
        }
        return lines
    }

    private static func leadingSpaces(_ line: ArraySlice<UInt8>) -> Int? {
        var count = 0
        for byte in line {
            guard byte == UInt8(ascii: " ") else { break }
            count += 1
        }
        return count <= 3 ? count : nil
    }

    private static func fenceMarker(_ line: ArraySlice<UInt8>) -> (byte: UInt8, length: Int, restIsBlank: Bool)? {
        guard let indent = leadingSpaces(line) else { return nil }
        let body = line.dropFirst(indent)
        guard let first = body.first, first == UInt8(ascii: "`") || first == UInt8(ascii: "~") else { return nil }
        let length = body.prefix { $0 == first }.count
        guard length >= 3 else { return nil }
        let rest = body.dropFirst(length)
        return (first, length, rest.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
    }

    /// `# Title ##` → (1, "Title"); nil when the line is not an ATX heading.
    private static func atxHeading(_ line: ArraySlice<UInt8>) -> (level: Int, title: String)? {
        guard let indent = leadingSpaces(line) else { return nil }
        let body = line.dropFirst(indent)
        let level = body.prefix { $0 == UInt8(ascii: "#") }.count
        guard (1...6).contains(level) else { return nil }
        var rest = body.dropFirst(level)
        if let next = rest.first, next != UInt8(ascii: " "), next != UInt8(ascii: "\t") { return nil }
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        while let last = rest.last, isBlank(last) { rest = rest.dropLast() }
        // A closing run of `#` counts only when preceded by a space (CommonMark §4.2).
        let closing = rest.reversed().prefix { $0 == UInt8(ascii: "#") }.count
        if closing > 0 {
            let beforeClosing = rest.dropLast(closing)
            if beforeClosing.isEmpty || beforeClosing.last.map(isBlank) == true { rest = beforeClosing }
        }
        while let first = rest.first, isBlank(first) { rest = rest.dropFirst() }
        while let last = rest.last, isBlank(last) { rest = rest.dropLast() }
        return (level, String(decoding: rest, as: UTF8.self))
    }
}

extension Array {
    /// The element at `index`, or nil when out of bounds.
    subscript(safe index: Int) -> Element? {
        indices.contains(index) ? self[index] : nil
    }
}
