import Foundation
import LabCore
import Testing
@testable import LabLLM

@Suite("Sampling chain")
struct SamplingChainTests {
    @Test("Stages run in llama.cpp's order: penalty, top-k, top-p, min-p, temperature")
    func order() {
        let sampler = TokenSampler(SamplingParameters(temperature: 0.7, topK: 40, topP: 0.9, minP: 0.05, repetitionPenalty: 1.1))
        let names = sampler.steps.map { String(describing: type(of: $0)) }
        #expect(names == ["RepetitionPenalty", "TopK", "TopP", "MinP", "Temperature"])
        #expect(sampler.chooser is DistributionChooser)
    }

    @Test("Temperature 0 is greedy after the repetition penalty, with no other stages")
    func greedyChain() {
        let sampler = TokenSampler(SamplingParameters(temperature: 0, topK: 5, repetitionPenalty: 4))
        #expect(sampler.steps.count == 1)
        var random = SeededRandom(seed: 3)
        // Token 0 is best but was just used; penalised 3 / 4 = 0.75 < 1.
        #expect(sampler.sample(logits: [3, 1, 0.5], history: [0], random: &random) == 1)
        #expect(sampler.sample(logits: [3, 1, 0.5], history: [2], random: &random) == 0)
    }

    @Test("Top-p applies before temperature, so a hot temperature can't widen the nucleus")
    func topPBeforeTemperature() {
        let sampler = TokenSampler(SamplingParameters(temperature: 10, topP: 0.55))
        var random = SeededRandom(seed: 11)
        let logits = [0.6, 0.3, 0.1].map { Float(log($0)) }
        let draws = (0..<200).map { _ in sampler.sample(logits: logits, history: [], random: &random) }
        #expect(Set(draws) == [0])
    }

    @Test("The same seed draws the same tokens; another seed draws others")
    func seeds() {
        let sampler = TokenSampler(SamplingParameters(temperature: 1))
        let logits = [Float](repeating: 0, count: 1_000)
        func draw(_ seed: UInt64) -> [Int32] {
            var random = SeededRandom(seed: seed)
            return (0..<50).map { _ in sampler.sample(logits: logits, history: [], random: &random) }
        }
        #expect(draw(42) == draw(42))
        #expect(draw(42) != draw(43))
    }

    /// Pearson's chi-square statistic of observed counts against expected probabilities.
    private func chiSquare(_ counts: [Int], _ probabilities: [Double]) -> Double {
        let total = Double(counts.reduce(0, +))
        return zip(counts, probabilities).reduce(0) { sum, pair in
            let expected = total * pair.1
            return sum + (Double(pair.0) - expected) * (Double(pair.0) - expected) / expected
        }
    }

    @Test("Sampling frequencies follow softmax(logits / T)", arguments: [Float(1), 0.5, 2])
    func temperatureFrequencies(temperature: Float) {
        let base = [0.4, 0.3, 0.2, 0.1]
        let logits = base.map { Float(log($0)) }
        // softmax(log p / T) ∝ p^(1/T).
        let powered = base.map { pow($0, 1 / Double(temperature)) }
        let expected = powered.map { $0 / powered.reduce(0, +) }
        let sampler = TokenSampler(SamplingParameters(temperature: temperature))
        var random = SeededRandom(seed: 2024)
        var counts = [0, 0, 0, 0]
        for _ in 0..<20_000 { counts[Int(sampler.sample(logits: logits, history: [], random: &random))] += 1 }
        // 3 degrees of freedom: P(χ² > 16.27) = 0.001 for a correct sampler.
        let statistic = chiSquare(counts, expected)
        #expect(statistic < 16.27, "T = \(temperature): counts \(counts), expected \(expected.map { $0 * 20_000 }), χ² = \(statistic)")
    }

    @Test("Top-k sampling draws only from the k best, in proportion")
    func topKFrequencies() {
        let base = [0.4, 0.3, 0.2, 0.1]
        let sampler = TokenSampler(SamplingParameters(temperature: 1, topK: 2))
        var random = SeededRandom(seed: 5)
        var counts = [0, 0, 0, 0]
        for _ in 0..<10_000 { counts[Int(sampler.sample(logits: base.map { Float(log($0)) }, history: [], random: &random))] += 1 }
        #expect(counts[2] == 0 && counts[3] == 0, "counts \(counts)")
        let statistic = chiSquare(Array(counts.prefix(2)), [4.0 / 7, 3.0 / 7])
        #expect(statistic < 10.83, "counts \(counts), χ² = \(statistic)")  // 1 dof, p = 0.001
    }

    @Test("NaN logits count as impossible")
    func nanLogits() {
        var random = SeededRandom(seed: 1)
        #expect(TokenSampler(SamplingParameters()).sample(logits: [.nan, 1, 0], history: [], random: &random) == 1)
        let hot = TokenSampler(SamplingParameters(temperature: 1))
        let draws = (0..<100).map { _ in hot.sample(logits: [.nan, 1, 0], history: [], random: &random) }
        #expect(!draws.contains(0))
    }
}
