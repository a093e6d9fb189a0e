/// Turns generated tokens into text one token at a time, for streaming output.
///
/// A character can be split over several tokens (byte-level BPE pieces of `東`, or SentencePiece
/// byte tokens `<0xE6><0x9D><0xB1>`); the detokenizer holds back an unfinished UTF-8 sequence
/// until the token that completes it arrives, so every returned piece is whole characters.
/// Concatenating every `append` result and `flush()` equals `Tokenizer.decode` of all the ids
/// (unless `keepsLeadingSpace`).
public struct StreamingDecoder: Sendable {
    /// The tokenizer whose pieces are joined.
    public let tokenizer: Tokenizer
    /// Whether control tokens (`<|im_end|>`) appear in the text.
    public let renderSpecial: Bool
    /// Whether the first piece keeps the space a SentencePiece token starts with (`▁The` → ` The`).
    public let keepsLeadingSpace: Bool
    private var pending: [UInt8] = []
    private var atStart: Bool

    /// A detokenizer for one output stream.
    ///
    /// - Parameter keepsLeadingSpace: true for text that continues a prompt (a raw completion),
    ///   where llama.cpp's server keeps the first piece's space; false for text that starts on its
    ///   own (a chat reply), where the space is the one SentencePiece puts before every text.
    public init(tokenizer: Tokenizer, renderSpecial: Bool = false, keepsLeadingSpace: Bool = false) {
        self.tokenizer = tokenizer
        self.renderSpecial = renderSpecial
        self.keepsLeadingSpace = keepsLeadingSpace
        atStart = !keepsLeadingSpace
    }

    /// Adds one token and returns the text it completes (possibly empty).
    public mutating func append(_ id: Int32) -> String {
        tokenizer.appendPiece(of: id, renderSpecial: renderSpecial, atStart: &atStart, to: &pending)
        let complete = Self.completePrefixLength(pending)
        guard complete > 0 else { return "" }
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// Returns whatever is still held back (an unfinished sequence becomes U+FFFD) and resets.
    public mutating func flush() -> String {
        let text = String(decoding: pending, as: UTF8.self)
        pending.removeAll()
        atStart = !keepsLeadingSpace
        return text
    }

    /// Bytes held back waiting for the rest of a character.
    public var pendingByteCount: Int { pending.count }

    /// The length of `bytes` without a trailing UTF-8 sequence that more bytes could still complete.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let count = bytes.count
        // Find the start of the last sequence: at most 3 continuation bytes back.
        var start = count - 1
        while start >= 0 && start >= count - 4 && bytes[start] & 0xC0 == 0x80 {
            start -= 1
        }
        guard start >= 0 && start >= count - 4 else { return count }
        let lead = bytes[start]
        let needed: Int
        switch lead {
        case 0xC2...0xDF: needed = 2
        case 0xE0...0xEF: needed = 3
        case 0xF0...0xF4: needed = 4
        default: return count  // ASCII, or a byte that can never start a sequence: nothing to wait for.
        }
        return count - start < needed ? start : count
    }
}
