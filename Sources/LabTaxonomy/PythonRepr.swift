import LabCore

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

    /// A Python `str` literal (`PythonStringLiteral`).
    static func repr(_ text: String) -> String { PythonStringLiteral.repr(text) }

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
}
