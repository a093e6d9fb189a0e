public import Foundation
import LabCore

/// Hash helper kept internal so the module's public surface stays about documents.
enum ContentHashing {
    static func sha256(_ text: String) -> String { ContentHash.sha256Hex(text) }
}

/// Turning raw bytes into document text, with the reasons a file is refused.
public enum DocumentText {
    /// Files larger than this are refused: a knowledge document is prose, and a bigger file is
    /// almost always a data dump or a mistake that would flood generation with chunks.
    public static let maximumByteCount = 10 * 1024 * 1024

    /// File name endings accepted as documents.
    public static let acceptedExtensions: Set<String> = ["md", "markdown", "txt"]

    /// Why bytes can't be used as a document.
    public enum Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        case empty
        case tooLarge(byteCount: Int)
        case binary(nulOffset: Int)
        case invalidUTF8(byteOffset: Int)
        case unsupportedType(String)

        public var description: String {
            switch self {
            case .empty: "is empty"
            case .tooLarge(let count): "is \(count) bytes, over the \(DocumentText.maximumByteCount / 1_048_576) MiB limit"
            case .binary(let offset): "looks binary (NUL byte at offset \(offset))"
            case .invalidUTF8(let offset): "is not valid UTF-8 (first bad byte at offset \(offset))"
            case .unsupportedType(let ext): "has unsupported type '.\(ext)'"
            }
        }

        public var hint: String {
            switch self {
            case .empty: "add the document's text or remove it from the patterns"
            case .tooLarge: "split it into several documents of a few thousand words"
            case .binary: "convert it to Markdown or plain text first"
            case .invalidUTF8: "re-save the file as UTF-8"
            case .unsupportedType: "use Markdown (.md) or plain text (.txt)"
            }
        }
    }

    /// Decodes document bytes: UTF-8 only, BOM stripped, CRLF and lone CR turned into LF.
    public static func decode(_ data: Data) throws(Refusal) -> String {
        if data.isEmpty { throw .empty }
        if data.count > maximumByteCount { throw .tooLarge(byteCount: data.count) }
        if let nul = data.firstIndex(of: 0) { throw .binary(nulOffset: nul - data.startIndex) }
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if let offset = firstInvalidUTF8Offset(bytes) {
            let bomShift = data.count - bytes.count
            throw .invalidUTF8(byteOffset: offset + bomShift)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let normalised = text.contains("\r")
            ? text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            : text
        if normalised.allSatisfy(\.isWhitespace) { throw .empty }
        return normalised
    }

    /// Byte offset of the first byte that doesn't belong to a valid UTF-8 sequence, or nil.
    public static func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            let length: Int
            let minimum: UInt32
            switch lead {
            case 0x00...0x7F: index += 1; continue
            case 0xC2...0xDF: length = 2; minimum = 0x80
            case 0xE0...0xEF: length = 3; minimum = 0x800
            case 0xF0...0xF4: length = 4; minimum = 0x10000
            default: return index
            }
            guard index + length <= bytes.count else { return index }
            var scalar = UInt32(lead) & (0xFF >> UInt32(length + 1))
            for offset in 1..<length {
                let byte = bytes[index + offset]
                guard byte & 0xC0 == 0x80 else { return index }
                scalar = (scalar << 6) | UInt32(byte & 0x3F)
            }
            // Overlong forms, surrogates and values past U+10FFFF are invalid.
            if scalar < minimum || (0xD800...0xDFFF).contains(scalar) || scalar > 0x10FFFF { return index }
            index += length
        }
        return nil
    }

    /// Whitespace-separated words.
    public static func wordCount(_ text: String) -> Int {
        var count = 0
        var inWord = false
        for scalar in text.unicodeScalars {
            let space = scalar.properties.isWhitespace
            if !space && !inWord { count += 1 }
            inWord = !space
        }
        return count
    }
}
