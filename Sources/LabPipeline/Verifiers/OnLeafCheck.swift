import Foundation

/// What a leaf is about, for telling leaves apart: its task (or domain and outline) and its seed questions.
public struct LeafProfile: Sendable {
    public var path: String
    public var flow: FlowKind
    public var text: String

    public init(path: String, flow: FlowKind, text: String) {
        self.path = path
        self.flow = flow
        self.text = text
    }
}

/// `on_leaf`: the question belongs to its leaf's task. The candidate (question, answer and, for
/// grounded skills, its context) is compared — TF-IDF cosine over word stems and stem pairs, IDF
/// across leaves, so words every finance leaf shares weigh little — with each leaf of the same
/// kind (skills with skills, knowledge with knowledge): its task, seed questions, answers and
/// contexts. Its own leaf must score at least `margin` × the best other leaf's score. A CAGR
/// question filed under `percent_change` scores higher on `cagr` and fails.
public struct OnLeafCheck: CandidateVerifier {
    public static let version = "1"
    public let margin: Double
    let vectors: [String: [String: Double]]
    let flows: [String: FlowKind]
    let idf: [String: Double]

    /// Per leaf glob, words one of which the question must use (a summarisation leaf's questions ask for a summary).
    public var requiredWords: [(glob: LeafGlob, words: [String])] = []

    public init(profiles: [LeafProfile], margin: Double = 0.8, requiredWords: [(glob: LeafGlob, words: [String])] = []) {
        self.margin = margin
        self.requiredWords = requiredWords
        flows = Dictionary(profiles.map { ($0.path, $0.flow) }, uniquingKeysWith: { first, _ in first })
        var documentFrequency: [String: Int] = [:]
        var counts: [String: [String: Double]] = [:]
        for profile in profiles {
            var tf: [String: Double] = [:]
            for stem in Self.terms(profile.text) { tf[stem, default: 0] += 1 }
            counts[profile.path] = tf
            for stem in tf.keys { documentFrequency[stem, default: 0] += 1 }
        }
        let total = Double(max(profiles.count, 1))
        let idf = documentFrequency.mapValues { log((1 + total) / (1 + Double($0))) + 1 }
        self.idf = idf
        var vectors: [String: [String: Double]] = [:]
        for (path, tf) in counts {
            vectors[path] = Self.normalized(tf.reduce(into: [:]) { $0[$1.key] = (1 + log($1.value)) * (idf[$1.key] ?? 1) })
        }
        self.vectors = vectors
    }

    /// Stems plus adjacent stem pairs ("percent change", "compound annual") as terms.
    static func terms(_ text: String) -> [String] {
        let stems = TextUnits.contentStems(text)
        return stems + zip(stems, stems.dropFirst()).map { $0 + "_" + $1 }
    }

    static func normalized(_ vector: [String: Double]) -> [String: Double] {
        let norm = sqrt(vector.values.reduce(0) { $0 + $1 * $1 })
        return norm > 0 ? vector.mapValues { $0 / norm } : vector
    }

    public func scores(for text: String, flow: FlowKind) -> [(path: String, score: Double)] {
        var tf: [String: Double] = [:]
        for term in Self.terms(text) where idf[term] != nil { tf[term, default: 0] += 1 }
        let query = Self.normalized(tf.reduce(into: [:]) { $0[$1.key] = (1 + log($1.value)) * (idf[$1.key] ?? 1) })
        // Skills compete with skills: a knowledge leaf about ratios doesn't make a ratio skill off-leaf.
        let sameKind = vectors.filter { (flows[$0.key] == .knowledge) == (flow == .knowledge) }
        return sameKind.map { path, vector in
            (path, query.reduce(0) { $0 + $1.value * (vector[$1.key] ?? 0) })
        }.sorted { $0.score > $1.score }
    }

    /// Share of a question's words (names and numbers aside) that no leaf's task, seeds or
    /// answers use, above which it has strayed from finance ("the carbon footprint of a disposable e-bike").
    public var maximumStrayShare: Double = 0.5

    public func verify(_ candidate: CandidateText) -> Finding? {
        let known = Set(idf.keys)
        let names = Set(SelfContainedCheck.names(in: candidate.question).map { $0.lowercased() })
        let words = TextUnits.words(candidate.question).filter { !names.contains($0) && !TextUnits.stopWords.contains($0) && !($0.first?.isNumber ?? true) }
        let stray = words.filter { !known.contains(TextUnits.stem($0)) }
        if words.count >= 6, Double(stray.count) / Double(words.count) > maximumStrayShare {
            return .reject("question strays from the leaves' subject", score: Double(stray.count) / Double(words.count), threshold: maximumStrayShare,
                           evidence: ["unfamiliar_words": stray.prefix(8).joined(separator: " ")])
        }
        let lowered = candidate.question.lowercased()
        for rule in requiredWords where rule.glob.matches(candidate.leafPath) && !rule.words.contains(where: lowered.contains) {
            return .reject("question does not ask for its leaf's task", score: 0, threshold: 1,
                           evidence: ["needs_one_of": rule.words.joined(separator: " ")])
        }
        guard vectors[candidate.leafPath] != nil, vectors.count > 1 else { return nil }
        let text = [candidate.question, candidate.answer, candidate.flow == .groundedSkill ? candidate.context ?? "" : ""].joined(separator: "\n")
        let ranked = scores(for: text, flow: candidate.flow)
        let own = ranked.first { $0.path == candidate.leafPath }?.score ?? 0
        guard let rival = ranked.first(where: { $0.path != candidate.leafPath }) else { return nil }
        let ratio = rival.score > 0 ? own / rival.score : (own > 0 ? 10 : 0)
        let evidence = ["own_score": String(format: "%.3f", own), "closest_other": rival.path, "other_score": String(format: "%.3f", rival.score)]
        if own <= 0 || ratio < margin {
            return .reject("question belongs to another leaf", score: ratio, threshold: margin, evidence: evidence)
        }
        return .accept("on its leaf's task", score: min(ratio, 10), threshold: margin, evidence: evidence)
    }
}
