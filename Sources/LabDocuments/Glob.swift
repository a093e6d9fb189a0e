/// Shell-style glob matching on `/`-separated relative paths, as used in `document.patterns`.
///
/// `*` matches within one path component, `?` one character, `[abc]`, `[a-z]`, `[!a]` a character
/// class, and a `**` component any number of components (including none). A leading dot is not
/// special (InstructLab's patterns are plain globs on repository paths).
public struct Glob: Sendable, Hashable {
    public let pattern: String
    private let components: [Substring]

    public init(_ pattern: String) {
        self.pattern = pattern
        self.components = pattern.split(separator: "/", omittingEmptySubsequences: true)
    }

    /// True when the pattern has no wildcard, so it names one path and needs no folder listing.
    public var isLiteral: Bool { !pattern.contains(where: { "*?[".contains($0) }) }

    /// Whether `path` (relative, `/`-separated) matches the whole pattern.
    public func matches(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        return Self.match(components[...], parts[...])
    }

    private static func match(_ pattern: ArraySlice<Substring>, _ path: ArraySlice<Substring>) -> Bool {
        guard let first = pattern.first else { return path.isEmpty }
        if first == "**" {
            // Try every split point: `**` swallows 0…n components.
            var rest = path
            while true {
                if match(pattern.dropFirst(), rest) { return true }
                guard !rest.isEmpty else { return false }
                rest = rest.dropFirst()
            }
        }
        guard let component = path.first, matchComponent(Array(first.unicodeScalars)[...], Array(component.unicodeScalars)[...]) else {
            return false
        }
        return match(pattern.dropFirst(), path.dropFirst())
    }

    /// Matches one component with `*`, `?` and classes; iterative with backtracking on the last `*`.
    static func matchComponent(_ pattern: ArraySlice<Unicode.Scalar>, _ text: ArraySlice<Unicode.Scalar>) -> Bool {
        var p = pattern.startIndex, t = text.startIndex
        var starP: Int? = nil, starT = 0
        while t < text.endIndex {
            if p < pattern.endIndex {
                let symbol = pattern[p]
                if symbol == "*" {
                    starP = p; starT = t; p += 1
                    continue
                }
                if symbol == "?" { p += 1; t += 1; continue }
                if symbol == "[", let (matched, next) = matchClass(pattern, from: p, character: text[t]) {
                    if matched { p = next; t += 1; continue }
                } else if symbol == text[t] {
                    p += 1; t += 1; continue
                }
            }
            guard let star = starP else { return false }
            p = star + 1
            starT += 1
            t = starT
        }
        while p < pattern.endIndex && pattern[p] == "*" { p += 1 }
        return p == pattern.endIndex
    }

    /// Evaluates a `[...]` class at `start`; nil when the bracket is unterminated (then it's a literal `[`).
    private static func matchClass(_ pattern: ArraySlice<Unicode.Scalar>, from start: Int, character: Unicode.Scalar) -> (Bool, Int)? {
        var index = start + 1
        var negate = false
        if index < pattern.endIndex && (pattern[index] == "!" || pattern[index] == "^") { negate = true; index += 1 }
        var matched = false
        var first = true
        while index < pattern.endIndex && (pattern[index] != "]" || first) {
            first = false
            let low = pattern[index]
            if index + 2 < pattern.endIndex && pattern[index + 1] == "-" && pattern[index + 2] != "]" {
                if low.value <= character.value && character.value <= pattern[index + 2].value { matched = true }
                index += 3
            } else {
                if low == character { matched = true }
                index += 1
            }
        }
        guard index < pattern.endIndex else { return nil }
        return (matched != negate, index + 1)
    }
}
