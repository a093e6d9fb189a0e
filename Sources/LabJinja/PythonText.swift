import Foundation
import LabCore

/// Python's text rules where a template's output depends on them: `str()` and `repr()` of
/// values, float formatting, whitespace, and the `str` methods templates call.
///
/// Python strings are sequences of code points, so lengths, indices and comparisons here
/// work on Unicode scalars, not Swift's grapheme clusters.
enum PythonText {
    // MARK: Whitespace

    /// `str.isspace()` (also what `\s` matches in jinja2's lexer): ASCII whitespace,
    /// \x1c-\x1f, and Unicode's separators.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            true
        default: false
        }
    }

    // MARK: str() and repr()

    /// Python's `str(value)`, what `{{ value }}`, `~` and `|string` produce.
    static func str(_ value: JinjaValue) throws -> String {
        switch value {
        case .undefined: return ""
        case .string(let text), .markup(let text): return text
        default: return try repr(value)
        }
    }

    /// Python's `repr(value)`, how values print inside lists and dicts.
    static func repr(_ value: JinjaValue) throws -> String {
        switch value {
        case .undefined: return "Undefined"
        case .none: return "None"
        case .bool(let flag): return flag ? "True" : "False"
        case .int(let number): return String(number)
        case .double(let number): return floatRepr(number)
        case .string(let text): return quoted(text)
        case .markup(let text): return "Markup(\(quoted(text)))"
        case .list(let items): return "[" + (try items.map(repr).joined(separator: ", ")) + "]"
        case .tuple(let items):
            if items.count == 1 { return "(" + (try repr(items[0])) + ",)" }
            return "(" + (try items.map(repr).joined(separator: ", ")) + ")"
        case .dict(let dictionary): return try dictRepr(dictionary)
        case .namespace(let namespace): return "<Namespace " + (try dictRepr(namespace.attributes)) + ">"
        case .macro(let macro): return "<Macro '\(macro.definition.name)'>"
        case .loop(let loop): return "<LoopContext \(loop.index0 + 1)/\(loop.items.count)>"
        case .function(let function):
            throw JinjaError.unsupported("printing a function ('\(function.name)')", detail: "Python prints its memory address")
        case .iterable(let iterable):
            switch iterable.kind {
            case .generator(let name):
                throw JinjaError.unsupported("printing a generator ('\(name)')", detail: "Python prints its memory address; add |list")
            case .dictView(let name):
                return "\(name)([" + (try iterable.peekItems.map(repr).joined(separator: ", ")) + "])"
            case .range(let start, let stop, let step):
                return step == 1 ? "range(\(start), \(stop))" : "range(\(start), \(stop), \(step))"
            }
        }
    }

    private static func dictRepr(_ dictionary: JinjaDictionary) throws -> String {
        "{" + (try dictionary.pairs.map { (try repr($0.key)) + ": " + (try repr($0.value)) }.joined(separator: ", ")) + "}"
    }

    static func quoted(_ text: String) -> String { PythonStringLiteral.repr(text) }


    /// Python's `repr(float)`: the shortest digits that round-trip, written positionally when
    /// the decimal exponent is in [-4, 16), else as `d.ddde+XX`.
    static func floatRepr(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        // Swift's description also gives the shortest round-trip digits; only the layout differs.
        let (negative, digits, exponent) = shortestDigits(value)
        var text = negative ? "-" : ""
        if exponent >= -4 && exponent < 16 {
            if exponent >= 0 {
                let integerDigits = exponent + 1
                if digits.count <= integerDigits {
                    text += digits + String(repeating: "0", count: integerDigits - digits.count) + ".0"
                } else {
                    text += digits.prefix(integerDigits) + "." + digits.dropFirst(integerDigits)
                }
            } else {
                text += "0." + String(repeating: "0", count: -exponent - 1) + digits
            }
        } else {
            text += String(digits.prefix(1))
            if digits.count > 1 { text += "." + digits.dropFirst() }
            text += exponent < 0 ? "e-" : "e+"
            let magnitude = abs(exponent)
            text += magnitude < 10 ? "0\(magnitude)" : "\(magnitude)"
        }
        return text
    }

    /// (sign, significant digits without leading/trailing zeros, decimal exponent of the first digit).
    private static func shortestDigits(_ value: Double) -> (Bool, String, Int) {
        let description = abs(value).description  // e.g. "1234.5", "1e-05", "1.2345e+17"
        var mantissa = description
        var exponent = 0
        if let e = description.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = String(description[..<e])
            exponent = Int(description[description.index(after: e)...]) ?? 0
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let integerPart = String(parts[0])
        let fractionPart = parts.count > 1 ? String(parts[1]) : ""
        var digits = integerPart + fractionPart
        var pointPosition = integerPart.count  // digits before the decimal point
        while digits.hasPrefix("0") && digits.count > 1 {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
        return (value < 0, digits, exponent + pointPosition - 1)
    }

    // MARK: Code-point operations

    static func length(_ text: String) -> Int { text.unicodeScalars.count }

    static func scalars(_ text: String) -> [Unicode.Scalar] { Array(text.unicodeScalars) }

    static func string<S: Sequence>(_ scalars: S) -> String where S.Element == Unicode.Scalar {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    /// Code-point equality (Swift's `==` on String also equates canonically equivalent texts).
    static func equal(_ left: String, _ right: String) -> Bool {
        left.unicodeScalars.elementsEqual(right.unicodeScalars)
    }

    /// Code-point order, as Python compares strings.
    static func less(_ left: String, _ right: String) -> Bool {
        left.unicodeScalars.lexicographicallyPrecedes(right.unicodeScalars) { $0.value < $1.value }
    }

    static func contains(_ text: String, _ part: String) -> Bool {
        part.isEmpty || find(text, part) != nil
    }

    /// The code-point offset of the first occurrence of `part` in `text` at or after `start`.
    static func find(_ text: String, _ part: String, from start: Int = 0) -> Int? {
        let haystack = scalars(text)
        let needle = scalars(part)
        if needle.isEmpty { return start <= haystack.count ? start : nil }
        guard haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        for offset in max(start, 0)...(haystack.count - needle.count) where haystack[offset] == needle[0] {
            if haystack[offset..<(offset + needle.count)].elementsEqual(needle) { return offset }
        }
        return nil
    }

    /// All occurrences of `part`, left to right, without overlap.
    static func occurrences(of part: [Unicode.Scalar], in text: [Unicode.Scalar]) -> [Int] {
        guard !part.isEmpty, text.count >= part.count else { return [] }
        var found: [Int] = []
        var offset = 0
        while offset <= text.count - part.count {
            if text[offset] == part[0] && text[offset..<(offset + part.count)].elementsEqual(part) {
                found.append(offset)
                offset += part.count
            } else {
                offset += 1
            }
        }
        return found
    }

    /// `str.replace(old, new, count)`; `count` < 0 replaces all.
    static func replace(_ text: String, _ old: String, _ new: String, count: Int = -1) -> String {
        let source = scalars(text)
        let oldScalars = scalars(old)
        let newScalars = scalars(new)
        var result: [Unicode.Scalar] = []
        if oldScalars.isEmpty {
            // Python inserts `new` before every character and at the end.
            var inserted = 0
            for scalar in source {
                if count < 0 || inserted < count {
                    result += newScalars
                    inserted += 1
                }
                result.append(scalar)
            }
            if count < 0 || inserted < count { result += newScalars }
            return string(result)
        }
        var offset = 0
        var replaced = 0
        for position in occurrences(of: oldScalars, in: source) {
            if count >= 0 && replaced >= count { break }
            result += source[offset..<position]
            result += newScalars
            offset = position + oldScalars.count
            replaced += 1
        }
        result += source[offset...]
        return string(result)
    }

    /// `str.strip(chars)` on one or both ends; nil `chars` strips whitespace.
    static func strip(_ text: String, _ characters: String?, leading: Bool, trailing: Bool) -> String {
        let source = scalars(text)
        let set = characters.map { Set($0.unicodeScalars) }
        func strippable(_ scalar: Unicode.Scalar) -> Bool { set?.contains(scalar) ?? isWhitespace(scalar) }
        var start = 0
        var end = source.count
        if leading { while start < end && strippable(source[start]) { start += 1 } }
        if trailing { while end > start && strippable(source[end - 1]) { end -= 1 } }
        return string(source[start..<end])
    }

    /// `str.split(sep, maxsplit)`; a nil separator splits on runs of whitespace.
    static func split(_ text: String, separator: String?, maxSplit: Int, fromRight: Bool) throws -> [String] {
        let source = scalars(text)
        guard let separator else {
            // Runs of whitespace; leading/trailing whitespace gives no empty pieces.
            var pieces: [String] = []
            if fromRight {
                var end = source.count
                while true {
                    while end > 0 && isWhitespace(source[end - 1]) { end -= 1 }
                    if end == 0 { break }
                    if maxSplit >= 0 && pieces.count == maxSplit {
                        pieces.append(string(source[0..<end]))
                        break
                    }
                    var start = end
                    while start > 0 && !isWhitespace(source[start - 1]) { start -= 1 }
                    pieces.append(string(source[start..<end]))
                    end = start
                }
                return pieces.reversed()
            }
            var start = 0
            while true {
                while start < source.count && isWhitespace(source[start]) { start += 1 }
                if start == source.count { break }
                if maxSplit >= 0 && pieces.count == maxSplit {
                    pieces.append(string(source[start...]))
                    break
                }
                var end = start
                while end < source.count && !isWhitespace(source[end]) { end += 1 }
                pieces.append(string(source[start..<end]))
                start = end
            }
            return pieces
        }
        let separatorScalars = scalars(separator)
        guard !separatorScalars.isEmpty else { throw JinjaError.type("empty separator") }
        var positions = occurrences(of: separatorScalars, in: source)
        if fromRight {
            // Right-to-left matching differs from left-to-right only with overlapping separators.
            positions = rightOccurrences(of: separatorScalars, in: source)
            if maxSplit >= 0 && positions.count > maxSplit { positions = Array(positions.suffix(maxSplit)) }
        } else if maxSplit >= 0 && positions.count > maxSplit {
            positions = Array(positions.prefix(maxSplit))
        }
        var pieces: [String] = []
        var offset = 0
        for position in positions {
            pieces.append(string(source[offset..<position]))
            offset = position + separatorScalars.count
        }
        pieces.append(string(source[offset...]))
        return pieces
    }

    private static func rightOccurrences(of part: [Unicode.Scalar], in text: [Unicode.Scalar]) -> [Int] {
        guard text.count >= part.count else { return [] }
        var found: [Int] = []
        var offset = text.count - part.count
        while offset >= 0 {
            if text[offset..<(offset + part.count)].elementsEqual(part) {
                found.append(offset)
                offset -= part.count
            } else {
                offset -= 1
            }
        }
        return found.reversed()
    }

    /// `str.splitlines(keepends)`: splits at \n, \r, \r\n, \v, \f, \x1c-\x1e, \x85, \u2028, \u2029.
    static func splitLines(_ text: String, keepEnds: Bool = false) -> [String] {
        let source = scalars(text)
        var lines: [String] = []
        var start = 0
        var index = 0
        while index < source.count {
            let value = source[index].value
            let isBreak = [0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029].contains(value)
            if isBreak {
                var end = index + 1
                if value == 0x0D && end < source.count && source[end] == "\n" { end += 1 }
                lines.append(string(source[start..<(keepEnds ? end : index)]))
                start = end
                index = end
            } else {
                index += 1
            }
        }
        if start < source.count { lines.append(string(source[start...])) }
        return lines
    }

    static func upper(_ text: String) -> String {
        text.unicodeScalars.map(\.properties.uppercaseMapping).joined()
    }

    /// `str.lower()`: the full lowercase mapping, with Greek capital sigma becoming final
    /// sigma (ς) at the end of a word, as Python's `handle_capital_sigma` decides.
    static func lower(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        return scalars.indices.map { lowerScalar(at: $0, in: scalars) }.joined()
    }

    private static func lowerScalar(at index: Int, in scalars: [Unicode.Scalar]) -> String {
        let scalar = scalars[index]
        guard scalar == "\u{03A3}" else { return scalar.properties.lowercaseMapping }
        var before = index - 1
        while before >= 0 && scalars[before].properties.isCaseIgnorable { before -= 1 }
        var after = index + 1
        while after < scalars.count && scalars[after].properties.isCaseIgnorable { after += 1 }
        let isFinal = before >= 0 && scalars[before].properties.isCased
            && (after == scalars.count || !scalars[after].properties.isCased)
        return isFinal ? "\u{03C2}" : "\u{03C3}"
    }

    /// Python's "cased" for `str.title()`: an uppercase, lowercase or titlecase character.
    private static func isCased(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isLowercase || scalar.properties.isUppercase || scalar.properties.generalCategory == .titlecaseLetter
    }

    /// `str.title()`: a character after a cased one is lowercased, any other cased character
    /// titlecased ("they're" → "They'Re").
    static func title(_ text: String) -> String {
        var out = ""
        var previousCased = false
        let scalars = Array(text.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            if previousCased {
                out += lowerScalar(at: index, in: scalars)
            } else {
                out += scalar.properties.titlecaseMapping
            }
            previousCased = isCased(scalar)
        }
        return out
    }

    /// `str.capitalize()`: the first character titlecased, the rest lowercased.
    static func capitalize(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        return scalars.indices.map { $0 == 0 ? scalars[0].properties.titlecaseMapping : lowerScalar(at: $0, in: scalars) }
            .joined()
    }

    /// markupsafe's `escape`: `& < > " '` as entities.
    static func htmlEscape(_ text: String) -> String {
        var out = ""
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}
