/// One message of a chat conversation.
public struct ChatMessage: Sendable, Hashable, Codable {
    public enum Role: String, Sendable, Hashable, Codable {
        case system, user, assistant
    }

    public var role: Role
    public var content: String

    public init(_ role: Role, _ content: String) {
        self.role = role
        self.content = content
    }
}

/// How to pick tokens. Defaults are greedy decoding with no limits beyond `maxTokens`.
public struct SamplingParameters: Sendable, Hashable, Codable {
    /// 0 means greedy (argmax).
    public var temperature: Float = 0
    /// 0 disables top-k.
    public var topK: Int = 0
    /// 1 disables top-p (nucleus) sampling.
    public var topP: Float = 1
    /// 0 disables min-p.
    public var minP: Float = 0
    /// 1 disables the repetition penalty.
    public var repetitionPenalty: Float = 1
    /// How many recent tokens the repetition penalty looks at.
    public var repetitionWindow: Int = 64
    public var maxTokens: Int = 256
    /// Generation stops before any of these strings; the stop string itself is not returned.
    public var stop: [String] = []
    /// Fixes every random choice, so the same request gives the same text.
    public var seed: UInt64 = 0
    /// Keep generating past the end-of-sequence token (benchmarks).
    public var ignoreEndOfSequence: Bool = false

    public init(
        temperature: Float = 0, topK: Int = 0, topP: Float = 1, minP: Float = 0,
        repetitionPenalty: Float = 1, repetitionWindow: Int = 64, maxTokens: Int = 256,
        stop: [String] = [], seed: UInt64 = 0, ignoreEndOfSequence: Bool = false
    ) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.repetitionWindow = repetitionWindow
        self.maxTokens = maxTokens
        self.stop = stop
        self.seed = seed
        self.ignoreEndOfSequence = ignoreEndOfSequence
    }
}

/// What to generate: a chat conversation (rendered with the model's template) or a raw prompt.
public struct GenerationRequest: Sendable, Hashable, Codable {
    public enum Input: Sendable, Hashable, Codable {
        case chat([ChatMessage])
        case prompt(String)
    }

    public var input: Input
    public var parameters: SamplingParameters
    /// How many independent completions to return (`n` in the OpenAI API).
    public var count: Int

    public init(input: Input, parameters: SamplingParameters = .init(), count: Int = 1) {
        self.input = input
        self.parameters = parameters
        self.count = count
    }
}

/// Why a completion ended.
public enum FinishReason: String, Sendable, Hashable, Codable {
    /// The model emitted end-of-sequence or a stop string matched.
    case stop
    /// `maxTokens` (or the context window) was reached: the text may be cut mid-sentence.
    case length
}

/// One completion with its accounting.
public struct Completion: Sendable, Hashable, Codable {
    public var text: String
    public var finishReason: FinishReason
    public var completionTokens: Int

    public init(text: String, finishReason: FinishReason, completionTokens: Int) {
        self.text = text
        self.finishReason = finishReason
        self.completionTokens = completionTokens
    }
}

/// The answer to a `GenerationRequest`: `count` completions plus usage.
public struct GenerationResult: Sendable, Hashable, Codable {
    public var completions: [Completion]
    public var promptTokens: Int
    /// Wall time from submission to the last token, in seconds.
    public var latency: Double

    public init(completions: [Completion], promptTokens: Int, latency: Double) {
        self.completions = completions
        self.promptTokens = promptTokens
        self.latency = latency
    }
}

/// Anything that turns requests into completions: the in-process engine, a remote
/// OpenAI-compatible endpoint, or a scripted stand-in in tests.
///
/// The pipeline depends only on this protocol; implementations batch concurrent calls themselves.
public protocol TextGenerator: Sendable {
    /// A stable description of the teacher (model file hash or endpoint + model name), recorded
    /// with every request so cached answers are never reused across different teachers.
    var identity: String { get }

    func generate(_ request: GenerationRequest) async throws -> GenerationResult
}

/// A final error from a teacher that already retried whatever could be retried (callers should
/// not retry again). A run stops at once on one whose `stopsRun` is true (a bad API key, an
/// endpoint that is down) instead of failing unit after unit; others fail only their request.
public protocol FatalTeacherError: Error, CustomStringConvertible {
    var stopsRun: Bool { get }
}

/// A `TextGenerator` that can hand out a reply's text while it is being generated (chat).
public protocol StreamingTextGenerator: TextGenerator {
    /// Generates like `generate`, passing each new piece of completion `index`'s text to `onText`
    /// as it arrives. Cancelling the calling task stops the generation.
    func generate(_ request: GenerationRequest, onText: @escaping @Sendable (_ index: Int, _ piece: String) -> Void) async throws
        -> GenerationResult
}
