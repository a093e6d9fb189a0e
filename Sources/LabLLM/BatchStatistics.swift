/// Counters of a `BatchScheduler`'s work, for benchmarks and monitoring.
public struct BatchStatistics: Sendable, Hashable {
    /// Prompt tokens processed (a forked completion's prompt is counted once).
    public var prefillTokens = 0
    /// Seconds spent processing prompts.
    public var prefillSeconds = 0.0
    /// Batched decode steps run.
    public var decodeSteps = 0
    /// Tokens fed back in decode steps, summed over sequences.
    public var decodedTokens = 0
    /// Seconds spent in decode steps (forward pass and sampling).
    public var decodeSeconds = 0.0
    /// The most sequences decoded in one step.
    public var widestStep = 0

    /// Empty counters.
    public init() {}

    /// Aggregate decode speed over all sequences, tokens per second.
    public var decodeTokensPerSecond: Double { decodeSeconds > 0 ? Double(decodedTokens) / decodeSeconds : 0 }
}
