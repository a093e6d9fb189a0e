/// The tests of `value is name(args)`: jinja2's built-in tests (jinja2/tests.py, documented
/// under "List of Builtin Tests"), all of which are implemented.
enum Tests {
    /// Every built-in test name of jinja2 3.1 (what `is test` reports as existing).
    static let builtinNames: Set<String> = [
        "odd", "even", "divisibleby", "defined", "undefined", "filter", "test", "none", "boolean", "false", "true",
        "integer", "float", "lower", "upper", "string", "mapping", "number", "sequence", "iterable", "callable",
        "sameas", "escaped", "in", "==", "eq", "equalto", "!=", "ne", ">", "gt", "greaterthan", ">=", "ge", "<", "lt",
        "lessthan", "<=", "le",
    ]

    private static let comparisons: [String: ComparisonOperator] = [
        "==": .equal, "eq": .equal, "equalto": .equal, "!=": .notEqual, "ne": .notEqual,
        ">": .greater, "gt": .greater, "greaterthan": .greater, ">=": .greaterOrEqual, "ge": .greaterOrEqual,
        "<": .less, "lt": .less, "lessthan": .less, "<=": .lessOrEqual, "le": .lessOrEqual,
    ]

    static func apply(_ name: String, to value: JinjaValue, _ arguments: CallArguments, interpreter: Interpreter) throws -> Bool {
        if let comparison = comparisons[name] {
            let slots = try arguments.bind(name, ["other"], required: 1)
            return try Operations.compare(comparison, value, slots[0]!)
        }
        switch name {
        case "defined", "undefined":
            _ = try arguments.bind(name, [])
            return value.isUndefined == (name == "undefined")
        case "none":
            return value.isNone
        case "boolean":
            if case .bool = value { return true }
            return false
        case "true", "false":
            if case .bool(let flag) = value { return flag == (name == "true") }
            return false
        case "integer":
            if case .int = value { return true }
            return false
        case "float":
            if case .double = value { return true }
            return false
        case "number":
            return Operations.number(value) != nil
        case "string":
            return value.stringValue != nil
        case "mapping":
            if case .dict = value { return true }
            return false
        case "escaped":
            if case .markup = value { return true }
            return false
        case "iterable":
            switch value {
            case .undefined, .string, .markup, .list, .tuple, .dict, .iterable, .loop: return true
            default: return false
            }
        case "sequence":
            switch value {
            case .undefined, .string, .markup, .list, .tuple, .dict: return true
            case .iterable(let iterable):
                if case .range = iterable.kind { return true }
                return false
            default: return false
            }
        case "callable":
            switch value {
            case .macro, .function, .loop, .undefined: return true
            default: return false
            }
        case "lower", "upper":
            let text = try PythonText.str(value)
            let scalars = text.unicodeScalars
            guard scalars.contains(where: { $0.properties.isLowercase || $0.properties.isUppercase }) else { return false }
            return name == "lower"
                ? !scalars.contains { $0.properties.isUppercase } : !scalars.contains { $0.properties.isLowercase }
        case "odd", "even":
            let remainder = try Operations.binary(.modulo, value, .int(2))
            return Operations.equal(remainder, .int(name == "odd" ? 1 : 0))
        case "divisibleby":
            let slots = try arguments.bind(name, ["num"], required: 1)
            return Operations.equal(try Operations.binary(.modulo, value, slots[0]!), .int(0))
        case "in":
            let slots = try arguments.bind(name, ["seq"], required: 1)
            return try Operations.contains(slots[0]!, value)
        case "sameas":
            let slots = try arguments.bind(name, ["other"], required: 1)
            return try sameObject(value, slots[0]!)
        case "filter":
            return value.stringValue.map { Filters.builtinNames.contains($0) } ?? false
        case "test":
            return value.stringValue.map { builtinNames.contains($0) } ?? false
        default:
            throw JinjaError(.syntax, "no test named '\(name)'")
        }
    }

    /// Python's `is` where the answer does not depend on CPython's object caches.
    private static func sameObject(_ left: JinjaValue, _ right: JinjaValue) throws -> Bool {
        switch (left, right) {
        case (.none, .none): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.none, _), (_, .none), (.bool, _), (_, .bool): return false
        case (.namespace(let a), .namespace(let b)): return a === b
        case (.macro(let a), .macro(let b)): return a === b
        default:
            throw JinjaError.unsupported("test 'sameas' on \(left.typeName) values", detail: "Python's answer depends on object identity")
        }
    }
}
