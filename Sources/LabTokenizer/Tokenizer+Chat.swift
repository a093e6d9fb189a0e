public import LabCore

extension Tokenizer {
    /// The chat format recognised from the vocabulary's `tokenizer.chat_template`, if any.
    public var recognizedChatTemplate: ChatTemplate? {
        vocabulary.chatTemplate.flatMap { ChatTemplate(recognizing: $0) }
    }

    /// The prompt text for `messages` in `template` (default: the recognised one).
    ///
    /// Throws `TokenizerError.chatTemplate` when no template is given and none is recognised.
    public func renderChat(
        _ messages: [ChatMessage], template: ChatTemplate? = nil, addGenerationPrompt: Bool = true
    ) throws -> String {
        guard let template = template ?? recognizedChatTemplate else {
            let found = vocabulary.chatTemplate == nil ? "the model has no tokenizer.chat_template" : "its tokenizer.chat_template is not a format this module knows"
            throw TokenizerError(
                .chatTemplate, "cannot choose a chat template: \(found)",
                hint: "name one explicitly: \(ChatTemplate.names.joined(separator: ", "))")
        }
        let bos = beginOfSequenceId.flatMap { tokenText(of: $0) }
        let eos = endOfSequenceId.flatMap { tokenText(of: $0) }
        return try template.render(messages, addGenerationPrompt: addGenerationPrompt, beginOfSequence: bos, endOfSequence: eos)
    }

    /// The prompt tokens for `messages`: the rendered text with its markup parsed as special
    /// tokens, and BOS first when the model adds one (never twice).
    public func encodeChat(
        _ messages: [ChatMessage], template: ChatTemplate? = nil, addGenerationPrompt: Bool = true
    ) throws -> [Int32] {
        let text = try renderChat(messages, template: template, addGenerationPrompt: addGenerationPrompt)
        var ids = encode(text, addSpecial: false, parseSpecial: true)
        if addsBeginOfSequence, let bos = beginOfSequenceId, ids.first != bos {
            ids.insert(bos, at: 0)
        }
        return ids
    }
}
