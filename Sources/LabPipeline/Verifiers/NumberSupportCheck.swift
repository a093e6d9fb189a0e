import Foundation

/// `numbers`: every figure in a knowledge or grounded answer comes from its context.
///
/// - A figure is supported when the context has the same quantity, allowing a change of scale or
///   format (`12,500` in a table "in thousands" = `$12.5 million`; rounding to the answer's
///   written precision), or when it is the result of a difference, sum, ratio or percent change of
///   two supported figures of the answer. Years in the answer must be years of the context or question.
/// - For a table, the answer must state the cell at the row and column (period) the question
///   names, with the table's scale; the neighbouring row or the other period fails.
/// - The question's own figures (but small bare counts) must be the context's: a question that
///   invents a figure teaches it, whatever the answer says.
public struct NumberSupportCheck: CandidateVerifier {
    public static let version = "1"
    public var relativeTolerance: Double

    public init(relativeTolerance: Double = 0.002) {
        self.relativeTolerance = relativeTolerance
    }

    /// A quantity the context states, in units.
    struct Known {
        var figure: Figure
        /// A bare number in a table row whose label says it is a percentage ("Gross margin (%)").
        var isPercentRow = false
        /// Possible readings in units (own scale, or the table's/heading's scale).
        var readings: [Double]
    }

    public func verify(_ candidate: CandidateText) -> Finding? {
        guard candidate.flow.hasSource, let context = candidate.context, !context.isEmpty else { return nil }
        let answerFigures = FigureScanner.figures(in: candidate.answer)
        let table = MarkdownTable.first(in: context)
        if let table, let finding = checkTableCell(candidate, table: table, answerFigures: answerFigures) ?? (candidate.flow == .groundedSkill ? otherPeriodCell(candidate, table: table, answerFigures: answerFigures) : nil) {
            if finding.decision == .reject { return finding }
        }
        // A question about a source may name its figures but not invent them: "How much did it spend
        // on capital expenditures, $7.67 billion in 2024…?" over a table that says $201.3 million
        // teaches the false figure even when the answer reads the right cell. Small bare counts
        // ("the first 6 months", "over 3 years") are left alone: the context often spells them.
        let contextKnown = Self.knownQuantities(context, table: table)
        let invented = FigureScanner.figures(in: candidate.question).filter { figure in
            figure.isQuantity && !(figure.kind == .amount && figure.scale == 1 && figure.decimals == 0 && abs(figure.value) <= 12
                && !figure.text.contains("$")) && !contextKnown.contains { isSame(figure, $0) }
        }
        if !invented.isEmpty {
            return .reject("the question states a figure the context does not have", score: 0, threshold: 1,
                           evidence: ["unsupported": invented.map(\.text).joined(separator: " | ")])
        }
        let known = Self.knownQuantities(context + "\n" + candidate.question, table: table)
        let contextYears = Set(FigureScanner.figures(in: context + "\n" + candidate.question).filter { $0.kind == .year }.map(\.value))
        var supported: [Figure] = []
        var unsupported: [Figure] = []
        for figure in answerFigures {
            switch figure.kind {
            case .label: continue
            case .year:
                if !contextYears.contains(figure.value) { unsupported.append(figure) }
            default:
                if known.contains(where: { isSame(figure, $0) }) { supported.append(figure) } else { unsupported.append(figure) }
            }
        }
        // Figures derived from supported ones (a difference, a percent change) are supported too.
        let steps = WorkedSteps.steps(in: candidate.answer)
        unsupported.removeAll { figure in
            figure.kind != .year && (Self.derived(figure, from: supported, tolerance: relativeTolerance)
                || steps.contains { $0.holds && figure.matches($0.written, relative: relativeTolerance) })
        }
        let total = answerFigures.filter { $0.kind != .label }.count
        if let first = unsupported.first {
            return .reject(first.kind == .year ? "year not in the context" : "figure not in the context",
                           score: Double(total - unsupported.count) / Double(max(total, 1)), threshold: 1,
                           evidence: ["unsupported": unsupported.map(\.text).joined(separator: " | ")])
        }
        if table == nil, let pair = Self.unboundPair(answer: candidate.answer, context: context) {
            return .reject("two figures the answer pairs are not paired in the context", score: 0, threshold: 1,
                           evidence: ["pair": "\(pair.0) | \(pair.1)"])
        }
        return .accept(total == 0 ? "no figures to check" : "every figure is in the context", score: 1, threshold: 1,
                       evidence: total == 0 ? [:] : ["figures": answerFigures.filter { $0.kind != .label }.map(\.text).joined(separator: " | ")])
    }

    /// What binds two figures into one fact: a restatement ("$96.1 million, or $1.18 per share") or
    /// a comparison ("$2.11 from $1.86", "compared with $81.5 million").
    static let binding = #"(,\s*or|\bfrom|compared (with|to)|\bversus|\bvs\.?|\bagainst)\s*\(?$"#

    /// Two figures a few words apart in one answer sentence, bound by a restatement or comparison
    /// ("$1.46, or $0.99 per diluted share"), state one fact; when the context states both but never in one sentence, the answer has bound
    /// a figure to the wrong measure or period (a prior-year GAAP figure to non-GAAP EPS). Figures the
    /// context does not state as such (derived ones) are left to the other rules.
    static func unboundPair(answer: String, context: String) -> (String, String)? {
        let flat = context.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let contextSentences = TextUnits.sentences(flat).map { FigureScanner.quantities(in: $0).filter(\.isQuantity) }
        let states: (Figure) -> (Figure) -> Bool = { figure in { $0.value == figure.value && $0.absolute == figure.absolute } }
        for sentence in TextUnits.sentences(answer.split(whereSeparator: \.isWhitespace).joined(separator: " ")) {
            let text = sentence as NSString
            let figures = FigureScanner.quantities(in: sentence).filter(\.isQuantity)
            for (first, second) in zip(figures, figures.dropFirst()) {
                let gapStart = first.offset + first.length
                guard second.offset > gapStart else { continue }
                let gap = text.substring(with: NSRange(location: gapStart, length: second.offset - gapStart))
                guard gap.split(separator: " ").count <= 6, !gap.contains(";"), gap.range(of: Self.binding, options: [.regularExpression, .caseInsensitive]) != nil,
                      contextSentences.contains(where: { $0.contains(where: states(first)) }),
                      contextSentences.contains(where: { $0.contains(where: states(second)) }) else { continue }
                if !contextSentences.contains(where: { $0.contains(where: states(first)) && $0.contains(where: states(second)) }) {
                    return (first.text, second.text)
                }
            }
        }
        return nil
    }

    /// "monthly", "quarterly" or "annual" in the question where the column covers another span
    /// ("six months ended Jun 30"): the cell answers a different question.
    static func spanMismatch(question: String, column: String) -> String? {
        let asked = question.lowercased(), header = column.lowercased()
        let multiMonth = ["two months", "three months", "six months", "nine months", "twelve months", "3 months", "6 months", "9 months", "12 months"]
        let quarterSpan = ["three months", "3 months", "quarter", "q1", "q2", "q3", "q4"]
        let yearSpan = ["year", "fiscal", "fy", "twelve months", "12 months", "dec 31", "december 31"]
        if ["monthly", "per month", "each month", "a month"].contains(where: asked.contains), multiMonth.contains(where: header.contains) || yearSpan.contains(where: header.contains) {
            return "monthly"
        }
        if ["quarterly", "per quarter", "each quarter"].contains(where: asked.contains), !quarterSpan.contains(where: header.contains) {
            return "quarterly"
        }
        if ["annual ", "annually", "yearly", "per year", "each year"].contains(where: asked.contains),
           ["three months", "six months", "nine months", "3 months", "6 months", "9 months", "quarter"].contains(where: header.contains) {
            return "annual"
        }
        return nil
    }

    /// A value of the answer that is a cell of another period than the one the question or answer
    /// names ("sold 2,301.2 in 2025" where 2,301.2 is the 2024 column).
    func otherPeriodCell(_ candidate: CandidateText, table: MarkdownTable, answerFigures: [Figure]) -> Finding? {
        guard table.columns.count > 1, let named = table.column(namedIn: candidate.question) ?? table.column(namedIn: candidate.answer) else { return nil }
        for figure in answerFigures where figure.isQuantity {
            for row in table.rows {
                for (index, cell) in row.cells.enumerated() where index != named && index < table.columns.count {
                    guard let value = MarkdownTable.figure(in: cell), abs(abs(value.value) - abs(figure.value)) < 1e-9, value.decimals == figure.decimals else { continue }
                    // The same number in the named column too is fine.
                    if named < row.cells.count, let same = MarkdownTable.figure(in: row.cells[named]), same.value == value.value { continue }
                    return .reject("value from another period of the table", score: 0, threshold: 1,
                                   evidence: ["figure": figure.text, "row": row.label, "its_column": table.columns[index], "named_column": table.columns[named]])
                }
            }
        }
        return nil
    }

    /// The table's cell check; nil when the question names no single row.
    func checkTableCell(_ candidate: CandidateText, table: MarkdownTable, answerFigures: [Figure]) -> Finding? {
        if candidate.flow == .groundedSkill, let wrong = otherPeriodCell(candidate, table: table, answerFigures: answerFigures) { return wrong }
        guard let row = table.row(namedIn: candidate.question) else { return nil }
        // A question that names a row only in part ("revenue" where the table has only "deferred
        // revenue") asks for a line the table lacks: answering with the partial row is the wrong row.
        if candidate.flow == .groundedSkill, table.row(namedIn: candidate.question, share: 1.0) == nil {
            let lowered = candidate.answer.lowercased()
            let refuses = AnswersQuestionCheck.refusals.contains(where: lowered.contains)
            if !refuses {
                return .reject("the question names no row of the table exactly", score: 0, threshold: 1, evidence: ["closest_row": row.label])
            }
        }
        let periodInQuestion = table.column(namedIn: candidate.question)
        if candidate.flow == .groundedSkill && periodInQuestion == nil && table.columns.count > 1 && table.column(namedIn: candidate.answer) == nil {
            return .reject("the table has several periods and neither question nor answer names one", score: 0, threshold: 1,
                           evidence: ["row": row.label, "columns": table.columns.joined(separator: " | ")])
        }
        let column = periodInQuestion ?? (table.columns.count == 1 ? 0 : nil) ?? table.column(namedIn: candidate.answer)
        if let column, column < table.columns.count, let mismatch = Self.spanMismatch(question: candidate.question, column: table.columns[column]) {
            return .reject("the question asks for another span of time than the column covers", score: 0, threshold: 1,
                           evidence: ["asked": mismatch, "column": table.columns[column]])
        }
        let quantities = answerFigures.filter(\.isQuantity)
        var evidence = ["row": row.label]
        let targets: [Int] = column.map { [$0] } ?? Array(row.cells.indices)
        if let column, column < table.columns.count { evidence["column"] = table.columns[column] }
        for index in targets where index < row.cells.count {
            guard let cell = MarkdownTable.figure(in: row.cells[index]) else { continue }
            let scale = table.isUnscaled(row) ? 1 : (cell.scale == 1 ? table.scale : cell.scale)
            let value = cell.value * scale
            let mentionsScale = table.scale == 1 || candidate.answer.lowercased().contains(table.scale == 1e3 ? "thousand" : table.scale == 1e6 ? "million" : "billion")
            let hit = quantities.first { figure in
                Figure.close(figure.absolute, value, halfUnit: figure.halfUnit * figure.scale, relative: relativeTolerance)
                    || (figure.scale == 1 && mentionsScale && figure.matches(cell.value, relative: relativeTolerance))
            }
            if let hit {
                evidence["cell"] = row.cells[index]
                evidence["matched"] = hit.text
                return .accept("states the cell the question names", score: 1, threshold: 1, evidence: evidence)
            }
        }
        if quantities.isEmpty {
            return .reject("answer states no value from the table", score: 0, threshold: 1, evidence: evidence)
        }
        evidence["expected"] = targets.filter { $0 < row.cells.count }.map { row.cells[$0] }.joined(separator: " | ")
        evidence["answer_figures"] = quantities.map(\.text).joined(separator: " | ")
        return .reject("value is not the cell the question names", score: 0, threshold: 1, evidence: evidence)
    }

    func isSame(_ figure: Figure, _ known: Known) -> Bool {
        let compatible: Bool = switch (figure.kind, known.figure.kind) {
        case (.percent, .percent), (.percentagePoints, .percentagePoints), (.basisPoints, .basisPoints), (.amount, .amount): true
        case (.percentagePoints, .percent), (.percent, .percentagePoints): true
        // A percent in the answer for a bare number of the context only in a table's percent row.
        case (.percent, .amount): known.isPercentRow && figure.value == known.figure.value
        case (.amount, .percent): false
        default: false
        }
        guard compatible else { return false }
        if figure.matches(known.figure.value, relative: relativeTolerance) && (figure.scale == 1 || figure.scale == known.figure.scale) { return true }
        guard figure.kind == .amount else { return false }
        return known.readings.contains { Figure.close(figure.absolute, $0, halfUnit: figure.halfUnit * figure.scale, relative: relativeTolerance) }
    }

    static func knownQuantities(_ text: String, table: MarkdownTable?) -> [Known] {
        // A heading that states a scale applies it to the unscaled amounts of the whole context.
        let lowered = text.lowercased()
        var stated: Double?
        for (word, multiplier) in [("thousand", 1e3), ("million", 1e6), ("billion", 1e9)] where lowered.contains("(in \(word)") || lowered.contains("in \(word)s of") || lowered.contains("(\(word)") || lowered.contains("dollars in \(word)") {
            stated = multiplier
            break
        }
        if let table, table.scale != 1 { stated = table.scale }
        let percentRows = table?.rows.filter { $0.label.contains("%") || $0.label.lowercased().contains("margin") || $0.label.lowercased().contains("percent") || $0.label.lowercased().contains("rate") } ?? []
        let percentCells = Set(percentRows.flatMap { $0.cells.compactMap { MarkdownTable.figure(in: $0)?.value } })
        return FigureScanner.figures(in: text).filter(\.isQuantity).map { figure in
            var readings = [figure.absolute]
            if figure.scale == 1, figure.kind == .amount, let stated { readings.append(figure.value * stated) }
            return Known(figure: figure, isPercentRow: percentCells.contains(figure.value), readings: readings)
        }
    }

    static func derived(_ figure: Figure, from supported: [Figure], tolerance: Double) -> Bool {
        guard supported.count >= 2 else { return false }
        for a in supported {
            for b in supported where a != b {
                let candidates: [(Double, Bool)] = [
                    (abs(a.absolute - b.absolute), false), (a.absolute + b.absolute, false),
                    (b.absolute == 0 ? .nan : a.absolute / b.absolute, false),
                    (b.value == 0 ? .nan : (a.value - b.value) / abs(b.value) * 100, true),
                    (b.absolute == 0 ? .nan : a.absolute / b.absolute * 100, true),
                    (a.value - b.value, true),
                ]
                for (value, isPercent) in candidates where value.isFinite {
                    if isPercent, figure.kind == .percent || figure.kind == .percentagePoints, figure.matches(value, relative: tolerance) { return true }
                    if !isPercent, figure.kind == .amount, Figure.close(figure.absolute, value, halfUnit: figure.halfUnit * figure.scale, relative: tolerance) { return true }
                    if !isPercent, figure.kind == .amount, figure.scale == 1, figure.matches(value, relative: tolerance) { return true }
                }
            }
        }
        return false
    }
}
