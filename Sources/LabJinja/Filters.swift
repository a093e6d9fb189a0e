import Foundation

/// The filters of `value|name(args)`: jinja2's built-in filters (jinja2/filters.py, documented
/// under "List of Builtin Filters") with `autoescape` off, plus Hugging Face's `tojson`
/// (`json.dumps` with `ensure_ascii=False`; chat_template_utils.py). A jinja2 filter that is not
/// implemented here is an `unsupported` error when it runs, never an approximation.
enum Filters {
    /// Every built-in filter name of jinja2 3.1.
    static let builtinNames: Set<String> = [
        "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape",
        "filesizeformat", "first", "float", "forceescape", "format", "groupby", "indent", "int", "join", "last",
        "length", "list", "lower", "items", "map", "min", "max", "pprint", "random", "reject", "rejectattr", "replace",
        "reverse", "round", "safe", "select", "selectattr", "slice", "sort", "string", "striptags", "sum", "title",
        "trim", "truncate", "unique", "upper", "urlencode", "urlize", "wordcount", "wordwrap", "xmlattr", "tojson",
    ]

    static func apply(_ name: String, to value: JinjaValue, _ arguments: CallArguments, interpreter: Interpreter) throws -> JinjaValue {
        switch name {
        case "abs":
            _ = try arguments.bind(name, [])
            switch Operations.number(value) {
            case .int(let number)?:
                guard number != Int.min else { throw JinjaError.unsupported("integer arithmetic beyond 64 bits") }
                return .int(abs(number))
            case .double(let number)?: return .double(abs(number))
            case nil: throw JinjaError.type("bad operand type for abs(): '\(value.typeName)'")
            }
        case "attr":
            let slots = try arguments.bind(name, ["name"], required: 1)
            let attribute = try PythonText.str(slots[0]!)
            if case .namespace(let namespace) = value, let found = namespace.attributes[attribute] { return found }
            return try Operations.realAttribute(of: value, attribute)
                ?? .undefined(UndefinedReason("'\(value.typeName) object' has no attribute '\(attribute)'"))
        case "batch":
            let slots = try arguments.bind(name, ["linecount", "fill_with"], required: 1)
            guard case .int(let size) = Operations.number(slots[0]!), size > 0 else {
                throw JinjaError.type("batch size must be a positive integer")
            }
            let items = try Operations.iterate(value)
            var batches: [JinjaValue] = []
            var start = 0
            while start < items.count {
                var batch = Array(items[start..<min(start + size, items.count)])
                if batch.count < size, let fill = slots[1], !fill.isNone {
                    batch += Array(repeating: fill, count: size - batch.count)
                }
                batches.append(.list(batch))
                start += size
            }
            return .iterable(JinjaIterable(.generator("do_batch"), batches))
        case "capitalize":
            _ = try arguments.bind(name, [])
            return sameKind(value, PythonText.capitalize(try PythonText.str(value)))
        case "center":
            let slots = try arguments.bind(name, ["width"])
            let text = try PythonText.str(value)
            let width = try integer(slots[0], default: 80)
            let length = PythonText.length(text)
            guard width > length else { return sameKind(value, text) }
            // CPython's padding split (unicodeobject.c, pad): left = margin / 2 + (margin & width & 1).
            let total = width - length
            let left = total / 2 + (total & width & 1)
            return sameKind(value, String(repeating: " ", count: left) + text + String(repeating: " ", count: total - left))
        case "count", "length":
            _ = try arguments.bind(name, [])
            return .int(try Operations.length(value))
        case "d", "default":
            let slots = try arguments.bind(name, ["default_value", "boolean"])
            let useDefault = value.isUndefined || ((slots[1]?.isTruthy ?? false) && !value.isTruthy)
            return useDefault ? (slots[0] ?? .string("")) : value
        case "dictsort":
            let slots = try arguments.bind(name, ["case_sensitive", "by", "reverse"])
            guard case .dict(let dictionary) = value else {
                if case .undefined = value { throw value.undefinedError() }
                throw JinjaError.type("'\(value.typeName)' object has no attribute 'items'")
            }
            let caseSensitive = slots[0]?.isTruthy ?? false
            let by = try slots[1].map { try PythonText.str($0) } ?? "key"
            guard by == "key" || by == "value" else {
                throw JinjaError.type("You can only sort by either \"key\" or \"value\"")
            }
            let pairs = dictionary.pairs.map { JinjaValue.tuple([$0.key, $0.value]) }
            let sorted = try stableSort(pairs, reverse: slots[2]?.isTruthy ?? false) { pair in
                guard case .tuple(let parts) = pair else { return pair }
                let key = parts[by == "key" ? 0 : 1]
                return caseSensitive ? key : ignoringCase(key)
            }
            return .list(sorted)
        case "e", "escape":
            _ = try arguments.bind(name, [])
            if case .markup = value { return value }
            return .markup(PythonText.htmlEscape(try PythonText.str(value)))
        case "forceescape":
            _ = try arguments.bind(name, [])
            return .markup(PythonText.htmlEscape(try PythonText.str(value)))
        case "first":
            _ = try arguments.bind(name, [])
            let first: JinjaValue? = if case .iterable(let iterable) = value { iterable.next() } else { try Operations.iterate(value).first }
            return first ?? .undefined(UndefinedReason("No first item, sequence was empty."))
        case "last":
            _ = try arguments.bind(name, [])
            switch value {
            case .iterable(let iterable) where iterable.isGenerator:
                throw JinjaError.type("'generator' object is not reversible")
            default: break
            }
            return try Operations.iterate(value).last ?? .undefined(UndefinedReason("No last item, sequence was empty."))
        case "float":
            let slots = try arguments.bind(name, ["default"])
            return try toFloat(value) ?? slots[0] ?? .double(0)
        case "format":
            guard arguments.positional.isEmpty || arguments.keywords.isEmpty else {
                throw JinjaError.type("can't handle positional and keyword arguments at the same time")
            }
            let format = try PythonText.str(value)
            let operand: JinjaValue = arguments.keywords.isEmpty
                ? .tuple(arguments.positional) : .dict(JinjaDictionary(arguments.keywords.map { ($0.name, $0.value) }))
            return sameKind(value, try PythonFormat.percent(format, operand, escaping: value.isMarkup))
        case "indent":
            let slots = try arguments.bind(name, ["width", "first", "blank"])
            return try indent(value, width: slots[0], first: slots[1]?.isTruthy ?? false, blank: slots[2]?.isTruthy ?? false)
        case "int":
            let slots = try arguments.bind(name, ["default", "base"])
            return try toInt(value, base: try integer(slots[1], default: 10)) ?? slots[0] ?? .int(0)
        case "items":
            _ = try arguments.bind(name, [])
            switch value {
            case .undefined: return .iterable(JinjaIterable(.generator("do_items"), []))
            case .dict(let dictionary):
                return .iterable(JinjaIterable(.generator("do_items"), dictionary.pairs.map { .tuple([$0.key, $0.value]) }))
            default: throw JinjaError.type("Can only get item pairs from a mapping.")
            }
        case "join":
            let slots = try arguments.bind(name, ["d", "attribute"])
            var items = try Operations.iterate(value)
            if let attribute = slots[1], !attribute.isNone {
                let getter = try attributeGetter(attribute)
                items = try items.map(getter)
            }
            let separator = try slots[0].map { try PythonText.str($0) } ?? ""
            return .string(try items.map { try PythonText.str($0) }.joined(separator: separator))
        case "list":
            _ = try arguments.bind(name, [])
            return .list(try Operations.iterate(value))
        case "lower":
            _ = try arguments.bind(name, [])
            return sameKind(value, PythonText.lower(try PythonText.str(value)))
        case "upper":
            _ = try arguments.bind(name, [])
            return sameKind(value, PythonText.upper(try PythonText.str(value)))
        case "map":
            return .iterable(JinjaIterable(.generator("sync_do_map"), try map(value, arguments, interpreter: interpreter)))
        case "min", "max":
            let slots = try arguments.bind(name, ["case_sensitive", "attribute"])
            let items = try Operations.iterate(value)
            guard !items.isEmpty else { return .undefined(UndefinedReason("No aggregated item, sequence was empty.")) }
            let caseSensitive = slots[0]?.isTruthy ?? false
            let getter = try slots[1].flatMap { $0.isNone ? nil : try attributeGetter($0) }
            func key(_ item: JinjaValue) throws -> JinjaValue {
                let picked = try getter?(item) ?? item
                return caseSensitive ? picked : ignoringCase(picked)
            }
            var best = items[0]
            var bestKey = try key(best)
            for item in items.dropFirst() {
                let itemKey = try key(item)
                let ordering = try Operations.order(itemKey, bestKey)
                if name == "min" ? ordering < 0 : ordering > 0 {
                    best = item
                    bestKey = itemKey
                }
            }
            return best
        case "reject", "select", "rejectattr", "selectattr":
            let kept = try select(value, arguments, byAttribute: name.hasSuffix("attr"), keep: name.hasPrefix("select"), interpreter: interpreter)
            return .iterable(JinjaIterable(.generator("select_or_reject"), kept))
        case "replace":
            let slots = try arguments.bind(name, ["old", "new", "count"], required: 2)
            let count = try integer(slots[2], default: -1)
            return .string(PythonText.replace(
                try PythonText.str(value), try PythonText.str(slots[0]!), try PythonText.str(slots[1]!), count: count))
        case "reverse":
            _ = try arguments.bind(name, [])
            switch value {
            case .string(let text): return .string(PythonText.string(PythonText.scalars(text).reversed()))
            case .markup(let text): return .markup(PythonText.string(PythonText.scalars(text).reversed()))
            case .iterable(let iterable) where iterable.isGenerator:
                return .list(iterable.iterate().reversed())
            default:
                return .iterable(JinjaIterable(.generator("reversed"), try Operations.iterate(value).reversed()))
            }
        case "round":
            let slots = try arguments.bind(name, ["precision", "method"])
            return try round(value, precision: try integer(slots[0], default: 0), method: try slots[1].map { try PythonText.str($0) } ?? "common")
        case "safe":
            _ = try arguments.bind(name, [])
            return .markup(try PythonText.str(value))
        case "sort":
            let slots = try arguments.bind(name, ["reverse", "case_sensitive", "attribute"])
            let caseSensitive = slots[1]?.isTruthy ?? false
            let getter = try slots[2].flatMap { $0.isNone ? nil : try attributeGetter($0) }
            let sorted = try stableSort(try Operations.iterate(value), reverse: slots[0]?.isTruthy ?? false) { item in
                let picked = try getter?(item) ?? item
                return caseSensitive ? picked : ignoringCase(picked)
            }
            return .list(sorted)
        case "string":
            _ = try arguments.bind(name, [])
            if case .markup = value { return value }
            return .string(try PythonText.str(value))
        case "sum":
            let slots = try arguments.bind(name, ["attribute", "start"])
            var items = try Operations.iterate(value)
            if let attribute = slots[0], !attribute.isNone {
                let getter = try attributeGetter(attribute)
                items = try items.map(getter)
            }
            var total = slots[1] ?? .int(0)
            if total.stringValue != nil { throw JinjaError.type("sum() can't sum strings [use ''.join(seq) instead]") }
            for item in items { total = try Operations.binary(.add, total, item) }
            return total
        case "title":
            _ = try arguments.bind(name, [])
            return sameKind(value, title(try PythonText.str(value)))
        case "tojson":
            let slots = try arguments.bind(name, ["ensure_ascii", "indent", "separators", "sort_keys"])
            return .string(try JinjaJSON.dumps(
                value, ensureASCII: slots[0]?.isTruthy ?? false, indent: slots[1], separators: slots[2],
                sortKeys: slots[3]?.isTruthy ?? false))
        case "trim":
            let slots = try arguments.bind(name, ["chars"])
            let characters = try slots[0].flatMap { $0.isNone ? nil : try PythonText.str($0) }
            return sameKind(value, PythonText.strip(try PythonText.str(value), characters, leading: true, trailing: true))
        case "unique":
            let slots = try arguments.bind(name, ["case_sensitive", "attribute"])
            let caseSensitive = slots[0]?.isTruthy ?? false
            let getter = try slots[1].flatMap { $0.isNone ? nil : try attributeGetter($0) }
            var seen: [JinjaValue] = []
            var kept: [JinjaValue] = []
            for item in try Operations.iterate(value) {
                var key = try getter?(item) ?? item
                if !caseSensitive { key = ignoringCase(key) }
                try Operations.requireHashable(key)
                if !seen.contains(where: { Operations.equal($0, key) }) {
                    seen.append(key)
                    kept.append(item)
                }
            }
            return .iterable(JinjaIterable(.generator("sync_do_unique"), kept))
        case "wordcount":
            _ = try arguments.bind(name, [])
            var count = 0
            var inWord = false
            for scalar in try PythonText.str(value).unicodeScalars {
                let isWordCharacter = scalar == "_" || scalar.properties.generalCategory.isLetter || scalar.properties.numericType != nil
                if isWordCharacter && !inWord { count += 1 }
                inWord = isWordCharacter
            }
            return .int(count)
        default:
            if builtinNames.contains(name) { throw JinjaError.unsupported("filter '\(name)'") }
            throw JinjaError(.syntax, "no filter named '\(name)'")
        }
    }

    // MARK: Helpers

    /// A `str` result, or `Markup` when the input was Markup (markupsafe keeps the type).
    private static func sameKind(_ input: JinjaValue, _ text: String) -> JinjaValue {
        if case .markup = input { return .markup(text) }
        return .string(text)
    }

    private static func integer(_ value: JinjaValue?, default defaultValue: Int) throws -> Int {
        guard let value, !value.isNone else { return defaultValue }
        guard case .int(let number) = Operations.number(value) else {
            throw JinjaError.type("'\(value.typeName)' object cannot be interpreted as an integer")
        }
        return number
    }

    /// jinja2's `ignore_case`: strings lowercased for comparing.
    private static func ignoringCase(_ value: JinjaValue) -> JinjaValue {
        switch value {
        case .string(let text), .markup(let text): .string(PythonText.lower(text))
        default: value
        }
    }

    /// Python's `sorted(items, key=key, reverse=reverse)`: stable, with `reverse` keeping the
    /// original order of equal items.
    private static func stableSort(
        _ items: [JinjaValue], reverse: Bool, key: (JinjaValue) throws -> JinjaValue
    ) throws -> [JinjaValue] {
        let keyed = try items.enumerated().map { (offset: $0.offset, key: try key($0.element), item: $0.element) }
        let sorted = try keyed.sorted { a, b in
            let ordering = try Operations.order(reverse ? b.key : a.key, reverse ? a.key : b.key)
            return ordering != 0 ? ordering < 0 : a.offset < b.offset
        }
        return sorted.map(\.item)
    }

    /// jinja2's `make_attrgetter`: `"a.b.0"` looks up `a`, then `b`, then item 0, each with
    /// `getitem` semantics.
    static func attributeGetter(_ attribute: JinjaValue, default defaultValue: JinjaValue? = nil) throws -> (JinjaValue) throws -> JinjaValue {
        let parts: [JinjaValue]
        switch attribute {
        case .string(let text), .markup(let text):
            parts = text.split(separator: ".", omittingEmptySubsequences: false).map { part in
                Int(part).map { JinjaValue.int($0) } ?? .string(String(part))
            }
        case .int: parts = [attribute]
        default: parts = [attribute]
        }
        return { item in
            var current = item
            for part in parts {
                current = try Operations.item(of: current, part)
                if let defaultValue, current.isUndefined { current = defaultValue }
            }
            return current
        }
    }

    private static func map(_ value: JinjaValue, _ arguments: CallArguments, interpreter: Interpreter) throws -> [JinjaValue] {
        // jinja2 maps (and selects) nothing when the value is false: `none|map(…)` is empty.
        guard value.isTruthy else { return [] }
        let items = try Operations.iterate(value)
        if arguments.positional.isEmpty, let attributeIndex = arguments.keywords.firstIndex(where: { $0.name == "attribute" }) {
            var keywords = arguments.keywords
            let attribute = keywords.remove(at: attributeIndex).value
            var defaultValue: JinjaValue?
            if let defaultIndex = keywords.firstIndex(where: { $0.name == "default" }) {
                defaultValue = keywords.remove(at: defaultIndex).value
            }
            if let unexpected = keywords.first {
                throw JinjaError.type("Unexpected keyword argument '\(unexpected.name)'")
            }
            let getter = try attributeGetter(attribute, default: defaultValue.flatMap { $0.isNone ? nil : $0 })
            return try items.map(getter)
        }
        guard let filterName = arguments.positional.first?.stringValue else {
            throw JinjaError.type("map requires a filter argument")
        }
        let rest = CallArguments(positional: Array(arguments.positional.dropFirst()), keywords: arguments.keywords)
        return try items.map { try apply(filterName, to: $0, rest, interpreter: interpreter) }
    }

    private static func select(
        _ value: JinjaValue, _ arguments: CallArguments, byAttribute: Bool, keep: Bool, interpreter: Interpreter
    ) throws -> [JinjaValue] {
        guard value.isTruthy else { return [] }
        var positional = arguments.positional
        var getter: ((JinjaValue) throws -> JinjaValue)?
        if byAttribute {
            guard !positional.isEmpty else { throw JinjaError.type("Missing parameter for attribute name") }
            getter = try attributeGetter(positional.removeFirst())
        }
        let test: (JinjaValue) throws -> Bool
        if let testName = positional.first {
            let name = try PythonText.str(testName)
            let testArguments = CallArguments(positional: Array(positional.dropFirst()), keywords: arguments.keywords)
            test = { try Tests.apply(name, to: $0, testArguments, interpreter: interpreter) }
        } else {
            test = { $0.isTruthy }
        }
        return try Operations.iterate(value).filter { item in
            try test(try getter?(item) ?? item) == keep
        }
    }

    /// jinja2's `title` filter: each piece between `-`, whitespace and opening brackets gets an
    /// uppercase first character and lowercase rest.
    private static func title(_ text: String) -> String {
        var out = ""
        var piece = ""
        var pieceIsSeparator = false
        func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
            PythonText.isWhitespace(scalar) || "-({[<".unicodeScalars.contains(scalar)
        }
        func flush() {
            guard !piece.isEmpty else { return }
            var scalars = piece.unicodeScalars.makeIterator()
            let first = scalars.next()!
            out += PythonText.upper(String(first))
            out += PythonText.lower(String(String.UnicodeScalarView(Array(IteratorSequence(scalars)))))
            piece = ""
        }
        for scalar in text.unicodeScalars {
            let separator = isSeparator(scalar)
            if separator != pieceIsSeparator { flush() }
            pieceIsSeparator = separator
            piece.unicodeScalars.append(scalar)
        }
        flush()
        return out
    }

    /// jinja2's `indent`: every line but the first (and blank lines only with `blank`) gets the
    /// indentation; `first` indents the first line too.
    private static func indent(_ value: JinjaValue, width: JinjaValue?, first: Bool, blank: Bool) throws -> JinjaValue {
        if case .undefined = value { throw value.undefinedError() }
        guard let text = value.stringValue else {
            throw JinjaError.type("unsupported operand type(s) for +=: '\(value.typeName)' and 'str'")
        }
        let indentation: String
        switch width {
        case nil, .none?: indentation = "    "
        case .string(let text)?, .markup(let text)?: indentation = text
        case let other?: indentation = String(repeating: " ", count: max(try integer(other, default: 4), 0))
        }
        // jinja2 appends a newline before splitting so a trailing newline survives.
        let lines = PythonText.splitLines(text + "\n")
        var result: String
        if blank {
            result = lines.joined(separator: "\n" + indentation)
        } else {
            result = lines.first ?? ""
            let rest = lines.dropFirst()
            if !rest.isEmpty {
                result += "\n" + rest.map { $0.isEmpty ? $0 : indentation + $0 }.joined(separator: "\n")
            }
        }
        if first { result = indentation + result }
        return sameKind(value, result)
    }

    /// jinja2's `int`: `int(value)`, for text `int(text, base)`, then `int(float(value))`;
    /// nil (the default) when neither works.
    private static func toInt(_ value: JinjaValue, base: Int) throws -> JinjaValue? {
        switch value {
        case .int: return value
        case .bool(let flag): return .int(flag ? 1 : 0)
        case .double(let number):
            guard number.isFinite else {
                if number.isNaN { throw JinjaError.type("cannot convert float NaN to integer") }
                throw JinjaError.type("cannot convert float infinity to integer")
            }
            guard let integer = Int(exactly: number.rounded(.towardZero)) else {
                throw JinjaError.unsupported("integer beyond 64 bits")
            }
            return .int(integer)
        case .string(let text), .markup(let text):
            if let integer = parseInteger(text, base: base) { return .int(integer) }
            if case .double(let number)? = try toFloat(value) { return try toInt(.double(number), base: base) }
            return nil
        case .undefined:
            throw value.undefinedError()
        default:
            return nil
        }
    }

    /// Python's `int(text, base)`: surrounding whitespace, a sign, `_` between digits, and
    /// the `0x`/`0o`/`0b` prefix of the base (any of them with base 0); nil where it raises.
    private static func parseInteger(_ text: String, base: Int) -> Int? {
        var digits = Substring(PythonText.strip(text, nil, leading: true, trailing: true))
        var negative = false
        if let sign = digits.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        var radix = base
        let lowered = digits.lowercased()
        for (prefix, prefixRadix) in [("0x", 16), ("0o", 8), ("0b", 2)] where lowered.hasPrefix(prefix) {
            if base == 0 || base == prefixRadix {
                radix = prefixRadix
                digits = digits.dropFirst(2)
                if digits.first == "_" { digits = digits.dropFirst() }
            }
        }
        if radix == 0 {
            // Base 0 without a prefix: decimal, and no leading zeros except for zero itself.
            radix = 10
            if digits.count > 1, digits.first == "0", digits.contains(where: { $0 != "0" && $0 != "_" }) { return nil }
        }
        guard (2...36).contains(radix), !digits.isEmpty, digits.first != "_", digits.last != "_",
            digits.first != "+", digits.first != "-",
            !digits.contains("__")
        else { return nil }
        guard let magnitude = Int(digits.replacingOccurrences(of: "_", with: ""), radix: radix) else { return nil }
        return negative ? -magnitude : magnitude
    }

    /// Python's `float(value)`; nil where it raises a type or value error.
    private static func toFloat(_ value: JinjaValue) throws -> JinjaValue? {
        switch value {
        case .double: return value
        case .int(let number): return .double(Double(number))
        case .bool(let flag): return .double(flag ? 1 : 0)
        case .string(let text), .markup(let text):
            let trimmed = PythonText.strip(text, nil, leading: true, trailing: true).lowercased()
            switch trimmed {
            case "inf", "+inf", "infinity", "+infinity": return .double(.infinity)
            case "-inf", "-infinity": return .double(-.infinity)
            case "nan", "+nan", "-nan": return .double(.nan)
            default: break
            }
            let allowed = CharacterSet(charactersIn: "0123456789.eE+-_")
            guard !trimmed.isEmpty, trimmed.unicodeScalars.allSatisfy(allowed.contains),
                let number = Double(trimmed.replacingOccurrences(of: "_", with: ""))
            else { return nil }
            return .double(number)
        case .undefined:
            throw value.undefinedError()
        default:
            return nil
        }
    }

    /// jinja2's `round`: "common" is Python's `round(value, precision)` (ties to even on the
    /// exact binary value), "ceil"/"floor" scale by 10**precision.
    private static func round(_ value: JinjaValue, precision: Int, method: String) throws -> JinjaValue {
        guard ["common", "ceil", "floor"].contains(method) else {
            throw JinjaError.type("method must be common, ceil or floor")
        }
        guard let number = Operations.number(value) else {
            if case .undefined = value { throw value.undefinedError() }
            throw JinjaError.type("type \(value.typeName) doesn't define __round__ method")
        }
        if method == "common" {
            if case .int(let integer) = number, precision >= 0 { return .int(integer) }
            if case .int = number { throw JinjaError.unsupported("round of an integer to negative precision") }
            let double = number.doubleValue
            guard double.isFinite else { return .double(double) }
            if precision == 0 { return .double(double.rounded(.toNearestOrEven)) }
            guard precision > 0, precision <= 300 else { throw JinjaError.unsupported("round to precision \(precision)") }
            // printf rounds the exact binary value to `precision` decimals, as Python's round does.
            return .double(Double(String(format: "%.\(precision)f", double)) ?? double)
        }
        let scale = Foundation.pow(10, Double(precision))
        let scaled = number.doubleValue * scale
        return .double((method == "ceil" ? scaled.rounded(.up) : scaled.rounded(.down)) / scale)
    }
}
