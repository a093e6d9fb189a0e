public import LabCore

/// Something wrong with one field of a `document` block, phrased for the person who wrote it.
public struct DocumentProblem: Sendable, Hashable, CustomStringConvertible {
    /// The field of the `document` block the problem belongs to, so a checker can point at it.
    public enum Field: Sendable, Hashable {
        /// `.document.repo`
        case repo
        /// `.document.commit`
        case commit
        /// `.document.patterns[i]`
        case pattern(Int)
    }

    /// Which field is at fault.
    public var field: Field
    /// What is wrong and where, e.g. "pattern 'x/*.md' matches no file under documents/finance".
    public var message: String
    /// What to do about it.
    public var hint: String
    /// `.error` for a broken reference; `.warning` when the documents could not be checked
    /// (a git repository that is not cached while fetching is off).
    public var severity: Severity

    /// A problem with `field`; errors unless said otherwise.
    public init(field: Field, message: String, hint: String, severity: Severity = .error) {
        self.field = field
        self.message = message
        self.hint = hint
        self.severity = severity
    }

    /// `message (hint: hint)`, for logs and tests.
    public var description: String {
        hint.isEmpty ? message : "\(message) (hint: \(hint))"
    }

    /// The jq-style path of the field inside a qna.yaml: `.document.patterns[2]`.
    public var documentPath: String {
        switch field {
        case .repo: ".document.repo"
        case .commit: ".document.commit"
        case .pattern(let index): ".document.patterns[\(index)]"
        }
    }
}

/// What resolving a `DocumentReference` produced: the documents that loaded and the problems found.
public struct DocumentResolution: Sendable {
    /// Every matched file once, sorted by path (byte order of the UTF-8 path).
    public var documents: [SourceDocument]
    /// Problems per field; empty when every pattern matched files that all loaded.
    public var problems: [DocumentProblem]

    /// A resolution with these documents and problems.
    public init(documents: [SourceDocument] = [], problems: [DocumentProblem] = []) {
        self.documents = documents
        self.problems = problems
    }
}
