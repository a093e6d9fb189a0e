/// GPT-2's reversible byte ↔ printable-character mapping: bytes that are printable Latin-1 map to
/// themselves, the rest to U+0100 upwards, so every byte sequence is a string of visible characters.
enum ByteLevel {
    static let byteToScalar: [Unicode.Scalar] = {
        var printable: [UInt8] = Array(UInt8(ascii: "!")...UInt8(ascii: "~")) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        for byte in printable { table[Int(byte)] = Unicode.Scalar(byte) }
        var next: UInt32 = 256
        for byte in 0...255 where !printable.contains(UInt8(byte)) {
            table[byte] = Unicode.Scalar(next)!
            next += 1
        }
        printable.removeAll()
        return table
    }()

    static let scalarToByte: [UInt32: UInt8] = {
        Dictionary(uniqueKeysWithValues: byteToScalar.enumerated().map { ($1.value, UInt8($0)) })
    }()

    /// Encodes raw bytes as the mapped string.
    static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(byteToScalar[Int(byte)]) }
        return String(scalars)
    }

    /// Decodes a mapped token text back into bytes (characters outside the mapping are kept as UTF-8).
    static func decode(_ text: String, into bytes: inout [UInt8]) {
        for scalar in text.unicodeScalars {
            if let byte = scalarToByte[scalar.value] { bytes.append(byte) } else { bytes.append(contentsOf: String(scalar).utf8) }
        }
    }
}
