import Foundation

/// `claims`: each sentence of a knowledge or grounded answer is supported by its context, so a true
/// first sentence cannot carry a false second one.
///
/// A sentence is supported when (a) enough of its content words are in the context, (b) enough of
/// its adjacent content-word pairs occur close together in one context sentence (so recombined
/// words don't pass), and (c) where it states a direction (rose, fell, higher, lower) next to a
/// figure, or a negation, the context sentence holding that figure says the same. The weakest
/// sentence's support is the score.
public struct ClaimGroundingCheck: CandidateVerifier {
    public static let version = "1"
    /// Share of a sentence's content words the context must contain.
    public var wordShare: Double
    /// Share of a sentence's word pairs found near each other in a context sentence.
    public var pairShare: Double

    public init(wordShare: Double = 0.75, pairShare: Double = 0.35) {
        self.wordShare = wordShare
        self.pairShare = pairShare
    }

    static let up: Set<String> = ["rose", "rise", "rises", "risen", "increase", "increased", "increases", "grew", "grow", "grows",
                                  "growth", "higher", "up", "gain", "gained", "improved", "improve", "expanded", "climbed", "jumped"]
    static let down: Set<String> = ["fell", "fall", "falls", "fallen", "decrease", "decreased", "decreases", "declined", "decline",
                                    "declines", "lower", "down", "drop", "dropped", "shrank", "contracted", "loss", "lost", "reduced", "worsened"]
    static let negations: Set<String> = ["not", "no", "never", "neither", "nor", "without", "cannot"]

    public func verify(_ candidate: CandidateText) -> Finding? {
        guard candidate.flow.hasSource, let context = candidate.context, !context.isEmpty else { return nil }
        let source = context.replacingOccurrences(of: "**", with: "")
        let sourceSentences = TextUnits.sentences(source).map { (text: $0, words: TextUnits.words($0), stems: TextUnits.contentStems($0)) }
        let sourceStems = Set(sourceSentences.flatMap(\.stems)).union(TextUnits.contentStems(candidate.question))
        var weakest = 1.0
        var checked = 0
        for sentence in TextUnits.sentences(candidate.answer) {
            let stems = TextUnits.contentStems(sentence)
            guard stems.count >= 2 else { continue }
            checked += 1
            let found = stems.filter { stem in sourceStems.contains(stem) || sourceStems.contains { $0.count >= 5 && stem.count >= 5 && ($0.hasPrefix(stem) || stem.hasPrefix($0)) } }
            let share = Double(found.count) / Double(stems.count)
            let pairs = zip(stems, stems.dropFirst()).map { ($0, $1) }
            var pairHits = 0
            for (a, b) in pairs where sourceSentences.contains(where: { Self.near(a, b, in: $0.stems) }) { pairHits += 1 }
            let pairSupport = pairs.isEmpty ? 1 : Double(pairHits) / Double(pairs.count)
            weakest = min(weakest, min(share / wordShare, pairSupport / pairShare))
            if share < wordShare || pairSupport < pairShare {
                let missing = Set(stems).subtracting(found).sorted().prefix(6).joined(separator: " ")
                return .reject("a sentence is not supported by the context", score: min(share, pairSupport), threshold: wordShare,
                               evidence: ["sentence": sentence, "word_share": Self.percent(share), "pair_share": Self.percent(pairSupport),
                                          "missing_words": missing])
            }
            if let contradiction = directionConflict(sentence, in: sourceSentences.map(\.text)) {
                return .reject("a sentence contradicts the context", score: 0, threshold: wordShare,
                               evidence: ["sentence": sentence, "context_sentence": contradiction])
            }
        }
        guard checked > 0 else { return nil }
        return .accept("every sentence is supported", score: min(1, weakest), threshold: 1, evidence: ["sentences": String(checked)])
    }

    /// Whether stems `a` and `b` occur within three content words of each other in `stems`.
    static func near(_ a: String, _ b: String, in stems: [String]) -> Bool {
        for (index, stem) in stems.enumerated() where stem == a || (a.count >= 5 && stem.hasPrefix(a)) {
            let window = stems[max(0, index - 3)..<min(stems.count, index + 4)]
            if window.contains(where: { $0 == b || (b.count >= 5 && $0.hasPrefix(b)) }) { return true }
        }
        return false
    }

    /// The context sentence that states one of the sentence's figures with the opposite direction
    /// or negation, if any.
    func directionConflict(_ sentence: String, in sources: [String]) -> String? {
        let figures = FigureScanner.quantities(in: sentence)
        guard !figures.isEmpty else { return nil }
        let words = Set(TextUnits.words(sentence))
        let saysUp = !words.isDisjoint(with: Self.up), saysDown = !words.isDisjoint(with: Self.down)
        guard saysUp != saysDown else { return nil }
        for source in sources {
            let sourceFigures = FigureScanner.quantities(in: source)
            guard figures.contains(where: { figure in sourceFigures.contains { $0.kind == figure.kind && figure.matches($0.value) && $0.decimals == figure.decimals } }) else { continue }
            let sourceWords = Set(TextUnits.words(source))
            let sourceUp = !sourceWords.isDisjoint(with: Self.up), sourceDown = !sourceWords.isDisjoint(with: Self.down)
            if sourceUp != sourceDown && sourceUp != saysUp { return source }
        }
        return nil
    }

    static func percent(_ value: Double) -> String { String(format: "%.0f%%", value * 100) }
}
