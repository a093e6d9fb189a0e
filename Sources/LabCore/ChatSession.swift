import Foundation

/// A conversation with a teacher (the local engine or a remote endpoint): remembers the turns so
/// each reply sees the whole chat.
public final class ChatSession {
    /// The teacher that answers.
    public let teacher: any StreamingTextGenerator
    /// How replies are sampled.
    public var parameters: SamplingParameters
    /// Sent first in every prompt, when set.
    public let systemPrompt: String?
    /// The turns so far (without the system prompt).
    public private(set) var turns: [ChatMessage] = []

    /// A reply with its accounting.
    public struct Reply: Sendable {
        public var completion: Completion
        public var promptTokens: Int
    }

    /// A new, empty conversation.
    public init(teacher: any StreamingTextGenerator, systemPrompt: String? = nil, parameters: SamplingParameters = .init()) {
        self.teacher = teacher
        self.systemPrompt = systemPrompt
        self.parameters = parameters
    }

    /// The full message list the next prompt is rendered from.
    public var messages: [ChatMessage] {
        (systemPrompt.map { [ChatMessage(.system, $0)] } ?? []) + turns
    }

    /// Sends `text` as the user's turn, passing each piece of the reply to `onText` as it is
    /// generated (nil: no streaming, which some servers answer with fuller usage); the reply
    /// joins the conversation once complete. A failed or cancelled reply leaves the conversation
    /// as it was.
    public func send(_ text: String, onText: (@Sendable (String) -> Void)?) async throws -> Reply {
        let conversation = messages + [ChatMessage(.user, text)]
        let request = GenerationRequest(input: .chat(conversation), parameters: parameters)
        let result = if let onText {
            try await teacher.generate(request) { _, piece in onText(piece) }
        } else {
            try await teacher.generate(request)
        }
        try Task.checkCancellation()
        guard let completion = result.completions.first else {
            throw CancellationError()
        }
        turns.append(ChatMessage(.user, text))
        turns.append(ChatMessage(.assistant, completion.text))
        return Reply(completion: completion, promptTokens: result.promptTokens)
    }

    /// Forgets every turn (the system prompt stays).
    public func reset() {
        turns.removeAll()
    }
}
