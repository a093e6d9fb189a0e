/// The Unicode classes the pre-tokenizer regexes use (`\p{L}`, `\p{N}`, `\s`, `\p{P}`), as bits.
///
/// Letters are general category L*, numbers N*, punctuation P*; whitespace is the Unicode
/// `White_Space` property — the same classes llama.cpp generates into `unicode-data.cpp`.
struct CharacterClass: OptionSet, Sendable {
    let rawValue: UInt8

    static let letter = CharacterClass(rawValue: 1)
    static let number = CharacterClass(rawValue: 2)
    static let whitespace = CharacterClass(rawValue: 4)
    static let punctuation = CharacterClass(rawValue: 8)

    /// The classes of one scalar value.
    @inline(__always)
    static func of(_ value: UInt32) -> CharacterClass {
        if value < 128 {
            return CharacterClass(rawValue: asciiTable[Int(value)])
        }
        return nonASCII(value)
    }

    private static let asciiTable: [UInt8] = (0..<128).map { value in
        // Unicode.Scalar(UInt8) always succeeds for values below 128.
        classify(Unicode.Scalar(UInt8(value))).rawValue
    }

    private static func nonASCII(_ value: UInt32) -> CharacterClass {
        guard let scalar = Unicode.Scalar(value) else { return [] }
        return classify(scalar)
    }

    private static func classify(_ scalar: Unicode.Scalar) -> CharacterClass {
        let properties = scalar.properties
        var result: CharacterClass = properties.isWhitespace ? .whitespace : []
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            result.insert(.letter)
        case .decimalNumber, .letterNumber, .otherNumber:
            result.insert(.number)
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            result.insert(.punctuation)
        default:
            break
        }
        return result
    }
}
