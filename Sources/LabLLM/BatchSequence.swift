import LabCore

/// A sequence state that can be copied, so `count > 1` completions of one prompt share a single
/// prefill: the prompt is processed once and its state forked for every other completion.
public protocol ForkableSequenceState: SequenceState {
    /// An independent copy holding the same tokens, with the same capacity.
    func fork() throws -> any SequenceState
}

/// One completion being generated: its attention state, sampler, random stream and text so far.
/// Lives on the scheduler's thread only.
final class ActiveSequence {
    let requestID: UInt64
    let completion: Int
    let state: any SequenceState
    private let sampler: TokenSampler
    private var random: SeededRandom
    /// Prompt and generated tokens, oldest first (the repetition penalty looks at both).
    private(set) var history: [Int32]
    private(set) var generated: [Int32] = []
    private var decoder: any TokenTextDecoder
    private var matcher: StopStringMatcher
    private var text = ""
    private let parameters: SamplingParameters
    private let endOfSequence: Set<Int32>

    init(requestID: UInt64, completion: Int, request: BatchRequest, state: any SequenceState) {
        self.requestID = requestID
        self.completion = completion
        self.state = state
        self.parameters = request.parameters
        self.endOfSequence = request.endOfSequence
        sampler = TokenSampler(request.parameters)
        // One stream per completion: its draws depend on its seed and index only, never on the batch.
        random = SeededRandom(seed: request.parameters.seed, stream: "completion \(completion)")
        history = request.prompt
        decoder = request.makeDecoder()
        matcher = StopStringMatcher(request.parameters.stop)
    }

    /// The token to feed the model next: the last one sampled.
    var nextInput: Int32? { generated.last }

    /// What happened after a sampled token was taken in.
    enum Outcome {
        case continuing(text: String)
        case finished(text: String, SequenceResult)
    }

    /// Samples the next token from `logits` and takes it in.
    func sampleAndAccept(logits: [Float]) -> Outcome {
        let token = sampler.sample(logits: logits, history: history[...], random: &random)
        generated.append(token)
        history.append(token)
        if !parameters.ignoreEndOfSequence && endOfSequence.contains(token) {
            return finish(.stop, released: "")
        }
        var released = matcher.append(decoder.append(token))
        if matcher.isStopped {
            return finish(.stop, released: released)
        }
        // The token just sampled must be fed back before the next one; a full state can't take it.
        if generated.count >= parameters.maxTokens || state.count >= state.capacity {
            released += matcher.append(decoder.flush())
            return finish(matcher.isStopped ? .stop : .length, released: released)
        }
        text += released
        return .continuing(text: released)
    }

    private func finish(_ reason: FinishReason, released: String) -> Outcome {
        let tail = released + matcher.finish()
        text += tail
        return .finished(text: tail, SequenceResult(tokens: generated, text: text, finishReason: reason))
    }
}
