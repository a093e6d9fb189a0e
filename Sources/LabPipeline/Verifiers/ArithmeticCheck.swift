import Foundation

/// The operations the arithmetic verifier recomputes from a question's figures.
public enum ArithmeticOperation: String, Sendable, CaseIterable {
    /// (new − old) / old × 100, old being the earlier figure (or the one after "from"/"compared with").
    case percentChange = "percent_change"
    /// new − old of two percents, in percentage points.
    case percentagePoints = "percentage_points"
    /// new − old of two percents, in basis points.
    case basisPoints = "basis_points"
    /// value / (1 ± p): the earlier value behind a growth rate.
    case reversePercent = "reverse_percent"
    /// value × (1 ± p), and value × p.
    case applyPercent = "apply_percent"
    /// Π(1 + pᵢ) − 1 over the question's percents, signed by their verbs (fell 20%, rose 20%).
    case successiveChange = "successive_change"
    /// (end / start)^(1 / years) − 1, years from the question's years or "over N years".
    case cagr
    /// start × (1 + r)^years.
    case futureValue = "future_value"
    /// Every amount in units, with the scale the question states for it ("in thousands").
    case scale
    case difference
    case sum
    /// a × b (market value = shares × price).
    case product
    /// a / b in either order (EPS = net income / shares, P/E = price / EPS).
    case ratio
    /// a / b × 100 in either order (margins, shares of a total).
    case percentOf = "percent_of"
}

/// `arithmetic`: recomputes what a numeric answer claims.
///
/// 1. Every worked step `A op B = C` of the answer must hold (`WorkedSteps`).
/// 2. For leaves configured with operations, the question's figures are read (amounts with their
///    stated scale, percents with their direction, years), every configured operation is applied,
///    and the answer's final figure — the first figure of its concluding sentence — must equal one
///    of the results within half a unit of its last written digit plus `relativeTolerance`. The
///    other figures of that sentence must be results, question figures or step results. A question
///    without the figures an operation needs, or an answer without a final figure, fails.
public struct ArithmeticCheck: CandidateVerifier {
    public static let version = "1"
    public var rules: [(glob: LeafGlob, operations: Set<ArithmeticOperation>)]
    public var relativeTolerance: Double
    /// Leaves whose answers illustrate with worked examples in words ("revenue of $50 million and
    /// operating income of $6 million give a margin of 12%"): such a sentence's result must follow
    /// from its other figures by one operation.
    public var exampleLeaves: [LeafGlob]

    public init(rules: [(glob: LeafGlob, operations: Set<ArithmeticOperation>)], relativeTolerance: Double = 0.002, exampleLeaves: [LeafGlob] = []) {
        self.rules = rules
        self.relativeTolerance = relativeTolerance
        self.exampleLeaves = exampleLeaves
    }

    static let resultCues: Set<String> = ["gives", "give", "giving", "equals", "equal", "leaves", "leaving", "makes", "becomes", "totals", "comes"]
    /// "is" states a result only after "so", "which", "that" ("so the P/E is 15").
    static let resultLinks: Set<String> = ["so", "which", "that", "therefore", "thus", "means"]

    /// A worked example in words whose stated result no single operation on its figures gives.
    func wrongExample(_ answer: String) -> (sentence: String, result: String)? {
        for sentence in TextUnits.sentences(answer) where !sentence.contains("=") {
            let figures = FigureScanner.quantities(in: sentence)
            // "A company with 100% return on assets will earn 100% return on assets, which is 100%
            // of its profits": one figure said over and over is no example ("a 40% margin means 40 cents
            // of each dollar" says it twice, and is one).
            if figures.count >= 3, Set(figures.map(\.absolute)).count == 1 {
                return (sentence, figures[0].text)
            }
            guard figures.count >= 3, let last = figures.last else { continue }
            let before = Set(ClaimGroundingCheck.wordsBefore(last.offset, in: sentence, count: 5))
            let states = !before.isDisjoint(with: Self.resultCues)
                || (!before.isDisjoint(with: ["is", "are", "was"]) && !before.isDisjoint(with: Self.resultLinks))
            guard states else { continue }
            let inputs = figures.dropLast()
            var fits = false
            for a in inputs {
                for b in inputs where a != b || inputs.count == 1 {
                    let x = a.absolute, y = b.absolute
                    var candidates = [x + y, x - y, x * y, x * y / 100, x * (1 + y / 100), (x - y) * 100, (y - x) * 100, x * 100, x / 100]
                    if y != 0 { candidates += [x / y, x / y * 100, (x - y) / y * 100, (x - y) / x * 100, (y - x) / y * 100] }
                    let target = last.kind == .percent ? last.value : last.absolute
                    let half = last.kind == .percent ? last.halfUnit : last.halfUnit * last.scale
                    if candidates.contains(where: { Figure.close(target, $0, halfUnit: half, relative: relativeTolerance) }) { fits = true }
                    // Unscaled readings ("$50 million and $6 million give 12%": 6 / 50).
                    let u = a.value, v = b.value
                    var raw = [u + v, u - v, u * v]
                    if v != 0 { raw += [u / v, u / v * 100, (u - v) / v * 100, (u - v) / u * 100] }
                    if raw.contains(where: { Figure.close(last.value, $0, halfUnit: last.halfUnit, relative: relativeTolerance) }) { fits = true }
                }
            }
            if !fits { return (sentence, last.text) }
        }
        return nil
    }

    public func operations(for leafPath: String) -> Set<ArithmeticOperation> { Self.operations(for: leafPath, in: rules) }

    /// The operations the rules whose glob matches `leafPath` allow, together.
    public static func operations(for leafPath: String, in rules: [(glob: LeafGlob, operations: Set<ArithmeticOperation>)]) -> Set<ArithmeticOperation> {
        rules.filter { $0.glob.matches(leafPath) }.reduce(into: Set()) { $0.formUnion($1.operations) }
    }

    public func verify(_ candidate: CandidateText) -> Finding? {
        let steps = WorkedSteps.steps(in: candidate.answer)
        if let wrong = steps.first(where: { !$0.holds }) {
            return .reject("a worked step is wrong", score: 0, threshold: 1,
                           evidence: ["step": wrong.text, "recomputed": Self.format(wrong.computed), "written": Self.format(wrong.written)])
        }
        if exampleLeaves.contains(where: { $0.matches(candidate.leafPath) }), let wrong = wrongExample(candidate.answer) {
            return .reject("a worked example does not add up", score: 0, threshold: 1, evidence: ["sentence": wrong.sentence, "result": wrong.result])
        }
        let operations = operations(for: candidate.leafPath)
        guard !operations.isEmpty else {
            return steps.isEmpty ? nil : .accept("worked steps hold", score: 1, threshold: 1, evidence: ["steps_checked": String(steps.count)])
        }
        // A growth rate joins two values at two dates; a cumulative total over the years is not one of them.
        if operations.contains(.cagr), let word = ["cumulative", "in total over", "combined over", "sum of"].first(where: candidate.question.lowercased().contains) {
            return .reject("question is ill-posed: a growth rate needs two values, not a cumulative total", score: 0, threshold: 1, evidence: ["matched": word])
        }
        let problem = QuestionFigures(candidate.question)
        let results = problem.results(of: operations)
        guard !results.isEmpty else {
            return .reject("question lacks the figures to compute", score: 0, threshold: 1,
                           evidence: ["question_figures": problem.amounts.map(\.text).joined(separator: " ") + " " + problem.percents.map(\.text).joined(separator: " ")])
        }
        let conclusions = Self.conclusions(of: candidate.answer)
        guard !conclusions.isEmpty else {
            return .reject("answer has no final figure", score: 0, threshold: 1, evidence: ["expected": Self.describe(results.prefix(3))])
        }
        // The final figure: the first one that is not just a figure of the question restated.
        func finalFigure(_ conclusion: (sentence: String, figures: [Figure])) -> Figure {
            conclusion.figures.first { figure in
                !problem.allReadings.contains { $0.text == figure.text || ($0.value == figure.value && $0.scale == figure.scale && $0.kind == figure.kind) }
            } ?? conclusion.figures[0]
        }
        // A one-paragraph answer may lead with its result or end with it; every such statement must agree.
        var found: (conclusion: (sentence: String, figures: [Figure]), final: Figure, match: QuestionFigures.Result)?
        for conclusion in conclusions {
            let final = finalFigure(conclusion)
            if let match = results.first(where: { matches(final, $0) || matchesInQuestionScale(final, $0, problem) }) {
                if found == nil { found = (conclusion, final, match) }
            } else {
                return .reject("final figure does not match the recomputed result", score: 0, threshold: 1,
                               evidence: ["final": final.text, "sentence": conclusion.sentence, "expected": Self.describe(results.prefix(4))])
            }
        }
        guard let (conclusion, final, match) = found else { return nil }
        // The result must be what the question asks for: a rate for "what CAGR", an amount for "what will it be".
        // (An answer explaining why the asked quantity is not meaningful may give another.)
        let explainsWhyNot = ["not meaningful", "undefined", "cannot be computed", "not defined"].contains(where: candidate.answer.lowercased().contains)
        // From a loss to a profit, a percent change or growth rate divides by a negative (or, read
        // without its sign, a wrong) base: any percent given as the result is wrong.
        if match.isPercent, ["percent_change", "cagr"].contains(match.operation), !explainsWhyNot,
           problem.amounts.contains(where: { amount in amount.readings.contains { $0 < 0 } }) {
            return .reject("a percent change from a loss is not meaningful", score: 0, threshold: 1,
                           evidence: ["final": final.text, "sentence": conclusion.sentence])
        }
        if let wanted = QuestionFigures.askedKind(candidate.question), wanted != match.isPercent, !explainsWhyNot {
            return .reject("answer computes something the question does not ask", score: 0, threshold: 1,
                           evidence: ["asked": wanted ? "a rate or percent" : "an amount", "computed": match.operation])
        }
        // A signed result stated with the opposite direction ("increased by 10.1%" for a fall).
        if match.isPercent, match.value != 0, ["percent_change", "successive_change", "cagr", "percentage_points", "basis_points"].contains(match.operation) {
            let words = Set(TextUnits.words(conclusion.sentence))
            let saysUp = !words.isDisjoint(with: ClaimGroundingCheck.up), saysDown = !words.isDisjoint(with: ClaimGroundingCheck.down)
            let falls = match.value < 0
            let wrong = final.value < 0 ? !falls : (saysUp && !saysDown && falls) || (saysDown && !saysUp && !falls)
            if wrong {
                return .reject("the final sentence states the wrong direction", score: 0, threshold: 1,
                               evidence: ["final": final.text, "recomputed": Self.format(match.value) + "%", "sentence": conclusion.sentence])
            }
        }
        // Per-share amounts are never scaled: a per-share figure of the conclusion must be one of the
        // question's per-share figures or a result.
        if !problem.perShareValues.isEmpty {
            for figure in conclusion.figures where figure.kind == .amount {
                let tail = Array(conclusion.sentence.utf16.dropFirst(figure.offset + figure.length).prefix(20))
                let after = TextUnits.words(String(utf16CodeUnits: tail, count: tail.count))
                let before = ClaimGroundingCheck.wordsBefore(figure.offset, in: conclusion.sentence, count: 3)
                guard Array(after.prefix(2)) == ["per", "share"] || before.contains("eps") else { continue }
                let known = problem.perShareValues.contains { figure.matches($0, relative: relativeTolerance) } || results.contains { matches(figure, $0) }
                if !known {
                    return .reject("a per-share amount was scaled", score: 0, threshold: 1,
                                   evidence: ["figure": figure.text, "per_share_in_question": problem.perShareValues.map { Self.format($0) }.joined(separator: " ")])
                }
            }
        }
        // The concluding sentence's other figures: results of any operation (a side remark such as
        // "the total increase was 80%"), the question's own figures, or step results.
        let known = problem.allReadings
        let anyResults = problem.results(of: Set(ArithmeticOperation.allCases)) + problem.averages
        // Figures the answer worked with before its conclusion (an assumed start of $100, say).
        let earlierFigures = FigureScanner.quantities(in: String(candidate.answer[..<(candidate.answer.range(of: conclusion.sentence)?.lowerBound ?? candidate.answer.endIndex)]))
        for figure in conclusion.figures.dropFirst() {
            let isResult = anyResults.contains { matches(figure, $0) }
            let isGiven = known.contains { figure.matches($0.value, relative: relativeTolerance) || Figure.close(figure.absolute, $0.absolute, halfUnit: figure.halfUnit * figure.scale, relative: relativeTolerance) }
            let isConstant = figure.kind == .amount && [100, 1_000, 1_000_000, 1_000_000_000].contains(figure.absolute)
            let isStep = isConstant || steps.contains { figure.matches($0.written, relative: relativeTolerance) || figure.matches($0.computed, relative: relativeTolerance) }
                || earlierFigures.contains { $0.kind == figure.kind && $0.value == figure.value }
            if !(isResult || isGiven || isStep) {
                return .reject("final sentence states a figure that is neither given nor computed", score: 0, threshold: 1,
                               evidence: ["figure": figure.text, "sentence": conclusion.sentence])
            }
        }
        return .accept("final figure matches the recomputed result", score: 1, threshold: 1,
                       evidence: ["final": final.text, "recomputed": Self.format(match.value) + (match.isPercent ? "%" : ""), "operation": match.operation,
                                  "steps_checked": String(steps.count)])
    }

    /// A bare figure written in the scale every amount of the question carries ("€75m … 96.49 (€m)").
    func matchesInQuestionScale(_ figure: Figure, _ result: QuestionFigures.Result, _ problem: QuestionFigures) -> Bool {
        guard !result.isPercent, figure.kind == .amount, figure.scale == 1, let scale = problem.commonOwnScale, scale != 1 else { return false }
        return figure.matches(result.value / scale, relative: relativeTolerance)
    }

    func matches(_ figure: Figure, _ result: QuestionFigures.Result) -> Bool {
        if result.bareOnly { return figure.kind == .amount && figure.scale == 1 && figure.matches(result.value, relative: relativeTolerance) }
        if result.isPercent {
            switch figure.kind {
            case .percent: return figure.matches(result.value, relative: relativeTolerance)
            case .percentagePoints: return result.operation == "percentage_points" && figure.matches(result.value, relative: relativeTolerance)
            case .basisPoints: return (result.operation == "percentage_points" || result.operation == "basis_points") && figure.matches(result.value * (result.operation == "basis_points" ? 1 : 100), relative: relativeTolerance)
            case .amount:
                // A rate written as a fraction (0.1316) or a multiple ("1.25 times").
                return figure.decimals > 0 && figure.scale == 1 && abs(figure.value) < 10 && Figure.close(figure.value * 100, result.value, halfUnit: figure.halfUnit * 100, relative: relativeTolerance)
            default: return false
            }
        }
        guard figure.kind == .amount else { return false }
        if result.operation == "basis_points" { return false }
        return Figure.close(figure.absolute, result.value, halfUnit: figure.halfUnit * figure.scale, relative: relativeTolerance)
    }

    /// The concluding sentence: the first sentence with a figure in the last paragraph (or, for
    /// a one-paragraph answer, its last sentence with a figure). An answer whose last paragraph
    /// states no figure has no conclusion: the result must be said, not left in the steps.
    static func conclusion(of answer: String) -> (sentence: String, figures: [Figure])? {
        let paragraphs = TextUnits.paragraphs(answer)
        for paragraph in paragraphs.suffix(1) {
            let sentences = TextUnits.sentences(paragraph)
            let candidates = paragraphs.count == 1 ? Array(sentences.reversed()) : sentences
            for sentence in candidates {
                // A worked step is not a conclusion unless the answer is a single line of steps.
                let figures = FigureScanner.quantities(in: sentence)
                guard !figures.isEmpty else { continue }
                if sentence.contains("=") {
                    // "… = 13.16%": the figure after the last "=" is the result.
                    let tail = String(sentence[sentence.range(of: "=", options: .backwards)!.upperBound...])
                    let tailFigures = FigureScanner.quantities(in: tail)
                    if !tailFigures.isEmpty { return (sentence, tailFigures) }
                }
                return (sentence, figures)
            }
        }
        return nil
    }

    /// The sentences that state an answer's result: the concluding sentence, and for a one-paragraph
    /// answer that leads with its result ("About €96.5m. Growth factor: …"), its first sentence too.
    static func conclusions(of answer: String) -> [(sentence: String, figures: [Figure])] {
        guard let last = conclusion(of: answer) else { return [] }
        var found = [last]
        let paragraphs = TextUnits.paragraphs(answer)
        if paragraphs.count == 1, let first = TextUnits.sentences(paragraphs[0]).first, first != last.sentence, !first.contains("=") {
            let figures = FigureScanner.quantities(in: first)
            if !figures.isEmpty && first.count < 120 { found.insert((first, figures), at: 0) }
        }
        return found
    }

    /// The figures of an answer's concluding sentence, the final figure first.
    public static func conclusionFigures(of answer: String) -> [Figure]? { conclusion(of: answer)?.figures }

    static func describe<S: Sequence>(_ results: S) -> String where S.Element == QuestionFigures.Result {
        results.map { "\($0.operation)=\(format($0.value))\($0.isPercent ? "%" : "")" }.joined(separator: ", ")
    }

    static func format(_ value: Double) -> String {
        let rounded = (value * 10000).rounded() / 10000
        return rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int64(rounded)) : String(rounded)
    }
}

/// The figures of a question, read as a problem: amounts (with their possible readings in units),
/// percents (signed by their verbs), and a number of years.
struct QuestionFigures {
    struct Amount {
        var text: String
        /// Possible values in units: the figure with its own scale, or with the scale the question
        /// states for it ("(in thousands)"); per-share amounts are never scaled.
        var readings: [Double]
        var offset: Int
        /// Whether the words around it mark it as the earlier value ("from X", "compared with X").
        var marksEarlier: Bool
        /// A flow per period ("$100 million per year", "a year", "annually"), not a level: a growth
        /// rate or percent change between it and a level means nothing.
        var perPeriod = false
    }
    struct Result {
        var value: Double
        var isPercent: Bool
        var operation: String
        /// Compared only with figures written without a scale word (a value as a table shows it).
        var bareOnly = false
    }

    var amounts: [Amount] = []
    var percents: [Figure] = []
    var signedPercents: [Double] = []
    var years: [Int] = []
    var allReadings: [Figure] = []

    init(_ question: String) {
        let figures = FigureScanner.figures(in: question)
        let lowered = question.lowercased()
        let utf16 = Array(lowered.utf16)
        func words(before offset: Int, count: Int) -> [String] {
            let prefix = String(utf16CodeUnits: Array(utf16[0..<max(0, offset)]), count: max(0, offset))
            return Array(TextUnits.words(prefix).suffix(count))
        }
        func words(after offset: Int, count: Int) -> [String] {
            let start = min(utf16.count, offset)
            let suffix = String(utf16CodeUnits: Array(utf16[start...]), count: utf16.count - start)
            return Array(TextUnits.words(suffix).prefix(count))
        }
        // The scale a declarative sentence states for its amounts ("(in thousands)", "in millions").
        // A scale stated in a declarative sentence applies to the unscaled amounts from that sentence on.
        var stated: [(range: Range<Int>, scale: Double)] = []
        var sentenceStart = 0
        for sentence in TextUnits.sentences(question) {
            let lowerSentence = sentence.lowercased()
            let length = sentence.utf16.count
            if !sentence.hasSuffix("?") {
                let unsigned = lowerSentence.replacingOccurrences(of: "£ ", with: "").replacingOccurrences(of: "$ ", with: "")
                    .replacingOccurrences(of: "€ ", with: "").replacingOccurrences(of: "usd ", with: "").replacingOccurrences(of: "eur ", with: "")
                for (word, scale) in [("thousand", 1e3), ("million", 1e6), ("billion", 1e9)] where unsigned.contains("in \(word)") || unsigned.contains("(\(word)") || unsigned.contains("\"\(word)") {
                    if let found = lowered.range(of: lowerSentence) {
                        let start = lowered.utf16.distance(from: lowered.utf16.startIndex, to: found.lowerBound)
                        stated.append((start..<utf16.count, scale))
                    } else {
                        stated.append((sentenceStart..<utf16.count, scale))
                    }
                }
            }
            sentenceStart += length
        }
        let directionDown: Set<String> = ["fell", "fall", "falls", "decline", "declined", "declines", "drop", "dropped", "drops", "down",
                                          "decrease", "decreased", "lost", "loses", "lose", "shrank", "shrinks", "cut", "lower", "loss"]
        for figure in figures {
            switch figure.kind {
            case .year:
                if let year = Int(exactly: figure.value) { years.append(year) }
            case .percent:
                percents.append(figure)
                let before = words(before: figure.offset, count: 3)
                signedPercents.append(before.contains(where: directionDown.contains) ? -abs(figure.value) : figure.value)
                allReadings.append(figure)
            case .percentagePoints, .basisPoints:
                allReadings.append(figure)
            case .amount:
                // "3-year", "over 5 years", "in 6 months": a count of periods, not an amount.
                let following = words(after: figure.offset + figure.length, count: 1).first ?? ""
                if figure.scale == 1, ["year", "years", "month", "months", "quarters"].contains(following) { continue }
                let near = words(after: figure.offset + figure.length, count: 3) + words(before: figure.offset, count: 3)
                let perShare = near.contains("share") || near.contains("eps") || (words(after: figure.offset + figure.length, count: 2) == ["per", "share"])
                // "gross margin of 42.5" in a table "in thousands, except percentages" is a rate, not an amount.
                let rateWords: Set<String> = ["margin", "percentage", "rate", "ratio", "yield"]
                if figure.scale == 1, !near.filter(rateWords.contains).isEmpty, abs(figure.value) <= 100 {
                    percents.append(figure)
                    signedPercents.append(figure.value)
                }
                var readings: [Double] = []
                // "a loss of $4 million" is -4 million in a change from a loss to a profit.
                let isLoss = words(before: figure.offset, count: 3).contains { $0 == "loss" || $0 == "deficit" } && figure.value > 0
                let statedScale = stated.last { $0.range.contains(figure.offset) }?.scale
                let isRate = figure.scale == 1 && !near.filter(["margin", "percentage", "rate", "ratio", "yield"].contains).isEmpty
                if figure.scale == 1, let statedScale, !perShare, !isRate {
                    readings = [figure.value * statedScale]
                } else {
                    readings = [figure.absolute]
                }
                if isLoss { readings += readings.map { -$0 } }
                if perShare { perShareValues.append(figure.value) }
                let before = words(before: figure.offset, count: 4)
                let after = words(after: figure.offset + figure.length, count: 4)
                let earlier = before.contains("from") || (before.contains("with") && before.contains("compared")) || before.contains("versus")
                    || before.contains("vs") || after.contains("earlier") || after.contains("ago") || after.contains("prior")
                    || after.contains("previous") || (after.contains("last") && after.contains("year"))
                // "$100 million per year", "… a year" — but "$100 million a year ago/earlier" is a level.
                let periodWords: Set<String> = ["year", "month", "quarter", "annum"]
                let relative: Set<String> = ["ago", "earlier", "later", "before", "prior", "after", "previously"]
                let perPeriod = ["per", "each", "every"].contains(after.first ?? "") && periodWords.contains(after.dropFirst().first ?? "")
                    || after.first == "a" && periodWords.contains(after.dropFirst().first ?? "") && !relative.contains(after.dropFirst(2).first ?? "")
                    || ["annually", "yearly", "monthly", "quarterly"].contains(after.first ?? "")
                amounts.append(Amount(text: figure.text, readings: readings, offset: figure.offset, marksEarlier: earlier, perPeriod: perPeriod))
                allReadings.append(figure)
                for reading in readings where reading != figure.absolute {
                    var scaled = figure
                    scaled.value = reading
                    scaled.scale = 1
                    allReadings.append(scaled)
                }
            case .label:
                break
            }
        }
        _ = words(before: 0, count: 0)
        explicitYears = Self.explicitYears(lowered)
        quarterSpan = Self.quarterSpan(lowered)
        mentionedScales = [("thousand", 1e3), ("million", 1e6), ("billion", 1e9)].filter { lowered.contains($0.0) }.map(\.1)
        let ownScales = Set(figures.filter { $0.kind == .amount }.map(\.scale))
        commonOwnScale = ownScales.count == 1 ? ownScales.first : nil
    }

    var explicitYears: [Double] = []
    /// Years between the first and last quarter the question dates ("Q2 2022 … Q3 2023": 1.25).
    var quarterSpan: Double?
    /// Scale words anywhere in the question (thousand, million, billion).
    var mentionedScales: [Double] = []
    /// Raw values of the question's per-share amounts (never scaled).
    var perShareValues: [Double] = []
    /// The scale word every amount of the question carries, when they share one ("€75m", "$1.2bn").
    var commonOwnScale: Double?

    /// "over five years", "for 3 years", "a 4-year period", "in six years".
    static func explicitYears(_ text: String) -> [Double] {
        let numberWords = ["one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                           "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20]
        let words = TextUnits.words(text.replacingOccurrences(of: "-year", with: " year"))
        var found: [Double] = []
        for (index, word) in words.enumerated() where index + 1 < words.count && (words[index + 1] == "years" || words[index + 1] == "year") {
            if let value = numberWords[word] { found.append(Double(value)) } else if let value = Double(word), value > 0, value < 100 { found.append(value) }
        }
        if text.contains("decade") { found.append(10) }
        // "in year 1 … in year 2": the last year number counts the periods.
        for (index, word) in words.enumerated() where word == "year" && index + 1 < words.count {
            if let value = Double(words[index + 1]), value >= 1, value < 50 { found.append(value) }
        }
        if let last = found.last, words.contains("year") && found.count > 1 { found = [found.max() ?? last] }
        return found
    }

    /// The span in years between the question's earliest and latest dated quarter ("Q2 2022",
    /// "Q3 of 2023", "the third quarter of 2023", "Q4 FY2021"); nil unless two quarters are dated
    /// (then the calendar years give the span, as before).
    static func quarterSpan(_ text: String) -> Double? {
        let ordinals = ["first": 1, "second": 2, "third": 3, "fourth": 4]
        let pattern = /\b(?:q([1-4])|(first|second|third|fourth) quarter)(?: of)?(?: the)?(?: fiscal(?: year)?| fy)? ?(?:fy)?((?:19|20)\d\d)\b/
        var dates: [Double] = []
        for match in text.matches(of: pattern) {
            guard let year = Double(match.output.3) else { continue }
            let quarter = match.output.1.flatMap { Int($0) } ?? match.output.2.flatMap { ordinals[String($0)] } ?? 1
            dates.append(year + Double(quarter - 1) / 4)
        }
        guard dates.count >= 2, let first = dates.min(), let last = dates.max(), last > first else { return nil }
        return last - first
    }

    /// Whether the question's asking sentence wants a percent (true), an amount (false), or can't tell (nil).
    static func askedKind(_ question: String) -> Bool? {
        let sentences = TextUnits.sentences(question)
        let ask = (sentences.last { $0.contains("?") } ?? sentences.last ?? question).lowercased()
        let percentWords = ["cagr", "growth rate", "what rate", "percent", "percentage", "what return", "margin", "how fast"]
        let amountWords = ["what will", "how much", "what was last", "what were", "in dollars", "in millions", "in billions", "in thousands",
                           "what value", "how many", "what would", "be worth", "reach"]
        let wantsPercent = percentWords.contains(where: ask.contains), wantsAmount = amountWords.contains(where: ask.contains)
        if wantsPercent == wantsAmount { return nil }
        return wantsPercent
    }

    /// Means of the question's percents (an "arithmetic average" remark).
    var averages: [Result] {
        guard signedPercents.count >= 2 else { return [] }
        return [Result(value: signedPercents.reduce(0, +) / Double(signedPercents.count), isPercent: true, operation: "average")]
    }

    /// Years between the question's first and last calendar year, else the years it states.
    var periods: [Double] {
        if let quarterSpan { return [quarterSpan] }
        let distinct = Array(Set(years)).sorted()
        if distinct.count >= 2, let first = distinct.first, let last = distinct.last { return [Double(last - first)] }
        return explicitYears
    }

    /// Ordered (earlier, later) pairs of amounts: order of appearance unless the words say otherwise.
    var orderedPairs: [(Amount, Amount)] {
        var pairs: [(Amount, Amount)] = []
        for i in amounts.indices {
            for j in amounts.indices where j > i {
                let (a, b) = (amounts[i], amounts[j])
                pairs.append(b.marksEarlier && !a.marksEarlier ? (b, a) : (a, b))
            }
        }
        return pairs
    }

    /// Ordered pairs of one quantity at two times: not a level against a flow per period
    /// ("revenue of $600 million" against "$100 million per year"), whose change means nothing.
    var comparablePairs: [(Amount, Amount)] { orderedPairs.filter { $0.0.perPeriod == $0.1.perPeriod } }

    func results(of operations: Set<ArithmeticOperation>) -> [Result] {
        var results: [Result] = []
        func add(_ value: Double, percent: Bool, _ operation: ArithmeticOperation) {
            guard value.isFinite else { return }
            results.append(Result(value: value, isPercent: percent, operation: operation.rawValue))
        }
        let percentPairs: [(Double, Double)] = percents.indices.flatMap { i in
            percents.indices.filter { $0 > i }.map { (percents[i].value, percents[$0].value) }
        }
        for operation in ArithmeticOperation.allCases where operations.contains(operation) {
            switch operation {
            case .percentChange:
                for (old, new) in comparablePairs {
                    for o in old.readings where o != 0 { for n in new.readings { add((n - o) / abs(o) * 100, percent: true, operation) } }
                }
                for (old, new) in percentPairs where old != 0 { add((new - old) / abs(old) * 100, percent: true, operation) }
            case .percentagePoints:
                for (old, new) in percentPairs { add(new - old, percent: true, operation) }
            case .basisPoints:
                for (old, new) in percentPairs { add((new - old) * 100, percent: true, operation) }
            case .reversePercent:
                // The gain that undoes a loss (and the loss that undoes a gain).
                for p in signedPercents where p != -100 { add((100 / (100 + p) - 1) * 100, percent: true, operation) }
                for amount in amounts {
                    for reading in amount.readings {
                        for p in signedPercents where p != -100 { add(reading / (1 + p / 100), percent: false, operation) }
                        for p in percents.map(\.value) where p != 100 { add(reading / (1 - p / 100), percent: false, operation) }
                    }
                }
            case .applyPercent:
                for amount in amounts {
                    for reading in amount.readings {
                        for p in signedPercents {
                            add(reading * (1 + p / 100), percent: false, operation)
                            add(reading * abs(p) / 100, percent: false, operation)
                        }
                    }
                }
            case .successiveChange:
                if signedPercents.count >= 2 {
                    add((signedPercents.reduce(1.0) { $0 * (1 + $1 / 100) } - 1) * 100, percent: true, operation)
                }
            case .cagr:
                // Yearly returns compounded and annualised: (Π(1 + rᵢ))^(1/n) − 1.
                if signedPercents.count >= 2 {
                    let growth = signedPercents.reduce(1.0) { $0 * (1 + $1 / 100) }
                    if growth > 0 { add((pow(growth, 1 / Double(signedPercents.count)) - 1) * 100, percent: true, operation) }
                }
                for n in periods where n > 0 {
                    for (start, end) in comparablePairs {
                        for s in start.readings where s > 0 { for e in end.readings where e > 0 { add((pow(e / s, 1 / n) - 1) * 100, percent: true, operation) } }
                    }
                }
            case .futureValue:
                for n in periods where n > 0 {
                    for amount in amounts { for reading in amount.readings { for p in signedPercents { add(reading * pow(1 + p / 100, n), percent: false, operation) } } }
                }
            case .scale:
                for amount in amounts { for reading in amount.readings { add(reading, percent: false, operation) } }
                // The same amounts as a table in a named scale would show them ("640" in thousands).
                for divisor in mentionedScales {
                    for amount in amounts { for reading in amount.readings { results.append(Result(value: reading / divisor, isPercent: false, operation: "scale_as_shown", bareOnly: true)) } }
                }
            case .difference:
                for (a, b) in orderedPairs { for x in a.readings { for y in b.readings { add(abs(y - x), percent: false, operation) } } }
            case .sum:
                for (a, b) in orderedPairs { for x in a.readings { for y in b.readings { add(x + y, percent: false, operation) } } }
                if amounts.count > 2 { add(amounts.compactMap(\.readings.first).reduce(0, +), percent: false, operation) }
            case .product:
                for (a, b) in orderedPairs { for x in a.readings { for y in b.readings { add(x * y, percent: false, operation) } } }
            case .ratio:
                for (a, b) in orderedPairs {
                    for x in a.readings { for y in b.readings where x != 0 && y != 0 { add(x / y, percent: false, operation); add(y / x, percent: false, operation) } }
                }
            case .percentOf:
                for (a, b) in orderedPairs {
                    for x in a.readings { for y in b.readings where x != 0 && y != 0 { add(x / y * 100, percent: true, operation); add(y / x * 100, percent: true, operation) } }
                }
            }
        }
        return results
    }
}
