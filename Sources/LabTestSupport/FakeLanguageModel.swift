public import Foundation
public import LabLLM

/// A deterministic stand-in for a real decoder: the logits after a sequence favour
/// `successor(last token)` (by default `(last + 1) % vocabularySize`), falling off with the
/// distance from it, so greedy decoding counts upwards and sampling is predictable in distribution.
///
/// Like a real model it keeps per-sequence state, refuses states that would overflow, and can
/// be told to fail (`poisonToken`) or to take time per call (`delay`). It records the batch
/// sizes of its calls so tests can see that sequences were decoded together.
public final class FakeLanguageModel: LanguageModel, @unchecked Sendable {
    // @unchecked: the configuration is immutable and `calls` is guarded by `lock`.
    public let vocabularySize: Int
    public let contextLength: Int
    /// A forward call that contains this token for any sequence throws.
    public let poisonToken: Int32?
    /// Seconds each forward call sleeps, to let tests act while a batch is running.
    public let delay: TimeInterval
    /// Logit gap between the favoured token and each step away from it.
    public let slope: Float
    private let successor: @Sendable (Int32) -> Int32
    private let lock = NSLock()
    private var calls: [[Int]] = []

    /// A fake model; by default 32 tokens, a context of 64 and no failures.
    /// - Parameter successor: the favoured token after a given last token (taken modulo the vocabulary).
    public init(
        vocabularySize: Int = 32, contextLength: Int = 64, slope: Float = 1, poisonToken: Int32? = nil, delay: TimeInterval = 0,
        successor: (@Sendable (Int32) -> Int32)? = nil
    ) {
        let size = Int32(vocabularySize)
        self.successor = successor ?? { ($0 + 1) % size }
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.slope = slope
        self.poisonToken = poisonToken
        self.delay = delay
    }

    /// The token count of every sequence in every forward call so far, one array per call.
    public var forwardCalls: [[Int]] {
        lock.lock()
        defer { lock.unlock() }
        return calls
    }

    public func makeSequenceState(capacity: Int) throws -> any SequenceState {
        guard capacity >= 1, capacity <= contextLength else {
            throw ModelError(field: "capacity", "\(capacity) is outside 1…\(contextLength)")
        }
        return FakeSequenceState(capacity: capacity)
    }

    public func forward(tokens: [[Int32]], states: [any SequenceState]) throws -> [[Float]] {
        lock.lock()
        calls.append(tokens.map(\.count))
        lock.unlock()
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        guard tokens.count == states.count else {
            throw ModelError(field: "states", "\(tokens.count) token lists but \(states.count) states")
        }
        var fakes: [FakeSequenceState] = []
        for (index, state) in states.enumerated() {
            guard let fake = state as? FakeSequenceState else {
                throw ModelError(field: "states[\(index)]", "is not a FakeSequenceState")
            }
            guard !tokens[index].isEmpty, fake.count + tokens[index].count <= fake.capacity else {
                throw ModelError(field: "tokens[\(index)]", "\(tokens[index].count) new tokens after \(fake.count) exceed capacity \(fake.capacity)")
            }
            if let poisonToken, tokens[index].contains(poisonToken) {
                throw ModelError(field: "tokens[\(index)]", "contains the poison token \(poisonToken)")
            }
            fakes.append(fake)
        }
        return zip(tokens, fakes).map { newTokens, state in
            state.tokens.append(contentsOf: newTokens)
            return logits(after: state.tokens)
        }
    }

    /// The logits this model gives after `sequence` (exposed so tests can compute expectations).
    public func logits(after sequence: [Int32]) -> [Float] {
        let size = Int32(vocabularySize)
        let favoured = Int(((successor(sequence.last ?? 0) % size) + size) % size)
        return (0..<vocabularySize).map { token in
            -slope * Float((token - favoured + vocabularySize) % vocabularySize)
        }
    }
}

/// The fake model's per-sequence state: just the tokens.
public final class FakeSequenceState: ForkableSequenceState {
    /// Every token processed so far.
    public fileprivate(set) var tokens: [Int32] = []
    public let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    public var count: Int { tokens.count }

    public func truncate(to count: Int) {
        tokens.removeSubrange(min(max(0, count), tokens.count)...)
    }

    public func fork() throws -> any SequenceState {
        let copy = FakeSequenceState(capacity: capacity)
        copy.tokens = tokens
        return copy
    }
}
