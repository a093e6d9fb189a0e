import Foundation

/// Lexical grounding: is an answer supported by its source chunk or context?
///
/// Two checks, both cheap and explainable: the share of the answer's content words found in the
/// source, and — because a wrong figure is the costliest error in finance data — every number in
/// the answer must appear in the source. The best supporting sentence is kept as evidence.
public struct GroundingFilter: Sendable {
    public static let version = "1"
    /// Minimum share of content words of the answer that the source must contain.
    public var threshold: Double

    public init(threshold: Double = 0.6) {
        self.threshold = threshold
    }

    public struct Result: Sendable, Equatable {
        public var support: Double
        /// Numbers in the answer that the source does not contain.
        public var unsupportedNumbers: [String]
        /// Character offsets (Unicode scalars) of the source sentence that supports the answer best.
        public var bestSpan: Range<Int>?
        public var accepted: Bool
        public var reason: String
    }

    public func evaluate(answer: String, source: String) -> Result {
        let answerWords = Self.contentWords(answer)
        let sourceWords = Set(Self.contentWords(source))
        let supported = answerWords.filter(sourceWords.contains).count
        let support = answerWords.isEmpty ? 0 : Double(supported) / Double(answerWords.count)
        let sourceNumbers = Set(Self.numbers(source))
        let missing = Self.numbers(answer).filter { !sourceNumbers.contains($0) }
        let span = bestSentence(for: Set(answerWords), in: source)
        let reason: String
        let accepted: Bool
        if answerWords.isEmpty {
            (accepted, reason) = (false, "answer has no content words")
        } else if !missing.isEmpty {
            (accepted, reason) = (false, "number\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")) not in the source")
        } else if support < threshold {
            (accepted, reason) = (false, String(format: "only %.0f%% of the answer's words are in the source (need %.0f%%)", support * 100, threshold * 100))
        } else {
            (accepted, reason) = (true, String(format: "%.0f%% of the answer's words are in the source", support * 100))
        }
        return Result(support: support, unsupportedNumbers: missing, bestSpan: span, accepted: accepted, reason: reason)
    }

    /// Lower-cased words that carry meaning (not stop words), numbers included.
    static func contentWords(_ text: String) -> [String] {
        RougeL.tokens(text).map(String.init).filter { !stopWords.contains($0) }
    }

    /// Numbers as written, normalised: thousands separators dropped, trailing zeros after a decimal
    /// point dropped ("1,250.50" → "1250.5"), so formatting differences don't count as new figures.
    static func numbers(_ text: String) -> [String] {
        var found: [String] = []
        var current = ""
        func flush() {
            var number = current.trimmingCharacters(in: CharacterSet(charactersIn: ".,"))
            current = ""
            guard number.contains(where: \.isNumber) else { return }
            number = number.replacingOccurrences(of: ",", with: "")
            if number.contains(".") {
                while number.hasSuffix("0") { number.removeLast() }
                if number.hasSuffix(".") { number.removeLast() }
            }
            found.append(number)
        }
        for character in text {
            if character.isASCII && (character.isNumber || ((character == "." || character == ",") && !current.isEmpty)) {
                current.append(character)
            } else {
                flush()
            }
        }
        flush()
        return found
    }

    private func bestSentence(for words: Set<String>, in source: String) -> Range<Int>? {
        let scalars = Array(source.unicodeScalars)
        var best: (Range<Int>, Int)?
        var start = 0
        func consider(_ end: Int) {
            guard end > start else { return }
            let sentence = String(String.UnicodeScalarView(scalars[start..<end]))
            let overlap = Set(Self.contentWords(sentence)).intersection(words).count
            if overlap > (best?.1 ?? 0) { best = (start..<end, overlap) }
        }
        for (index, scalar) in scalars.enumerated() {
            // A sentence ends at a newline, or at . ? ! followed by whitespace (not a decimal point).
            let ends = scalar == "\n" || ((scalar == "." || scalar == "?" || scalar == "!")
                && (index + 1 == scalars.count || scalars[index + 1].properties.isWhitespace))
            guard ends else { continue }
            while start < index && scalars[start].properties.isWhitespace { start += 1 }
            consider(index + 1)
            start = index + 1
        }
        while start < scalars.count && scalars[start].properties.isWhitespace { start += 1 }
        consider(scalars.count)
        return best?.0
    }

    static let stopWords: Set<String> = [
        "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "by", "for", "with", "from", "as", "is", "are",
        "was", "were", "be", "been", "being", "it", "its", "this", "that", "these", "those", "which", "who", "what", "when",
        "where", "why", "how", "do", "does", "did", "has", "have", "had", "can", "could", "will", "would", "should", "may",
        "might", "must", "not", "no", "so", "than", "then", "there", "their", "they", "them", "he", "she", "his", "her", "we",
        "our", "you", "your", "i", "me", "my", "also", "such", "if", "into", "about", "each", "any", "all", "more", "most",
    ]
}
