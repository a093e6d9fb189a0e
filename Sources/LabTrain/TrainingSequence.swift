/// One training or evaluation sequence: tokens and which of them the loss predicts.
///
/// `scored[j]` says whether predicting token j (from tokens 0..<j) counts in the loss; token 0 is
/// never predicted. Prompts are typically unscored and answers scored (InstructLab's masking);
/// knowledge rows with `unmask` score everything.
public struct TrainingSequence: Sendable, Equatable {
    public var tokens: [Int32]
    public var scored: [Bool]

    public init(tokens: [Int32], scored: [Bool]) {
        precondition(tokens.count == scored.count, "one score flag per token")
        self.tokens = tokens
        self.scored = scored
    }

    /// Every token after the first is scored.
    public init(tokens: [Int32]) {
        self.init(tokens: tokens, scored: tokens.indices.map { $0 > 0 })
    }

    /// The targets per position: row t predicts token t+1 when that token is scored, else −1.
    var targets: [Int32] {
        tokens.indices.map { t in t + 1 < tokens.count && scored[t + 1] ? tokens[t + 1] : -1 }
    }

    /// Tokens whose prediction counts.
    public var scoredCount: Int { scored.dropFirst().filter { $0 }.count }
}

/// A sum of negative log-likelihoods and how many targets it covers; mean = nll / count.
public struct LossSum: Sendable, Equatable {
    public var nll: Double
    public var count: Int

    public init(nll: Double = 0, count: Int = 0) {
        self.nll = nll
        self.count = count
    }

    /// Mean cross-entropy per target (nan when nothing was scored).
    public var mean: Double { count > 0 ? nll / Double(count) : .nan }

    public static func + (a: LossSum, b: LossSum) -> LossSum { LossSum(nll: a.nll + b.nll, count: a.count + b.count) }
}
