import Yams

/// A YAML node reduced to the JSON data model (what InstructLab's jsonschema sees), with its
/// position kept for messages.
indirect enum YAMLValue: Hashable {
    case string(String)
    case integer(Int)
    case number(Double)
    case bool(Bool)
    case null
    case sequence([YAMLValue])
    case mapping([(key: String, value: YAMLValue)])

    static func == (lhs: YAMLValue, rhs: YAMLValue) -> Bool {
        switch (lhs, rhs) {
        case let (.string(a), .string(b)): a == b
        case let (.integer(a), .integer(b)): a == b
        case let (.number(a), .number(b)): a == b
        case let (.bool(a), .bool(b)): a == b
        case (.null, .null): true
        case let (.sequence(a), .sequence(b)): a == b
        // JSON objects compare without regard to key order, as jsonschema's uniqueItems does.
        case let (.mapping(a), .mapping(b)):
            a.count == b.count && Dictionary(a.map { ($0.key, $0.value) }, uniquingKeysWith: { x, _ in x })
                == Dictionary(b.map { ($0.key, $0.value) }, uniquingKeysWith: { x, _ in x })
        default: false
        }
    }

    func hash(into hasher: inout Hasher) {
        switch self {
        case .string(let s): hasher.combine(0); hasher.combine(s)
        case .integer(let i): hasher.combine(1); hasher.combine(i)
        case .number(let d): hasher.combine(2); hasher.combine(d)
        case .bool(let b): hasher.combine(3); hasher.combine(b)
        case .null: hasher.combine(4)
        case .sequence(let items): hasher.combine(5); hasher.combine(items)
        case .mapping(let pairs):
            hasher.combine(6)
            hasher.combine(Set(pairs.map(\.key)))
        }
    }

    /// The JSON type name jsonschema uses in messages.
    var typeName: String {
        switch self {
        case .string: "string"
        case .integer: "integer"
        case .number: "number"
        case .bool: "boolean"
        case .null: "null"
        case .sequence: "array"
        case .mapping: "object"
        }
    }

    /// A short Python-like rendering of the value for messages (`'text'`, `5`, `None`, `[...]`).
    var shortRepr: String {
        switch self {
        case .string(let s):
            let clipped = s.count > 40 ? String(s.prefix(37)) + "..." : s
            return "'" + clipped.replacingOccurrences(of: "\n", with: "\\n") + "'"
        case .integer(let i): return String(i)
        case .number(let d): return String(d)
        case .bool(let b): return b ? "True" : "False"
        case .null: return "None"
        case .sequence: return "[...]"
        case .mapping: return "{...}"
        }
    }
}

/// A YAML node with its location, as the validator walks it.
struct MarkedNode {
    let node: Node
    let value: YAMLValue

    init(_ node: Node) {
        self.node = node
        self.value = MarkedNode.convert(node)
    }

    var line: Int { node.mark?.line ?? 0 }
    var column: Int { node.mark?.column ?? 0 }

    /// Key/value pairs of a mapping, in file order, keys as text.
    var pairs: [(key: String, keyNode: Node, value: MarkedNode)] {
        guard case .mapping(let mapping) = node else { return [] }
        return mapping.map { (key: $0.key.string ?? "\($0.key)", keyNode: $0.key, value: MarkedNode($0.value)) }
    }

    var items: [MarkedNode] {
        guard case .sequence(let sequence) = node else { return [] }
        return sequence.map(MarkedNode.init)
    }

    static func convert(_ node: Node) -> YAMLValue {
        switch node {
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return .null
            case .bool: return node.bool.map(YAMLValue.bool) ?? .string(scalar.string)
            case .int: return node.int.map(YAMLValue.integer) ?? .string(scalar.string)
            case .float: return node.float.map(YAMLValue.number) ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .mapping(let mapping):
            return .mapping(mapping.map { (key: $0.key.string ?? "\($0.key)", value: convert($0.value)) })
        case .sequence(let sequence):
            return .sequence(sequence.map(convert))
        case .alias:
            // Yams resolves aliases while composing; a leftover alias is treated as an opaque value.
            return .null
        }
    }
}
