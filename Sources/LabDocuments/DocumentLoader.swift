public import Foundation
import LabCore

/// Turns the bytes of a knowledge document into a `SourceDocument`, or says precisely why not.
///
/// Rules (see notes/documents-contract.md): UTF-8 only, byte-order mark stripped, CRLF and lone CR
/// normalised to LF; `.md`, `.markdown` and `.txt` only; empty, binary (NUL bytes) and files over
/// 10 MiB are refused.
public enum DocumentLoader {
    /// The largest document accepted, in bytes (10 MiB).
    public static let maximumByteCount = 10 * 1024 * 1024

    /// File extensions read as documents (compared case-insensitively).
    public static let acceptedExtensions: Set<String> = ["md", "markdown", "txt"]

    /// Whether `path` has one of the accepted extensions.
    public static func hasAcceptedExtension(_ path: String) -> Bool {
        acceptedExtensions.contains(fileExtension(of: path).lowercased())
    }

    /// Reads and decodes the file at `url`; `displayPath` is used in the document and in errors.
    public static func load(fileAt url: URL, displayPath: String) throws(DocumentError) -> SourceDocument {
        let location = SourceLocation(path: displayPath)
        guard hasAcceptedExtension(displayPath) else {
            throw DocumentError(.unsupportedExtension(fileExtension(of: displayPath)), at: location)
        }
        // Check the size before reading, so a huge file is refused without loading it.
        let size: Int
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        } catch {
            throw DocumentError(.unreadable(error.localizedDescription), at: location)
        }
        guard size <= maximumByteCount else { throw DocumentError(.tooLarge(byteCount: size), at: location) }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw DocumentError(.unreadable(error.localizedDescription), at: location)
        }
        return try decode(data, path: displayPath)
    }

    /// Validates and normalises `data` (the whole file) into a document at display path `path`.
    /// Byte offsets in errors count from the first byte of `data`, byte-order mark included.
    public static func decode(_ data: Data, path: String) throws(DocumentError) -> SourceDocument {
        let location = SourceLocation(path: path)
        guard data.count <= maximumByteCount else {
            throw DocumentError(.tooLarge(byteCount: data.count), at: location)
        }
        let bytes = [UInt8](data)
        if let nul = bytes.firstIndex(of: 0) {
            throw DocumentError(.binary(byteOffset: nul), at: locate(byteOffset: nul, in: bytes, path: path))
        }
        if let bad = DocumentText.firstInvalidUTF8Offset(bytes) {
            throw DocumentError(.invalidUTF8(byteOffset: bad), at: locate(byteOffset: bad, in: bytes, path: path))
        }
        let text = normalisedText(bytes)
        let wordCount = TextMeasure.wordCount(text.unicodeScalars)
        guard wordCount > 0 else { throw DocumentError(.empty, at: location) }
        return SourceDocument(
            path: path, text: text, contentHash: ContentHash.sha256Hex(text), wordCount: wordCount)
    }

    /// Valid UTF-8 bytes → text without a leading BOM and with every CRLF or lone CR made LF.
    static func normalisedText(_ bytes: [UInt8]) -> String {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        let start = bytes.starts(with: bom) ? bom.count : 0
        var output = [UInt8]()
        output.reserveCapacity(bytes.count - start)
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0D {
                output.append(0x0A)
                if index + 1 < bytes.count, bytes[index + 1] == 0x0A { index += 1 }
            } else {
                output.append(byte)
            }
            index += 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The 1-based line and byte column of `offset`, for messages editors can jump to.
    static func locate(byteOffset offset: Int, in bytes: [UInt8], path: String) -> SourceLocation {
        var line = 1
        var lineStart = 0
        for index in 0..<min(offset, bytes.count) where bytes[index] == 0x0A {
            line += 1
            lineStart = index + 1
        }
        return SourceLocation(path: path, line: line, column: offset - lineStart + 1)
    }

    /// The text after the last `.` of the last path component, or "" when there is none.
    static func fileExtension(of path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return String(name[name.index(after: dot)...])
    }
}
