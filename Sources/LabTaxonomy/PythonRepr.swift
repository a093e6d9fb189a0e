/// Values written as Python's `repr()` writes them, because InstructLab's messages come from
/// jsonschema, which formats the offending value with `%r` (`5 is not of type 'string'`,
/// `['a', 'a'] has non-unique elements`).
enum PythonRepr {
    static func repr(_ value: YAMLValue) -> String {
        switch value.kind {
        case .string(let text): return repr(text)
        case .integer(let number): return String(number)
        case .number(let number): return repr(number)
        case .bool(let flag): return flag ? "True" : "False"
        case .null: return "None"
        case .timestamp(let text): return timestampRepr(text)
        case .sequence(let items): return "[" + items.map(repr).joined(separator: ", ") + "]"
        case .mapping(let pairs):
            return "{" + pairs.map { repr($0.key) + ": " + repr($0.value) }.joined(separator: ", ") + "}"
        }
    }

    /// A Python `str` literal: single quotes unless the text holds `'` and no `"`; control
    /// and other non-printable characters escaped as `\n`, `\xNN`, `\uNNNN`.
    static func repr(_ text: String) -> String {
        let quote: Character = text.contains("'") && !text.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(scalar) == quote {
                    out += "\\" + String(quote)
                } else if isPrintable(scalar) {
                    out.unicodeScalars.append(scalar)
                } else {
                    out += escape(scalar)
                }
            }
        }
        out.append(quote)
        return out
    }

    /// Python's float repr for the common cases: `1.5`, `100.0`, `inf`, `nan`.
    static func repr(_ number: Double) -> String {
        if number.isNaN { return "nan" }
        if number.isInfinite { return number < 0 ? "-inf" : "inf" }
        // Swift and Python both print the shortest text that reads back as the same double,
        // switching to exponent form from 1e16 on.
        return "\(number)"
    }

    /// PyYAML builds `datetime.date` for a bare date and `datetime.datetime` otherwise.
    private static func timestampRepr(_ text: String) -> String {
        let parts = text.split(separator: "-", maxSplits: 2)
        if parts.count == 3, text.count <= 10, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) {
            return "datetime.date(\(year), \(month), \(day))"
        }
        return "datetime.datetime(\(repr(text)))"
    }

    /// Python's `str.isprintable` per scalar: everything but categories Cc, Cf, Cs, Co, Cn, Zl,
    /// Zp and Zs other than the ASCII space.
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == " " { return true }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }

    private static func escape(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16)
        switch scalar.value {
        case ..<0x100: return "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
        case ..<0x10000: return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: return "\\U" + String(repeating: "0", count: 8 - hex.count) + hex
        }
    }
}
