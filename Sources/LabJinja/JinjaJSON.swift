import Foundation

/// JSON in and out, matching Python's `json` module: `dumps` writes what `json.dumps` writes
/// (the `tojson` filter), `parse` reads JSON into values keeping key order and the int/float
/// distinction (`1` vs `1.0`), as `json.loads` does.
public enum JinjaJSON {
    // MARK: Writing

    /// Python's `json.dumps(value, ensure_ascii=…, indent=…, separators=…, sort_keys=…)`.
    static func dumps(
        _ value: JinjaValue, ensureASCII: Bool, indent: JinjaValue?, separators: JinjaValue?, sortKeys: Bool
    ) throws -> String {
        var indentation: String?
        switch indent {
        case nil, .none?: indentation = nil
        case .string(let text)?, .markup(let text)?: indentation = text
        case let other?:
            guard case .int(let width) = Operations.number(other) else {
                throw JinjaError.type("indent must be an int or a string, not \(other.typeName)")
            }
            indentation = String(repeating: " ", count: max(width, 0))
        }
        var itemSeparator = indentation == nil ? ", " : ","
        var keySeparator = ": "
        if let separators, !separators.isNone {
            let parts = try Operations.iterate(separators)
            guard parts.count == 2, let item = parts[0].stringValue, let key = parts[1].stringValue else {
                throw JinjaError.type("separators must be a (item_separator, key_separator) pair of strings")
            }
            itemSeparator = item
            keySeparator = key
        }
        var writer = Writer(
            ensureASCII: ensureASCII, indentation: indentation, itemSeparator: itemSeparator, keySeparator: keySeparator,
            sortKeys: sortKeys)
        try writer.write(value, depth: 0)
        return writer.output
    }

    private struct Writer {
        let ensureASCII: Bool
        let indentation: String?
        let itemSeparator: String
        let keySeparator: String
        let sortKeys: Bool
        var output = ""

        mutating func newline(_ depth: Int) {
            guard let indentation else { return }
            output += "\n" + String(repeating: indentation, count: depth)
        }

        mutating func write(_ value: JinjaValue, depth: Int) throws {
            switch value {
            case .none: output += "null"
            case .bool(let flag): output += flag ? "true" : "false"
            case .int(let number): output += String(number)
            case .double(let number):
                if number.isNaN {
                    output += "NaN"
                } else if number.isInfinite {
                    output += number < 0 ? "-Infinity" : "Infinity"
                } else {
                    output += PythonText.floatRepr(number)
                }
            case .string(let text), .markup(let text): output += JinjaJSON.quote(text, ensureASCII: ensureASCII)
            case .list(let items), .tuple(let items):
                guard !items.isEmpty else {
                    output += "[]"
                    return
                }
                output += "["
                for (index, item) in items.enumerated() {
                    if index > 0 { output += itemSeparator }
                    newline(depth + 1)
                    try write(item, depth: depth + 1)
                }
                newline(depth)
                output += "]"
            case .dict(let dictionary):
                guard !dictionary.isEmpty else {
                    output += "{}"
                    return
                }
                var pairs = dictionary.pairs
                if sortKeys { pairs = try pairs.sorted { try Operations.order($0.key, $1.key) < 0 } }
                output += "{"
                for (index, pair) in pairs.enumerated() {
                    if index > 0 { output += itemSeparator }
                    newline(depth + 1)
                    output += JinjaJSON.quote(try keyText(pair.key), ensureASCII: ensureASCII) + keySeparator
                    try write(pair.value, depth: depth + 1)
                }
                newline(depth)
                output += "}"
            default:
                throw JinjaError.type("Object of type \(value.typeName) is not JSON serializable")
            }
        }
    }

    /// The text of a dict key in JSON: json.dumps converts int, float, bool and None keys.
    private static func keyText(_ key: JinjaValue) throws -> String {
        switch key {
        case .string(let text), .markup(let text): return text
        case .int(let number): return String(number)
        case .double(let number):
            if number.isNaN { return "NaN" }
            if number.isInfinite { return number < 0 ? "-Infinity" : "Infinity" }
            return PythonText.floatRepr(number)
        case .bool(let flag): return flag ? "true" : "false"
        case .none: return "null"
        default: throw JinjaError.type("keys must be str, int, float, bool or None, not \(key.typeName)")
        }
    }

    /// A JSON string literal as Python writes it: `\" \\ \n \r \t \b \f`, other control
    /// characters as `\u00XX`; with `ensureASCII` every non-ASCII character as `\uXXXX`
    /// (surrogate pairs above U+FFFF).
    static func quote(_ text: String, ensureASCII: Bool) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || (ensureASCII && scalar.value > 0x7E) {
                    if scalar.value > 0xFFFF {
                        let offset = scalar.value - 0x10000
                        out += String(format: "\\u%04x\\u%04x", 0xD800 + (offset >> 10), 0xDC00 + (offset & 0x3FF))
                    } else {
                        out += String(format: "\\u%04x", scalar.value)
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    // MARK: Reading

    /// Where and why JSON text could not be read.
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var line: Int
        public var column: Int

        public var description: String { "\(message) at line \(line), column \(column)" }
    }

    /// Reads JSON text: objects become dicts with their key order, integers `int`, numbers with a
    /// fraction or exponent `float`, as Python's `json.loads` does.
    public static func parse(_ text: String) throws -> JinjaValue {
        var reader = Reader(scalars: Array(text.unicodeScalars))
        reader.skipWhitespace()
        let value = try reader.value()
        reader.skipWhitespace()
        guard reader.offset == reader.scalars.count else { throw reader.failure("unexpected text after the JSON value") }
        return value
    }

    private struct Reader {
        let scalars: [Unicode.Scalar]
        var offset = 0

        func failure(_ message: String) -> ParseError {
            var line = 1
            var column = 1
            for scalar in scalars[0..<min(offset, scalars.count)] {
                if scalar == "\n" {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
            }
            return ParseError(message: message, line: line, column: column)
        }

        var current: Unicode.Scalar? { offset < scalars.count ? scalars[offset] : nil }

        mutating func skipWhitespace() {
            while let scalar = current, scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" { offset += 1 }
        }

        mutating func expect(_ literal: String) throws {
            for scalar in literal.unicodeScalars {
                guard current == scalar else { throw failure("expected '\(literal)'") }
                offset += 1
            }
        }

        mutating func value() throws -> JinjaValue {
            guard let scalar = current else { throw failure("unexpected end of input, expected a value") }
            switch scalar {
            case "{": return try object()
            case "[": return try array()
            case "\"": return .string(try string())
            case "t":
                try expect("true")
                return .bool(true)
            case "f":
                try expect("false")
                return .bool(false)
            case "n":
                try expect("null")
                return .none
            case "-", "0"..."9": return try number()
            default: throw failure("unexpected character '\(scalar)', expected a value")
            }
        }

        mutating func object() throws -> JinjaValue {
            offset += 1
            var dictionary = JinjaDictionary()
            skipWhitespace()
            if current == "}" {
                offset += 1
                return .dict(dictionary)
            }
            while true {
                skipWhitespace()
                guard current == "\"" else { throw failure("expected a string key in double quotes") }
                let key = try string()
                skipWhitespace()
                guard current == ":" else { throw failure("expected ':' after an object key") }
                offset += 1
                skipWhitespace()
                dictionary[key] = try value()
                skipWhitespace()
                switch current {
                case ",": offset += 1
                case "}":
                    offset += 1
                    return .dict(dictionary)
                default: throw failure("expected ',' or '}' in an object")
                }
            }
        }

        mutating func array() throws -> JinjaValue {
            offset += 1
            var items: [JinjaValue] = []
            skipWhitespace()
            if current == "]" {
                offset += 1
                return .list(items)
            }
            while true {
                skipWhitespace()
                items.append(try value())
                skipWhitespace()
                switch current {
                case ",": offset += 1
                case "]":
                    offset += 1
                    return .list(items)
                default: throw failure("expected ',' or ']' in an array")
                }
            }
        }

        mutating func hexQuad() throws -> UInt32 {
            guard offset + 4 <= scalars.count else { throw failure("truncated \\u escape") }
            let digits = PythonText.string(scalars[offset..<(offset + 4)])
            guard digits.allSatisfy(\.isHexDigit), let code = UInt32(digits, radix: 16) else {
                throw failure("invalid \\u escape")
            }
            offset += 4
            return code
        }

        mutating func string() throws -> String {
            offset += 1
            var text = String.UnicodeScalarView()
            while true {
                guard let scalar = current else { throw failure("unterminated string") }
                offset += 1
                switch scalar {
                case "\"": return String(text)
                case "\\":
                    guard let escaped = current else { throw failure("unterminated string") }
                    offset += 1
                    switch escaped {
                    case "\"": text.append("\"")
                    case "\\": text.append("\\")
                    case "/": text.append("/")
                    case "b": text.append("\u{08}")
                    case "f": text.append("\u{0C}")
                    case "n": text.append("\n")
                    case "r": text.append("\r")
                    case "t": text.append("\t")
                    case "u":
                        var code = try hexQuad()
                        if (0xD800..<0xDC00).contains(code), current == "\\", scalars[safe: offset + 1] == "u" {
                            let saved = offset
                            offset += 2
                            let low = try hexQuad()
                            if (0xDC00..<0xE000).contains(low) {
                                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                offset = saved
                            }
                        }
                        guard let decoded = Unicode.Scalar(code) else {
                            throw failure("unpaired surrogate \\u\(String(code, radix: 16)) (not representable)")
                        }
                        text.append(decoded)
                    default: throw failure("invalid escape '\\\(escaped)'")
                    }
                default:
                    guard scalar.value >= 0x20 else { throw failure("control character in a string (escape it)") }
                    text.append(scalar)
                }
            }
        }

        mutating func number() throws -> JinjaValue {
            let start = offset
            if current == "-" { offset += 1 }
            guard let first = current, ("0"..."9").contains(first) else { throw failure("expected a digit") }
            if first == "0" {
                offset += 1
            } else {
                while let scalar = current, ("0"..."9").contains(scalar) { offset += 1 }
            }
            var isFloat = false
            if current == "." {
                isFloat = true
                offset += 1
                guard let scalar = current, ("0"..."9").contains(scalar) else { throw failure("expected a digit after '.'") }
                while let scalar = current, ("0"..."9").contains(scalar) { offset += 1 }
            }
            if current == "e" || current == "E" {
                isFloat = true
                offset += 1
                if current == "+" || current == "-" { offset += 1 }
                guard let scalar = current, ("0"..."9").contains(scalar) else { throw failure("expected a digit in the exponent") }
                while let scalar = current, ("0"..."9").contains(scalar) { offset += 1 }
            }
            let text = PythonText.string(scalars[start..<offset])
            if !isFloat, let integer = Int(text) { return .int(integer) }
            guard let double = Double(text) else { throw failure("invalid number '\(text)'") }
            return .double(double)
        }
    }
}
