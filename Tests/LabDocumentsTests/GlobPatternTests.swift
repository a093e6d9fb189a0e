import LabDocuments
import Testing

@Suite struct GlobPatternMatching {
    static let table: [(pattern: String, path: String, matches: Bool)] = [
        ("report.md", "report.md", true),
        ("report.md", "other.md", false),
        ("report.md", "sub/report.md", false),
        ("*.md", "report.md", true),
        ("*.md", "report.txt", false),
        ("*.md", "sub/report.md", false),
        ("*", "a", true),
        ("*", ".hidden", false),
        (".*", ".hidden", true),
        ("a*b*c", "abc", true),
        ("a*b*c", "aXbYbZc", true),
        ("a*b*c", "aXbYc d", false),
        ("*a", "aaaa", true),
        ("?.md", "a.md", true),
        ("?.md", "ab.md", false),
        ("?.md", "é.md", true),
        ("??", "a/", false),
        ("[abc].md", "b.md", true),
        ("[abc].md", "d.md", false),
        ("[a-c].md", "c.md", true),
        ("[!a-c].md", "c.md", false),
        ("[!a-c].md", "x.md", true),
        ("[^a-c].md", "x.md", true),
        ("[]x].md", "].md", true),
        ("[a-].md", "-.md", true),
        ("\\*.md", "*.md", true),
        ("\\*.md", "a.md", false),
        ("\\[x].md", "[x].md", true),
        ("**/*.md", "a.md", true),
        ("**/*.md", "x/y/z/a.md", true),
        ("**/*.md", "x/.hidden/a.md", false),
        ("**", "x/y", true),
        ("x/**", "x/y/z.md", true),
        ("x/**", "y/z.md", false),
        ("x/**/z.md", "x/z.md", true),
        ("x/**/z.md", "x/a/b/z.md", true),
        ("x/**/z.md", "x/a/b/y.md", false),
        ("**/**/a.md", "a.md", true),
        ("x/*/z.md", "x/a/z.md", true),
        ("x/*/z.md", "x/a/b/z.md", false),
        ("./x/a.md", "x/a.md", true),
        ("x//a.md", "x/a.md", true),
        ("a**b.md", "aXYb.md", true),
        ("a**b.md", "aX/Yb.md", false),
        ("form-10k-*.md", "form-10k-structure.md", true),
    ]

    @Test(arguments: table)
    func aPatternMatchesExactlyTheExpectedPaths(_ row: (pattern: String, path: String, matches: Bool)) throws {
        let pattern = try GlobPattern(row.pattern)
        #expect(pattern.matches(row.path) == row.matches, "'\(row.pattern)' vs '\(row.path)'")
    }

    static let invalid: [(pattern: String, reason: String)] = [
        ("", "empty"),
        ("/etc/*.md", "absolute"),
        ("../secret.md", "'..'"),
        ("x/../../y.md", "'..'"),
        ("docs/", "ends with '/'"),
        ("[abc.md", "not closed"),
        ("[z-a].md", "reversed"),
        ("a\\", "lone"),
        (".", "repo folder itself"),
    ]

    @Test(arguments: invalid)
    func malformedPatternsAreRejectedWithTheRuleTheyBreak(_ row: (pattern: String, reason: String)) {
        #expect {
            _ = try GlobPattern(row.pattern)
        } throws: { error in
            guard let error = error as? DocumentError else { return false }
            return error.message.contains(row.reason) && error.message.contains("'\(row.pattern)'")
        }
    }

    static let below: [(pattern: String, directory: String, reaches: Bool)] = [
        ("x/*.md", "x", true),
        ("x/*.md", "y", false),
        ("**/*.md", "any/where", true),
        ("x", "x", false),
        ("*/a.md", "q", true),
        ("*/a.md", "q/r", false),
    ]

    @Test(arguments: below)
    func patternsKnowWhetherTheyReachBelowAFolder(_ row: (pattern: String, directory: String, reaches: Bool)) throws {
        #expect(try GlobPattern(row.pattern).reachesBelow(row.directory) == row.reaches)
    }

    /// A naive, obviously-correct matcher for single names (no `/`, no sets, no hidden rule),
    /// used to check the backtracking matcher on random inputs.
    static func naiveMatch(_ pattern: [Character], _ name: [Character]) -> Bool {
        guard let head = pattern.first else { return name.isEmpty }
        let rest = Array(pattern.dropFirst())
        switch head {
        case "*":
            return (0...name.count).contains { naiveMatch(rest, Array(name.dropFirst($0))) }
        case "?":
            return !name.isEmpty && naiveMatch(rest, Array(name.dropFirst()))
        default:
            return name.first == head && naiveMatch(rest, Array(name.dropFirst()))
        }
    }

    @Test func theMatcherAgreesWithANaiveRecursiveMatcherOnRandomNames() throws {
        var random = SeededRandomForTests(seed: 7)
        let patternAlphabet: [Character] = ["a", "b", "*", "?"]
        let nameAlphabet: [Character] = ["a", "b"]
        for _ in 0..<3_000 {
            let pattern = String((0..<random.int(1...7)).map { _ in patternAlphabet[random.int(0...3)] })
            let name = String((0..<random.int(1...8)).map { _ in nameAlphabet[random.int(0...1)] })
            let expected = Self.naiveMatch(Array(pattern), Array(name))
            #expect(try GlobPattern(pattern).matches(name) == expected, "'\(pattern)' vs '\(name)'")
        }
    }
}
