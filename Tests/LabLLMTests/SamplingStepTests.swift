import Foundation
import LabCore
import Testing
@testable import LabLLM

/// Logits whose softmax is exactly `probabilities`.
private func logits(_ probabilities: [Double]) -> [Float] { probabilities.map { Float(log($0)) } }

/// The ids a step keeps from `logits`, in the order it leaves them.
private func kept(by step: any SamplingStep, from logits: [Float], history: [Int32] = []) -> [Int32] {
    var candidates = TokenCandidates(logits: logits)
    step.apply(to: &candidates, history: history[...])
    return candidates.ids
}

@Suite("Sampling steps")
struct SamplingStepTests {
    static let fourWay = logits([0.5, 0.3, 0.15, 0.05])

    @Test("Greedy picks the largest logit, the lowest id among ties", arguments: [
        ([0.1, 3, -2, 3] as [Float], Int32(1)),
        ([-5, -4, -3] as [Float], Int32(2)),
        ([7] as [Float], Int32(0)),
    ])
    func greedy(logits: [Float], expected: Int32) {
        var random = SeededRandom(seed: 1)
        #expect(GreedyChooser().choose(from: TokenCandidates(logits: logits), random: &random) == expected)
    }

    @Test("Top-k keeps the k best, best first", arguments: [
        (1, [0] as [Int32]), (2, [0, 1]), (3, [0, 1, 2]), (4, [0, 1, 2, 3]), (9, [0, 1, 2, 3]),
    ])
    func topK(k: Int, expected: [Int32]) {
        #expect(kept(by: TopK(k), from: Self.fourWay) == expected)
    }

    static let topPCases: [(Float, [Int32])] = [
        (0.4, [0]), (0.5, [0]), (0.7, [0, 1]), (0.79, [0, 1]), (0.81, [0, 1, 2]), (0.96, [0, 1, 2, 3]), (1, [0, 1, 2, 3]),
    ]

    @Test("Top-p keeps the smallest best set reaching the mass", arguments: topPCases)
    func topP(p: Float, expected: [Int32]) {
        // Shuffled ids, so the step has to find the best itself.
        let order: [Int32] = [2, 0, 3, 1]
        let shuffled = order.map { Self.fourWay[Int($0)] }
        var candidates = TokenCandidates(ids: order, logits: shuffled, sorted: false)
        TopP(p).apply(to: &candidates, history: [])
        #expect(Set(candidates.ids) == Set(expected), "p = \(p): kept \(candidates.ids)")
    }

    static let minPCases: [(Float, [Int32])] = [(0.3, [0, 1, 2]), (0.6, [0, 1]), (0.61, [0]), (0.1, [0, 1, 2, 3]), (1, [0])]

    @Test("Min-p keeps tokens with at least p times the best probability", arguments: minPCases)
    func minP(p: Float, expected: [Int32]) {
        #expect(kept(by: MinP(p), from: Self.fourWay) == expected)
    }

    @Test("The repetition penalty divides positive and multiplies negative logits of recent tokens only")
    func repetitionPenalty() {
        var candidates = TokenCandidates(logits: [2, -2, 1, 0.5])
        RepetitionPenalty(penalty: 2, window: 3).apply(to: &candidates, history: [3, 0, 1, 1])
        #expect(candidates.logits == [1, -4, 1, 0.5])

        var windowed = TokenCandidates(logits: [2, -2, 1, 0.5])
        RepetitionPenalty(penalty: 2, window: 1).apply(to: &windowed, history: [0, 1])
        #expect(windowed.logits == [2, -4, 1, 0.5])

        // After filtering the candidates are no longer in id order: the penalty must find ids.
        var filtered = TokenCandidates(ids: [3, 1], logits: [0.5, -2], sorted: true)
        RepetitionPenalty(penalty: 2, window: 4).apply(to: &filtered, history: [1])
        #expect(filtered.logits == [0.5, -4])
    }

    @Test("Temperature divides every logit")
    func temperature() {
        var candidates = TokenCandidates(logits: [2, -1, 0.5])
        Temperature(0.5).apply(to: &candidates, history: [])
        #expect(candidates.logits == [4, -2, 1])
    }

    @Test("Selecting the best k agrees with a full sort, ties included", arguments: [1, 5, 40, 299, 300, 301])
    func keepBestMatchesSort(k: Int) {
        var random = SeededRandom(seed: UInt64(k))
        // Few distinct values, so ties at the threshold are common.
        let values = (0..<300).map { _ in Float(random.next() % 17) - 8 }
        var candidates = TokenCandidates(logits: values)
        candidates.keepBest(k)
        let reference = values.indices
            .sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }
            .prefix(k).map { Int32($0) }
        #expect(candidates.ids == reference)
    }

    @Test("Top-p over a large vocabulary keeps exactly what a naive sort keeps", arguments: [Float(0.05), 0.5, 0.9, 0.999])
    func topPLargeVocabulary(p: Float) {
        var random = SeededRandom(seed: 7)
        let values = (0..<5_000).map { _ in random.nextUnitFloat() * 6 }
        let probabilities = TokenCandidates(logits: values).probabilities()
        let order = values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }
        var mass = 0.0
        var reference: [Int32] = []
        for index in order {
            reference.append(Int32(index))
            mass += probabilities[index]
            if mass >= Double(p) { break }
        }
        #expect(kept(by: TopP(p), from: values) == reference, "p = \(p): \(reference.count) expected")
    }
}
