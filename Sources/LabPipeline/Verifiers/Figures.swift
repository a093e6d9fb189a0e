import Foundation

/// A number as written in finance text, with what the words around it say about it.
///
/// `12,500 thousand`, `$1.2 billion`, `(188.5)`, `-7.49%`, `25 basis points` and `2024` are all
/// figures; what they mean differs (a scaled amount, a negative amount in accounting notation, a
/// percent, a year), and every verifier that compares numbers needs to know which.
public struct Figure: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// An amount or a count (possibly with a currency sign or a scale word).
        case amount
        /// `%` or `percent`.
        case percent
        /// `percentage point(s)`.
        case percentagePoints
        /// `basis point(s)` / `bps`.
        case basisPoints
        /// A calendar year such as 2024 (four digits, 1900–2100, no separators or units).
        case year
        /// A label rather than a quantity: a list marker (`1.`), a day of a date (`Sep 30`),
        /// a form or item number (`10-K`, `Item 7`).
        case label
    }

    /// The text as written, including sign, currency and scale words.
    public var text: String
    /// The number as written (sign applied, scale not applied).
    public var value: Double
    /// Digits after the decimal point, as written.
    public var decimals: Int
    /// The multiplier of a scale word after the number (`thousand` = 1e3), or 1.
    public var scale: Double
    public var kind: Kind
    /// Where the figure is, in the text's UTF-16 offsets (for evidence spans).
    public var offset: Int
    public var length: Int

    /// The amount in units: `value × scale`.
    public var absolute: Double { value * scale }

    /// Half a unit of the last written digit, in the figure's own scale: a figure written `13.2`
    /// stands for anything in 13.15…13.25.
    public var halfUnit: Double { 0.5 * pow(10, -Double(decimals)) }

    /// Whether the figure is a quantity (not a year or a label).
    public var isQuantity: Bool { kind != .year && kind != .label }

    /// Whether `expected` (in the same scale as `value`) rounds to this figure as written, with a
    /// relative slack of `relative` for intermediate rounding.
    public func matches(_ expected: Double, relative: Double = 0.002) -> Bool {
        Figure.close(value, expected, halfUnit: halfUnit, relative: relative)
    }

    static func close(_ written: Double, _ expected: Double, halfUnit: Double, relative: Double) -> Bool {
        abs(abs(written) - abs(expected)) <= halfUnit + relative * abs(expected) + 1e-12
    }
}

/// Finds figures in text. One scanner for every verifier, so "what is a number" is decided once.
public enum FigureScanner {
    static let scaleWords: [(word: String, scale: Double)] = [
        ("trillion", 1e12), ("billions", 1e9), ("billion", 1e9), ("bn", 1e9), ("millions", 1e6), ("million", 1e6),
        ("mn", 1e6), ("mm", 1e6), ("thousands", 1e3), ("thousand", 1e3), ("k", 1e3), ("m", 1e6), ("b", 1e9),
    ]
    static let months: Set<String> = [
        "jan", "january", "feb", "february", "mar", "march", "apr", "april", "may", "jun", "june", "jul", "july",
        "aug", "august", "sep", "sept", "september", "oct", "october", "nov", "november", "dec", "december",
    ]
    static let labelWords: Set<String> = ["item", "part", "form", "rule", "section", "note", "schedule", "step", "q", "fy", "page", "level", "tier"]

    /// Every figure in `text`, in order.
    public static func figures(in text: String) -> [Figure] {
        let chars = Array(text.utf16)
        var found: [Figure] = []
        var index = 0
        func char(_ position: Int) -> Character? {
            guard position >= 0, position < chars.count, let scalar = Unicode.Scalar(chars[position]) else { return nil }
            return Character(scalar)
        }
        func isDigit(_ position: Int) -> Bool { char(position)?.isASCII == true && char(position)!.isNumber }
        func isLetter(_ position: Int) -> Bool { char(position)?.isLetter == true }
        while index < chars.count {
            // "FY2025" is a year; other letters glued to digits ("Q3", "H1", "10-K") are not figures.
            let fiscalYear = (char(index - 1) == "Y" || char(index - 1) == "y") && (char(index - 2) == "F" || char(index - 2) == "f")
                && isDigit(index + 3) && !isDigit(index + 4)
            guard isDigit(index), !isLetter(index - 1) || fiscalYear, !(isDigit(index - 1)) else {
                index += 1
                continue
            }
            // A digit run following a decimal point we skipped (".5") is read with its point.
            var start = index
            if char(index - 1) == ".", !isDigit(index - 2) { start = index - 1 }
            var end = index
            var sawPoint = start < index
            var decimals = sawPoint ? 0 : 0
            var digits = ""
            if sawPoint { digits = "0." }
            while end < chars.count {
                if isDigit(end) {
                    digits.append(char(end)!)
                    if sawPoint { decimals += 1 }
                    end += 1
                } else if char(end) == ",", !sawPoint, isDigit(end + 1), isDigit(end + 2), isDigit(end + 3), !isDigit(end + 4) {
                    end += 1  // thousands separator
                } else if char(end) == ".", !sawPoint, isDigit(end + 1) {
                    sawPoint = true
                    digits.append(".")
                    end += 1
                } else {
                    break
                }
            }
            guard let magnitude = Double(digits) else {
                index = end
                continue
            }
            // Sign: a minus right before (or before the currency sign), or accounting parentheses.
            var sign = 1.0
            var textStart = start
            var before = fiscalYear ? start - 3 : start - 1
            if char(before) == "$" || char(before) == "€" || char(before) == "£" { textStart = before; before -= 1 }
            if char(before) == "-" || char(before) == "\u{2212}" {
                // "2024-2020" is a subtraction, "10-K" a label, "-7.5%" a negative number.
                if !isDigit(before - 1) && !(char(before - 1)?.isLetter ?? false) { sign = -1; textStart = before }
            }
            var textEnd = end
            // Unit after the number.
            var scale = 1.0
            var kind = Figure.Kind.amount
            var cursor = end
            // A scale word may follow on the next line of wrapped text ("$1.13\nbillion"), not after a blank line.
            while char(cursor) == " " || (char(cursor) == "\n" && char(cursor + 1) != "\n") { cursor += 1 }
            let rest = String(utf16CodeUnits: Array(chars[cursor..<min(chars.count, cursor + 24)]), count: min(chars.count, cursor + 24) - cursor).lowercased()
            if char(end) == "%" {
                kind = .percent
                textEnd = end + 1
            } else if rest.hasPrefix("percentage point") || rest.hasPrefix("pp ") || rest == "pp" || rest.hasPrefix("pp.") || rest.hasPrefix("pp,") {
                kind = .percentagePoints
                textEnd = cursor + (rest.hasPrefix("pp") ? 2 : "percentage point".count)
            } else if rest.hasPrefix("percent") || rest.hasPrefix("per cent") {
                kind = .percent
                textEnd = cursor + (rest.hasPrefix("percent") ? 7 : 8)
            } else if rest.hasPrefix("basis point") || rest.hasPrefix("bps") || rest.hasPrefix("bp ") {
                kind = .basisPoints
                textEnd = cursor + (rest.hasPrefix("basis point") ? 11 : 3)
            } else {
                for (word, multiplier) in scaleWords where rest.hasPrefix(word) {
                    let after = rest.dropFirst(word.count).first
                    // Single-letter scales only right after the digits ("5m", "2bn"), never "5 m".
                    if word.count <= 2 && cursor != end { continue }
                    if let after, after.isLetter { continue }
                    scale = multiplier
                    textEnd = cursor + word.count
                    break
                }
            }
            if char(textEnd) == ")" && char(textStart - 1) == "(" && kind == .amount && scale == 1 {
                // (188.5) in a statement is a negative amount; "(2024)" or "(1)" are not.
                if sawPoint || digits.count > 3 { sign = -1 }
            }
            // Context words before the number.
            let precedingWord = Self.word(before: textStart, in: chars).lowercased()
            let integer = !sawPoint && !digits.contains(".")
            let hadSeparator = (end - start) != digits.count
            if kind == .amount && scale == 1 && integer && !hadSeparator && digits.count == 4,
               let year = Int(digits), (1900...2100).contains(year), char(textStart) != "$" {
                kind = .year
            }
            if kind == .amount && scale == 1 && integer {
                let lineStart = Self.isLineStart(textStart, in: chars)
                if lineStart && (char(end) == "." || char(end) == ")") && !isDigit(end + 1) { kind = .label }
                if months.contains(precedingWord) && magnitude <= 31 { kind = .label }
                if labelWords.contains(precedingWord) { kind = .label }
                if char(end) == "-" && (char(end + 1) == "K" || char(end + 1) == "Q") { kind = .label }
                if char(textStart - 1) == "Q" || char(textStart - 1) == "H" { kind = .label }
            }
            let written = String(utf16CodeUnits: Array(chars[textStart..<textEnd]), count: textEnd - textStart)
            found.append(Figure(text: written, value: sign * magnitude, decimals: decimals, scale: scale, kind: kind,
                                offset: textStart, length: textEnd - textStart))
            index = max(end, index + 1)
        }
        return found
    }

    /// Quantities only: figures that are neither years nor labels.
    public static func quantities(in text: String) -> [Figure] { figures(in: text).filter(\.isQuantity) }

    private static func word(before position: Int, in chars: [UInt16]) -> String {
        var end = position - 1
        while end >= 0, chars[end] == 32 { end -= 1 }
        var start = end
        while start >= 0, let scalar = Unicode.Scalar(chars[start]), Character(scalar).isLetter { start -= 1 }
        guard end > start else { return "" }
        return String(utf16CodeUnits: Array(chars[(start + 1)...end]), count: end - start)
    }

    private static func isLineStart(_ position: Int, in chars: [UInt16]) -> Bool {
        var cursor = position - 1
        while cursor >= 0, chars[cursor] == 32 || chars[cursor] == 9 { cursor -= 1 }
        return cursor < 0 || chars[cursor] == 10
    }
}
