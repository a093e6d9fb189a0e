public import LabLLM

/// A tokenizer-free `TokenTextDecoder`: token `id` reads as `pieces[id]` (or `<id>` beyond the table).
public struct ScriptedDecoder: TokenTextDecoder, Sendable {
    /// The text of each token id.
    public let pieces: [String]

    /// A decoder reading token `i` as `pieces[i]`.
    public init(pieces: [String]) { self.pieces = pieces }

    /// Token `i` reads as the `i`-th lowercase letter, wrapping after `z`, for a vocabulary of `size`.
    public static func letters(vocabularySize size: Int) -> ScriptedDecoder {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz")
        return ScriptedDecoder(pieces: (0..<size).map { String(alphabet[$0 % alphabet.count]) })
    }

    public mutating func append(_ id: Int32) -> String {
        pieces.indices.contains(Int(id)) ? pieces[Int(id)] : "<\(id)>"
    }

    public mutating func flush() -> String { "" }
}
