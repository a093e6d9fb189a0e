/// A leaf path pattern in a pipeline file: `*` matches any run of characters (slashes included),
/// `?` one character; everything else matches itself. `*/arithmetic/cagr` matches
/// `compositional_skills/finance/arithmetic/cagr`.
public struct LeafGlob: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String

    public init(_ pattern: String) { self.pattern = pattern }

    public var description: String { pattern }

    public func matches(_ path: String) -> Bool {
        let p = Array(pattern), s = Array(path)
        // Iterative wildcard match with one backtrack point: linear in practice.
        var pi = 0, si = 0, star = -1, mark = 0
        while si < s.count {
            if pi < p.count && (p[pi] == "?" || p[pi] == s[si]) {
                pi += 1
                si += 1
            } else if pi < p.count && p[pi] == "*" {
                star = pi
                mark = si
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                si = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
