import Foundation

/// Sentences, words and stems: the text units the verifiers compare.
public enum TextUnits {
    /// Sentences of `text` (ends at `. ? !` followed by a space or line end, not at a decimal
    /// point, and at blank lines and list items), trimmed, empty ones dropped.
    public static func sentences(_ text: String) -> [String] {
        var found: [String] = []
        var current = ""
        let characters = Array(text)
        for (index, character) in characters.enumerated() {
            current.append(character)
            let next = index + 1 < characters.count ? characters[index + 1] : " "
            let ends = ((character == "." || character == "?" || character == "!") && (next == " " || next == "\n"))
                || (character == "\n" && (next == "\n" || next == "-" || next == "|" || (next.isNumber && Self.startsListItem(characters, at: index + 1))))
                || (character == "\n" && current.trimmingCharacters(in: .whitespaces).hasPrefix("|"))
            if ends {
                // "e.g." and "U.S." are not sentence ends.
                let tail = current.suffix(5).lowercased()
                if character == "." && (tail.hasSuffix("e.g.") || tail.hasSuffix("i.e.") || tail.hasSuffix("u.s.") || tail.hasSuffix(" vs.") || tail.hasSuffix(" inc.")) {
                    continue
                }
                let trimmed = current.trimmingCharacters(in: .whitespacesAndNewlines)
                if !trimmed.isEmpty { found.append(trimmed) }
                current = ""
            }
        }
        let trimmed = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !trimmed.isEmpty { found.append(trimmed) }
        return found
    }

    /// Whether a line starting at `position` is a numbered list item ("1. ", "2) ").
    static func startsListItem(_ characters: [Character], at position: Int) -> Bool {
        var cursor = position
        while cursor < characters.count, characters[cursor].isNumber { cursor += 1 }
        return cursor < characters.count - 1 && (characters[cursor] == "." || characters[cursor] == ")") && characters[cursor + 1] == " "
    }

    /// Paragraphs (separated by blank lines), trimmed, empty ones dropped.
    public static func paragraphs(_ text: String) -> [String] {
        text.components(separatedBy: "\n\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    /// Lower-cased words (letters and digits), as ROUGE tokenises.
    public static func words(_ text: String) -> [String] { RougeL.tokens(text).map(String.init) }

    /// Stems of the words that carry meaning: stop words dropped, a light suffix stemmer applied
    /// so "expenses"/"expense" and "increased"/"increase" meet.
    public static func contentStems(_ text: String) -> [String] {
        words(text).filter { !stopWords.contains($0) && !($0.first?.isNumber ?? false) }.map(stem)
    }

    public static func stem(_ word: String) -> String {
        guard word.count > 4 else { return word }
        for suffix in ["ations", "ation", "ings", "ing", "ies", "ied", "ed", "es", "s"] where word.hasSuffix(suffix) && word.count - suffix.count >= 3 {
            let base = String(word.dropLast(suffix.count))
            return suffix == "ies" || suffix == "ied" ? base + "y" : base
        }
        return word
    }

    public static let stopWords: Set<String> = GroundingFilter.stopWords.union([
        "was", "were", "per", "over", "under", "between", "during", "after", "before", "while", "both", "only", "other",
        "same", "up", "down", "out", "very", "just", "because", "since", "until", "within", "without", "whose", "whom",
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "here", "s", "t", "am", "let",
        "us", "said", "says", "say", "like", "well", "much", "many", "some", "give", "gives", "given", "show", "shows",
        "still", "already", "whereas", "however", "instead", "even", "yet", "though", "although", "therefore", "thus", "ever",
    ])
}
