public import Foundation
public import LabCore

/// A `TextGenerator` that answers from a script instead of a model: the reply is a pure function
/// of the request (so reruns and resumed runs get the same text), with optional failures.
public final class ScriptedTeacher: TextGenerator, @unchecked Sendable {
    public let identity: String
    private let reply: @Sendable (_ prompt: String, _ parameters: SamplingParameters, _ index: Int) -> String
    private let failure: @Sendable (_ call: Int) -> (any Error)?
    private let lock = NSLock()
    private var callCount = 0
    private var prompts: [String] = []
    /// Seconds each call takes, to let concurrency and cancellation happen.
    public var delay: Double

    /// - Parameters:
    ///   - reply: the text of completion `index` for a prompt (the last user message or raw prompt).
    ///   - failure: an error to throw for the n-th call (0-based), or nil to answer.
    public init(identity: String = "scripted", delay: Double = 0,
                failure: @escaping @Sendable (_ call: Int) -> (any Error)? = { _ in nil },
                reply: @escaping @Sendable (_ prompt: String, _ parameters: SamplingParameters, _ index: Int) -> String) {
        self.identity = identity
        self.delay = delay
        self.failure = failure
        self.reply = reply
    }

    /// Calls made so far (including failed ones).
    public var calls: Int { lock.withLock { callCount } }
    /// Every prompt asked, in call order.
    public var askedPrompts: [String] { lock.withLock { prompts } }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    public func generate(_ request: GenerationRequest) async throws -> GenerationResult {
        let prompt: String
        switch request.input {
        case .chat(let messages): prompt = messages.last { $0.role == .user }?.content ?? ""
        case .prompt(let text): prompt = text
        }
        let call = lock.withLock { () -> Int in
            callCount += 1
            prompts.append(prompt)
            return callCount - 1
        }
        if delay > 0 { try await Task.sleep(nanoseconds: UInt64(delay * 1e9)) }
        if let error = failure(call) { throw error }
        let completions = (0..<request.count).map { index in
            let text = reply(prompt, request.parameters, index)
            return Completion(text: text, finishReason: .stop, completionTokens: text.split(separator: " ").count)
        }
        return GenerationResult(completions: completions, promptTokens: prompt.split(separator: " ").count, latency: delay)
    }
}
