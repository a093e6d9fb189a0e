import Foundation

/// Worked steps of the form `A op B = C` found in an answer, each recomputed.
///
/// A step is checked when both sides of an `=` are plain arithmetic (numbers, `+ - x × * / ÷ ^`,
/// parentheses, a trailing unit word); steps written in words ("percent change = (new - old) / old")
/// are formulas, not claims, and are skipped. Every written number is taken as an interval of its
/// rounding (`1.1316` is 1.13155…1.13165; whole numbers are exact), the left side is evaluated in
/// interval arithmetic, and the step holds when the interval meets the right side's. So honest
/// rounding of intermediate results passes and `12,500 / 1,000 = 1.25` does not.
public enum WorkedSteps {
    public struct Step: Sendable, Equatable {
        /// The step as written (left and right side).
        public var text: String
        public var computed: Double
        public var written: Double
        public var holds: Bool
    }

    /// Every checkable step of `text`, in order.
    public static func steps(in text: String) -> [Step] {
        var found: [Step] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let segments = line.split(separator: "=", omittingEmptySubsequences: false).map(String.init)
            guard segments.count >= 2 else { continue }
            for position in 0..<(segments.count - 1) {
                guard let left = Expression.trailing(of: segments[position]), let right = Expression.leading(of: segments[position + 1]) else { continue }
                // `1 billion = 1,000 million` is a conversion worth checking; `x = 5` without an
                // operation on either side is a statement, not a step.
                guard left.hasOperator || right.hasOperator || left.scaled != right.scaled else { continue }
                guard let lhs = left.evaluate(), let rhs = right.evaluate() else { continue }
                let holds = agree(lhs, rhs, left: left, right: right)
                found.append(Step(text: (left.source + " = " + right.source), computed: lhs.mid, written: rhs.mid, holds: holds))
            }
        }
        return found
    }

    /// Sides agree when their intervals meet, with scale words applied on both sides or on
    /// neither (a step "9.8 - 12.5 = -2.7 million" names the unit of its result only), or
    /// with a percent written as a fraction on one side (`0.1316 = 13.16%`).
    static func agree(_ lhs: Interval, _ rhs: Interval, left: Expression, right: Expression) -> Bool {
        let slack = 1e-9
        func meets(_ a: Interval, _ b: Interval) -> Bool {
            let widen = 1e-6 * max(abs(a.mid), abs(b.mid)) + slack
            return a.low - widen <= b.high && b.low - widen <= a.high
        }
        if meets(lhs, rhs) { return true }
        if let unscaledLeft = left.evaluate(applyScale: false), let unscaledRight = right.evaluate(applyScale: false),
           meets(unscaledLeft, unscaledRight) { return true }
        // "12,500 thousand = 12,500 / 1,000" means "= 12.5 million": a scaled side against an
        // unscaled one may be in any scale.
        if left.scaled != right.scaled {
            let (scaled, plain) = left.scaled ? (lhs, rhs) : (rhs, lhs)
            if [1e3, 1e6, 1e9].contains(where: { meets(plain.scaled(by: $0), scaled) }) { return true }
        }
        if right.isPercent && !left.isPercent, meets(lhs.scaled(by: 100), rhs) { return true }
        if left.isPercent && !right.isPercent, meets(lhs, rhs.scaled(by: 100)) { return true }
        return false
    }
}

/// A closed interval of reals, for rounding-aware arithmetic.
struct Interval: Equatable {
    var low: Double
    var high: Double
    var mid: Double { (low + high) / 2 }

    init(_ low: Double, _ high: Double) {
        self.low = min(low, high)
        self.high = max(low, high)
    }

    func scaled(by factor: Double) -> Interval { Interval(low * factor, high * factor) }

    static func + (a: Interval, b: Interval) -> Interval { Interval(a.low + b.low, a.high + b.high) }
    static func - (a: Interval, b: Interval) -> Interval { Interval(a.low - b.high, a.high - b.low) }
    static func * (a: Interval, b: Interval) -> Interval {
        let products = [a.low * b.low, a.low * b.high, a.high * b.low, a.high * b.high]
        return Interval(products.min()!, products.max()!)
    }
    static func / (a: Interval, b: Interval) -> Interval? {
        guard b.low > 0 || b.high < 0 else { return nil }
        return a * Interval(1 / b.high, 1 / b.low)
    }
    func power(_ exponent: Interval) -> Interval? {
        guard low > 0 else {
            // Whole exponents of negative or zero bases are fine (-0.2^2); anything else is not real.
            guard exponent.low == exponent.high, exponent.low.rounded() == exponent.low else { return nil }
            let values = [pow(low, exponent.low), pow(high, exponent.low)]
            return Interval(values.min()!, values.max()!)
        }
        let values = [pow(low, exponent.low), pow(low, exponent.high), pow(high, exponent.low), pow(high, exponent.high)]
        return Interval(values.min()!, values.max()!)
    }
}

/// The arithmetic part of one side of a step.
struct Expression {
    enum Token: Equatable {
        case number(value: Double, halfUnit: Double, scale: Double, percent: Bool)
        case op(Character)
        case open, close
    }

    var tokens: [Token]
    var source: String

    var hasOperator: Bool { tokens.contains { if case .op = $0 { true } else { false } } }
    var scaled: Bool { tokens.contains { if case .number(_, _, let scale, _) = $0 { scale != 1 } else { false } } }
    var isPercent: Bool { tokens.contains { if case .number(_, _, _, true) = $0 { true } else { false } } }

    /// Unit words that may follow a figure without ending the expression.
    static let unitWords: Set<String> = [
        "dollars", "dollar", "usd", "euros", "shares", "share", "per", "years", "year", "million", "millions", "billion",
        "billions", "thousand", "thousands", "trillion", "percent", "points", "point", "basis", "percentage", "times",
        "units", "customers", "subscribers", "people", "of", "revenue", "a", "the", "after", "rounding", "roughly",
    ]

    /// The longest arithmetic expression at the end of a segment (after any `Label:`).
    static func trailing(of segment: String) -> Expression? {
        var text = segment
        if let colon = text.lastIndex(of: ":") { text = String(text[text.index(after: colon)...]) }
        guard let tokens = tokenize(text) else { return nil }
        // Walk back from the end over unit words to the last number, then over the expression.
        var end = tokens.count
        while end > 0, case .word(let word) = tokens[end - 1], unitWords.contains(word) { end -= 1 }
        var start = end
        // Unit words between numbers ("312.4 million dollars / 96.1 million shares") don't end it.
        while start > 0 {
            if case .word(let word) = tokens[start - 1], !unitWords.contains(word) { break }
            if case .comma = tokens[start - 1] { break }
            start -= 1
        }
        while start < end, case .word = tokens[start] { start += 1 }
        return make(Array(tokens[start..<end]), text: text)
    }

    /// The longest arithmetic expression at the start of a segment.
    static func leading(of segment: String) -> Expression? {
        guard let tokens = tokenize(segment) else { return nil }
        var start = 0
        while start < tokens.count, case .word(let word) = tokens[start], ["about", "approximately", "roughly", "around", "so", "that", "is"].contains(word) { start += 1 }
        var end = start
        while end < tokens.count {
            if case .word(let word) = tokens[end], !unitWords.contains(word) { break }
            if case .comma = tokens[end] { break }
            end += 1
        }
        return make(Array(tokens[start..<end]), text: segment)
    }

    private static func make(_ raw: [RawToken], text: String) -> Expression? {
        var tokens: [Token] = []
        for token in raw {
            if case .arithmetic(let arithmetic) = token { tokens.append(arithmetic) }
        }
        // Drop unmatched parentheses at the edges ("(a + b" after cutting a label).
        while let first = tokens.first, first == .close { tokens.removeFirst() }
        while let last = tokens.last, case .op = last { tokens.removeLast() }
        // "this year / (1 - 0.08)": an operator with nothing before it means the expression began in words.
        if let first = tokens.first, case .op(let symbol) = first, symbol != "-" { return nil }
        var depth = 0
        for token in tokens {
            if token == .open { depth += 1 } else if token == .close { depth -= 1 }
        }
        while depth > 0, let index = tokens.firstIndex(of: .open) {
            tokens.remove(at: index)
            depth -= 1
        }
        while depth < 0, let index = tokens.lastIndex(of: .close) {
            tokens.remove(at: index)
            depth += 1
        }
        guard tokens.contains(where: { if case .number = $0 { true } else { false } }) else { return nil }
        let numbers = tokens.filter { if case .number = $0 { true } else { false } }.count
        let ops = tokens.filter { if case .op = $0 { true } else { false } }.count
        // Two numbers side by side with nothing between them is not an expression.
        guard numbers <= ops + 1 else { return nil }
        return Expression(tokens: tokens, source: text.trimmingCharacters(in: .whitespaces))
    }

    // MARK: Evaluation (recursive descent: sum → product → power → unary → atom)

    func evaluate(applyScale: Bool = true) -> Interval? {
        var parser = Parser(tokens: tokens, applyScale: applyScale)
        guard let value = parser.sum(), parser.position == tokens.count else { return nil }
        return value
    }

    struct Parser {
        let tokens: [Token]
        let applyScale: Bool
        var position = 0

        init(tokens: [Token], applyScale: Bool) {
            self.tokens = tokens
            self.applyScale = applyScale
        }

        mutating func sum() -> Interval? {
            guard var value = product() else { return nil }
            while position < tokens.count, case .op(let symbol) = tokens[position], symbol == "+" || symbol == "-" {
                position += 1
                guard let next = product() else { return nil }
                value = symbol == "+" ? value + next : value - next
            }
            return value
        }

        mutating func product() -> Interval? {
            guard var value = power() else { return nil }
            while position < tokens.count, case .op(let symbol) = tokens[position], symbol == "*" || symbol == "/" {
                position += 1
                guard let next = power() else { return nil }
                if symbol == "*" { value = value * next } else {
                    guard let quotient = value / next else { return nil }
                    value = quotient
                }
            }
            return value
        }

        mutating func power() -> Interval? {
            guard let base = unary() else { return nil }
            if position < tokens.count, case .op("^") = tokens[position] {
                position += 1
                guard let exponent = power() else { return nil }
                return base.power(exponent)
            }
            return base
        }

        mutating func unary() -> Interval? {
            if position < tokens.count, case .op("-") = tokens[position] {
                position += 1
                return unary().map { Interval(-$0.high, -$0.low) }
            }
            return atom()
        }

        mutating func atom() -> Interval? {
            guard position < tokens.count else { return nil }
            switch tokens[position] {
            case .number(let value, let halfUnit, let scale, _):
                position += 1
                let factor = applyScale ? scale : 1
                return Interval((value - halfUnit) * factor, (value + halfUnit) * factor)
            case .open:
                position += 1
                guard let inner = sum(), position < tokens.count, tokens[position] == .close else { return nil }
                position += 1
                return inner
            default:
                return nil
            }
        }
    }

    // MARK: Tokens

    enum RawToken {
        case arithmetic(Token)
        case word(String)
        case comma
    }

    /// Splits a segment into numbers, operators, parentheses, words and commas; nil when it has
    /// something that can't be part of a step (a question mark, say).
    static func tokenize(_ text: String) -> [RawToken]? {
        var tokens: [RawToken] = []
        let figures = FigureScanner.figures(in: text)
        let utf16 = Array(text.utf16)
        var figureIndex = 0
        var position = 0
        while position < utf16.count {
            if figureIndex < figures.count, figures[figureIndex].offset == position || (figures[figureIndex].offset == position + 1 && utf16[position] == 36) {
                let figure = figures[figureIndex]
                figureIndex += 1
                if figure.kind == .label { return nil }
                // A leading minus belongs to the expression's grammar, not to the number.
                let magnitude = abs(figure.value)
                if figure.value < 0 {
                    if figure.text.hasPrefix("(") || figure.text.hasSuffix(")") { return nil }
                    tokens.append(.arithmetic(.op("-")))
                }
                // Whole numbers are exact (counts, constants such as 100 or 1,000); decimals are rounded.
                let halfUnit = figure.decimals == 0 ? 0 : figure.halfUnit
                tokens.append(.arithmetic(.number(value: magnitude, halfUnit: halfUnit, scale: figure.scale,
                                                  percent: figure.kind == .percent)))
                position = figure.offset + figure.length
                continue
            }
            guard let scalar = Unicode.Scalar(utf16[position]) else { return nil }
            let character = Character(scalar)
            switch character {
            case "+": tokens.append(.arithmetic(.op("+")))
            case "-", "\u{2212}", "\u{2013}": tokens.append(.arithmetic(.op("-")))
            case "*", "×", "·": tokens.append(.arithmetic(.op("*")))
            case "/", "÷": tokens.append(.arithmetic(.op("/")))
            case "^": tokens.append(.arithmetic(.op("^")))
            case "(", "[": tokens.append(.arithmetic(.open))
            case ")", "]": tokens.append(.arithmetic(.close))
            case ",", ";": tokens.append(.comma)
            case "$", "€", "£", " ", "\t", "\"", "'": break
            case ".", "!", "?": tokens.append(.comma)
            default:
                if character.isLetter {
                    var word = String(character)
                    var next = position + 1
                    while next < utf16.count, let s = Unicode.Scalar(utf16[next]), Character(s).isLetter || s == "-" {
                        word.append(Character(s))
                        next += 1
                    }
                    position = next
                    let lowered = word.lowercased()
                    tokens.append(lowered == "x" ? .arithmetic(.op("*")) : .word(lowered))
                    continue
                }
                tokens.append(.comma)
            }
            position += 1
        }
        return tokens
    }
}
