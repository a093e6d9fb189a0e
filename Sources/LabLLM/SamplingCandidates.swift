import Foundation

/// The tokens still in the running at one sampling step, with their (possibly reshaped) logits.
///
/// Starts as the whole vocabulary in id order; each `SamplingStep` may rescale logits or drop
/// candidates. When sorted, candidates are ordered by descending logit with ties broken by
/// ascending id, so every step is deterministic.
public struct TokenCandidates: Sendable, Hashable {
    /// Token ids, parallel to `logits`.
    public private(set) var ids: [Int32]
    /// Logits, parallel to `ids`.
    public var logits: [Float]
    /// Whether the candidates are ordered by descending logit (ties: ascending id).
    public private(set) var isSorted: Bool
    /// Whether `ids[i] == i` for the whole vocabulary, so a token's logit is at its id.
    public private(set) var isWholeVocabulary: Bool

    /// Every token of a vocabulary of `logits.count`, in id order.
    public init(logits: [Float]) {
        self.logits = logits
        self.ids = (0..<Int32(logits.count)).map { $0 }
        self.isSorted = false
        self.isWholeVocabulary = true
    }

    /// Candidates in the given order; `sorted` tells whether it is descending by logit.
    public init(ids: [Int32], logits: [Float], sorted: Bool) {
        precondition(ids.count == logits.count, "ids and logits must be parallel")
        self.ids = ids
        self.logits = logits
        self.isSorted = sorted
        self.isWholeVocabulary = false
    }

    /// Number of candidates.
    public var count: Int { ids.count }

    /// The largest logit (−∞ when empty).
    public var maximumLogit: Float { logits.max() ?? -.infinity }

    /// Orders the candidates by descending logit (ties: ascending id).
    public mutating func sort() {
        guard !isSorted else { return }
        let order = ids.indices.sorted { Self.precedes(logits[$0], ids[$0], logits[$1], ids[$1]) }
        ids = order.map { ids[$0] }
        logits = order.map { logits[$0] }
        isSorted = true
        isWholeVocabulary = false
    }

    /// Keeps only the `k` best candidates, sorted. Selection is O(n) on average, so a small `k`
    /// over a large vocabulary never pays for a full sort.
    public mutating func keepBest(_ k: Int) {
        guard k < count else {
            sort()
            return
        }
        guard k > 0 else {
            keep([])
            return
        }
        if isSorted {
            ids.removeSubrange(k...)
            logits.removeSubrange(k...)
            isWholeVocabulary = false
            return
        }
        let threshold = Self.kthLargest(logits, k)
        var chosen: [Int] = []
        chosen.reserveCapacity(k)
        for index in logits.indices where logits[index] > threshold { chosen.append(index) }
        // Ties at the threshold are taken in ascending id order until k are chosen.
        let tied = logits.indices.filter { logits[$0] == threshold }.sorted { ids[$0] < ids[$1] }
        chosen.append(contentsOf: tied.prefix(k - chosen.count))
        chosen.sort { Self.precedes(logits[$0], ids[$0], logits[$1], ids[$1]) }
        ids = chosen.map { ids[$0] }
        logits = chosen.map { logits[$0] }
        isSorted = true
        isWholeVocabulary = false
    }

    /// Keeps the candidates at the given positions, in that order.
    mutating func keep(_ positions: [Int]) {
        ids = positions.map { ids[$0] }
        logits = positions.map { logits[$0] }
        isWholeVocabulary = false
    }

    /// Keeps the candidates whose logit is at least `minimum`, preserving order.
    mutating func keep(atLeast minimum: Float) {
        keep(logits.indices.filter { logits[$0] >= minimum })
    }

    /// Keeps the first `n` candidates (meaningful when sorted).
    mutating func keepPrefix(_ n: Int) {
        guard n < count else { return }
        ids.removeSubrange(n...)
        logits.removeSubrange(n...)
        isWholeVocabulary = false
    }

    /// Softmax of the current logits, in candidate order, computed in Double for stable sums.
    public func probabilities() -> [Double] {
        let maximum = Double(maximumLogit)
        guard maximum.isFinite else { return Array(repeating: 0, count: count) }
        let exps = logits.map { exp(Double($0) - maximum) }
        let total = exps.reduce(0, +)
        return exps.map { $0 / total }
    }

    /// Whether (a, idA) comes before (b, idB): higher logit first, then lower id.
    static func precedes(_ a: Float, _ idA: Int32, _ b: Float, _ idB: Int32) -> Bool {
        a != b ? a > b : idA < idB
    }

    /// The k-th largest value (1-based) by quickselect on a copy; `values` is non-empty, 1 ≤ k ≤ count.
    static func kthLargest(_ values: [Float], _ k: Int) -> Float {
        var a = values
        var low = 0, high = a.count - 1
        let target = k - 1
        // Deterministic pivots (median of three) keep runs reproducible and avoid the sorted-input worst case.
        while low < high {
            let mid = low + (high - low) / 2
            let pivot = Self.median(a[low], a[mid], a[high])
            var i = low, j = high
            while i <= j {
                while a[i] > pivot { i += 1 }
                while a[j] < pivot { j -= 1 }
                if i <= j {
                    a.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if target <= j {
                high = j
            } else if target >= i {
                low = i
            } else {
                return a[target]
            }
        }
        return a[target]
    }

    private static func median(_ x: Float, _ y: Float, _ z: Float) -> Float {
        max(min(x, y), min(max(x, y), z))
    }
}
