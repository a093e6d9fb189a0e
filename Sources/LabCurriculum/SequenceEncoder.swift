public import LabCore
public import LabTokenizer
public import LabTrain

/// Turns chat rows into token sequences with their loss masks, in the model's own chat format.
public struct SequenceEncoder: Sendable {
    public let tokenizer: Tokenizer
    /// A known chat format, or nil for the model's own `tokenizer.chat_template` rendered by
    /// LabJinja (a template no table entry matches, e.g. Granite 3's `<|start_of_role|>`).
    public let template: ChatTemplate?
    /// Longest sequence trained on; longer rows are skipped and counted, never truncated (a cut
    /// answer would teach the model to stop mid-sentence).
    public let maximumLength: Int

    public init(tokenizer: Tokenizer, template: ChatTemplate?, maximumLength: Int) {
        self.tokenizer = tokenizer
        self.template = template
        self.maximumLength = maximumLength
    }

    /// The tokens of system + user + assistant; scored are the assistant's tokens (with the
    /// end-of-turn markup, so the model learns to stop), or every token when `unmask`.
    /// Nil when longer than `maximumLength`.
    public func encode(system: String, user: String, assistant: String, unmask: Bool) throws -> TrainingSequence? {
        let prompt = try tokenizer.encodeChat([ChatMessage(.system, system), ChatMessage(.user, user)], template: template,
                                              addGenerationPrompt: true)
        let full = try tokenizer.encodeChat([ChatMessage(.system, system), ChatMessage(.user, user), ChatMessage(.assistant, assistant)],
                                            template: template, addGenerationPrompt: false)
        guard full.count <= maximumLength, full.count >= 2 else { return nil }
        // The prompt is a prefix of the conversation in every supported format (turns end in
        // special tokens, which BPE never merges across); compare anyway, so a format where it
        // is not still masks exactly the shared part.
        var shared = 0
        while shared < min(prompt.count, full.count), prompt[shared] == full[shared] { shared += 1 }
        let scored = full.indices.map { unmask ? $0 > 0 : $0 >= shared }
        return TrainingSequence(tokens: full, scored: scored)
    }

    public func encode(_ row: CurriculumRow) throws -> TrainingSequence? {
        try encode(system: row.system, user: row.user, assistant: row.assistant, unmask: row.unmask)
    }

    /// A plain text in windows of `window` tokens, every token after the first of each scored
    /// (the general-text loss that measures forgetting).
    public func encodeText(_ text: String, window: Int) -> [TrainingSequence] {
        let ids = tokenizer.encode(text, addSpecial: false, parseSpecial: false)
        return stride(from: 0, to: ids.count, by: window).compactMap { start in
            let slice = Array(ids[start..<min(ids.count, start + window)])
            return slice.count >= 2 ? TrainingSequence(tokens: slice) : nil
        }
    }
}

extension PreferenceExample {
    /// The pair as token ids: the chat prompt up to the assistant's turn, and each answer with the
    /// turn's end (as the skills phase trains it). Nil when either conversation is longer than the
    /// encoder's limit.
    public func encoded(with encoder: SequenceEncoder) throws -> PreferencePair? {
        guard let chosen = try encoder.encode(system: system, user: user, assistant: chosen, unmask: false),
              let rejected = try encoder.encode(system: system, user: user, assistant: rejected, unmask: false),
              let split = chosen.scored.firstIndex(of: true), rejected.scored.firstIndex(of: true) == split,
              chosen.tokens.prefix(split) == rejected.tokens.prefix(split) else { return nil }
        return PreferencePair(prompt: Array(chosen.tokens.prefix(split)), chosen: Array(chosen.tokens.dropFirst(split)),
                              rejected: Array(rejected.tokens.dropFirst(split)))
    }
}
