import Foundation

/// A Markdown table in a context, with the scale its heading states ("in thousands").
public struct MarkdownTable: Sendable {
    public struct Row: Sendable {
        public var label: String
        public var cells: [String]
    }

    /// Column headers after the label column (periods, usually).
    public var columns: [String]
    public var rows: [Row]
    /// The multiplier the heading states for amounts ("(in millions …)" = 1e6), or 1.
    public var scale: Double
    /// Whether per-share amounts are exempt from the scale ("except per-share amounts").
    public var perShareUnscaled: Bool

    /// The first pipe table in `text`, or nil.
    public static func first(in text: String) -> MarkdownTable? {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let headerIndex = lines.firstIndex(where: { $0.hasPrefix("|") }), headerIndex + 1 < lines.count,
              lines[headerIndex + 1].replacingOccurrences(of: " ", with: "").allSatisfy({ "|-:".contains($0) }) else { return nil }
        func cells(_ line: String) -> [String] {
            var parts = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.first == "" { parts.removeFirst() }
            if parts.last == "" { parts.removeLast() }
            return parts
        }
        let header = cells(lines[headerIndex])
        var rows: [Row] = []
        for line in lines[(headerIndex + 2)...] {
            guard line.hasPrefix("|") else { break }
            let parts = cells(line)
            guard let label = parts.first else { continue }
            rows.append(Row(label: label.replacingOccurrences(of: "**", with: ""), cells: Array(parts.dropFirst())))
        }
        let heading = lines[..<headerIndex].joined(separator: " ").lowercased()
        var scale = 1.0
        for (word, multiplier) in [("thousand", 1e3), ("million", 1e6), ("billion", 1e9)] where heading.contains("in \(word)") || heading.contains("(\(word)") {
            scale = multiplier
            break
        }
        return MarkdownTable(columns: Array(header.dropFirst()), rows: rows, scale: scale,
                             perShareUnscaled: heading.contains("per-share") || heading.contains("per share"))
    }

    /// Whether a row holds per-share amounts, percentages or counts of shares that the heading's
    /// scale does not apply to.
    public func isUnscaled(_ row: Row) -> Bool {
        let label = row.label.lowercased()
        if label.contains("%") || label.contains("margin") || label.contains("percent") || label.contains("ratio") { return true }
        return perShareUnscaled && (label.contains("per share") || label.contains("per-share") || label.contains("earnings per") || label.contains("eps"))
    }

    /// The row the question names: the one whose label's words the question contains most fully.
    /// nil when no row's label is mostly in the question, or two rows tie.
    public func row(namedIn question: String, share: Double = 0.5) -> Row? {
        let expanded = (" " + question.lowercased() + " ").replacingOccurrences(of: " eps ", with: " earnings per share ")
            .replacingOccurrences(of: " capex ", with: " capital expenditures ").replacingOccurrences(of: " r&d ", with: " research and development ")
        let questionStems = Set(TextUnits.contentStems(expanded))
        var scored: [(Row, Double, Int)] = []
        for row in rows {
            let stems = Set(TextUnits.contentStems(row.label))
            guard !stems.isEmpty else { continue }
            let found = stems.intersection(questionStems).count
            scored.append((row, Double(found) / Double(stems.count), found))
        }
        scored.sort { ($0.1, $0.2) > ($1.1, $1.2) }
        guard let best = scored.first, best.1 >= share else { return nil }
        if scored.count > 1, scored[1].1 == best.1, scored[1].2 == best.2 { return nil }
        return best.0
    }

    /// The column a text names by its period words (years, quarters, months, "six months"), or
    /// nil when it names none or several equally.
    public func column(namedIn text: String) -> Int? {
        let wanted = Self.periodTokens(text)
        guard !wanted.isEmpty else { return nil }
        let scores = columns.map { Self.periodTokens($0).intersection(wanted).count }
        guard let best = scores.max(), best > 0, scores.filter({ $0 == best }).count == 1 else { return nil }
        return scores.firstIndex(of: best)
    }

    /// Period words normalised: years, `q1`…`q4`, month names, "3m"/"6m"/"9m"/"12m" spans.
    static func periodTokens(_ text: String) -> Set<String> {
        let words = TextUnits.words(text.lowercased())
        var tokens = Set<String>()
        let months = ["jan": "jan", "january": "jan", "feb": "feb", "february": "feb", "mar": "mar", "march": "mar", "apr": "apr",
                      "april": "apr", "may": "may", "jun": "jun", "june": "jun", "jul": "jul", "july": "jul", "aug": "aug",
                      "august": "aug", "sep": "sep", "sept": "sep", "september": "sep", "oct": "oct", "october": "oct",
                      "nov": "nov", "november": "nov", "dec": "dec", "december": "dec"]
        let ordinals = ["first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4]
        let spans = ["three": "3m", "six": "6m", "nine": "9m", "twelve": "12m"]
        for (index, word) in words.enumerated() {
            let next = index + 1 < words.count ? words[index + 1] : ""
            if word.count == 4, let year = Int(word), (1900...2100).contains(year) { tokens.insert(word) }
            if word.count == 2, word.hasPrefix("q"), let quarter = Int(word.dropFirst()), (1...4).contains(quarter) { tokens.insert(word) }
            if word.count == 6, word.hasPrefix("q"), let year = Int(word.dropFirst(2)), let quarter = Int(String(word.dropFirst().prefix(1))) {
                tokens.insert("q\(quarter)")
                tokens.insert(String(year))
            }
            if let month = months[word] { tokens.insert(month) }
            if let ordinal = ordinals[word], next == "quarter" { tokens.insert("q\(ordinal)") }
            if let ordinal = ordinals[word], next == "half" { tokens.insert(ordinal == 1 ? "6m" : "h2") }
            if let span = spans[word], next == "months" { tokens.insert(span) }
            if word == "fy", next.count == 4 { tokens.insert(next) }
            if word.hasPrefix("fy"), let year = Int(word.dropFirst(2)) { tokens.insert(String(year < 100 ? 2000 + year : year)) }
        }
        // A first half ends in June; six months ended Jun 30 is the same period.
        if tokens.contains("6m") { tokens.insert("jun") }
        if tokens.contains("jun") && words.contains("six") { tokens.insert("6m") }
        return tokens
    }

    /// A cell's figure: its number (accounting parentheses negative), or nil for a blank or dash.
    public static func figure(in cell: String) -> Figure? {
        FigureScanner.figures(in: cell).first { $0.kind != .label }
    }
}
