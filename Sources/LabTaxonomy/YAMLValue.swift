import Yams

/// A YAML node reduced to the data model InstructLab's validator sees (PyYAML `safe_load` output
/// checked by jsonschema), with the node's line and column kept for messages.
///
/// Built once per file; equality and hashing ignore positions, so `uniqueItems` compares values
/// the way jsonschema does (mappings without regard to key order).
struct YAMLValue: Hashable {
    enum Kind: Hashable {
        case string(String)
        case integer(Int)
        case number(Double)
        case bool(Bool)
        case null
        /// A plain scalar PyYAML reads as a date or time (`2024-01-31`): not a string to jsonschema.
        case timestamp(String)
        case sequence([YAMLValue])
        case mapping([Pair])
    }

    /// One key of a mapping, in file order, with the key's own position.
    struct Pair: Hashable {
        var key: String
        var keyLine: Int
        var keyColumn: Int
        var value: YAMLValue
    }

    var kind: Kind
    /// 1-based, as libyaml reports it; 0 when unknown.
    var line: Int
    /// 1-based, counted in Unicode scalars; 0 when unknown.
    var column: Int

    static func == (lhs: YAMLValue, rhs: YAMLValue) -> Bool { lhs.kind.sameValue(as: rhs.kind) }

    func hash(into hasher: inout Hasher) { kind.hashValue(into: &hasher) }

    var pairs: [Pair] {
        if case .mapping(let pairs) = kind { return pairs }
        return []
    }

    var items: [YAMLValue] {
        if case .sequence(let items) = kind { return items }
        return []
    }

    var string: String? {
        if case .string(let text) = kind { return text }
        return nil
    }

    /// This value with every mapping pair whose key starts with `prefix` removed, at any depth.
    func removingKeys(withPrefix prefix: String) -> YAMLValue {
        var copy = self
        switch kind {
        case .mapping(let pairs):
            copy.kind = .mapping(pairs.filter { !$0.key.hasPrefix(prefix) }.map { pair in
                var pair = pair
                pair.value = pair.value.removingKeys(withPrefix: prefix)
                return pair
            })
        case .sequence(let items):
            copy.kind = .sequence(items.map { $0.removingKeys(withPrefix: prefix) })
        default:
            break
        }
        return copy
    }

    /// The value of `key` in a mapping (the first, should the file repeat it).
    subscript(key: String) -> YAMLValue? {
        pairs.first { $0.key == key }?.value
    }
}

extension YAMLValue.Kind {
    /// Value equality as jsonschema's `equal`: mappings ignore key order, booleans never equal numbers.
    func sameValue(as other: YAMLValue.Kind) -> Bool {
        switch (self, other) {
        case let (.string(a), .string(b)): return a == b
        case let (.integer(a), .integer(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.integer(a), .number(b)), let (.number(b), .integer(a)): return Double(a) == b
        case let (.bool(a), .bool(b)): return a == b
        case (.null, .null): return true
        case let (.timestamp(a), .timestamp(b)): return a == b
        case let (.sequence(a), .sequence(b)): return a == b
        case let (.mapping(a), .mapping(b)):
            guard a.count == b.count else { return false }
            return a.allSatisfy { pair in b.contains { $0.key == pair.key && $0.value == pair.value } }
        default: return false
        }
    }

    /// A hash consistent with `sameValue`: numbers hash by value, mappings by their key set.
    func hashValue(into hasher: inout Hasher) {
        switch self {
        case .string(let text): hasher.combine(0); hasher.combine(text)
        case .integer(let value): hasher.combine(1); hasher.combine(Double(value))
        case .number(let value): hasher.combine(1); hasher.combine(value)
        case .bool(let value): hasher.combine(2); hasher.combine(value)
        case .null: hasher.combine(3)
        case .timestamp(let text): hasher.combine(4); hasher.combine(text)
        case .sequence(let items): hasher.combine(5); hasher.combine(items)
        case .mapping(let pairs): hasher.combine(6); hasher.combine(Set(pairs.map(\.key)))
        }
    }
}

extension YAMLValue {
    /// Thrown when aliases make a small file expand into more values than any qna.yaml holds
    /// (the "billion laughs" pattern), so conversion stops instead of exhausting memory.
    struct TooManyValues: Error {
        let limit: Int
    }

    /// Converts a composed Yams node, counting values so alias bombs are refused.
    static func convert(_ node: Node, limit: Int = 2_000_000) throws(TooManyValues) -> YAMLValue {
        var budget = limit
        return try convert(node, budget: &budget, limit: limit)
    }

    private static func convert(_ node: Node, budget: inout Int, limit: Int) throws(TooManyValues) -> YAMLValue {
        budget -= 1
        guard budget >= 0 else { throw TooManyValues(limit: limit) }
        let line = node.mark?.line ?? 0
        let column = node.mark?.column ?? 0
        switch node {
        case .scalar(let scalar):
            return YAMLValue(kind: scalarKind(scalar, tag: Tag.Name(rawValue: node.tag.rawValue)), line: line, column: column)
        case .mapping(let mapping):
            var pairs: [Pair] = []
            pairs.reserveCapacity(mapping.count)
            for (key, value) in mapping {
                let keyText = key.scalar?.string ?? "\(key)"
                pairs.append(Pair(key: keyText, keyLine: key.mark?.line ?? line, keyColumn: key.mark?.column ?? column,
                                  value: try convert(value, budget: &budget, limit: limit)))
            }
            return YAMLValue(kind: .mapping(pairs), line: line, column: column)
        case .sequence(let sequence):
            var items: [YAMLValue] = []
            items.reserveCapacity(sequence.count)
            for item in sequence { items.append(try convert(item, budget: &budget, limit: limit)) }
            return YAMLValue(kind: .sequence(items), line: line, column: column)
        case .alias(let alias):
            // Yams substitutes the anchored node while composing; an alias left over names
            // nothing we can read, which PyYAML would also refuse.
            return YAMLValue(kind: .null, line: alias.mark?.line ?? line, column: alias.mark?.column ?? column)
        }
    }

    /// The value of a scalar under PyYAML's YAML 1.1 rules (tags resolved by `PyYAMLResolver`).
    private static func scalarKind(_ scalar: Node.Scalar, tag: Tag.Name) -> Kind {
        let text = scalar.string
        switch tag {
        case .null: return .null
        case .bool: return .bool(["yes", "true", "on"].contains(text.lowercased()))
        case .int: return PyYAMLResolver.integer(text).map(Kind.integer) ?? .number(PyYAMLResolver.float(text) ?? .infinity)
        case .float: return .number(PyYAMLResolver.float(text) ?? .nan)
        case .timestamp: return .timestamp(text)
        default: return .string(text)
        }
    }
}
