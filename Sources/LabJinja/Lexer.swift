/// One lexical token of a template.
struct Token {
    enum Kind: Equatable {
        /// Literal template text between tags (already whitespace-controlled).
        case text(String)
        case variableBegin, variableEnd, blockBegin, blockEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        /// An operator or punctuation: `+ - * / // % ** ~ [ ] ( ) { } == != > >= < <= = . : | , ;`.
        case symbol(String)
        case endOfInput
    }

    var kind: Kind
    var position: SourcePosition
}

/// Splits a template into tokens the way jinja2's lexer does (jinja2/lexer.py), with
/// `trim_blocks` and `lstrip_blocks` as Hugging Face sets them.
///
/// Whitespace control, per the jinja2 documentation ("Whitespace Control"):
/// - `{%-`, `{{-`, `{#-` remove all whitespace (newlines included) before the tag; `-%}`, `-}}`,
///   `-#}` all whitespace after it.
/// - trim_blocks: the first newline after a block or comment tag is removed (`+%}` keeps it).
/// - lstrip_blocks: spaces and tabs from the start of a line up to a block or comment tag are
///   removed (`{%+` keeps them); never before `{{`.
/// - Newlines (`\r\n`, `\r`) become `\n`, and one trailing newline of the template is dropped
///   (keep_trailing_newline is off).
struct Lexer {
    private let scalars: [Unicode.Scalar]
    private let trimBlocks: Bool
    private let lstripBlocks: Bool
    private var lineStarts: [Int] = [0]

    init(source: String, trimBlocks: Bool = true, lstripBlocks: Bool = true) {
        var normalized: [Unicode.Scalar] = []
        normalized.reserveCapacity(source.unicodeScalars.count)
        var previousWasCarriageReturn = false
        for scalar in source.unicodeScalars {
            if scalar == "\n" && previousWasCarriageReturn {
                previousWasCarriageReturn = false
                continue
            }
            previousWasCarriageReturn = scalar == "\r"
            normalized.append(scalar == "\r" ? "\n" : scalar)
        }
        if normalized.last == "\n" { normalized.removeLast() }
        scalars = normalized
        self.trimBlocks = trimBlocks
        self.lstripBlocks = lstripBlocks
        for (offset, scalar) in normalized.enumerated() where scalar == "\n" {
            lineStarts.append(offset + 1)
        }
    }

    func position(of offset: Int) -> SourcePosition {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        return SourcePosition(line: low + 1, column: offset - lineStarts[low] + 1)
    }

    private enum TagKind { case variable, block, comment }

    func tokenize() throws -> [Token] {
        var tokens: [Token] = []
        var offset = 0
        // Whether the last thing consumed ended with a newline (jinja2's `line_starting`).
        var lineStarting = true
        let count = scalars.count
        while offset < count {
            guard let (tagStart, kind) = nextTagOpener(from: offset) else {
                appendText(scalars[offset..<count], at: offset, to: &tokens)
                break
            }
            let afterOpener = tagStart + 2
            let sign: Unicode.Scalar? = afterOpener < count && (scalars[afterOpener] == "-" || scalars[afterOpener] == "+")
                ? scalars[afterOpener] : nil
            let rawEnd = kind == .block ? matchRawBegin(at: tagStart) : nil
            var text = scalars[offset..<tagStart]
            text = stripBeforeTag(text, sign: sign, isVariable: kind == .variable, lineStarting: lineStarting)
            appendText(text, at: offset, to: &tokens)
            var bodyStart = afterOpener + (sign == nil ? 0 : 1)

            if let rawEnd {
                // `{% raw %}…{% endraw %}`: everything between is text.
                lineStarting = scalars[rawEnd - 1] == "\n"
                guard let (endStart, endSign, endAfter) = findEndRaw(from: rawEnd) else {
                    throw JinjaError(.syntax, "missing end of raw directive ({% endraw %})", at: position(of: tagStart))
                }
                let inner = stripBeforeTag(scalars[rawEnd..<endStart], sign: endSign, isVariable: false, lineStarting: lineStarting)
                appendText(inner, at: rawEnd, to: &tokens)
                offset = endAfter
                lineStarting = scalars[endAfter - 1] == "\n"
                continue
            }

            switch kind {
            case .comment:
                guard let (end, after) = findCommentEnd(from: bodyStart) else {
                    throw JinjaError(.syntax, "missing end of comment tag", at: position(of: tagStart))
                }
                _ = end
                offset = after
                lineStarting = scalars[after - 1] == "\n"
            case .variable, .block:
                tokens.append(Token(kind: kind == .block ? .blockBegin : .variableBegin, position: position(of: tagStart)))
                offset = try tokenizeTag(kind, from: &bodyStart, tagStart: tagStart, into: &tokens)
                lineStarting = scalars[offset - 1] == "\n"
            }
        }
        tokens.append(Token(kind: .endOfInput, position: position(of: count)))
        return tokens
    }

    private func appendText(_ text: ArraySlice<Unicode.Scalar>, at offset: Int, to tokens: inout [Token]) {
        guard !text.isEmpty else { return }
        var string = String.UnicodeScalarView()
        string.append(contentsOf: text)
        tokens.append(Token(kind: .text(String(string)), position: position(of: offset)))
    }

    /// The next `{{`, `{%` or `{#` at or after `offset`.
    private func nextTagOpener(from offset: Int) -> (Int, TagKind)? {
        var index = offset
        while index + 1 < scalars.count {
            if scalars[index] == "{" {
                switch scalars[index + 1] {
                case "{": return (index, .variable)
                case "%": return (index, .block)
                case "#": return (index, .comment)
                default: break
                }
            }
            index += 1
        }
        return nil
    }

    /// jinja2's OptionalLStrip: whitespace control of the text before a tag.
    private func stripBeforeTag(
        _ text: ArraySlice<Unicode.Scalar>, sign: Unicode.Scalar?, isVariable: Bool, lineStarting: Bool
    ) -> ArraySlice<Unicode.Scalar> {
        if sign == "-" {
            var end = text.endIndex
            while end > text.startIndex && PythonText.isWhitespace(text[end - 1]) { end -= 1 }
            return text[text.startIndex..<end]
        }
        guard sign != "+", lstripBlocks, !isVariable else { return text }
        let lineStart = (text.lastIndex(of: "\n").map { $0 + 1 }) ?? text.startIndex
        guard lineStart > text.startIndex || lineStarting else { return text }
        let tail = text[lineStart...]
        if !tail.isEmpty && tail.allSatisfy(PythonText.isWhitespace) {
            return text[text.startIndex..<lineStart]
        }
        return text
    }

    private func matches(_ literal: String, at offset: Int) -> Bool {
        var index = offset
        for scalar in literal.unicodeScalars {
            guard index < scalars.count, scalars[index] == scalar else { return false }
            index += 1
        }
        return true
    }

    private func skipWhitespace(from offset: Int) -> Int {
        var index = offset
        while index < scalars.count && PythonText.isWhitespace(scalars[index]) { index += 1 }
        return index
    }

    /// `{%(-|+|)\s*raw\s*(-%}\s*|%})` at `offset`: the offset after it, or nil.
    private func matchRawBegin(at offset: Int) -> Int? {
        var index = offset + 2
        if index < scalars.count && (scalars[index] == "-" || scalars[index] == "+") { index += 1 }
        index = skipWhitespace(from: index)
        guard matches("raw", at: index) else { return nil }
        index = skipWhitespace(from: index + 3)
        if matches("-%}", at: index) { return skipWhitespace(from: index + 3) }
        if matches("%}", at: index) { return index + 2 }
        return nil
    }

    /// The first `{%(-|+|)\s*endraw\s*(+%}|-%}\s*|%}\n?)` at or after `offset`:
    /// (its start, its whitespace sign, the offset after it).
    private func findEndRaw(from offset: Int) -> (Int, Unicode.Scalar?, Int)? {
        var start = offset
        while start + 1 < scalars.count {
            defer { start += 1 }
            guard scalars[start] == "{", scalars[start + 1] == "%" else { continue }
            var index = start + 2
            var sign: Unicode.Scalar?
            if index < scalars.count && (scalars[index] == "-" || scalars[index] == "+") {
                sign = scalars[index]
                index += 1
            }
            index = skipWhitespace(from: index)
            guard matches("endraw", at: index) else { continue }
            index = skipWhitespace(from: index + 6)
            if let after = blockEnd(at: index) { return (start, sign, after) }
        }
        return nil
    }

    /// `+%}`, `-%}\s*` or `%}\n?` at `offset`: the offset after it, or nil.
    private func blockEnd(at offset: Int) -> Int? {
        if matches("+%}", at: offset) { return offset + 3 }
        if matches("-%}", at: offset) { return skipWhitespace(from: offset + 3) }
        if matches("%}", at: offset) {
            return trimBlocks && matches("\n", at: offset + 2) ? offset + 3 : offset + 2
        }
        return nil
    }

    /// The first comment end (`+#}`, `-#}\s*`, `#}\n?`) at or after `offset`.
    private func findCommentEnd(from offset: Int) -> (Int, Int)? {
        var index = offset
        while index < scalars.count {
            if matches("+#}", at: index) { return (index, index + 3) }
            if matches("-#}", at: index) { return (index, skipWhitespace(from: index + 3)) }
            if matches("#}", at: index) {
                return (index, trimBlocks && matches("\n", at: index + 2) ? index + 3 : index + 2)
            }
            index += 1
        }
        return nil
    }

    /// Tokens inside `{{ … }}` or `{% … %}`; returns the offset after the closing delimiter.
    private func tokenizeTag(_ kind: TagKind, from offset: inout Int, tagStart: Int, into tokens: inout [Token]) throws -> Int {
        var brackets: [Unicode.Scalar] = []
        while true {
            guard offset < scalars.count else {
                throw JinjaError(
                    .syntax, "unexpected end of template, expected '\(kind == .block ? "%}" : "}}")'",
                    at: position(of: tagStart))
            }
            if brackets.isEmpty {
                if kind == .block, let after = blockEnd(at: offset) {
                    tokens.append(Token(kind: .blockEnd, position: position(of: offset)))
                    return after
                }
                if kind == .variable {
                    if matches("-}}", at: offset) {
                        tokens.append(Token(kind: .variableEnd, position: position(of: offset)))
                        return skipWhitespace(from: offset + 3)
                    }
                    if matches("}}", at: offset) {
                        tokens.append(Token(kind: .variableEnd, position: position(of: offset)))
                        return offset + 2
                    }
                }
            }
            let scalar = scalars[offset]
            let here = position(of: offset)
            if PythonText.isWhitespace(scalar) {
                offset += 1
                continue
            }
            if let (value, after) = try scanNumber(at: offset) {
                tokens.append(Token(kind: value, position: here))
                offset = after
                continue
            }
            if scalar == "_" || scalar.properties.isAlphabetic {
                var end = offset + 1
                while end < scalars.count
                    && (scalars[end] == "_" || scalars[end].properties.isAlphabetic || scalars[end].properties.numericType != nil)
                {
                    end += 1
                }
                tokens.append(Token(kind: .name(string(offset, end)), position: here))
                offset = end
                continue
            }
            if scalar == "'" || scalar == "\"" {
                let (value, after) = try scanString(at: offset)
                tokens.append(Token(kind: .string(value), position: here))
                offset = after
                continue
            }
            let symbol = try scanSymbol(at: offset)
            switch symbol {
            case "(": brackets.append(")")
            case "[": brackets.append("]")
            case "{": brackets.append("}")
            case ")", "]", "}":
                guard let expected = brackets.popLast() else {
                    throw JinjaError(.syntax, "unexpected '\(symbol)'", at: here)
                }
                guard String(expected) == symbol else {
                    throw JinjaError(.syntax, "unexpected '\(symbol)', expected '\(expected)'", at: here)
                }
            default: break
            }
            tokens.append(Token(kind: .symbol(symbol), position: here))
            offset += symbol.unicodeScalars.count
        }
    }

    private func string(_ start: Int, _ end: Int) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[start..<end])
        return String(view)
    }

    private static let symbols = [
        "//", "**", "==", "!=", ">=", "<=",
        "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";",
    ]

    private func scanSymbol(at offset: Int) throws -> String {
        for symbol in Self.symbols where matches(symbol, at: offset) { return symbol }
        throw JinjaError(.syntax, "unexpected character '\(scalars[offset])'", at: position(of: offset))
    }

    private func isDigit(_ index: Int) -> Bool {
        index < scalars.count && scalars[index].value >= 48 && scalars[index].value <= 57
    }

    /// Digits with single `_` separators (`(\d+_)*\d+`) from `index`: the end, or nil.
    private func digitRun(from index: Int) -> Int? {
        guard isDigit(index) else { return nil }
        var end = index
        while isDigit(end) || (scalars[safe: end] == "_" && isDigit(end + 1)) { end += 1 }
        return end
    }

    /// jinja2's float_re then integer_re at `offset`.
    private func scanNumber(at offset: Int) throws -> (Token.Kind, Int)? {
        guard isDigit(offset) else { return nil }
        let digitsEnd = digitRun(from: offset) ?? offset
        // Float: not right after a '.', digits then a fraction and/or an exponent.
        if offset == 0 || scalars[offset - 1] != "." {
            var end = digitsEnd
            var isFloat = false
            if scalars[safe: end] == ".", let fractionEnd = digitRun(from: end + 1) {
                end = fractionEnd
                isFloat = true
            }
            if scalars[safe: end] == "e" || scalars[safe: end] == "E" {
                var exponentStart = end + 1
                if scalars[safe: exponentStart] == "+" || scalars[safe: exponentStart] == "-" { exponentStart += 1 }
                if let exponentEnd = digitRun(from: exponentStart) {
                    end = exponentEnd
                    isFloat = true
                }
            }
            if isFloat {
                let text = string(offset, end).replacingOccurrences(of: "_", with: "")
                guard let value = Double(text) else {
                    throw JinjaError(.syntax, "invalid float literal '\(text)'", at: position(of: offset))
                }
                return (.float(value), end)
            }
        }
        // Integer: 0b…, 0o…, 0x…, a decimal without leading zeros, or zeros.
        if scalars[offset] == "0", let marker = scalars[safe: offset + 1] {
            let radix: Int? = switch marker {
            case "b", "B": 2
            case "o", "O": 8
            case "x", "X": 16
            default: nil
            }
            if let radix {
                var end = offset + 2
                var digits = ""
                while let scalar = scalars[safe: end] {
                    if scalar == "_", let next = scalars[safe: end + 1], Int(String(next), radix: radix) != nil {
                        end += 1
                        continue
                    }
                    guard Int(String(scalar), radix: radix) != nil else { break }
                    digits.unicodeScalars.append(scalar)
                    end += 1
                }
                if !digits.isEmpty {
                    guard let value = Int(digits, radix: radix) else {
                        throw JinjaError.unsupported("integer literal larger than 64 bits", at: position(of: offset))
                    }
                    return (.integer(value), end)
                }
            }
            // `0(_?0)*`
            var end = offset + 1
            while scalars[safe: end] == "0" || (scalars[safe: end] == "_" && scalars[safe: end + 1] == "0") { end += 1 }
            return (.integer(0), end)
        }
        let text = string(offset, digitsEnd).replacingOccurrences(of: "_", with: "")
        guard let value = Int(text) else {
            throw JinjaError.unsupported("integer literal larger than 64 bits", at: position(of: offset))
        }
        return (.integer(value), digitsEnd)
    }

    /// A quoted string literal at `offset`, its escapes decoded as Python's `unicode-escape`
    /// codec does (what jinja2 applies): `\n \t \r \\ \' \" \a \b \f \v \ooo \xhh \uXXXX
    /// \UXXXXXXXX`, a backslash-newline is dropped, and an unknown escape is kept as written.
    private func scanString(at offset: Int) throws -> (String, Int) {
        let quote = scalars[offset]
        var index = offset + 1
        var value = String.UnicodeScalarView()
        while true {
            guard index < scalars.count else {
                throw JinjaError(.syntax, "unterminated string literal", at: position(of: offset))
            }
            let scalar = scalars[index]
            if scalar == quote { return (String(value), index + 1) }
            guard scalar == "\\" else {
                value.append(scalar)
                index += 1
                continue
            }
            guard index + 1 < scalars.count else {
                throw JinjaError(.syntax, "unterminated string literal", at: position(of: offset))
            }
            let escaped = scalars[index + 1]
            index += 2
            switch escaped {
            case "\n": break
            case "\\": value.append("\\")
            case "'": value.append("'")
            case "\"": value.append("\"")
            case "a": value.append("\u{07}")
            case "b": value.append("\u{08}")
            case "f": value.append("\u{0C}")
            case "n": value.append("\n")
            case "r": value.append("\r")
            case "t": value.append("\t")
            case "v": value.append("\u{0B}")
            case "0"..."7":
                var code = Int(escaped.value - 48)
                var digits = 1
                while digits < 3, let next = scalars[safe: index], next.value >= 48 && next.value <= 55 {
                    code = code * 8 + Int(next.value - 48)
                    index += 1
                    digits += 1
                }
                value.append(Unicode.Scalar(UInt32(code)) ?? "\u{FFFD}")
            case "x", "u", "U":
                let width = escaped == "x" ? 2 : escaped == "u" ? 4 : 8
                guard index + width <= scalars.count,
                    let code = UInt32(string(index, index + width), radix: 16),
                    string(index, index + width).allSatisfy(\.isHexDigit),
                    let decoded = Unicode.Scalar(code)
                else {
                    throw JinjaError(.syntax, "truncated or invalid \\\(escaped) escape in a string literal", at: position(of: index - 2))
                }
                value.append(decoded)
                index += width
            case "N":
                throw JinjaError.unsupported("\\N{…} escape in a string literal", at: position(of: index - 2))
            default:
                value.append("\\")
                value.append(escaped)
            }
        }
    }
}

extension Array {
    subscript(safe index: Int) -> Element? {
        index >= 0 && index < count ? self[index] : nil
    }
}
