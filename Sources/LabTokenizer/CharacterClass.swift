/// The Unicode classes the pre-tokenizer regexes and normalizers use (`\p{L}`, `\p{N}`, `\s`,
/// `\p{P}`, `\p{M}`, `\p{S}`, `\p{C}`), as bits.
///
/// Letters are general category L*, numbers N*, punctuation P*, marks M*, symbols S*, control
/// Cc/Cf/Co/Cs (unassigned Cn is in none); whitespace is the Unicode `White_Space` property — the
/// same classes llama.cpp generates into `unicode-data.cpp` (scripts/gen-unicode-data.py).
struct CharacterClass: OptionSet, Sendable, Hashable {
    let rawValue: UInt8

    static let letter = CharacterClass(rawValue: 1)
    static let number = CharacterClass(rawValue: 2)
    static let whitespace = CharacterClass(rawValue: 4)
    static let punctuation = CharacterClass(rawValue: 8)
    /// Combining and enclosing marks (`\p{M}`: Mn, Mc, Me).
    static let mark = CharacterClass(rawValue: 16)
    /// `\p{S}`: Sm, Sc, Sk, So.
    static let symbol = CharacterClass(rawValue: 32)
    /// llama.cpp's `is_control` (`\p{C}` without unassigned code points): Cc, Cf, Co, Cs.
    static let control = CharacterClass(rawValue: 64)

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
        case .nonspacingMark, .spacingMark, .enclosingMark:
            result.insert(.mark)
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            result.insert(.symbol)
        case .control, .format, .privateUse, .surrogate:
            result.insert(.control)
        default:
            break
        }
        return result
    }
}
