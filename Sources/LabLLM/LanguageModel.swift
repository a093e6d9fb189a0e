/// The contract between a decoder (e.g. `DecoderModel`) and everything that drives it
/// (sampling, continuous batching, perplexity, training evaluation).
///
/// A model advances many independent sequences in one batched forward pass; each sequence
/// keeps its own attention state (KV cache), so sequences can join and leave between steps.
public protocol LanguageModel: AnyObject, Sendable {
    /// Number of logits per position.
    var vocabularySize: Int { get }
    /// The longest sequence the model supports (prompt plus generated tokens).
    var contextLength: Int { get }

    /// A fresh, empty per-sequence state able to hold `capacity` tokens (≤ `contextLength`).
    func makeSequenceState(capacity: Int) throws -> any SequenceState

    /// Appends `tokens[i]` to `states[i]` for every `i` in one batched pass and returns, for each
    /// sequence, the `vocabularySize` logits that follow its last new token.
    ///
    /// `tokens[i]` may hold a whole prompt (prefill) or one token (decode); sequences of different
    /// lengths may be mixed in one call. Throws when a state would exceed its capacity.
    func forward(tokens: [[Int32]], states: [any SequenceState]) throws -> [[Float]]
}

/// One sequence's attention state. Owned by exactly one caller at a time.
public protocol SequenceState: AnyObject {
    /// Tokens already processed.
    var count: Int { get }
    /// The most tokens this state can hold.
    var capacity: Int { get }
    /// Forgets everything after the first `count` tokens (for reusing a shared prompt prefix).
    func truncate(to count: Int)
}
