import LabDocuments
import Testing

@Suite struct GlobMatching {
    @Test(arguments: [
        ("*.md", "a.md", true),
        ("*.md", "dir/a.md", false),
        ("dir/*.md", "dir/a.md", true),
        ("**/*.md", "a.md", true),
        ("**/*.md", "x/y/z.md", true),
        ("x/**", "x/y/z.md", true),
        ("x/**/z.md", "x/z.md", true),
        ("x/**/z.md", "x/a/b/z.md", true),
        ("x/**/z.md", "y/a/z.md", false),
        ("report-??.txt", "report-01.txt", true),
        ("report-??.txt", "report-1.txt", false),
        ("[abc]*.md", "b1.md", true),
        ("[abc]*.md", "d1.md", false),
        ("[!abc]*.md", "d1.md", true),
        ("[a-c]x", "bx", true),
        ("[a-c]x", "dx", false),
        ("a*b*c", "aXXbYYc", true),
        ("a*b*c", "aXXbYY", false),
        ("form-10k-structure.md", "form-10k-structure.md", true),
        ("[unterminated", "[unterminated", true),
    ])
    func globsMatchLikeTheShell(pattern: String, path: String, expected: Bool) {
        #expect(Glob(pattern).matches(path) == expected, "\(pattern) vs \(path)")
    }
}
