import Foundation

/// The operators and protocols of Python objects a template uses: iteration, `len`, `.name`,
/// `[key]`, slicing, arithmetic, comparison and `in`; with jinja2's sandboxed attribute and item
/// lookup (jinja2/sandbox.py: `getattr` tries the attribute, then the item; `getitem` the
/// reverse; a failed lookup is undefined rather than an error).
enum Operations {
    // MARK: Iteration and length

    /// The items of `for x in value`: list/tuple items, a string's characters, a dict's keys;
    /// undefined iterates as empty.
    static func iterate(_ value: JinjaValue) throws -> [JinjaValue] {
        switch value {
        case .undefined: return []
        case .list(let items), .tuple(let items): return items
        case .string(let text), .markup(let text): return text.unicodeScalars.map { .string(String($0)) }
        case .dict(let dictionary): return dictionary.keys
        case .iterable(let iterable): return iterable.iterate()
        case .loop: throw JinjaError.unsupported("iterating over a loop variable")
        default: throw JinjaError.type("'\(value.typeName)' object is not iterable")
        }
    }

    /// Python's `len(value)`.
    static func length(_ value: JinjaValue) throws -> Int {
        switch value {
        case .undefined: return 0
        case .string(let text), .markup(let text): return PythonText.length(text)
        case .list(let items), .tuple(let items): return items.count
        case .dict(let dictionary): return dictionary.count
        case .iterable(let iterable) where !iterable.isGenerator: return iterable.peekItems.count
        case .loop(let loop): return loop.items.count
        default: throw JinjaError.type("object of type '\(value.typeName)' has no len()")
        }
    }

    // MARK: Attributes and items

    /// `value.name`.
    static func attribute(of value: JinjaValue, _ name: String) throws -> JinjaValue {
        if let found = try realAttribute(of: value, name) { return found }
        switch value {
        case .dict(let dictionary):
            if let item = dictionary[name] { return item }
        case .namespace(let namespace):
            if let item = namespace.attributes[name] { return item }
        default: break
        }
        return missingAttribute(value, name)
    }

    /// A Python attribute proper (a method, a loop property), without falling back to items;
    /// nil when the object has none of that name. What `|attr` and `getitem`'s fallback use.
    static func realAttribute(of value: JinjaValue, _ name: String) throws -> JinjaValue? {
        switch value {
        case .undefined:
            throw value.undefinedError()
        case .string, .markup:
            return try Methods.stringMethod(value, name)
        case .dict(let dictionary):
            return try Methods.dictMethod(dictionary, name)
        case .list(let items):
            return try Methods.listMethod(items, name, isTuple: false)
        case .tuple(let items):
            return try Methods.listMethod(items, name, isTuple: true)
        case .loop(let loop):
            return try Methods.loopAttribute(loop, name)
        case .macro:
            if ["name", "arguments", "defaults", "catch_kwargs", "catch_varargs", "caller"].contains(name) {
                throw JinjaError.unsupported("macro attribute '\(name)'")
            }
            return nil
        case .function(let function):
            throw JinjaError.unsupported("attribute '\(name)' of function '\(function.name)'")
        case .int, .bool, .double:
            let numeric: Set<String> = [
                "real", "imag", "numerator", "denominator", "bit_length", "bit_count", "conjugate", "is_integer",
                "hex", "as_integer_ratio", "to_bytes", "from_bytes", "fromhex",
            ]
            if numeric.contains(name) { throw JinjaError.unsupported("number attribute '\(name)'") }
            return nil
        case .iterable(let iterable):
            if case .dictView = iterable.kind, name == "mapping" || name == "isdisjoint" {
                throw JinjaError.unsupported("dict view attribute '\(name)'")
            }
            if case .range(let start, let stop, let step) = iterable.kind {
                switch name {
                case "start": return .int(start)
                case "stop": return .int(stop)
                case "step": return .int(step)
                default: return nil
                }
            }
            return nil
        case .none, .namespace:
            return nil
        }
    }

    private static func missingAttribute(_ value: JinjaValue, _ name: String) -> JinjaValue {
        let owner = value.typeName == "NoneType" ? "'None'" : "'\(value.typeName) object'"
        return .undefined(UndefinedReason("\(owner) has no attribute '\(name)'"))
    }

    /// `value[key]`.
    static func item(of value: JinjaValue, _ key: JinjaValue) throws -> JinjaValue {
        if case .undefined = value { throw value.undefinedError() }
        if let found = try directItem(of: value, key) { return found }
        // jinja2 falls back to the attribute for a string key: `message['get']` is the method.
        if let name = key.stringValue, let found = try realAttribute(of: value, name) { return found }
        if let name = key.stringValue { return missingAttribute(value, name) }
        return .undefined(UndefinedReason("'\(value.typeName) object' has no element \((try? PythonText.repr(key)) ?? "")"))
    }

    private static func integerIndex(_ key: JinjaValue) -> Int? {
        switch key {
        case .int(let index): index
        case .bool(let flag): flag ? 1 : 0
        default: nil
        }
    }

    /// `value[key]` without the attribute fallback; nil when Python raises a lookup or type error.
    private static func directItem(of value: JinjaValue, _ key: JinjaValue) throws -> JinjaValue? {
        switch value {
        case .dict(let dictionary):
            // An unhashable key is a TypeError, which jinja2's getitem turns into undefined.
            return (try? dictionary.value(for: key)) ?? nil
        case .namespace(let namespace):
            return key.stringValue.flatMap { namespace.attributes[$0] }
        case .list(let items), .tuple(let items):
            guard var index = integerIndex(key) else { return nil }
            if index < 0 { index += items.count }
            return items.indices.contains(index) ? items[index] : nil
        case .string(let text), .markup(let text):
            guard var index = integerIndex(key) else { return nil }
            let scalars = PythonText.scalars(text)
            if index < 0 { index += scalars.count }
            guard scalars.indices.contains(index) else { return nil }
            let character = String(scalars[index])
            if case .markup = value { return .markup(character) }
            return .string(character)
        case .iterable(let iterable):
            guard case .range = iterable.kind, var index = integerIndex(key) else { return nil }
            let items = iterable.peekItems
            if index < 0 { index += items.count }
            return items.indices.contains(index) ? items[index] : nil
        case .loop(let loop):
            return try key.stringValue.flatMap { try Methods.loopAttribute(loop, $0) }
        default:
            return nil
        }
    }

    /// `value[start:stop:step]` with Python's rules for missing and negative bounds.
    static func slice(_ value: JinjaValue, start: JinjaValue, stop: JinjaValue, step: JinjaValue) throws -> JinjaValue {
        if case .undefined = value { throw value.undefinedError() }
        func bound(_ part: JinjaValue) -> Int?? {
            switch part {
            case .none: return .some(nil)
            case .int(let number): return .some(number)
            case .bool(let flag): return .some(flag ? 1 : 0)
            default: return nil
            }
        }
        guard let startBound = bound(start), let stopBound = bound(stop), let stepBound = bound(step) else {
            return .undefined(UndefinedReason("slice indices must be integers or None"))
        }
        let stepValue = stepBound ?? 1
        guard stepValue != 0 else { throw JinjaError.type("slice step cannot be zero") }
        func pick<T>(_ items: [T]) -> [T] {
            let count = items.count
            func clamp(_ index: Int?, _ defaultValue: Int) -> Int {
                guard var index else { return defaultValue }
                if index < 0 { index += count }
                return stepValue > 0 ? min(max(index, 0), count) : min(max(index, -1), count - 1)
            }
            var picked: [T] = []
            if stepValue > 0 {
                var index = clamp(startBound, 0)
                let end = clamp(stopBound, count)
                while index < end {
                    picked.append(items[index])
                    index += stepValue
                }
            } else {
                var index = clamp(startBound, count - 1)
                let end = clamp(stopBound, -1)
                while index > end {
                    picked.append(items[index])
                    index += stepValue
                }
            }
            return picked
        }
        switch value {
        case .list(let items): return .list(pick(items))
        case .tuple(let items): return .tuple(pick(items))
        case .string(let text): return .string(PythonText.string(pick(PythonText.scalars(text))))
        case .markup(let text): return .markup(PythonText.string(pick(PythonText.scalars(text))))
        case .iterable(let iterable) where !iterable.isGenerator:
            if case .range = iterable.kind { return .list(pick(iterable.peekItems)) }
            return .undefined(UndefinedReason("'\(value.typeName)' object is not subscriptable"))
        default:
            return .undefined(UndefinedReason("'\(value.typeName)' object is not subscriptable"))
        }
    }

    // MARK: Arithmetic

    enum Number {
        case int(Int)
        case double(Double)

        var doubleValue: Double {
            switch self {
            case .int(let value): Double(value)
            case .double(let value): value
            }
        }
    }

    static func number(_ value: JinjaValue) -> Number? {
        switch value {
        case .int(let number): .int(number)
        case .bool(let flag): .int(flag ? 1 : 0)
        case .double(let number): .double(number)
        default: nil
        }
    }

    private static func unsupportedOperands(_ symbol: String, _ left: JinjaValue, _ right: JinjaValue) -> JinjaError {
        JinjaError.type("unsupported operand type(s) for \(symbol): '\(left.typeName)' and '\(right.typeName)'")
    }

    private static func overflow() -> JinjaError {
        JinjaError.unsupported("integer arithmetic beyond 64 bits")
    }

    static func negate(_ value: JinjaValue) throws -> JinjaValue {
        switch number(value) {
        case .int(let number)?:
            guard number != Int.min else { throw overflow() }
            return .int(-number)
        case .double(let number)?: return .double(-number)
        case nil:
            if case .undefined = value { throw value.undefinedError() }
            throw JinjaError.type("bad operand type for unary -: '\(value.typeName)'")
        }
    }

    static func plus(_ value: JinjaValue) throws -> JinjaValue {
        switch number(value) {
        case .int(let number)?: return .int(number)
        case .double(let number)?: return .double(number)
        case nil:
            if case .undefined = value { throw value.undefinedError() }
            throw JinjaError.type("bad operand type for unary +: '\(value.typeName)'")
        }
    }

    static func binary(_ operation: BinaryOperator, _ left: JinjaValue, _ right: JinjaValue) throws -> JinjaValue {
        if case .undefined = left { throw left.undefinedError() }
        if case .undefined = right { throw right.undefinedError() }
        switch operation {
        case .add: return try add(left, right)
        case .subtract:
            return try arithmetic(left, right, "-", { $0.subtractingReportingOverflow($1) }, { $0 - $1 })
        case .multiply: return try multiply(left, right)
        case .divide:
            guard let a = number(left), let b = number(right) else { throw unsupportedOperands("/", left, right) }
            guard b.doubleValue != 0 else { throw JinjaError.type("division by zero") }
            return .double(a.doubleValue / b.doubleValue)
        case .floorDivide:
            guard let a = number(left), let b = number(right) else { throw unsupportedOperands("//", left, right) }
            if case .int(let x) = a, case .int(let y) = b {
                guard y != 0 else { throw JinjaError.type("integer division or modulo by zero") }
                return .int(floorDivide(x, y))
            }
            guard b.doubleValue != 0 else { throw JinjaError.type("float floor division by zero") }
            return .double(floatDivmod(a.doubleValue, b.doubleValue).0)
        case .modulo:
            if let format = left.stringValue {
                // `Markup % args` escapes the arguments and stays Markup (markupsafe).
                guard case .markup = left else { return .string(try PythonFormat.percent(format, right, escaping: false)) }
                return .markup(try PythonFormat.percent(format, right, escaping: true))
            }
            guard let a = number(left), let b = number(right) else { throw unsupportedOperands("%", left, right) }
            if case .int(let x) = a, case .int(let y) = b {
                guard y != 0 else { throw JinjaError.type("integer division or modulo by zero") }
                return .int(x - floorDivide(x, y) * y)
            }
            guard b.doubleValue != 0 else { throw JinjaError.type("float modulo") }
            return .double(floatDivmod(a.doubleValue, b.doubleValue).1)
        case .power:
            guard let a = number(left), let b = number(right) else { throw unsupportedOperands("** or pow()", left, right) }
            if case .int(let base) = a, case .int(let exponent) = b {
                if exponent < 0 {
                    guard base != 0 else { throw JinjaError.type("0.0 cannot be raised to a negative power") }
                    return .double(Foundation.pow(Double(base), Double(exponent)))
                }
                var result = 1
                for _ in 0..<exponent {
                    let (product, overflowed) = result.multipliedReportingOverflow(by: base)
                    guard !overflowed else { throw overflow() }
                    result = product
                    if result == 0 || result == 1 && base == 1 { break }
                }
                return .int(result)
            }
            if a.doubleValue == 0 && b.doubleValue < 0 {
                throw JinjaError.type("0.0 cannot be raised to a negative power")
            }
            return .double(Foundation.pow(a.doubleValue, b.doubleValue))
        }
    }

    private static func floorDivide(_ x: Int, _ y: Int) -> Int {
        let quotient = x / y
        return (x % y != 0) && ((x < 0) != (y < 0)) ? quotient - 1 : quotient
    }

    /// Python's float `divmod` (Objects/floatobject.c: float_divmod).
    private static func floatDivmod(_ x: Double, _ y: Double) -> (Double, Double) {
        var modulo = fmod(x, y)
        var division = (x - modulo) / y
        if modulo != 0 {
            if (y < 0) != (modulo < 0) {
                modulo += y
                division -= 1
            }
        } else {
            modulo = y < 0 ? -0.0 : 0.0
        }
        var floorDivision: Double
        if division != 0 {
            floorDivision = division.rounded(.down)
            if division - floorDivision > 0.5 { floorDivision += 1 }
        } else {
            floorDivision = x / y < 0 ? -0.0 : 0.0
        }
        return (floorDivision, modulo)
    }

    private static func arithmetic(
        _ left: JinjaValue, _ right: JinjaValue, _ symbol: String,
        _ integer: (Int, Int) -> (partialValue: Int, overflow: Bool), _ floating: (Double, Double) -> Double
    ) throws -> JinjaValue {
        guard let a = number(left), let b = number(right) else { throw unsupportedOperands(symbol, left, right) }
        if case .int(let x) = a, case .int(let y) = b {
            let (result, overflowed) = integer(x, y)
            guard !overflowed else { throw overflow() }
            return .int(result)
        }
        return .double(floating(a.doubleValue, b.doubleValue))
    }

    private static func add(_ left: JinjaValue, _ right: JinjaValue) throws -> JinjaValue {
        switch (left, right) {
        case (.string(let a), .string(let b)): return .string(a + b)
        // markupsafe: `Markup + str` escapes the str (and `str + Markup`, through __radd__).
        case (.markup(let a), .string(let b)): return .markup(a + PythonText.htmlEscape(b))
        case (.string(let a), .markup(let b)): return .markup(PythonText.htmlEscape(a) + b)
        case (.markup(let a), .markup(let b)): return .markup(a + b)
        case (.list(let a), .list(let b)): return .list(a + b)
        case (.tuple(let a), .tuple(let b)): return .tuple(a + b)
        case (.string, _), (.markup, _):
            throw JinjaError.type("can only concatenate str (not \"\(right.typeName)\") to str")
        case (.list, _):
            throw JinjaError.type("can only concatenate list (not \"\(right.typeName)\") to list")
        case (.tuple, _):
            throw JinjaError.type("can only concatenate tuple (not \"\(right.typeName)\") to tuple")
        default:
            return try arithmetic(left, right, "+", { $0.addingReportingOverflow($1) }, { $0 + $1 })
        }
    }

    private static func multiply(_ left: JinjaValue, _ right: JinjaValue) throws -> JinjaValue {
        func repeated<T>(_ items: [T], _ times: JinjaValue) -> [T]? {
            guard let count = integerIndex(times) else { return nil }
            return count <= 0 ? [] : Array(repeating: items, count: count).flatMap { $0 }
        }
        switch (left, right) {
        case (.string(let text), _), (_, .string(let text)):
            let other = left.stringValue == nil ? left : right
            guard let scalars = repeated(PythonText.scalars(text), other) else {
                throw JinjaError.type("can't multiply sequence by non-int of type '\(other.typeName)'")
            }
            return .string(PythonText.string(scalars))
        case (.markup(let text), _), (_, .markup(let text)):
            let other = left.stringValue == nil ? left : right
            guard let scalars = repeated(PythonText.scalars(text), other) else {
                throw JinjaError.type("can't multiply sequence by non-int of type '\(other.typeName)'")
            }
            return .markup(PythonText.string(scalars))
        case (.list(let items), _), (_, .list(let items)):
            let other: JinjaValue = if case .list = left { right } else { left }
            guard let result = repeated(items, other) else {
                throw JinjaError.type("can't multiply sequence by non-int of type '\(other.typeName)'")
            }
            return .list(result)
        case (.tuple(let items), _), (_, .tuple(let items)):
            let other: JinjaValue = if case .tuple = left { right } else { left }
            guard let result = repeated(items, other) else {
                throw JinjaError.type("can't multiply sequence by non-int of type '\(other.typeName)'")
            }
            return .tuple(result)
        default:
            return try arithmetic(left, right, "*", { $0.multipliedReportingOverflow(by: $1) }, { $0 * $1 })
        }
    }

    // MARK: Comparison

    /// Python's `==`.
    static func equal(_ left: JinjaValue, _ right: JinjaValue) -> Bool {
        switch (left, right) {
        case (.undefined, .undefined): return true
        case (.undefined, _), (_, .undefined): return false
        case (.none, .none): return true
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { equal($0, $1) }
        case (.dict(let a), .dict(let b)):
            return a.count == b.count && a.pairs.allSatisfy { pair in
                ((try? b.value(for: pair.key)) ?? nil).map { equal(pair.value, $0) } ?? false
            }
        case (.namespace(let a), .namespace(let b)): return a === b
        case (.macro(let a), .macro(let b)): return a === b
        case (.function(let a), .function(let b)): return a === b
        case (.loop(let a), .loop(let b)): return a === b
        case (.iterable(let a), .iterable(let b)):
            if case .range = a.kind, case .range = b.kind {
                return a.peekItems.count == b.peekItems.count && zip(a.peekItems, b.peekItems).allSatisfy { equal($0, $1) }
            }
            return a === b
        default: break
        }
        if let a = left.stringValue, let b = right.stringValue { return PythonText.equal(a, b) }
        if let a = number(left), let b = number(right) {
            if case .int(let x) = a, case .int(let y) = b { return x == y }
            return a.doubleValue == b.doubleValue
        }
        return false
    }

    /// Python's ordering of two values: negative, zero or positive; a type error where Python
    /// has no order (`1 < 'a'`).
    static func order(_ left: JinjaValue, _ right: JinjaValue, _ symbol: String = "<") throws -> Int {
        if case .undefined = left { throw left.undefinedError() }
        if case .undefined = right { throw right.undefinedError() }
        if let a = number(left), let b = number(right) {
            if case .int(let x) = a, case .int(let y) = b { return x < y ? -1 : x > y ? 1 : 0 }
            return a.doubleValue < b.doubleValue ? -1 : a.doubleValue > b.doubleValue ? 1 : 0
        }
        if let a = left.stringValue, let b = right.stringValue {
            return PythonText.less(a, b) ? -1 : PythonText.equal(a, b) ? 0 : 1
        }
        switch (left, right) {
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            for (x, y) in zip(a, b) where !equal(x, y) { return try order(x, y, symbol) }
            return a.count < b.count ? -1 : a.count > b.count ? 1 : 0
        default:
            throw JinjaError.type("'\(symbol)' not supported between instances of '\(left.typeName)' and '\(right.typeName)'")
        }
    }

    static func compare(_ operation: ComparisonOperator, _ left: JinjaValue, _ right: JinjaValue) throws -> Bool {
        switch operation {
        case .equal: return equal(left, right)
        case .notEqual: return !equal(left, right)
        case .less: return try order(left, right, "<") < 0
        case .lessOrEqual: return try order(left, right, "<=") <= 0
        case .greater: return try order(left, right, ">") > 0
        case .greaterOrEqual: return try order(left, right, ">=") >= 0
        case .contains: return try contains(right, left)
        case .notContains: return !(try contains(right, left))
        }
    }

    /// Python's `element in container`.
    static func contains(_ container: JinjaValue, _ element: JinjaValue) throws -> Bool {
        switch container {
        case .string(let text), .markup(let text):
            guard let part = element.stringValue else {
                throw JinjaError.type("'in <string>' requires string as left operand, not \(element.typeName)")
            }
            return PythonText.contains(text, part)
        case .list(let items), .tuple(let items):
            return items.contains { equal($0, element) }
        case .dict(let dictionary):
            return try dictionary.value(for: element) != nil
        case .namespace(let namespace):
            try requireHashable(element)
            return element.stringValue.map { namespace.attributes[$0] != nil } ?? false
        case .undefined:
            return false
        case .iterable(let iterable):
            return iterable.contains(element)
        default:
            throw JinjaError.type("argument of type '\(container.typeName)' is not iterable")
        }
    }

    static func requireHashable(_ value: JinjaValue) throws {
        switch value {
        case .list, .dict, .namespace:
            throw JinjaError.type("unhashable type: '\(value.typeName)'")
        default: break
        }
    }
}
