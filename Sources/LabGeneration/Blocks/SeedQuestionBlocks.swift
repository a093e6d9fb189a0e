import Foundation
import LabCore
import LabPipeline
import LabStore

/// `glossary_question`: on leaves matching `leaves`, writes `count` questions per unit about
/// glossary terms the leaf's seeds don't ask about, each phrased like a seed question with the
/// seed's term replaced ("What is EBITDA? Explain it in plain words." → "What is gross margin?
/// Explain it in plain words."). A small teacher answers questions it is asked to rewrite; here it
/// only writes the answer, shown the term's glossary definition. The verdict says the question is
/// the glossary's, never the teacher's.
struct GlossaryQuestionBlock: FlowBlock {
    let name: String
    let glossary: Glossary
    let leaves: [LeafGlob]
    let count: Int
    /// Per leaf path, its seed questions: their terms are never asked again.
    let seedQuestions: [String: [String]]

    static let version = "1"

    func run(_ rows: [Candidate], context: BlockContext) async throws -> [Candidate] {
        guard leaves.contains(where: { $0.matches(context.leafPath) }) else { return rows }
        let seeds = seedQuestions[context.leafPath] ?? []
        // Only terms some seed's phrasing can ask, so each unit's share of the order is fixed.
        let terms = freshTerms(seeds: seeds).filter { term in seeds.contains { question(about: term, like: $0) != nil } }
        return rows.flatMap { row -> [Candidate] in
            guard !row.isRejected, row.columns["question"] == nil, !terms.isEmpty else { return [row] }
            // The unit's own seed first, then the leaf's others: a phrasing whose term can be swapped.
            let phrasings = [row.columns["seed_question"] ?? ""] + seeds
            var output: [Candidate] = []
            var position = context.unit.index * count
            // Consecutive units take consecutive terms of one fixed order, so units ask different terms.
            for _ in 0..<terms.count where output.count < count {
                let term = terms[position % terms.count]
                position += 1
                guard let seed = phrasings.first(where: { self.question(about: term, like: $0) != nil }),
                      let question = self.question(about: term, like: seed) else { continue }
                var candidate = row
                candidate.columns["question"] = question
                candidate.columns["term"] = Self.displayName(term)
                candidate.columns["definition"] = term.definition
                candidate.verdicts.append(Verdict(filter: name, filterVersion: Self.version, decision: .accept,
                                                  reason: "question written from the glossary, not the teacher's",
                                                  evidence: GenerateBlock.json(["question_source": "glossary", "term": term.term, "phrased_like": seed])))
                output.append(candidate)
            }
            return output.isEmpty ? [row] : output
        }
    }

    /// Terms with a definition that no seed question names, in a fixed shuffled order.
    func freshTerms(seeds: [String]) -> [Glossary.Term] {
        let asked = Set(seeds.flatMap { glossary.terms(namedIn: $0).map(\.term.term) })
        var terms = glossary.terms.filter { $0.definition != nil && !asked.contains($0.term) }
        var random = SeededRandom(seed: 0, stream: name)
        terms.shuffle(using: &random)
        return terms
    }

    /// `seed` with its glossary term replaced by `term` (with the article the term's definition
    /// uses), or nil when the seed names no term or the result would not name `term` first.
    func question(about term: Glossary.Term, like seed: String) -> String? {
        let flat = seed.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        guard let alias = glossary.terms(namedIn: flat).first?.alias else { return nil }
        let pattern = "\\b(?:(?:a|an|the) )?" + NSRegularExpression.escapedPattern(for: alias) + "\\b"
        guard let range = flat.range(of: pattern, options: [.regularExpression, .caseInsensitive]) else { return nil }
        return Self.phrases(term).lazy.map { flat.replacingCharacters(in: range, with: $0) }
            .first { glossary.terms(namedIn: $0).first?.term.term == term.term }
    }

    /// "gross margin", "a stock split", "the current ratio": the term with the article its definition
    /// opens with; then its first alias ("a coupon rate"), for names the glossary matches only that way.
    static func phrases(_ term: Glossary.Term) -> [String] {
        let article = term.definition?.split(separator: " ").first.map { $0.lowercased() } ?? ""
        let prefix = ["a", "an", "the"].contains(article) ? article + " " : ""
        return [prefix + displayName(term)] + term.aliases.prefix(1).map { prefix + $0 }
    }

    /// The term's name in running text: a capital only where the name needs one (EBITDA, Form 10-K).
    static func displayName(_ term: Glossary.Term) -> String {
        let first = term.term.split(separator: " ").first ?? ""
        let keepsCase = first.dropFirst().contains(where: \.isUppercase) || term.term.contains(where: \.isNumber)
        return keepsCase ? term.term : term.term.prefix(1).lowercased() + term.term.dropFirst()
    }
}

/// `varied_question`: on leaves with `operations`, writes `count` questions per unit that are the
/// unit's seed question with new figures of similar size and the same format, its wording and scale
/// words kept ("(in thousands)", "except per-share amounts"). A variation the computed answer can't
/// work out is rejected; a seed that is itself not computable is left to the teacher.
struct VariedQuestionBlock: FlowBlock {
    let name: String
    let rules: [(glob: LeafGlob, operations: Set<ArithmeticOperation>)]
    let count: Int

    static let version = "1"

    func run(_ rows: [Candidate], context: BlockContext) async throws -> [Candidate] {
        let operations = ArithmeticCheck.operations(for: context.leafPath, in: rules)
        guard !operations.isEmpty else { return rows }
        return rows.flatMap { row -> [Candidate] in
            let seed = row.columns["seed_question"] ?? ""
            guard !row.isRejected, row.columns["question"] == nil, WorkedAnswers.answer(seed, operations: operations) != nil else { return [row] }
            var random = SeededRandom(seed: context.unit.requestSeed, stream: name)
            let seedNumber = context.unit.seedPositions.first.map(String.init) ?? "?"
            return (0..<count).map { _ in
                var candidate = row
                let question = Self.vary(seed, using: &random)
                candidate.columns["question"] = question ?? seed
                let evidence = GenerateBlock.json(["question_source": "seed_variation", "seed": seedNumber, "seed_question": seed])
                if let question, question != seed, WorkedAnswers.answer(question, operations: operations) != nil {
                    candidate.verdicts.append(Verdict(filter: name, filterVersion: Self.version, decision: .accept,
                                                      reason: "question is seed \(seedNumber) with new figures, not the teacher's", evidence: evidence))
                } else {
                    candidate.verdicts.append(Verdict(filter: name, filterVersion: Self.version, decision: .reject,
                                                      reason: "varied question names no computation with its figures", evidence: evidence))
                }
                return candidate
            }
        }
    }

    /// `question` with each written amount or percent (not years or labels) replaced by a new value
    /// with the same decimals, digit count and separators, in the same order of size; nil when it
    /// has no figure to vary or no ordering-preserving draw was found.
    static func vary(_ question: String, using random: inout SeededRandom) -> String? {
        let text = question as NSString
        // The digits of each varied figure: "$1.2 billion" → "1.2".
        let spans: [(range: NSRange, figure: Figure)] = FigureScanner.quantities(in: question).compactMap { figure in
            let within = text.range(of: "[0-9][0-9,]*(?:\\.[0-9]+)?", options: .regularExpression,
                                    range: NSRange(location: figure.offset, length: figure.length))
            return within.location == NSNotFound ? nil : (within, figure)
        }
        guard !spans.isEmpty else { return nil }
        for _ in 0..<16 {
            let values = spans.map { newValue(like: $0.figure, text: text.substring(with: $0.range), using: &random) }
            let keepsOrder = spans.indices.allSatisfy { i in
                spans.indices.allSatisfy { j in (abs(spans[i].figure.value) < abs(spans[j].figure.value)) == (values[i] < values[j]) }
            }
            guard keepsOrder, zip(spans, values).contains(where: { pair in abs(pair.0.figure.value) != pair.1 }) else { continue }
            var varied = question
            for (span, value) in zip(spans, values).reversed() {
                let written = text.substring(with: span.range)
                let formatted = format(value, decimals: span.figure.decimals, grouped: written.contains(","))
                varied = (varied as NSString).replacingCharacters(in: span.range, with: formatted)
            }
            return varied
        }
        return nil
    }

    /// A value within ×0.5…×2 of the figure's, with as many whole digits as written.
    static func newValue(like figure: Figure, text: String, using random: inout SeededRandom) -> Double {
        let value = abs(figure.value)
        let wholeDigits = text.split(separator: ".").first?.filter(\.isNumber).count ?? 1
        let unit = pow(10, -Double(figure.decimals))
        let lower = max(value * 0.5, wholeDigits > 1 || value >= 1 ? pow(10, Double(wholeDigits - 1)) : unit)
        let upper = min(value * 2, pow(10, Double(wholeDigits)) - unit)
        guard upper > lower else { return value }
        let drawn = lower + Double(random.next() % 1_000_000) / 1_000_000 * (upper - lower)
        return (drawn / unit).rounded() * unit
    }

    static func format(_ value: Double, decimals: Int, grouped: Bool) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.usesGroupingSeparator = grouped
        formatter.minimumFractionDigits = decimals
        formatter.maximumFractionDigits = decimals
        formatter.locale = Locale(identifier: "en_US")
        return formatter.string(from: NSNumber(value: value)) ?? String(value)
    }
}
