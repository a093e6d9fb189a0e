/// A path glob as used in `document.patterns`: `*`, `?`, `**`, `[abc]`, `[a-z]`, `[!abc]`.
///
/// Semantics follow the shell and Python's `glob` (which InstructLab uses):
/// - paths are matched segment by segment (`/`-separated); `*` and `?` never cross a `/`;
/// - a segment that is exactly `**` matches zero or more whole segments;
/// - `[...]` matches one character from a set or range; `[!...]` or `[^...]` negates it;
///   a `]` first in the set is literal;
/// - `\` makes the next character literal;
/// - a name starting with `.` (a hidden file or folder) is matched only by a literal `.`,
///   never by `*`, `?`, `[...]` or `**`.
/// Characters are Unicode scalars. Patterns are relative: absolute patterns, `..` segments and a
/// trailing `/` are rejected when the pattern is parsed.
public struct GlobPattern: Sendable, Hashable, CustomStringConvertible {
    enum Part: Sendable, Hashable {
        case literal(Unicode.Scalar)
        case anyCharacter
        case anyRun
        case set(ranges: [ClosedRange<UInt32>], negated: Bool)
    }

    enum Segment: Sendable, Hashable {
        case anyPath
        case name([Part])
    }

    /// The pattern as written.
    public let source: String
    let segments: [Segment]

    /// Parses `pattern`; the error's message says which rule it breaks.
    public init(_ pattern: String) throws(DocumentError) {
        source = pattern
        segments = try Self.parse(pattern)
    }

    /// The pattern as written.
    public var description: String { source }

    /// Whether `path` (relative, `/`-separated, no `.` or `..` segments) matches the whole pattern.
    public func matches(_ path: String) -> Bool {
        let names = Self.split(path)
        var memo = Memo(patternCount: segments.count, pathCount: names.count)
        return match(0, 0, names, prefixOnly: false, &memo)
    }

    /// Whether some path strictly inside the folder `directory` could match, i.e. the pattern
    /// reaches below it. Used to notice patterns that point into a symlink that leaves the root.
    public func reachesBelow(_ directory: String) -> Bool {
        let names = Self.split(directory)
        var memo = Memo(patternCount: segments.count, pathCount: names.count)
        return match(0, 0, names, prefixOnly: true, &memo)
    }

    private struct Memo {
        var failed: [Bool]
        let width: Int
        init(patternCount: Int, pathCount: Int) {
            width = pathCount + 1
            failed = Array(repeating: false, count: (patternCount + 1) * width)
        }
    }

    private func match(_ p: Int, _ s: Int, _ names: [[Unicode.Scalar]], prefixOnly: Bool, _ memo: inout Memo) -> Bool {
        if memo.failed[p * memo.width + s] { return false }
        let result: Bool
        if s == names.count {
            if prefixOnly {
                // Something below the folder can match only if pattern segments remain.
                result = p < segments.count
            } else {
                result = segments[p...].allSatisfy { $0 == .anyPath }
            }
        } else if p == segments.count {
            result = false
        } else {
            switch segments[p] {
            case .anyPath:
                // Zero segments, or swallow one (never a hidden one) and stay on `**`.
                result = match(p + 1, s, names, prefixOnly: prefixOnly, &memo)
                    || (names[s].first != "." && match(p, s + 1, names, prefixOnly: prefixOnly, &memo))
            case .name(let parts):
                result = Self.matchName(parts, names[s]) && match(p + 1, s + 1, names, prefixOnly: prefixOnly, &memo)
            }
        }
        if !result { memo.failed[p * memo.width + s] = true }
        return result
    }

    /// Wildcard matching within one name: greedy `*` with backtracking to the last `*`,
    /// linear in practice and never exponential.
    static func matchName(_ parts: [Part], _ name: [Unicode.Scalar]) -> Bool {
        if name.first == ".", parts.first != .literal(".") { return false }
        var p = 0
        var n = 0
        var starPart = -1
        var starName = 0
        while n < name.count {
            if p < parts.count, parts[p] == .anyRun {
                starPart = p
                starName = n
                p += 1
            } else if p < parts.count, matchOne(parts[p], name[n]) {
                p += 1
                n += 1
            } else if starPart >= 0 {
                p = starPart + 1
                starName += 1
                n = starName
            } else {
                return false
            }
        }
        while p < parts.count, parts[p] == .anyRun { p += 1 }
        return p == parts.count
    }

    private static func matchOne(_ part: Part, _ scalar: Unicode.Scalar) -> Bool {
        switch part {
        case .literal(let literal): return literal == scalar
        case .anyCharacter: return true
        case .anyRun: return false
        case .set(let ranges, let negated):
            return ranges.contains { $0.contains(scalar.value) } != negated
        }
    }

    static func split(_ path: String) -> [[Unicode.Scalar]] {
        path.split(separator: "/", omittingEmptySubsequences: true).map { Array($0.unicodeScalars) }
    }

    private static func invalid(_ pattern: String, _ why: String) -> DocumentError {
        DocumentError(.invalidPattern(pattern: pattern, reason: why), at: .init(path: pattern))
    }

    private static func parse(_ pattern: String) throws(DocumentError) -> [Segment] {
        if pattern.isEmpty { throw invalid(pattern, "the pattern is empty") }
        if pattern.hasPrefix("/") { throw invalid(pattern, "it is an absolute path; patterns are relative to repo") }
        if pattern.hasSuffix("/") { throw invalid(pattern, "it ends with '/', so it names a folder, not files") }
        var segments: [Segment] = []
        for raw in pattern.split(separator: "/", omittingEmptySubsequences: true) {
            switch raw {
            case ".": continue
            case "..": throw invalid(pattern, "'..' would leave the repo folder")
            case "**":
                if segments.last != .anyPath { segments.append(.anyPath) }
            default:
                segments.append(.name(try parseName(Array(raw.unicodeScalars), pattern)))
            }
        }
        if segments.isEmpty { throw invalid(pattern, "it names the repo folder itself, not files") }
        return segments
    }

    private static func parseName(_ scalars: [Unicode.Scalar], _ pattern: String) throws(DocumentError) -> [Part] {
        var parts: [Part] = []
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            switch scalar {
            case "\\":
                guard index + 1 < scalars.count else { throw invalid(pattern, "it ends with a lone '\\'") }
                parts.append(.literal(scalars[index + 1]))
                index += 2
            case "*":
                // `a**b` inside a name is just `*`: collapse runs.
                if parts.last != .anyRun { parts.append(.anyRun) }
                index += 1
            case "?":
                parts.append(.anyCharacter)
                index += 1
            case "[":
                let (part, next) = try parseSet(scalars, from: index + 1, pattern)
                parts.append(part)
                index = next
            default:
                parts.append(.literal(scalar))
                index += 1
            }
        }
        return parts
    }

    /// Parses a `[...]` set starting just after `[`; returns the part and the index after `]`.
    private static func parseSet(_ scalars: [Unicode.Scalar], from start: Int, _ pattern: String) throws(DocumentError) -> (Part, Int) {
        var index = start
        var negated = false
        if index < scalars.count, scalars[index] == "!" || scalars[index] == "^" {
            negated = true
            index += 1
        }
        var ranges: [ClosedRange<UInt32>] = []
        var first = true
        while index < scalars.count {
            var low = scalars[index]
            if low == "]" && !first { return (.set(ranges: ranges, negated: negated), index + 1) }
            first = false
            if low == "\\" {
                guard index + 1 < scalars.count else { break }
                index += 1
                low = scalars[index]
            }
            index += 1
            if index + 1 < scalars.count, scalars[index] == "-", scalars[index + 1] != "]" {
                var high = scalars[index + 1]
                index += 2
                if high == "\\" {
                    guard index < scalars.count else { break }
                    high = scalars[index]
                    index += 1
                }
                guard low.value <= high.value else {
                    throw invalid(pattern, "the range '\(low)-\(high)' is reversed")
                }
                ranges.append(low.value...high.value)
            } else {
                ranges.append(low.value...low.value)
            }
        }
        throw invalid(pattern, "a '[' is not closed by ']' (write '\\[' for a literal '[')")
    }
}
