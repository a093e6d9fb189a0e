/// A knowledge leaf's `document` block: where its source documents are and which files to read.
///
/// The block keeps InstructLab's v3 shape (`repo`, `commit`, `patterns`) so every qna.yaml stays
/// valid under InstructLab's schema. synthlab reads `repo` two ways: as a folder relative to the
/// project root (a *local* reference, `commit: local`), or as a git URL at a commit.
public struct DocumentReference: Sendable, Hashable, Codable {
    /// A folder path relative to the project root (local) or a git URL.
    public var repo: String
    /// A commit id for git references; ignored for local ones (by convention `local`).
    public var commit: String
    /// Glob patterns (`*`, `?`, `**`, `[abc]`) relative to `repo`.
    public var patterns: [String]

    /// A reference from the three fields of a qna.yaml `document` block.
    public init(repo: String, commit: String, patterns: [String]) {
        self.repo = repo
        self.commit = commit
        self.patterns = patterns
    }

    /// Whether `repo` is a local folder: it has no URL scheme (`://`) and is not scp-style git
    /// (`user@host:path`).
    public var isLocal: Bool {
        !repo.contains("://") && !Self.isSCPStyle(repo)
    }

    /// `user@host:path` as git accepts it: an `@` and then a `:` before any `/`.
    static func isSCPStyle(_ repo: String) -> Bool {
        guard let colon = repo.firstIndex(of: ":") else { return false }
        let head = repo[..<colon]
        guard !head.contains("/"), let at = head.firstIndex(of: "@") else { return false }
        return at != head.startIndex && head.index(after: at) != colon
    }
}
