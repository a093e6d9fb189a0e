/// Word counting shared by the loader (document word counts) and the default token estimate.
enum TextMeasure {
    /// The number of maximal runs of non-whitespace Unicode scalars.
    static func wordCount(_ scalars: some Sequence<Unicode.Scalar>) -> Int {
        var count = 0
        var inWord = false
        for scalar in scalars {
            if isWhitespace(scalar) {
                inWord = false
            } else if !inWord {
                inWord = true
                count += 1
            }
        }
        return count
    }

    /// Unicode White_Space, with an ASCII fast path since almost all text is ASCII.
    @inline(__always)
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 {
            return scalar == " " || scalar == "\n" || scalar == "\t" || scalar == "\r"
                || scalar.value == 0x0B || scalar.value == 0x0C
        }
        return scalar.properties.isWhitespace
    }
}
