/// ROUGE-L between two texts, as the `rouge_score` package computes it (which InstructLab and
/// self-instruct use for near-duplicate detection): lower-case, every run of characters other than
/// `a-z0-9` is a separator, and F = 2·P·R / (P + R) over the longest common subsequence of tokens.
public enum RougeL {
    /// Tokens as `rouge_score`'s default tokenizer makes them (no stemming).
    public static func tokens(_ text: String) -> [Substring] {
        let lowered = text.lowercased()
        return lowered.split { character in
            !(character.isASCII && (character.isLetter || character.isNumber))
        }
    }

    /// The F-measure of ROUGE-L between two token sequences (0 when either is empty).
    public static func fMeasure<T: Equatable>(_ candidate: [T], _ reference: [T]) -> Double {
        guard !candidate.isEmpty, !reference.isEmpty else { return 0 }
        let lcs = Double(longestCommonSubsequence(candidate, reference))
        guard lcs > 0 else { return 0 }
        let precision = lcs / Double(candidate.count), recall = lcs / Double(reference.count)
        return 2 * precision * recall / (precision + recall)
    }

    public static func fMeasure(_ candidate: String, _ reference: String) -> Double {
        fMeasure(tokens(candidate), tokens(reference))
    }

    /// Length of the longest common subsequence, in O(m·n) time and O(n) memory.
    static func longestCommonSubsequence<T: Equatable>(_ a: [T], _ b: [T]) -> Int {
        var previous = [Int](repeating: 0, count: b.count + 1)
        var current = previous
        for i in 1...a.count {
            for j in 1...b.count {
                current[j] = a[i - 1] == b[j - 1] ? previous[j - 1] + 1 : max(previous[j], current[j - 1])
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
