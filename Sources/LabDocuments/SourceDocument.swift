/// One loaded knowledge document: normalised text plus its identity.
public struct SourceDocument: Sendable, Hashable {
    /// Display path: relative to the project root (local) or `repo@commit:path` (git).
    public var path: String
    /// Decoded UTF-8 with the byte-order mark removed and CRLF/CR line ends normalised to LF.
    public var text: String
    /// Lower-case hex SHA-256 of the UTF-8 bytes of `text`.
    public var contentHash: String
    /// Number of whitespace-separated words in `text`.
    public var wordCount: Int

    /// A document with these fields as given; use `DocumentLoader` to make one from bytes.
    public init(path: String, text: String, contentHash: String, wordCount: Int) {
        self.path = path
        self.text = text
        self.contentHash = contentHash
        self.wordCount = wordCount
    }
}
