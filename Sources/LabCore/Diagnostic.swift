/// How bad a finding is. Errors fail a check; warnings are advice.
public enum Severity: String, Sendable, Codable, Comparable {
    case warning
    case error

    public static func < (lhs: Severity, rhs: Severity) -> Bool {
        lhs == .warning && rhs == .error
    }
}

/// One finding about a user's file: what is wrong, where, and what to do about it.
///
/// Printed for people as `path:line:col: error: message (hint: …)`, the form compilers use,
/// so editors and CI annotate the exact spot.
public struct Diagnostic: Sendable, Hashable, Codable, CustomStringConvertible {
    public var severity: Severity
    public var location: SourceLocation
    /// The path inside the document, jq style: `.seed_examples[2].context`; empty when not applicable.
    public var documentPath: String
    /// A stable identifier of the rule that fired, e.g. `min-items`, for filtering and tests.
    public var rule: String
    public var message: String
    /// What the user should do; empty when the message says it all.
    public var hint: String

    public init(
        _ severity: Severity,
        at location: SourceLocation,
        documentPath: String = "",
        rule: String,
        message: String,
        hint: String = ""
    ) {
        self.severity = severity
        self.location = location
        self.documentPath = documentPath
        self.rule = rule
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var text = "\(location): \(severity.rawValue): "
        if !documentPath.isEmpty { text += "[\(documentPath)] " }
        text += message
        if !hint.isEmpty { text += " (hint: \(hint))" }
        return text
    }

    /// The GitHub Actions workflow-command form, which annotates the file in a pull request.
    public var githubAnnotation: String {
        var properties = "file=\(location.path)"
        if location.line > 0 { properties += ",line=\(location.line)" }
        if location.column > 0 { properties += ",col=\(location.column)" }
        var text = documentPath.isEmpty ? message : "[\(documentPath)] \(message)"
        if !hint.isEmpty { text += " (hint: \(hint))" }
        let escaped = text
            .replacingOccurrences(of: "%", with: "%25")
            .replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
        return "::\(severity.rawValue) \(properties)::\(escaped)"
    }
}
