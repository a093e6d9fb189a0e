import Foundation

/// Worked answers computed from a question's own figures, in the sample taxonomy's style (the
/// formula, numbered steps that each recompute from the previous written value, one concluding
/// sentence). For leaves whose answer is a computation, a small teacher can ask the question and
/// this writes the answer; the sample's lineage says so. nil when the question does not name one
/// computation with exactly the figures it needs.
public enum WorkedAnswers {
    public struct Answer: Sendable, Equatable {
        public var text: String
        /// The operation and inputs, for the sample's lineage.
        public var operation: String
        public var inputs: String

        public init(text: String, operation: String, inputs: String) {
            self.text = text
            self.operation = operation
            self.inputs = inputs
        }
    }

    /// The answer for `question` using one of `operations`, or nil.
    public static func answer(_ question: String, operations: Set<ArithmeticOperation>) -> Answer? {
        let problem = QuestionFigures(question)
        // "From a loss of $4 million to a profit of $6 million": a percent change or a growth rate
        // over a change of sign is not meaningful (the seed says so in words); nothing to compute.
        guard !problem.amounts.contains(where: { amount in amount.readings.contains { $0 < 0 } }) else { return nil }
        // "Revenue of $600 million … CAGR in 2 years at $100 million per year": a level and a flow
        // per period are not two values of one quantity; what the question means is anyone's guess.
        guard problem.comparablePairs.count == problem.orderedPairs.count else { return nil }
        let lowered = question.lowercased()
        func asks(_ phrases: [String]) -> Bool { phrases.contains(where: lowered.contains) }
        if operations.contains(.cagr), asks(["cagr", "compound annual", "annual growth rate", "compounded annual", "annualized growth"]),
           problem.amounts.count == 2, let years = problem.periods.first, years > 0, years == years.rounded(), problem.percents.isEmpty {
            return cagr(problem, years: years)
        }
        if operations.contains(.futureValue), asks(["what will", "how much will", "reach", "be worth", "grow to"]), QuestionFigures.askedKind(question) != true,
           problem.amounts.count == 1, problem.signedPercents.count == 1, let years = problem.periods.first, years > 0 {
            return futureValue(problem, years: years)
        }
        if operations.contains(.percentagePoints), asks(["percentage point"]), problem.percents.count == 2, problem.amounts.isEmpty {
            return percentagePoints(problem)
        }
        if operations.contains(.percentChange), asks(["percent change", "percentage change", "by what percent", "what percent", "percent increase",
                                                      "percent decrease", "percentage increase", "percentage decrease", "by how much percent"]),
           problem.amounts.count == 2, problem.percents.isEmpty {
            return percentChange(problem)
        }
        if operations.contains(.scale), asks(["in dollars", "in millions", "in billions", "in thousands", "convert", "express", "how much"]),
           problem.amounts.count == 1, problem.percents.isEmpty {
            return scale(problem, question: lowered)
        }
        if operations.contains(.reversePercent), asks(["last year", "previous year", "prior year", "before", "a year earlier", "a year ago"]),
           problem.amounts.count == 1, problem.signedPercents.count == 1 {
            return reversePercent(problem)
        }
        return nil
    }

    // MARK: Operations

    static func cagr(_ problem: QuestionFigures, years: Double) -> Answer? {
        guard let (start, end) = problem.orderedPairs.first, let s = start.readings.first, let e = end.readings.first, s > 0, e > 0 else { return nil }
        let scale = commonScale([start, end], problem)
        let (a, b) = (s / scale, e / scale)
        var steps: [String] = []
        let distinct = Array(Set(problem.years)).sorted()
        if distinct.count >= 2 { steps.append("Years: \(distinct.last!) - \(distinct.first!) = \(Int(years)).") }
        let ratio = round(b / a, 4)
        steps.append("Ratio: \(number(b)) / \(number(a)) = \(number(ratio, 4)).")
        let root = round(pow(ratio, 1 / years), 4)
        steps.append("Root: \(number(ratio, 4))^(1/\(Int(years))) = \(number(root, 4)).")
        let rate = round(root - 1, 4)
        steps.append("Subtract 1: \(number(root, 4)) - 1 = \(number(rate, 4)), or \(number(rate * 100, 2))%.")
        let direction = rate >= 0 ? "grew" : "shrank"
        let text = """
            CAGR = (ending value / beginning value)^(1 / years) - 1.

            \(numbered(steps))

            The value \(direction) at a compound annual rate of about \(number(abs(rate) * 100, 1))% per year; the CAGR is about \(number(rate * 100, 1))%.
            """
        return Answer(text: text, operation: "cagr", inputs: "\(start.text) → \(end.text) over \(Int(years)) years")
    }

    static func futureValue(_ problem: QuestionFigures, years: Double) -> Answer? {
        guard let amount = problem.amounts.first, let start = amount.readings.first, let p = problem.signedPercents.first else { return nil }
        let scale = commonScale([amount], problem)
        let base = start / scale
        let factor = round(pow(1 + p / 100, years), 6)
        let end = round(base * factor, 3)
        let text = """
            Ending value = beginning value x (1 + growth rate)^years.

            1. Growth factor: \(number(1 + p / 100, 4))^\(Int(years)) = \(number(factor, 6)).
            2. Ending value: \(number(base)) x \(number(factor, 6)) = \(number(end, 3)).

            The value would be about \(unit(amount.text))\(number(end, 1))\(scaleWord(scale)) at the end of the period.
            """
        return Answer(text: text, operation: "future_value", inputs: "\(amount.text) at \(number(p, 2))% for \(Int(years)) years")
    }

    static func percentChange(_ problem: QuestionFigures) -> Answer? {
        guard let (old, new) = problem.orderedPairs.first, let o = old.readings.first, let n = new.readings.first, o > 0 else { return nil }
        let scale = commonScale([old, new], problem)
        let (a, b) = (o / scale, n / scale)
        let change = round(b - a, 4)
        let fraction = round(change / a, 4)
        let percent = round(fraction * 100, 2)
        let direction = change >= 0 ? "increased" : "decreased"
        let text = """
            Percent change = (new value - old value) / old value x 100.

            1. Change: \(number(b)) - \(number(a)) = \(number(change, 4)).
            2. Divide by the old value: \(number(change, 4)) / \(number(a)) = \(number(fraction, 4)).
            3. Multiply by 100: \(number(fraction, 4)) x 100 = \(number(percent, 2))%.

            The value \(direction) by about \(number(abs(percent), 1))%, from \(old.text) to \(new.text).
            """
        return Answer(text: text, operation: "percent_change", inputs: "\(old.text) → \(new.text)")
    }

    static func percentagePoints(_ problem: QuestionFigures) -> Answer? {
        guard problem.percents.count == 2 else { return nil }
        let (a, b) = (problem.percents[0].value, problem.percents[1].value)
        guard a != 0 else { return nil }
        let points = round(b - a, 4)
        let relative = round(points / a * 100, 2)
        let text = """
            A change in percentage points is the difference of the two percentages; a change in percent is relative to the old one.

            1. Percentage points: \(number(b))% - \(number(a))% = \(number(points, 4)) percentage points.
            2. Relative change: \(number(points, 4)) / \(number(a)) x 100 = \(number(relative, 2))%.

            The rate changed by \(number(abs(points), 2)) percentage points, which is a \(number(abs(relative), 1))% \(points >= 0 ? "increase" : "decrease") relative to the old rate of \(number(a))%.
            """
        return Answer(text: text, operation: "percentage_points", inputs: "\(number(a))% → \(number(b))%")
    }

    static func reversePercent(_ problem: QuestionFigures) -> Answer? {
        guard let amount = problem.amounts.first, let now = amount.readings.first, let p = problem.signedPercents.first, p > -100 else { return nil }
        let scale = commonScale([amount], problem)
        let value = now / scale
        let factor = round(1 + p / 100, 4)
        let before = round(value / factor, 3)
        let text = """
            If the value changed by \(number(p, 2))%, then this year = last year x \(number(factor, 4)), so last year = this year / \(number(factor, 4)).

            1. Last year: \(number(value)) / \(number(factor, 4)) = \(number(before, 3)).
            2. Check: \(number(before, 3)) x \(number(factor, 4)) = \(number(round(before * factor, 3), 3)).

            The earlier value was about \(unit(amount.text))\(number(before, 1))\(scaleWord(scale)).
            """
        return Answer(text: text, operation: "reverse_percent", inputs: "\(amount.text), \(number(p, 2))%")
    }

    /// One amount in the units the question asks for ("in dollars", "in millions", …).
    static func scale(_ problem: QuestionFigures, question: String) -> Answer? {
        guard let amount = problem.amounts.first, let absolute = amount.readings.first, let written = FigureScanner.figures(in: amount.text).first,
              absolute != written.value || written.scale != 1 else { return nil }
        // The scale the amount is written in: its own word, or the one the question states.
        let source = written.scale != 1 ? written.scale : absolute / written.value
        guard [1e3, 1e6, 1e9].contains(where: { abs($0 - source) < 1 }) else { return nil }
        let asked = question.split(separator: "?").first.map(String.init) ?? question
        var targets: [(String, Double)] = []
        if asked.contains("dollars") && !asked.contains("of dollars") { targets.append(("dollars", 1)) }
        for (word, value) in [("thousand", 1e3), ("million", 1e6), ("billion", 1e9)] where value != source && asked.contains("in \(word)") || asked.contains("into \(word)") || asked.contains("to \(word)") {
            if value != source { targets.append((word, value)) }
        }
        if targets.isEmpty { targets = [("dollars", 1)] }
        let sourceWord = scaleWord(source).trimmingCharacters(in: .whitespaces)
        var steps = ["In dollars: \(grouped(abs(written.value))) x \(grouped(source)) = $\(grouped(abs(absolute)))."]
        var statements = ["$\(grouped(abs(absolute)))"]
        for (word, value) in targets where value != 1 {
            let converted = round(abs(absolute) / value, 4)
            steps.append("In \(word)s: \(grouped(abs(absolute))) / \(grouped(value)) = \(grouped(converted)) \(word).")
            statements.append("$\(grouped(converted)) \(word)")
        }
        let text = """
            The amount is in \(sourceWord)s, so \(grouped(abs(written.value))) means \(grouped(abs(written.value))) \(sourceWord) dollars.

            \(numbered(steps))

            The amount is \(statements.joined(separator: ", or "))\(absolute < 0 ? " (negative)" : "").
            """
        return Answer(text: text, operation: "scale", inputs: "\(amount.text) in \(sourceWord)s")
    }

    // MARK: Formatting

    /// A whole or decimal number with thousands separators ("4,512,700,000").
    static func grouped(_ value: Double) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.maximumFractionDigits = 4
        formatter.locale = Locale(identifier: "en_US")
        return formatter.string(from: NSNumber(value: value)) ?? number(value)
    }


    /// The scale the amounts are written in when they share one ("$250 million" → 1e6), else 1.
    static func commonScale(_ amounts: [QuestionFigures.Amount], _ problem: QuestionFigures) -> Double {
        let scales = Set(amounts.map { amount in FigureScanner.figures(in: amount.text).first?.scale ?? 1 })
        return scales.count == 1 ? (scales.first ?? 1) : 1
    }

    static func scaleWord(_ scale: Double) -> String {
        switch scale {
        case 1e3: " thousand"
        case 1e6: " million"
        case 1e9: " billion"
        case 1e12: " trillion"
        default: ""
        }
    }

    static func unit(_ written: String) -> String {
        for sign in ["$", "€", "£"] where written.contains(sign) { return sign }
        return ""
    }

    static func round(_ value: Double, _ decimals: Int) -> Double {
        let factor = pow(10, Double(decimals))
        return (value * factor).rounded() / factor
    }

    /// A number with at most `decimals` decimals, trailing zeros kept to one place when fractional.
    static func number(_ value: Double, _ decimals: Int = 4) -> String {
        var text = String(format: "%.\(decimals)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        if text == "-0" { text = "0" }
        return text
    }

    static func numbered(_ steps: [String]) -> String {
        steps.enumerated().map { "\($0.offset + 1). \($0.element)" }.joined(separator: "\n")
    }
}

/// Answers to table questions computed from the table: the cell at the row and period the
/// question names, with the table's scale.
public enum TableAnswers {
    /// "for the three months ended Sep 30, 2024", "at Dec 31, 2025", "for Q3 2025", "for fiscal
    /// 2025": the period as a curator would write it, the header's own case kept.
    static func periodPhrase(_ header: String) -> String {
        let first = header.split(separator: " ").first.map(String.init) ?? ""
        if MarkdownTable.periodTokens(first).isDisjoint(with: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]) == false {
            return "at " + header
        }
        if let letter = first.first, letter.isUppercase, first.dropFirst().allSatisfy(\.isLowercase) {
            // "the" for a span ("three months ended …"), none for a named period ("fiscal 2025").
            let article = header.lowercased().contains(" ended ") || header.lowercased().contains(" ending ") ? "the " : ""
            return "for " + article + first.lowercased() + header.dropFirst(first.count)
        }
        return "for " + header
    }

    /// "Revenue by segment" above a table: the rows are segments (or regions, products…) and the
    /// cells are revenue, so a row is "its Devices segment", not a figure called "devices".
    static func breakdown(in context: String) -> (metric: String, dimension: String)? {
        for line in context.split(whereSeparator: \.isNewline) {
            let words = line.trimmingCharacters(in: .whitespaces).split(separator: " ").map(String.init)
            guard words.count >= 3, words.count <= 6, let by = words.firstIndex(of: "by"), by > 0, by == words.count - 2,
                  !line.contains("|") else { continue }
            return (words[..<by].joined(separator: " ").lowercased(), words[by + 1].lowercased())
        }
        return nil
    }

    public static func answer(_ question: String, context: String) -> WorkedAnswers.Answer? {
        // Computing an answer needs the question to name the row fully ("revenue" is not "deferred revenue").
        guard let table = MarkdownTable.first(in: context), let row = table.row(namedIn: question, share: 1.0) else { return nil }
        // One value: a question over several periods ("from 2022 through 2025") is not a cell.
        let years = Set(FigureScanner.figures(in: question).filter { $0.kind == .year }.map(\.value))
        guard years.count <= 1, !["total", "sum", "average", "combined", "through", "compare", "change"].contains(where: question.lowercased().contains) else { return nil }
        guard let column = table.column(namedIn: question) ?? (table.columns.count == 1 ? 0 : nil),
              column < row.cells.count, column < table.columns.count, let cell = MarkdownTable.figure(in: row.cells[column]) else { return nil }
        let unscaled = table.isUnscaled(row)
        let heading = context.lowercased()
        let currency = heading.contains("dollar") || heading.contains("$") ? "$" : heading.contains("euro") ? "€" : ""
        let magnitude = cell.text.trimmingCharacters(in: CharacterSet(charactersIn: "()-$ "))
        let isPercent = row.label.contains("%") || row.label.lowercased().contains("margin") || cell.kind == .percent
        let value: String
        if isPercent {
            value = magnitude.hasSuffix("%") ? magnitude : magnitude + "%"
        } else if unscaled || table.scale == 1 {
            value = (row.label.lowercased().contains("per share") || row.label.lowercased().contains("earnings per") ? currency : "") + magnitude
        } else {
            value = currency + magnitude + WorkedAnswers.scaleWord(table.scale)
        }
        let company = context.split(whereSeparator: \.isNewline).first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? "The company"
        let outflow = cell.value < 0 ? " (shown in parentheses as an outflow)" : ""
        let period = periodPhrase(table.columns[column])
        let text = if let breakdown = breakdown(in: context) {
            "\(company)'s \(row.label) \(breakdown.dimension) reported \(breakdown.metric) of \(value)\(outflow) \(period)."
        } else {
            "\(company) reported \(row.label.lowercased()) of \(value)\(outflow) \(period)."
        }
        return WorkedAnswers.Answer(text: text, operation: "table_cell", inputs: "\(row.label) × \(table.columns[column])")
    }
}
