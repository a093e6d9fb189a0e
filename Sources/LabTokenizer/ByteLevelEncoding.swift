/// GPT-2's reversible byte ↔ character mapping, which lets a byte-level vocabulary be stored
/// as printable text.
///
/// Printable Latin-1 bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) stand for themselves; the other 68 bytes
/// map, in increasing order, to U+0100, U+0101, … (so space 0x20 is `Ġ` U+0120 and newline is `Ċ`).
/// Source: `bytes_to_unicode()` in openai/gpt-2 `src/encoder.py`.
enum ByteLevelEncoding {
    /// The character standing for each byte value.
    static let characterForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            if printable {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                // 256 + at most 68 stays far below the surrogate range, so the scalar always exists.
                table[byte] = Unicode.Scalar(next) ?? "\0"
                next += 1
            }
        }
        return table
    }()

    /// The byte a character stands for, or nil when the character is not part of the mapping.
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = scalar.value
        if value < 256 {
            let byte = Int(value)
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            return printable ? UInt8(value) : nil
        }
        return byteForMappedCharacter[value]
    }

    private static let byteForMappedCharacter: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (byte, scalar) in characterForByte.enumerated() where scalar.value >= 256 {
            map[scalar.value] = UInt8(byte)
        }
        return map
    }()

    /// The stored (mapped) spelling of raw bytes.
    static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var scalars = String.UnicodeScalarView()
        for byte in bytes {
            scalars.append(characterForByte[Int(byte)])
        }
        return String(scalars)
    }

    /// The raw bytes of a stored token; characters outside the mapping pass through as their UTF-8.
    static func decode(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if let byte = byte(for: scalar) {
                bytes.append(byte)
            } else {
                bytes.append(contentsOf: String(scalar).utf8)
            }
        }
        return bytes
    }
}
