/// A value in a running template, modelled on the Python object jinja2 would hold.
///
/// Python's distinctions that change what a template prints are kept: `int` and `float`
/// (`1` vs `1.0`), lists and tuples (`[1]` vs `(1,)`), `Markup` (from `|safe`; `+` escapes the
/// other operand) and one-shot generators (`|select`, `|map`: always true, no length).
public enum JinjaValue {
    /// jinja2's default `Undefined`: prints as "", iterates as empty, is false; most other
    /// uses raise. `UndefinedReason` says what was missing, for that error.
    case undefined(UndefinedReason)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    /// A `markupsafe.Markup` string (`|safe`, `|escape`).
    case markup(String)
    case list([JinjaValue])
    case tuple([JinjaValue])
    /// A dict; keys are strings (other key types are reported as unsupported).
    case dict(JinjaDictionary)
    /// `namespace(…)`: the one mutable object templates can assign attributes of.
    case namespace(JinjaNamespace)
    case macro(JinjaMacro)
    case function(JinjaFunction)
    /// A lazy Python iterable that is not a list: generator, dict view, range, loop context.
    case iterable(JinjaIterable)
    case loop(LoopContext)

    /// An undefined value for a missing variable.
    static func undefined(name: String) -> JinjaValue { .undefined(UndefinedReason("'\(name)' is undefined")) }

    /// A chat message `{"role": role, "content": content}` (keys in that order).
    public static func message(role: String, content: String) -> JinjaValue {
        .dict(JinjaDictionary([("role", .string(role)), ("content", .string(content))]))
    }

    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    var isMarkup: Bool {
        if case .markup = self { return true }
        return false
    }

    /// The text of a `str` or `Markup`.
    var stringValue: String? {
        switch self {
        case .string(let text), .markup(let text): text
        default: nil
        }
    }

    /// Python's truth value.
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: false
        case .bool(let value): value
        case .int(let value): value != 0
        case .double(let value): value != 0
        case .string(let text), .markup(let text): !text.isEmpty
        case .list(let items), .tuple(let items): !items.isEmpty
        case .dict(let dictionary): !dictionary.isEmpty
        case .namespace, .macro, .function, .loop: true
        case .iterable(let iterable): iterable.isTruthy
        }
    }

    /// The Python type name, for error messages ("'int' object is not iterable").
    var typeName: String {
        switch self {
        case .undefined: "Undefined"
        case .none: "NoneType"
        case .bool: "bool"
        case .int: "int"
        case .double: "float"
        case .string: "str"
        case .markup: "Markup"
        case .list: "list"
        case .tuple: "tuple"
        case .dict: "dict"
        case .namespace: "Namespace"
        case .macro: "Macro"
        case .function: "function"
        case .iterable(let iterable): iterable.typeName
        case .loop: "LoopContext"
        }
    }

    /// The message of the error raised when an undefined value is used.
    func undefinedError() -> JinjaError {
        guard case .undefined(let reason) = self else { return JinjaError(.undefined, "value is undefined") }
        return JinjaError(.undefined, reason.message)
    }
}

/// What an undefined value stands for, as jinja2 words it: `'x' is undefined`,
/// `'dict object' has no attribute 'y'`.
public struct UndefinedReason: Sendable {
    public var message: String

    init(_ message: String) {
        self.message = message
    }
}

/// An insertion-ordered dict, like a Python 3.7+ `dict`. Keys are the hashable values
/// templates use (str, int, float, bool, None, tuples of those), compared as Python does
/// (`1`, `1.0` and `True` are the same key; the first one written is kept).
public struct JinjaDictionary {
    private var entries: [(key: JinjaValue, value: JinjaValue)] = []
    private var positions: [HashKey: Int] = [:]

    public init() {}

    /// A dict with string keys.
    public init(_ pairs: [(String, JinjaValue)]) {
        for (key, value) in pairs { self[key] = value }
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    /// The value of a string key.
    public subscript(key: String) -> JinjaValue? {
        get { positions[.string(key)].map { entries[$0].value } }
        set {
            guard let newValue else { return }
            setValue(newValue, for: .string(key), hashKey: .string(key))
        }
    }

    /// `dict[key]`; nil when absent. Throws for an unhashable key (a list, a dict).
    func value(for key: JinjaValue) throws -> JinjaValue? {
        positions[try HashKey(key)].map { entries[$0].value }
    }

    mutating func set(_ value: JinjaValue, for key: JinjaValue) throws {
        setValue(value, for: key, hashKey: try HashKey(key))
    }

    private mutating func setValue(_ value: JinjaValue, for key: JinjaValue, hashKey: HashKey) {
        if let position = positions[hashKey] {
            entries[position].value = value
        } else {
            positions[hashKey] = entries.count
            entries.append((key, value))
        }
    }

    /// Key-value pairs in insertion order.
    public var pairs: [(key: JinjaValue, value: JinjaValue)] { entries }
    public var keys: [JinjaValue] { entries.map(\.key) }
    public var values: [JinjaValue] { entries.map(\.value) }

    /// A key as Python hashes and compares it.
    enum HashKey: Hashable {
        case string(String)
        case int(Int)
        case double(Double)
        case none
        indirect case tuple([HashKey])

        init(_ value: JinjaValue) throws {
            switch value {
            case .string(let text), .markup(let text): self = .string(text)
            case .int(let number): self = .int(number)
            case .bool(let flag): self = .int(flag ? 1 : 0)
            case .double(let number):
                if let integer = Int(exactly: number) { self = .int(integer) } else { self = .double(number) }
            case .none: self = .none
            case .tuple(let items): self = .tuple(try items.map(HashKey.init))
            case .list, .dict, .namespace:
                throw JinjaError.type("unhashable type: '\(value.typeName)'")
            default:
                throw JinjaError.unsupported("\(value.typeName) as a dict key")
            }
        }
    }
}

/// A `namespace()` object: attributes set with `{% set ns.name = … %}` survive the loop scope.
public final class JinjaNamespace {
    var attributes: JinjaDictionary

    init(_ attributes: JinjaDictionary) {
        self.attributes = attributes
    }
}

/// A callable implemented in Swift: a global (`range`, `raise_exception`), a bound method
/// (`'a'.upper`), or a loop helper (`loop.cycle`).
public final class JinjaFunction {
    let name: String
    let body: (CallArguments, Interpreter) throws -> JinjaValue

    init(_ name: String, _ body: @escaping (CallArguments, Interpreter) throws -> JinjaValue) {
        self.name = name
        self.body = body
    }

    /// A function of the template's globals: it receives the evaluated arguments.
    public convenience init(name: String, _ body: @escaping ([JinjaValue], [(String, JinjaValue)]) throws -> JinjaValue) {
        self.init(name) { arguments, _ in try body(arguments.positional, arguments.keywords) }
    }
}

/// A `{% macro %}` bound to the scope it was defined in (jinja2 macros see later changes to
/// that scope: names are read when the macro runs).
public final class JinjaMacro {
    let definition: MacroDefinition
    let scope: Scope

    init(definition: MacroDefinition, scope: Scope) {
        self.definition = definition
        self.scope = scope
    }
}

/// A Python iterable other than a list or tuple.
public final class JinjaIterable {
    enum Kind {
        /// A generator (`|select`, `|map`, `|unique`, `|items`, `reversed(…)`): iterates once,
        /// has no length, is always true, and prints as `<generator object … at 0x…>`.
        case generator(String)
        /// `dict.items()`, `dict.keys()`, `dict.values()`: printed `dict_items([...])`.
        case dictView(String)
        /// `range(start, stop, step)`
        case range(Int, Int, Int)
    }

    let kind: Kind
    private var items: [JinjaValue]
    /// How far a generator has been consumed.
    private var position = 0

    init(_ kind: Kind, _ items: [JinjaValue]) {
        self.kind = kind
        self.items = items
    }

    var typeName: String {
        switch kind {
        case .generator: "generator"
        case .dictView(let name): name
        case .range: "range"
        }
    }

    var isGenerator: Bool {
        if case .generator = kind { return true }
        return false
    }

    /// The items; a generator yields only what earlier uses left, and nothing afterwards.
    func iterate() -> [JinjaValue] {
        guard isGenerator else { return items }
        defer { position = items.count }
        return Array(items[position...])
    }

    /// Python's `next(iterator)`: one item (consuming it from a generator), nil at the end.
    func next() -> JinjaValue? {
        guard isGenerator else { return items.first }
        guard position < items.count else { return nil }
        defer { position += 1 }
        return items[position]
    }

    /// Python's `in` on an iterator: consumes a generator up to and including the match.
    func contains(_ element: JinjaValue) -> Bool {
        guard isGenerator else { return items.contains { Operations.equal($0, element) } }
        while let item = next() {
            if Operations.equal(item, element) { return true }
        }
        return false
    }

    /// The items without consuming a generator (for `len` of views and ranges only).
    var peekItems: [JinjaValue] { items }

    var isTruthy: Bool { isGenerator ? true : !items.isEmpty }
}

/// The `loop` variable of a `{% for %}` body.
public final class LoopContext {
    let items: [JinjaValue]
    /// The current iteration (the same object serves the whole loop, as in jinja2).
    var index0: Int
    /// State of `loop.changed(…)`: the arguments of the last call.
    var lastChanged: [JinjaValue]?

    init(items: [JinjaValue], index0: Int) {
        self.items = items
        self.index0 = index0
    }
}
