/// Turns tokens into text one at a time without ever splitting a UTF-8 character: bytes of an
/// incomplete character are held back until the tokens that complete it arrive.
public struct StreamingDecoder {
    private let tokenizer: Tokenizer
    private let renderSpecial: Bool
    private var pending: [UInt8] = []
    private var atStart = true

    public init(tokenizer: Tokenizer, renderSpecial: Bool = false) {
        self.tokenizer = tokenizer
        self.renderSpecial = renderSpecial
    }

    /// The text that `id` completes (possibly empty).
    public mutating func append(_ id: Int32) -> String {
        pending.append(contentsOf: tokenizer.bytes(of: id, renderSpecial: renderSpecial))
        if atStart, tokenizer.vocabulary.model == .llama, tokenizer.vocabulary.addSpacePrefix, pending.first == UInt8(ascii: " ") {
            pending.removeFirst()
        }
        if !pending.isEmpty { atStart = false }
        let complete = Self.completePrefixLength(pending)
        guard complete > 0 else { return "" }
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// Whatever is still held back (an incomplete character at the very end), as replacement text.
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return pending.isEmpty ? "" : String(decoding: pending, as: UTF8.self)
    }

    /// Length of the longest prefix that does not end inside a multi-byte character.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        var index = bytes.count
        // Look back at most 3 bytes for the lead byte of the last character.
        var back = 0
        while back < 4 && index - back - 1 >= 0 {
            let byte = bytes[index - back - 1]
            if byte & 0xC0 != 0x80 {
                let needed = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
                if needed > back + 1 { index -= back + 1 }
                return index
            }
            back += 1
        }
        return index
    }
}
