public import LabCore

/// Turns generated token ids into text one token at a time (holding back incomplete characters).
///
/// `StreamingDecoder` from LabTokenizer is the real one; tests use a scripted one.
public protocol TokenTextDecoder {
    /// The text completed by `id` (possibly empty).
    mutating func append(_ id: Int32) -> String
    /// Whatever is still held back, at the end of generation.
    mutating func flush() -> String
}

/// One prompt for the `BatchScheduler`, in token ids.
public struct BatchRequest: Sendable {
    /// The prompt's token ids (not empty, shorter than the model's context).
    public var prompt: [Int32]
    /// How to sample, when to stop.
    public var parameters: SamplingParameters
    /// How many independent completions to generate from the prompt.
    public var count: Int
    /// Token ids that end a completion (end of sequence, end of turn) unless
    /// `parameters.ignoreEndOfSequence`.
    public var endOfSequence: Set<Int32>
    /// Makes a fresh decoder for each completion; stop strings are matched on its text.
    public var makeDecoder: @Sendable () -> any TokenTextDecoder

    /// A request for `count` completions of `prompt`.
    public init(
        prompt: [Int32], parameters: SamplingParameters = .init(), count: Int = 1,
        endOfSequence: Set<Int32> = [], makeDecoder: @escaping @Sendable () -> any TokenTextDecoder
    ) {
        self.prompt = prompt
        self.parameters = parameters
        self.count = count
        self.endOfSequence = endOfSequence
        self.makeDecoder = makeDecoder
    }
}

/// What the scheduler reports about a request while it runs.
public enum BatchEvent: Sendable, Hashable {
    /// More text of completion `completion` (0-based), already cleared of stop strings.
    case text(completion: Int, String)
    /// Completion `completion` ended.
    case finished(completion: Int, SequenceResult)
}

/// The outcome of one completion.
public struct SequenceResult: Sendable, Hashable {
    /// Every sampled token, including a final end-of-sequence token or the tokens of a stop string.
    public var tokens: [Int32]
    /// The text, without an end-of-sequence token or the stop string and what follows it.
    public var text: String
    /// `.stop` for end of sequence or a stop string; `.length` for `maxTokens` or a full context.
    public var finishReason: FinishReason

    /// A finished completion.
    public init(tokens: [Int32], text: String, finishReason: FinishReason) {
        self.tokens = tokens
        self.text = text
        self.finishReason = finishReason
    }
}
