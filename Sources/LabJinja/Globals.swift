/// jinja2's default globals (`range`, `dict`, `namespace`; jinja2/defaults.py) and the two
/// Hugging Face adds for chat templates (`raise_exception`, `strftime_now`).
enum Globals {
    /// jinja2's sandbox refuses ranges longer than this (sandbox.MAX_RANGE).
    static let maximumRange = 100_000

    static func standard() -> [String: JinjaValue] {
        [
            "range": .function(JinjaFunction("range") { arguments, _ in try range(arguments) }),
            "dict": .function(JinjaFunction("dict") { arguments, _ in .dict(try dictionary(arguments, "dict")) }),
            "namespace": .function(JinjaFunction("namespace") { arguments, _ in
                .namespace(JinjaNamespace(try dictionary(arguments, "namespace")))
            }),
            "cycler": unsupported("cycler"),
            "joiner": unsupported("joiner"),
            "lipsum": unsupported("lipsum"),
        ]
    }

    private static func unsupported(_ name: String) -> JinjaValue {
        .function(JinjaFunction(name) { _, _ in throw JinjaError.unsupported("global function '\(name)'") })
    }

    /// `raise_exception(message)`: stops rendering with the template's own message.
    static func raiseException() -> JinjaValue {
        .function(JinjaFunction("raise_exception") { arguments, _ in
            let slots = try arguments.bind("raise_exception", ["message"], required: 1)
            throw JinjaError(.raised, try PythonText.str(slots[0]!))
        })
    }

    /// `strftime_now(format)`: `datetime.now().strftime(format)` for the given moment.
    static func strftimeNow(_ now: JinjaDateTime) -> JinjaValue {
        .function(JinjaFunction("strftime_now") { arguments, _ in
            let slots = try arguments.bind("strftime_now", ["format"], required: 1)
            guard let format = slots[0]!.stringValue else {
                throw JinjaError.type("strftime() argument 1 must be str, not \(slots[0]!.typeName)")
            }
            return .string(try PythonFormat.strftime(format, now))
        })
    }

    private static func range(_ arguments: CallArguments) throws -> JinjaValue {
        guard arguments.keywords.isEmpty else { throw JinjaError.type("range() takes no keyword arguments") }
        var bounds: [Int] = []
        for argument in arguments.positional {
            guard case .int(let number) = Operations.number(argument) else {
                throw JinjaError.type("'\(argument.typeName)' object cannot be interpreted as an integer")
            }
            bounds.append(number)
        }
        let (start, stop, step): (Int, Int, Int)
        switch bounds.count {
        case 1: (start, stop, step) = (0, bounds[0], 1)
        case 2: (start, stop, step) = (bounds[0], bounds[1], 1)
        case 3: (start, stop, step) = (bounds[0], bounds[1], bounds[2])
        default: throw JinjaError.type("range expected 1 to 3 arguments, got \(bounds.count)")
        }
        guard step != 0 else { throw JinjaError.type("range() arg 3 must not be zero") }
        let values = Array(stride(from: start, to: stop, by: step))
        guard values.count <= maximumRange else {
            throw JinjaError(.security, "Range too big. The sandbox blocks ranges larger than MAX_RANGE (\(maximumRange)).")
        }
        return .iterable(JinjaIterable(.range(start, stop, step), values.map { .int($0) }))
    }

    /// Python's `dict(mapping_or_pairs, **kwargs)`.
    private static func dictionary(_ arguments: CallArguments, _ name: String) throws -> JinjaDictionary {
        var result = JinjaDictionary()
        guard arguments.positional.count <= 1 else {
            throw JinjaError.type("\(name) expected at most 1 argument, got \(arguments.positional.count)")
        }
        if let source = arguments.positional.first {
            switch source {
            case .dict(let dictionary): result = dictionary
            case .namespace(let namespace): result = namespace.attributes
            default:
                for pair in try Operations.iterate(source) {
                    let parts = try Operations.iterate(pair)
                    guard parts.count == 2 else {
                        throw JinjaError.type("dictionary update sequence element has length \(parts.count); 2 is required")
                    }
                    try result.set(parts[1], for: parts[0])
                }
            }
        }
        for (key, value) in arguments.keywords { result[key] = value }
        return result
    }
}
