public import LabCore

/// Why a document could not be loaded or chunked: what, where (file, line, column, byte offset)
/// and what to do.
public struct DocumentError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of failure, each with the figures needed to explain it.
    public enum Reason: Sendable, Hashable {
        /// The file's extension is not one of `.md`, `.markdown`, `.txt`.
        case unsupportedExtension(String)
        /// The file could not be read; carries the system's explanation.
        case unreadable(String)
        /// The file holds no text (nothing, or only a byte-order mark and whitespace).
        case empty
        /// The file contains a NUL byte at this offset, so it is binary, not text.
        case binary(byteOffset: Int)
        /// The bytes from this offset on are not valid UTF-8.
        case invalidUTF8(byteOffset: Int)
        /// The file is larger than `DocumentLoader.maximumByteCount`.
        case tooLarge(byteCount: Int)
        /// A glob pattern that cannot be parsed, with the rule it breaks.
        case invalidPattern(pattern: String, reason: String)
        /// Chunking options that cannot work, e.g. an overlap not smaller than the budget.
        case invalidChunkingOptions(String)
    }

    /// The failure and its figures.
    public var reason: Reason
    /// The file (display path) and, for byte-level failures, the line and byte column.
    public var location: SourceLocation

    /// An error about the document at `location`.
    public init(_ reason: Reason, at location: SourceLocation) {
        self.reason = reason
        self.location = location
    }

    /// What went wrong, without the location.
    public var message: String {
        switch reason {
        case .unsupportedExtension(let ext):
            let shown = ext.isEmpty ? "no extension" : "extension '.\(ext)'"
            return "unsupported document type (\(shown)); only .md, .markdown and .txt are read"
        case .unreadable(let why):
            return "cannot read the document: \(why)"
        case .empty:
            return "the document is empty"
        case .binary(let offset):
            return "the document is binary (NUL byte at byte offset \(offset))"
        case .invalidUTF8(let offset):
            return "invalid UTF-8 at byte offset \(offset)"
        case .tooLarge(let count):
            return "the document is \(count) bytes, over the limit of \(DocumentLoader.maximumByteCount) bytes (10 MiB)"
        case .invalidPattern(let pattern, let why):
            return "invalid pattern '\(pattern)': \(why)"
        case .invalidChunkingOptions(let why):
            return "invalid chunking options: \(why)"
        }
    }

    /// What to do about it.
    public var hint: String {
        switch reason {
        case .unsupportedExtension:
            "convert the document to Markdown or plain text, or narrow the pattern so it matches only .md/.txt files"
        case .unreadable:
            "check that the file exists and is readable"
        case .empty:
            "add the document's text or remove the pattern that matches it"
        case .binary:
            "convert the document to Markdown or plain text (PDF and Word files are not read)"
        case .invalidUTF8:
            "re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)"
        case .tooLarge:
            "split it into several smaller documents"
        case .invalidPattern:
            "write a path relative to repo using *, ?, ** and [abc], e.g. 'reports/*.md' or '**/*.md'"
        case .invalidChunkingOptions:
            "use a positive token budget and an overlap smaller than it"
        }
    }

    /// `path:line:col: error: message (hint: …)`, the form compilers print.
    public var description: String {
        "\(location): error: \(message) (hint: \(hint))"
    }
}
