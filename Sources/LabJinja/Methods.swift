/// Python methods templates call on values (`text.strip()`, `message.get('content')`), and
/// the attributes of `loop`. jinja2's sandbox lets templates call the methods of `str`, `dict`,
/// `list` that do not modify the object; the modifying ones (`append`, `pop`, `update`, …)
/// raise a `SecurityError` in the immutable sandbox Hugging Face uses.
enum Methods {
    private static func bound(_ name: String, _ body: @escaping (CallArguments) throws -> JinjaValue) -> JinjaValue {
        .function(JinjaFunction(name) { arguments, _ in try body(arguments) })
    }

    private static func refused(_ name: String, of type: String) -> JinjaValue {
        .function(JinjaFunction(name) { _, _ in
            throw JinjaError(.security, "access to attribute '\(name)' of '\(type)' object is unsafe.")
        })
    }

    // MARK: str

    private static let stringMethodNames: Set<String> = [
        "capitalize", "casefold", "center", "count", "encode", "endswith", "expandtabs", "find", "format", "format_map",
        "index", "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric",
        "isprintable", "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip", "maketrans", "partition",
        "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip", "split",
        "splitlines", "startswith", "strip", "swapcase", "title", "translate", "upper", "zfill",
    ]

    /// Text arguments of a method: `str` or `Markup` (Python also accepts only those).
    private static func text(_ value: JinjaValue?, _ method: String) throws -> String? {
        guard let value, !(value.isNone) else { return nil }
        guard let text = value.stringValue else {
            throw JinjaError.type("\(method)() argument must be str or None, not \(value.typeName)")
        }
        return text
    }

    private static func integer(_ value: JinjaValue?, _ method: String, default defaultValue: Int) throws -> Int {
        guard let value, !value.isNone else { return defaultValue }
        guard case .int(let number) = Operations.number(value) else {
            throw JinjaError.type("'\(value.typeName)' object cannot be interpreted as an integer")
        }
        return number
    }

    static func stringMethod(_ receiver: JinjaValue, _ name: String) throws -> JinjaValue? {
        guard let text = receiver.stringValue else { return nil }
        let isMarkup = receiver.isMarkup
        // Markup's string-returning methods return Markup and escape their text arguments.
        func wrap(_ result: String) -> JinjaValue { isMarkup ? .markup(result) : .string(result) }
        func escaped(_ argument: String?, _ value: JinjaValue?) -> String? {
            guard isMarkup, let argument, case .string? = value else { return argument }
            return PythonText.htmlEscape(argument)
        }
        switch name {
        case "strip", "lstrip", "rstrip":
            return bound(name) { arguments in
                let slots = try arguments.bind(name, ["chars"])
                let characters = escaped(try Self.text(slots[0], name), slots[0])
                return wrap(PythonText.strip(text, characters, leading: name != "rstrip", trailing: name != "lstrip"))
            }
        case "split", "rsplit":
            return bound(name) { arguments in
                let slots = try arguments.bind(name, ["sep", "maxsplit"])
                let pieces = try PythonText.split(
                    text, separator: escaped(try Self.text(slots[0], name), slots[0]),
                    maxSplit: try integer(slots[1], name, default: -1), fromRight: name == "rsplit")
                return .list(pieces.map(wrap))
            }
        case "splitlines":
            return bound(name) { arguments in
                let slots = try arguments.bind(name, ["keepends"])
                return .list(PythonText.splitLines(text, keepEnds: slots[0]?.isTruthy ?? false).map(wrap))
            }
        case "startswith", "endswith":
            return bound(name) { arguments in
                let slots = try arguments.bind(name, ["prefix", "start", "end"], required: 1)
                var candidates: [String] = []
                switch slots[0]! {
                case .tuple(let items):
                    for item in items {
                        guard let candidate = item.stringValue else {
                            throw JinjaError.type("tuple for \(name) must only contain str, not \(item.typeName)")
                        }
                        candidates.append(candidate)
                    }
                case let single:
                    guard let candidate = single.stringValue else {
                        throw JinjaError.type("\(name) first arg must be str or a tuple of str, not \(single.typeName)")
                    }
                    candidates = [candidate]
                }
                let scalars = PythonText.scalars(text)
                let (start, end) = sliceBounds(slots[1], slots[2], count: scalars.count)
                let window = start <= end ? Array(scalars[start..<end]) : []
                let hit = candidates.contains { candidate in
                    let part = PythonText.scalars(candidate)
                    guard start <= scalars.count else { return false }
                    return name == "startswith" ? window.starts(with: part) : window.reversed().starts(with: part.reversed())
                }
                return .bool(hit)
            }
        case "replace":
            return bound(name) { arguments in
                let slots = try arguments.bind(name, ["old", "new", "count"], required: 2)
                guard let old = slots[0]!.stringValue, let new = slots[1]!.stringValue else {
                    throw JinjaError.type("replace() arguments must be str")
                }
                return wrap(PythonText.replace(
                    text, escaped(old, slots[0]) ?? old, escaped(new, slots[1]) ?? new,
                    count: try integer(slots[2], name, default: -1)))
            }
        case "upper": return bound(name) { arguments in _ = try arguments.bind(name, []); return wrap(PythonText.upper(text)) }
        case "lower": return bound(name) { arguments in _ = try arguments.bind(name, []); return wrap(PythonText.lower(text)) }
        case "title": return bound(name) { arguments in _ = try arguments.bind(name, []); return wrap(PythonText.title(text)) }
        case "capitalize":
            return bound(name) { arguments in _ = try arguments.bind(name, []); return wrap(PythonText.capitalize(text)) }
        case "find", "rfind", "index", "rindex", "count":
            return bound(name) { arguments in
                let slots = try arguments.bind(name, ["sub", "start", "end"], required: 1)
                guard let part = slots[0]!.stringValue else {
                    throw JinjaError.type("must be str, not \(slots[0]!.typeName)")
                }
                let scalars = PythonText.scalars(text)
                let (start, end) = sliceBounds(slots[1], slots[2], count: scalars.count)
                let window = start <= end ? Array(scalars[start..<end]) : []
                let needle = PythonText.scalars(part)
                if name == "count" {
                    guard start <= scalars.count else { return .int(0) }
                    return .int(needle.isEmpty ? window.count + 1 : PythonText.occurrences(of: needle, in: window).count)
                }
                var found: Int?
                if start <= scalars.count {
                    if needle.isEmpty {
                        found = name.hasPrefix("r") ? window.count : 0
                    } else if window.count >= needle.count {
                        let offsets = Array(0...(window.count - needle.count)).filter {
                            window[$0..<($0 + needle.count)].elementsEqual(needle)
                        }
                        found = name.hasPrefix("r") ? offsets.last : offsets.first
                    }
                }
                if let found { return .int(found + start) }
                if name.hasSuffix("index") { throw JinjaError.type("substring not found") }
                return .int(-1)
            }
        case "join":
            return bound(name) { arguments in
                let slots = try arguments.bind(name, ["iterable"], required: 1)
                var pieces: [String] = []
                for (index, item) in try Operations.iterate(slots[0]!).enumerated() {
                    guard let piece = item.stringValue else {
                        throw JinjaError.type("sequence item \(index): expected str instance, \(item.typeName) found")
                    }
                    // Markup.join escapes the items that are not Markup.
                    if isMarkup, case .string = item { pieces.append(PythonText.htmlEscape(piece)) } else { pieces.append(piece) }
                }
                return wrap(pieces.joined(separator: text))
            }
        case "format":
            return bound(name) { arguments in wrap(try PythonFormat.format(text, arguments, escaping: isMarkup)) }
        case "isdigit", "isdecimal", "isnumeric", "isalpha", "isalnum", "isspace", "isupper", "islower":
            return bound(name) { arguments in
                _ = try arguments.bind(name, [])
                return .bool(try characterTest(name, text))
            }
        case "removeprefix", "removesuffix":
            return bound(name) { arguments in
                let slots = try arguments.bind(name, ["affix"], required: 1)
                guard let affix = slots[0]!.stringValue else { throw JinjaError.type("\(name)() argument must be str") }
                let scalars = PythonText.scalars(text)
                let part = PythonText.scalars(affix)
                if name == "removeprefix", scalars.starts(with: part) {
                    return wrap(PythonText.string(scalars.dropFirst(part.count)))
                }
                if name == "removesuffix", !part.isEmpty, scalars.reversed().starts(with: part.reversed()) {
                    return wrap(PythonText.string(scalars.dropLast(part.count)))
                }
                return wrap(text)
            }
        case "partition", "rpartition":
            return bound(name) { arguments in
                let slots = try arguments.bind(name, ["sep"], required: 1)
                guard let separator = slots[0]!.stringValue, !separator.isEmpty else {
                    throw JinjaError.type("empty separator")
                }
                let pieces = try PythonText.split(text, separator: separator, maxSplit: 1, fromRight: name == "rpartition")
                if pieces.count == 2 { return .tuple([wrap(pieces[0]), wrap(separator), wrap(pieces[1])]) }
                return name == "partition"
                    ? .tuple([wrap(text), wrap(""), wrap("")]) : .tuple([wrap(""), wrap(""), wrap(text)])
            }
        default:
            if stringMethodNames.contains(name) { throw JinjaError.unsupported("string method '\(name)'") }
            return nil
        }
    }

    /// Start and end of `text[start:end]` as Python resolves them for `find`, `startswith`, ….
    private static func sliceBounds(_ start: JinjaValue?, _ end: JinjaValue?, count: Int) -> (Int, Int) {
        func resolve(_ value: JinjaValue?, _ defaultValue: Int) -> Int {
            guard let value, case .int(var index) = Operations.number(value) else { return defaultValue }
            if index < 0 { index = max(index + count, 0) }
            return index
        }
        let resolvedStart = resolve(start, 0)
        return (resolvedStart, min(resolve(end, count), count))
    }

    private static func characterTest(_ name: String, _ text: String) throws -> Bool {
        let scalars = text.unicodeScalars
        guard !scalars.isEmpty else { return false }
        switch name {
        case "isdigit", "isdecimal":
            return scalars.allSatisfy { $0.properties.numericType == .decimal || (name == "isdigit" && $0.properties.numericType == .digit) }
        case "isnumeric": return scalars.allSatisfy { $0.properties.numericType != nil }
        case "isalpha": return scalars.allSatisfy { $0.properties.isAlphabetic && $0.properties.generalCategory.isLetter }
        case "isalnum":
            return scalars.allSatisfy { $0.properties.generalCategory.isLetter || $0.properties.numericType != nil }
        case "isspace": return scalars.allSatisfy(PythonText.isWhitespace)
        case "isupper", "islower":
            let cased = scalars.filter { $0.properties.isUppercase || $0.properties.isLowercase }
            guard !cased.isEmpty else { return false }
            return name == "isupper"
                ? !scalars.contains { $0.properties.isLowercase } : !scalars.contains { $0.properties.isUppercase }
        default: throw JinjaError.unsupported("string method '\(name)'")
        }
    }

    // MARK: dict

    private static let dictMutators: Set<String> = ["clear", "pop", "popitem", "setdefault", "update"]

    static func dictMethod(_ dictionary: JinjaDictionary, _ name: String) throws -> JinjaValue? {
        switch name {
        case "get":
            return bound(name) { arguments in
                let slots = try arguments.bind(name, ["key", "default"], required: 1)
                return try dictionary.value(for: slots[0]!) ?? slots[1] ?? .none
            }
        case "items":
            return bound(name) { arguments in
                _ = try arguments.bind(name, [])
                return .iterable(JinjaIterable(.dictView("dict_items"), dictionary.pairs.map { .tuple([$0.key, $0.value]) }))
            }
        case "keys":
            return bound(name) { arguments in
                _ = try arguments.bind(name, [])
                return .iterable(JinjaIterable(.dictView("dict_keys"), dictionary.keys))
            }
        case "values":
            return bound(name) { arguments in
                _ = try arguments.bind(name, [])
                return .iterable(JinjaIterable(.dictView("dict_values"), dictionary.values))
            }
        case "copy":
            return bound(name) { arguments in
                _ = try arguments.bind(name, [])
                return .dict(dictionary)
            }
        case "fromkeys":
            throw JinjaError.unsupported("dict method 'fromkeys'")
        default:
            return dictMutators.contains(name) ? refused(name, of: "dict") : nil
        }
    }

    // MARK: list and tuple

    private static let listMutators: Set<String> = ["append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort"]

    static func listMethod(_ items: [JinjaValue], _ name: String, isTuple: Bool) throws -> JinjaValue? {
        switch name {
        case "count":
            return bound(name) { arguments in
                let slots = try arguments.bind(name, ["value"], required: 1)
                return .int(items.filter { Operations.equal($0, slots[0]!) }.count)
            }
        case "index":
            return bound(name) { arguments in
                let slots = try arguments.bind(name, ["value"], required: 1)
                guard let index = items.firstIndex(where: { Operations.equal($0, slots[0]!) }) else {
                    throw JinjaError.type("\(try PythonText.repr(slots[0]!)) is not in \(isTuple ? "tuple" : "list")")
                }
                return .int(index)
            }
        case "copy" where !isTuple:
            return bound(name) { arguments in
                _ = try arguments.bind(name, [])
                return .list(items)
            }
        default:
            return !isTuple && listMutators.contains(name) ? refused(name, of: "list") : nil
        }
    }

    // MARK: loop

    /// `loop.index`, `loop.first`, … (jinja2's LoopContext).
    static func loopAttribute(_ loop: LoopContext, _ name: String) throws -> JinjaValue? {
        let count = loop.items.count
        let index0 = loop.index0
        switch name {
        case "index": return .int(index0 + 1)
        case "index0": return .int(index0)
        case "revindex": return .int(count - index0)
        case "revindex0": return .int(count - index0 - 1)
        case "first": return .bool(index0 == 0)
        case "last": return .bool(index0 == count - 1)
        case "length": return .int(count)
        case "depth": return .int(1)
        case "depth0": return .int(0)
        case "previtem":
            return index0 > 0 ? loop.items[index0 - 1] : .undefined(UndefinedReason("there is no previous item"))
        case "nextitem":
            return index0 + 1 < count ? loop.items[index0 + 1] : .undefined(UndefinedReason("there is no next item"))
        case "cycle":
            return bound(name) { arguments in
                guard !arguments.positional.isEmpty else { throw JinjaError.type("no items for cycling given") }
                return arguments.positional[index0 % arguments.positional.count]
            }
        case "changed":
            return bound(name) { arguments in
                let current = arguments.positional
                defer { loop.lastChanged = current }
                guard let last = loop.lastChanged else { return .bool(true) }
                return .bool(!(last.count == current.count && zip(last, current).allSatisfy { Operations.equal($0, $1) }))
            }
        default: return nil
        }
    }
}

extension JinjaValue {
    var isNone: Bool {
        if case .none = self { return true }
        return false
    }
}

extension Unicode.GeneralCategory {
    var isLetter: Bool {
        switch self {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: true
        default: false
        }
    }
}
