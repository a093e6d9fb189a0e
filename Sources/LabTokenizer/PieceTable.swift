/// The bytes every token decodes to, computed once and stored flat.
///
/// As llama.cpp's `token_to_piece` (src/llama-vocab.cpp): normal tokens are un-mapped (byte-level:
/// GPT-2 characters back to bytes; SentencePiece, WordPiece and Gemma 4: `▁` back to a space),
/// byte tokens `<0xAB>` give their byte (escaped-space spellings only), control, unknown and
/// user-defined tokens give their text, and unused or undefined tokens give nothing.
struct PieceTable: Sendable {
    private let storage: [UInt8]
    private let offsets: [Int]
    /// Control and unknown tokens, which are shown only on request.
    let isSpecial: [Bool]

    init(tokens: [String], types: [TokenizerVocabulary.TokenType], spelling: TokenSpelling) {
        var storage: [UInt8] = []
        storage.reserveCapacity(tokens.count * 6)
        var offsets: [Int] = [0]
        offsets.reserveCapacity(tokens.count + 1)
        var isSpecial: [Bool] = []
        isSpecial.reserveCapacity(tokens.count)
        for (index, text) in tokens.enumerated() {
            let type = index < types.count ? types[index] : .normal
            isSpecial.append(type == .control || type == .unknown)
            switch type {
            case .control, .unknown, .userDefined:
                storage.append(contentsOf: text.utf8)
            case .normal:
                switch spelling {
                case .byteLevel: storage.append(contentsOf: ByteLevelEncoding.decode(text))
                case .escapedSpaces: Self.appendUnescaped(text, to: &storage)
                }
            case .byte:
                if spelling == .escapedSpaces, let byte = Self.byteValue(text) { storage.append(byte) }
            case .unused, .undefined:
                break
            }
            offsets.append(storage.count)
        }
        self.storage = storage
        self.offsets = offsets
        self.isSpecial = isSpecial
    }

    /// The bytes of token `index` (which the caller has range-checked).
    func bytes(_ index: Int) -> ArraySlice<UInt8> {
        storage[offsets[index]..<offsets[index + 1]]
    }

    private static func appendUnescaped(_ text: String, to storage: inout [UInt8]) {
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            if index + 2 < bytes.count && bytes[index] == 0xE2 && bytes[index + 1] == 0x96 && bytes[index + 2] == 0x81 {
                storage.append(UInt8(ascii: " "))
                index += 3
            } else {
                storage.append(bytes[index])
                index += 1
            }
        }
    }

    /// The byte of a `<0xAB>` token.
    private static func byteValue(_ text: String) -> UInt8? {
        let bytes = Array(text.utf8)
        guard bytes.count == 6, bytes[0] == UInt8(ascii: "<"), bytes[1] == UInt8(ascii: "0"),
            bytes[2] == UInt8(ascii: "x"), bytes[5] == UInt8(ascii: ">")
        else { return nil }
        return UInt8(String(decoding: bytes[3...4], as: UTF8.self), radix: 16)
    }
}
