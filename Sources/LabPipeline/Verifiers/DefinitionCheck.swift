public import Foundation
import Yams

/// A curator-maintained glossary: per term, what a correct plain-words definition must contain
/// and phrases that state a wrong one (`pipelines/glossary.yaml`).
public struct Glossary: Sendable, Codable, Equatable {
    public struct Term: Sendable, Codable, Equatable {
        public var term: String
        public var aliases: [String]
        public var expansion: String?
        /// Groups of alternatives; every group must occur in a correct definition.
        public var requires: [[String]]
        public var forbids: [String]?
        /// Numerator and denominator alternatives of a ratio term.
        public var ratio: [[String]]?
        /// A plain, correct definition in the curator's words: the reference a teacher explains.
        public var definition: String?

        public init(term: String, aliases: [String], expansion: String? = nil, requires: [[String]], forbids: [String]? = nil, ratio: [[String]]? = nil,
                    definition: String? = nil) {
            self.term = term
            self.aliases = aliases
            self.expansion = expansion
            self.requires = requires
            self.forbids = forbids
            self.ratio = ratio
            self.definition = definition
        }
    }

    public var version: Int
    public var terms: [Term]

    public static func load(from url: URL) throws -> Glossary {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw GlossaryError(path: url.path, message: "cannot read the glossary: \(error.localizedDescription)")
        }
        do {
            let glossary = try YAMLDecoder().decode(Glossary.self, from: text)
            if let bad = glossary.terms.first(where: { $0.aliases.isEmpty || $0.requires.isEmpty || $0.requires.contains(where: \.isEmpty) }) {
                throw GlossaryError(path: url.path, message: "term '\(bad.term)' needs aliases and non-empty requires groups")
            }
            return glossary
        } catch let error as GlossaryError {
            throw error
        } catch {
            throw GlossaryError(path: url.path, message: "not a valid glossary: \(error)")
        }
    }

    public struct GlossaryError: Error, CustomStringConvertible {
        public var path: String
        public var message: String
        public var description: String { "\(path): \(message) (hint: see pipelines/glossary.yaml for the format)" }
    }

    /// The terms `text` names, longest alias first, each alias matched on word boundaries.
    public func terms(namedIn text: String) -> [(term: Term, alias: String)] {
        let padded = " " + Self.normalize(text) + " "
        var found: [(Term, String)] = []
        var covered: [String] = []
        let aliases = terms.flatMap { term in term.aliases.map { (term, $0) } }.sorted { $0.1.count > $1.1.count }
        for (term, alias) in aliases {
            let needle = " " + Self.normalize(alias) + " "
            guard padded.contains(needle), !covered.contains(where: { $0.contains(needle) }) else { continue }
            if found.contains(where: { $0.0.term == term.term }) { continue }
            found.append((term, alias))
            covered.append(needle)
        }
        return found
    }

    static func normalize(_ text: String) -> String {
        text.lowercased().split { !($0.isLetter || $0.isNumber || $0 == "/" || $0 == "&" || $0 == "-") }.joined(separator: " ")
    }
}

/// `definitions`: a definition in an answer is complete and not wrong, by the glossary.
///
/// Applies to the term a question asks about ("What is EBITDA?", "Explain dilution"): the answer
/// must contain every required component of the term (EBITDA: interest, taxes, depreciation,
/// amortization) and none of its known wrong statements. On leaves matched by `strictLeaves`
/// (explaining terms is their task), a question about a term the glossary lacks is rejected —
/// nothing could check its answer; extend the glossary to accept such terms. On leaves matched by
/// `exampleLeaves` (whose task asks for "a small numeric example"), an answer without a worked
/// example is incomplete: a 135M teacher shown a definition mostly restates it and stops.
public struct DefinitionCheck: CandidateVerifier {
    public static let version = "2"
    public let glossary: Glossary
    public let strictLeaves: [LeafGlob]
    public let exampleLeaves: [LeafGlob]

    public init(glossary: Glossary, strictLeaves: [LeafGlob], exampleLeaves: [LeafGlob] = []) {
        self.glossary = glossary
        self.strictLeaves = strictLeaves
        self.exampleLeaves = exampleLeaves
    }

    /// A sentence that computes: "=" between figures, or inputs and a result (three different
    /// figures: "from 5.00% to 5.25%, up 0.25 percentage points"). A formula alone ("FCF = CFO -
    /// capex") is no example, nor are two rates named side by side ("a bond with a 5% rate pays
    /// 10%", seen accepted on the NPV question of a 2026-12-08 run).
    static func isWorkedExample(_ sentence: String) -> Bool {
        let figures = Set(FigureScanner.quantities(in: sentence).map(\.value)).count
        return sentence.contains("=") ? figures >= 2 : figures >= 3
    }

    /// A worked example computes with at least two different figures ("$80 million + $20 million =
    /// $100 million"; the arithmetic check verifies it); a sentence that only repeats one figure
    /// ("100% return on assets earns 100%") is prose.
    static func isExample(_ sentence: String) -> Bool {
        sentence.contains("=") || Set(FigureScanner.quantities(in: sentence).map(\.value)).count >= 2
    }

    static let asksForDefinition = ["define", "definition", "meaning of", "stand for", "stands for", "explain", "in plain", "in simple",
                                    "plain words", "plain english", "simple terms"]
    static let filler: Set<String> = ["plain", "word", "simple", "term", "mean", "explain", "keep", "short", "someone", "new",
                                      "investing", "investor", "beginner", "briefly", "english", "exactly", "actually", "use", "used"]

    /// Whether the question asks what the term means ("What is EBITDA?", "Explain dilution"), not
    /// for a value ("What is the CAGR of …") or about something else that mentions it.
    static func asksMeaning(_ question: String, alias: String) -> Bool {
        let lowered = question.lowercased()
        if asksForDefinition.contains(where: lowered.contains) { return true }
        // "How is the quick ratio calculated?" asks for its formula, which is its definition.
        for opening in ["how is the ", "how is ", "how are ", "how do you calculate the ", "how do you calculate ", "formula for the ", "formula for "]
        where lowered.contains(opening + alias + " calculated") || lowered.contains(opening + alias + " computed")
            || lowered.contains(opening + alias + " defined") || (opening.hasPrefix("how do") || opening.hasPrefix("formula")) && lowered.contains(opening + alias) {
            return true
        }
        guard lowered.hasPrefix("what is") || lowered.hasPrefix("what are") || lowered.hasPrefix("what does") || lowered.hasPrefix("what's") else { return false }
        let rest = Set(TextUnits.contentStems(question)).subtracting(TextUnits.contentStems(alias)).subtracting(filler.map(TextUnits.stem))
        return rest.isEmpty
    }

    /// An acronym spelled out wrongly anywhere in the answer: "EBITDA stands for earnings before
    /// interest and taxes" leaves out depreciation and amortization.
    func expansionProblem(in answer: String) -> Finding? {
        let lowered = answer.lowercased()
        for (term, alias) in glossary.terms(namedIn: answer) {
            guard let expansion = term.expansion else { continue }
            for cue in [" stands for ", " is short for ", ", short for ", " (short for ", ", which stands for ", " means "] {
                guard let range = lowered.range(of: alias + cue) else { continue }
                let following = String(lowered[range.upperBound...].prefix(expansion.count + 40))
                let stated = Set(TextUnits.contentStems(following))
                let absent = TextUnits.contentStems(expansion).filter { stem in !stated.contains(stem) && !stated.contains { $0.hasPrefix(stem) || stem.hasPrefix($0) } }
                if !absent.isEmpty && cue != " means " {
                    return .reject("an acronym is spelled out wrongly", score: 0, threshold: 1,
                                   evidence: ["term": term.term, "expected": expansion, "missing": absent.joined(separator: ", ")])
                }
            }
        }
        return nil
    }

    /// A ratio of the glossary written the other way round: "the P/E ratio is earnings per share
    /// divided by the share price".
    func invertedRatio(in answer: String) -> Finding? {
        let named = glossary.terms(namedIn: answer).filter { $0.term.ratio?.count == 2 }
        guard !named.isEmpty else { return nil }
        for sentence in TextUnits.sentences(answer) {
            let lowered = sentence.lowercased()
            for cue in [" divided by ", " / ", " over "] {
                guard let range = lowered.range(of: cue) else { continue }
                let left = String(lowered[..<range.lowerBound].suffix(40)), right = String(lowered[range.upperBound...].prefix(40))
                for (term, alias) in named where lowered.contains(alias) || named.count == 1 {
                    guard let ratio = term.ratio else { continue }
                    let (numerator, denominator) = (ratio[0], ratio[1])
                    let leftIsDenominator = denominator.contains(where: left.hasSuffixWord) && !numerator.contains(where: left.hasSuffixWord)
                    let rightIsNumerator = numerator.contains(where: right.hasPrefixWord) && !denominator.contains(where: right.hasPrefixWord)
                    if leftIsDenominator && rightIsNumerator {
                        return .reject("a ratio is inverted", score: 0, threshold: 1,
                                       evidence: ["term": term.term, "sentence": sentence,
                                                  "expected": "\(numerator[0]) divided by \(denominator[0])"])
                    }
                }
            }
        }
        return nil
    }

    /// Whether the sentence quoting a wrong meaning does so to correct it ("some think … but").
    static func isRefuted(_ phrase: String, in answer: String) -> Bool {
        guard let sentence = TextUnits.sentences(answer).first(where: { $0.lowercased().contains(phrase) })?.lowercased() else { return false }
        return ["not ", "n't", "mistake", "misunderstand", "confus", "wrong", "myth", "some think", "some people", "common error", "misconception"]
            .contains(where: sentence.contains)
    }

    public func verify(_ candidate: CandidateText) -> Finding? {
        let strict = strictLeaves.contains { $0.matches(candidate.leafPath) }
        if exampleLeaves.contains(where: { $0.matches(candidate.leafPath) }),
           !TextUnits.sentences(candidate.answer).contains(where: Self.isWorkedExample) {
            return .reject("the leaf asks for a numeric example and the answer has none", score: 0, threshold: 1,
                           evidence: ["hint": "a worked example computes with at least two figures, e.g. \"$80 million + $20 million = $100 million\""])
        }
        if let wrong = expansionProblem(in: candidate.answer) { return wrong }
        if let inverted = invertedRatio(in: candidate.answer) { return inverted }
        let named = glossary.terms(namedIn: candidate.question)
        guard let (term, alias) = named.first, strict || Self.asksMeaning(candidate.question, alias: alias) else {
            if strict && named.isEmpty {
                return .reject("term not in the glossary: its definition cannot be checked", score: 0, threshold: 1,
                               evidence: ["hint": "add the term to pipelines/glossary.yaml"])
            }
            return nil
        }
        let answer = candidate.answer.lowercased()
        var missing: [String] = []
        for group in term.requires where !group.contains(where: answer.contains) {
            missing.append(group.joined(separator: "/"))
        }
        if let expansion = term.expansion, answer.contains("stand") || answer.contains(alias + " (") {
            let words = TextUnits.contentStems(expansion)
            let answerStems = Set(TextUnits.contentStems(answer))
            let absent = words.filter { stem in !answerStems.contains(stem) && !answerStems.contains { $0.hasPrefix(stem) || stem.hasPrefix($0) } }
            if !absent.isEmpty { missing.append(contentsOf: absent.map { "expansion: \($0)" }) }
        }
        if !missing.isEmpty {
            return .reject("definition misses a required component", score: Double(term.requires.count - min(missing.count, term.requires.count)) / Double(term.requires.count),
                           threshold: 1, evidence: ["term": term.term, "missing": missing.joined(separator: ", ")])
        }
        if let wrong = term.forbids?.first(where: answer.contains), !Self.isRefuted(wrong, in: answer) {
            return .reject("definition states a known wrong meaning", score: 0, threshold: 1, evidence: ["term": term.term, "matched": wrong])
        }
        if let unsupported = beyondReference(candidate, term: term) { return unsupported }
        return .accept("definition has every required component", score: 1, threshold: 1, evidence: ["term": term.term])
    }

    /// An answer written from a reference definition (a glossary question's) may add worked
    /// examples, which the arithmetic check verifies, but every other sentence must restate the
    /// reference: a 135M teacher shown a right definition still appends wrong ones.
    func beyondReference(_ candidate: CandidateText, term: Glossary.Term) -> Finding? {
        guard let reference = candidate.reference, !reference.isEmpty else { return nil }
        // Prose (every sentence but worked examples) is held to the reference.
        let prose = TextUnits.sentences(candidate.answer).filter { !Self.isExample($0) }.joined(separator: " ")
        guard !prose.isEmpty else { return nil }
        let restated = CandidateText(leafPath: candidate.leafPath, flow: .knowledge, question: candidate.question, answer: prose,
                                     context: term.term + ". " + reference)
        guard let finding = ClaimGroundingCheck().verify(restated), finding.decision == .reject else { return nil }
        return .reject("the explanation says what its reference definition does not", score: finding.score, threshold: finding.threshold,
                       evidence: finding.evidence.merging(["term": term.term]) { a, _ in a })
    }
}

extension String {
    /// Whether one of the last few words of the text is `phrase` (the operand before "divided by").
    fileprivate func hasSuffixWord(_ phrase: String) -> Bool {
        let tail = split(separator: " ").suffix(phrase.split(separator: " ").count + 4).joined(separator: " ")
        return tail.contains(phrase)
    }

    /// Whether one of the first few words of the text is `phrase` (the operand after "divided by").
    fileprivate func hasPrefixWord(_ phrase: String) -> Bool {
        let head = split(separator: " ").prefix(phrase.split(separator: " ").count + 3).joined(separator: " ")
        return head.contains(phrase)
    }
}
