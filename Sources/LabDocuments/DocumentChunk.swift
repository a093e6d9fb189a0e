import LabCore

/// A piece of a document small enough for one generation prompt, with where it came from.
///
/// Offsets are **UTF-8 byte offsets** into `SourceDocument.text` (the normalised text, LF line
/// ends, no BOM): `text == SourceDocument.text` bytes `startOffset..<endOffset`, see
/// `SourceDocument.slice(utf8Offsets:)`. Bytes were chosen because they are what SQLite, Python
/// and editors' byte columns agree on.
public struct DocumentChunk: Sendable, Hashable, Codable {
    /// Stable identity: SHA-256 of the document's content hash, the offsets and the chunk text,
    /// so the same document chunked the same way yields the same ids on every run.
    public var id: String
    /// The document's display path.
    public var documentPath: String
    /// The document's content hash (`SourceDocument.contentHash`).
    public var documentHash: String
    /// 0-based position of the chunk in the document.
    public var index: Int
    /// The chunk's text, exactly the document's bytes `startOffset..<endOffset`.
    public var text: String
    /// UTF-8 byte offset of the first byte of the chunk in the document text.
    public var startOffset: Int
    /// UTF-8 byte offset just past the last byte of the chunk.
    public var endOffset: Int
    /// The Markdown headings the chunk's start sits under, outermost first, e.g. `["Form 10-K", "Part II"]`.
    public var headingPath: [String]
    /// Tokens in `text` by the chunker's counter.
    public var tokenCount: Int

    /// A chunk with these fields; `id` is derived from the document hash, offsets and text.
    public init(
        documentPath: String, documentHash: String, index: Int, text: String,
        startOffset: Int, endOffset: Int, headingPath: [String], tokenCount: Int
    ) {
        self.id = Self.identity(documentHash: documentHash, startOffset: startOffset, endOffset: endOffset, text: text)
        self.documentPath = documentPath
        self.documentHash = documentHash
        self.index = index
        self.text = text
        self.startOffset = startOffset
        self.endOffset = endOffset
        self.headingPath = headingPath
        self.tokenCount = tokenCount
    }

    /// SHA-256 hex of `documentHash LF startOffset LF endOffset LF text`.
    public static func identity(documentHash: String, startOffset: Int, endOffset: Int, text: String) -> String {
        ContentHash.sha256Hex("\(documentHash)\n\(startOffset)\n\(endOffset)\n\(text)")
    }
}

extension SourceDocument {
    /// The text between two UTF-8 byte offsets, or nil when the range is out of bounds or cuts a
    /// multi-byte character.
    public func slice(utf8Offsets range: Range<Int>) -> String? {
        let bytes = text.utf8
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else { return nil }
        let start = bytes.index(bytes.startIndex, offsetBy: range.lowerBound)
        let end = bytes.index(start, offsetBy: range.count)
        guard let lower = start.samePosition(in: text.unicodeScalars),
            let upper = end.samePosition(in: text.unicodeScalars)
        else { return nil }
        return String(text.unicodeScalars[lower..<upper])
    }
}
