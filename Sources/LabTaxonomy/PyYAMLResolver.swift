import Foundation
import Yams

/// Plain-scalar typing as PyYAML's `safe_load` does it (YAML 1.1), which is what InstructLab
/// validates: `yes`/`on` are booleans, `1e5` is a string (a float needs a dot), `010` is octal,
/// `1:30` is sexagesimal, `2024-01-31` is a date.
///
/// The patterns are those of PyYAML's `resolver.py` (`Resolver.add_implicit_resolver` calls);
/// Yams' default resolver differs in several of them (it reads `1e5` as a float and `0o17` as an int).
enum PyYAMLResolver {
    /// The pattern of each implicit tag, in PyYAML's order of precedence.
    static let rules: [(Tag.Name, String)] = [
        (.bool, "^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$"),
        (.float, "^(?:[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?"
            + "|\\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
            + "|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*"
            + "|[-+]?\\.(?:inf|Inf|INF)"
            + "|\\.(?:nan|NaN|NAN))$"),
        (.int, "^(?:[-+]?0b[0-1_]+"
            + "|[-+]?0[0-7_]+"
            + "|[-+]?(?:0|[1-9][0-9_]*)"
            + "|[-+]?0x[0-9a-fA-F_]+"
            + "|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$"),
        (.merge, "^(?:<<)$"),
        (.null, "^(?:~|null|Null|NULL|)$"),
        (.timestamp, "^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
            + "|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"
            + "(?:[Tt]|[ \\t]+)[0-9][0-9]?"
            + ":[0-9][0-9]:[0-9][0-9](?:\\.[0-9]*)?"
            + "(?:[ \\t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$"),
        (.value, "^(?:=)$"),
    ]

    /// A Yams resolver with `rules` (the tests check that every pattern compiled).
    static let resolver: Resolver = rules.reduce(Resolver.basic) { resolver, rule in
        (try? Resolver.Rule(rule.0, rule.1)).map(resolver.appending) ?? resolver
    }

    /// An `int`-tagged scalar's value, as PyYAML's `construct_yaml_int`; nil when it overflows.
    static func integer(_ text: String) -> Int? {
        var digits = text.replacingOccurrences(of: "_", with: "")
        var sign = 1
        if let first = digits.first, first == "-" || first == "+" {
            sign = first == "-" ? -1 : 1
            digits.removeFirst()
        }
        let magnitude: Int?
        if digits == "0" {
            magnitude = 0
        } else if digits.hasPrefix("0b") {
            magnitude = Int(digits.dropFirst(2), radix: 2)
        } else if digits.hasPrefix("0x") {
            magnitude = Int(digits.dropFirst(2), radix: 16)
        } else if digits.hasPrefix("0") {
            magnitude = Int(digits.dropFirst(), radix: 8)
        } else if digits.contains(":") {
            magnitude = sexagesimal(digits).flatMap { Int(exactly: $0) }
        } else {
            magnitude = Int(digits)
        }
        return magnitude.map { $0 * sign }
    }

    /// A `float`-tagged scalar's value, as PyYAML's `construct_yaml_float`.
    static func float(_ text: String) -> Double? {
        var digits = text.replacingOccurrences(of: "_", with: "").lowercased()
        var sign = 1.0
        if let first = digits.first, first == "-" || first == "+" {
            sign = first == "-" ? -1 : 1
            digits.removeFirst()
        }
        if digits == ".inf" { return sign * .infinity }
        if digits == ".nan" { return .nan }
        if digits.contains(":") { return sexagesimal(digits).map { $0 * sign } }
        return Double(digits).map { $0 * sign }
    }

    /// `1:30:15` → 1·3600 + 30·60 + 15.
    private static func sexagesimal(_ digits: String) -> Double? {
        var value = 0.0
        for part in digits.split(separator: ":") {
            guard let number = Double(part) else { return nil }
            value = value * 60 + number
        }
        return value
    }
}
