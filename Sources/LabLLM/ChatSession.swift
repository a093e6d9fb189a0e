public import LabCore

/// A conversation with a `LocalTeacher`: remembers the turns so each reply sees the whole chat.
public final class ChatSession {
    /// The teacher that answers.
    public let teacher: LocalTeacher
    /// How replies are sampled.
    public var parameters: SamplingParameters
    /// Sent first in every prompt, when set.
    public let systemPrompt: String?
    /// The turns so far (without the system prompt).
    public private(set) var turns: [ChatMessage] = []

    /// A new, empty conversation.
    public init(teacher: LocalTeacher, systemPrompt: String? = nil, parameters: SamplingParameters = .init()) {
        self.teacher = teacher
        self.systemPrompt = systemPrompt
        self.parameters = parameters
    }

    /// The full message list the next prompt is rendered from.
    public var messages: [ChatMessage] {
        (systemPrompt.map { [ChatMessage(.system, $0)] } ?? []) + turns
    }

    /// Sends `text` as the user's turn, passing each piece of the reply to `onText` as it is
    /// generated; the reply joins the conversation once complete. A failed or cancelled reply
    /// leaves the conversation as it was.
    public func send(_ text: String, onText: (String) -> Void) async throws -> SequenceResult {
        let conversation = messages + [ChatMessage(.user, text)]
        var result: SequenceResult?
        for try await event in teacher.stream(GenerationRequest(input: .chat(conversation), parameters: parameters)) {
            switch event {
            case .text(_, let piece): onText(piece)
            case .finished(_, let finished): result = finished
            }
        }
        try Task.checkCancellation()
        guard let result else {
            throw ModelError(field: "reply", "generation ended without a result")
        }
        turns.append(ChatMessage(.user, text))
        turns.append(ChatMessage(.assistant, result.text))
        return result
    }

    /// Forgets every turn (the system prompt stays).
    public func reset() {
        turns.removeAll()
    }
}
