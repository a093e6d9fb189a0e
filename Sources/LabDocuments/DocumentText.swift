/// Text checks other modules share with the document loader (the taxonomy checker validates
/// qna.yaml bytes and counts words in seed examples the same way documents are measured).
public enum DocumentText {
    /// The byte offset of the first ill-formed UTF-8 sequence in `bytes`, or nil when valid.
    public static func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { UTF8Validation.firstInvalidOffset(in: $0) }
    }

    /// The number of whitespace-separated words in `text` (Unicode White_Space separates).
    public static func wordCount(_ text: String) -> Int {
        TextMeasure.wordCount(text.unicodeScalars)
    }
}
