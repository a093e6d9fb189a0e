/// A knowledge leaf's `document:` block, as written in qna.yaml (InstructLab's v3 shape).
///
/// Two readings of the same three keys:
/// - **local**: `repo` is a folder relative to the project root inside the documents root
///   (`repo: documents/finance`, `commit: local`); no git needed.
/// - **git**: `repo` is a URL (`https://`, `ssh://`, `file://`, `git@host:path`) and `commit` a commit id,
///   as InstructLab does.
public struct DocumentReference: Sendable, Hashable, Codable {
    public var repo: String
    public var commit: String
    public var patterns: [String]

    public init(repo: String, commit: String, patterns: [String]) {
        self.repo = repo
        self.commit = commit
        self.patterns = patterns
    }

    /// True when `repo` names a folder of this project rather than a git URL.
    public var isLocal: Bool {
        if repo.contains("://") { return false }
        // scp-like git syntax: `user@host:path` (an `@` before the first `:`, no slash before it).
        if let colon = repo.firstIndex(of: ":"), let at = repo.firstIndex(of: "@"), at < colon,
           !repo[..<colon].contains("/") {
            return false
        }
        return true
    }
}

/// The files a reference named, plus what went wrong, per field.
public struct DocumentResolution: Sendable {
    /// Each file once, sorted by path.
    public var documents: [SourceDocument]
    public var problems: [DocumentProblem]

    public init(documents: [SourceDocument] = [], problems: [DocumentProblem] = []) {
        self.documents = documents
        self.problems = problems
    }
}

/// One problem with a reference, tied to the field a checker should point at.
public struct DocumentProblem: Sendable, Hashable, CustomStringConvertible {
    public enum Field: Sendable, Hashable {
        case repo
        case commit
        /// The pattern at this index of `patterns`.
        case pattern(Int)
    }

    public var field: Field
    public var message: String
    public var hint: String

    public init(_ field: Field, _ message: String, hint: String) {
        self.field = field
        self.message = message
        self.hint = hint
    }

    public var description: String { hint.isEmpty ? message : "\(message) (hint: \(hint))" }
}

/// A loaded source document: normalised text plus identity for lineage.
public struct SourceDocument: Sendable, Hashable {
    /// Relative to the project root for local documents; `repo@commit:path` for git documents.
    public var path: String
    /// Decoded UTF-8 with any BOM removed and line endings normalised to LF.
    public var text: String
    /// SHA-256 of `text` (hex).
    public var contentHash: String
    public var wordCount: Int

    public init(path: String, text: String) {
        self.path = path
        self.text = text
        self.contentHash = ContentHashing.sha256(text)
        self.wordCount = DocumentText.wordCount(text)
    }
}
