import LabCore

/// Finds texts whose ROUGE-L F-measure with a query reaches a threshold, without comparing against
/// every stored text.
///
/// Exactness argument: F = 2·LCS/(m+n) ≥ t needs (1) lengths with min/max ≥ t/(2−t), and (2) a shared
/// token multiset of at least τ = ⌈t·(m+n)/2⌉ ≥ ⌈t·m/(2−t)⌉ tokens, since LCS ≤ shared tokens. So a
/// match must share one of the query's m − τ_min + 1 rarest tokens (prefix filtering); only those
/// tokens' postings are read. Candidates that pass are then verified with the exact LCS.
public final class NearDuplicateIndex {
    public let threshold: Double
    private var documents: [[Int32]] = []
    private var labels: [String] = []
    private var postings: [Int32: [Int32]] = [:]
    private var vocabulary: [Substring: Int32] = [:]

    public init(threshold: Double = 0.7) {
        precondition(threshold > 0 && threshold <= 1)
        self.threshold = threshold
    }

    public var count: Int { documents.count }

    /// Adds a text under a label (e.g. "seed 3" or "sample 1042").
    public func insert(_ text: String, label: String) {
        let ids = encode(RougeL.tokens(text), growing: true)
        let document = Int32(documents.count)
        documents.append(ids)
        labels.append(label)
        for token in Set(ids) { postings[token, default: []].append(document) }
    }

    /// The stored text most similar to `text` at or above the threshold, if any.
    public func bestMatch(for text: String) -> (label: String, score: Double)? {
        let query = encode(RougeL.tokens(text), growing: false)
        guard !query.isEmpty else { return nil }
        let m = Double(query.count)
        let lengthRatio = threshold / (2 - threshold)
        let minimumShared = Int((threshold * m / (2 - threshold)).rounded(.up))
        // Tokens never seen can't be shared; -1 marks them.
        let probeCount = query.count - max(1, minimumShared) + 1
        let probes = query.sorted { (postings[$0]?.count ?? 0) < (postings[$1]?.count ?? 0) }.prefix(max(1, probeCount))
        var seen = Set<Int32>()
        var best: (Int, Double)?
        for token in probes where token >= 0 {
            for document in postings[token] ?? [] where seen.insert(document).inserted {
                let candidate = documents[Int(document)]
                let n = Double(candidate.count)
                guard min(m, n) / max(m, n) >= lengthRatio else { continue }
                let score = RougeL.fMeasure(query, candidate)
                if score >= threshold, score > (best?.1 ?? -1) { best = (Int(document), score) }
            }
        }
        return best.map { (labels[$0.0], $0.1) }
    }

    private func encode(_ tokens: [Substring], growing: Bool) -> [Int32] {
        tokens.map { token in
            if let id = vocabulary[token] { return id }
            guard growing else { return -1 }
            let id = Int32(vocabulary.count)
            vocabulary[token] = id
            return id
        }
    }
}

/// Exact duplicates after normalisation: case, punctuation and spacing don't make a text new.
public struct ExactDuplicateSet {
    private var hashes: [String: String] = [:]

    public init() {}

    public static func normalized(_ text: String) -> String {
        RougeL.tokens(text).joined(separator: " ")
    }

    /// The label of an earlier text identical to `text` after normalisation, without recording it.
    public func earlier(_ text: String) -> String? {
        hashes[ContentHash.sha256Hex(Self.normalized(text))]
    }

    /// Records `text`; returns the label of an earlier identical text, if any.
    public mutating func insert(_ text: String, label: String) -> String? {
        let key = ContentHash.sha256Hex(Self.normalized(text))
        if let earlier = hashes[key] { return earlier }
        hashes[key] = label
        return nil
    }
}
