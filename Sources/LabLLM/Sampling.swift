public import LabCore

/// The last stage of sampling: picks one token from the remaining candidates.
public protocol TokenChooser: Sendable {
    /// The chosen token id; `candidates` is never empty.
    func choose(from candidates: TokenCandidates, random: inout SeededRandom) -> Int32
}

/// Argmax: the most likely token (ties: the lowest id). Draws no random numbers.
public struct GreedyChooser: TokenChooser {
    /// Greedy choice.
    public init() {}

    public func choose(from candidates: TokenCandidates, random: inout SeededRandom) -> Int32 {
        var best = 0
        for index in candidates.logits.indices.dropFirst()
        where TokenCandidates.precedes(candidates.logits[index], candidates.ids[index], candidates.logits[best], candidates.ids[best]) {
            best = index
        }
        return candidates.ids[best]
    }
}

/// Draws a token from the softmax of the candidates' logits with one uniform random number.
public struct DistributionChooser: TokenChooser {
    /// Random choice.
    public init() {}

    public func choose(from candidates: TokenCandidates, random: inout SeededRandom) -> Int32 {
        let probabilities = candidates.probabilities()
        let target = Double(random.nextUnitFloat())
        var mass = 0.0
        for (index, probability) in probabilities.enumerated() {
            mass += probability
            if target < mass { return candidates.ids[index] }
        }
        // Rounding left the total a hair under 1: the last token with any mass takes the rest.
        let last = probabilities.lastIndex { $0 > 0 } ?? (candidates.count - 1)
        return candidates.ids[last]
    }
}

/// A sampling chain built from `SamplingParameters` in llama.cpp's order: repetition penalty,
/// top-k, top-p, min-p, temperature, then a random draw; temperature 0 means greedy after the penalty.
///
/// The sampler is a value without state of its own: the caller keeps the history and the
/// per-sequence `SeededRandom`, so a sequence's tokens never depend on other sequences.
public struct TokenSampler: Sendable {
    /// The stages, in the order they run.
    public let steps: [any SamplingStep]
    /// The final pick.
    public let chooser: any TokenChooser

    /// A chain of explicit stages.
    public init(steps: [any SamplingStep], chooser: any TokenChooser) {
        self.steps = steps
        self.chooser = chooser
    }

    /// The chain llama.cpp builds for the same parameters.
    public init(_ parameters: SamplingParameters) {
        var steps: [any SamplingStep] = []
        if parameters.repetitionPenalty != 1 && parameters.repetitionWindow > 0 {
            steps.append(RepetitionPenalty(penalty: parameters.repetitionPenalty, window: parameters.repetitionWindow))
        }
        guard parameters.temperature > 0 else {
            self.init(steps: steps, chooser: GreedyChooser())
            return
        }
        if parameters.topK > 0 { steps.append(TopK(parameters.topK)) }
        if parameters.topP < 1 { steps.append(TopP(parameters.topP)) }
        if parameters.minP > 0 { steps.append(MinP(parameters.minP)) }
        steps.append(Temperature(parameters.temperature))
        self.init(steps: steps, chooser: DistributionChooser())
    }

    /// The next token after `history` given the model's `logits` over the vocabulary.
    /// NaN logits (a broken model) count as impossible rather than poisoning the softmax.
    public func sample(logits: [Float], history: ArraySlice<Int32>, random: inout SeededRandom) -> Int32 {
        var candidates = TokenCandidates(logits: logits.map { $0.isNaN ? -.infinity : $0 })
        for step in steps { step.apply(to: &candidates, history: history) }
        return chooser.choose(from: candidates, random: &random)
    }
}
