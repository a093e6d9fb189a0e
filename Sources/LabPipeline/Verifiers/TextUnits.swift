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

    /// The subject of a definitional sentence ("Interest coverage ratio = EBIT / interest expense",
    /// "Item 1A discusses …", "A basis point is …"): the words before its first defining verb,
    /// when they name something (not a pronoun or "this ratio"), else nil.
    public static func definedSubject(_ sentence: String) -> String? {
        let verbs = [" = ", " is ", " are ", " measures ", " means ", " shows ", " equals ", " reports ", " describes ", " covers ",
                     " discusses ", " contains ", " requires ", " compares ", " divides "]
        let lowered = sentence.lowercased()
        guard let cut = verbs.compactMap({ lowered.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) else { return nil }
        let subject = String(sentence[..<cut.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines)
        return isNamedSubject(subject) ? subject : nil
    }

    /// Whether `subject` names something on its own: one to eight words, no clause, not a pronoun
    /// or a phrase that points at a neighbouring sentence ("the corresponding", "such").
    public static func isNamedSubject(_ subject: String) -> Bool {
        let words = subject.split(separator: " ")
        let lowerWords = Set(words.map { $0.lowercased() })
        guard (1...8).contains(words.count), !subject.contains(","), let first = words.first?.lowercased(),
              !["it", "this", "these", "that", "those", "they", "such", "there", "here", "its", "each", "which", "when", "if", "not",
                "every", "the corresponding", "other", "another"].contains(first),
              lowerWords.isDisjoint(with: ["that", "which", "who", "corresponding", "other", "same"]),
              !contentStems(subject).isEmpty else { return false }
        return true
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

    /// A light suffix stemmer: plural and verb endings off, then a final "e", so that
    /// "expenses"/"expense", "increased"/"increasing"/"increase" and "comes"/"come" meet.
    public static func stem(_ word: String) -> String {
        if let irregular = irregular[word] { return irregular }
        guard word.count > 3 else { return word }
        var base = word
        if base.hasSuffix("ies") && base.count > 4 {
            base = String(base.dropLast(3)) + "y"
        } else if base.hasSuffix("ied") && base.count > 4 {
            base = String(base.dropLast(3)) + "y"
        } else if base.hasSuffix("ing") && base.count > 5 {
            base = String(base.dropLast(3))
        } else if base.hasSuffix("ed") && base.count > 4 {
            base = String(base.dropLast(2))
        } else if base.hasSuffix("s") && !base.hasSuffix("ss") && !base.hasSuffix("us") && !base.hasSuffix("is") {
            base = String(base.dropLast())
        }
        if base.hasSuffix("e") && base.count > 4 { base = String(base.dropLast()) }
        return base
    }

    /// Irregular past forms finance text uses, to their stems.
    static let irregular = ["paid": "pay", "sold": "sell", "grew": "grow", "rose": "rise", "fell": "fall", "spent": "spend",
                            "bought": "buy", "held": "hold", "made": "make", "lost": "lose", "took": "take", "gave": "give", "brought": "bring"]

    public static let stopWords: Set<String> = GroundingFilter.stopWords.union([
        "was", "were", "per", "over", "under", "between", "during", "after", "before", "while", "both", "only", "other",
        "same", "up", "down", "out", "very", "just", "because", "since", "until", "within", "without", "whose", "whom",
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "here", "s", "t", "am", "let",
        "us", "said", "says", "say", "like", "well", "much", "many", "some", "give", "gives", "given", "show", "shows",
        "still", "already", "whereas", "however", "instead", "even", "yet", "though", "although", "therefore", "thus", "ever",
    ])
}
