public import LabCore
import LabJinja

extension Tokenizer {
    /// The prompt text for `messages`.
    ///
    /// The model's own `tokenizer.chat_template` is rendered by LabJinja, as Hugging Face's
    /// `apply_chat_template` renders it, whenever no other format is asked for: `template` is nil
    /// or the format recognised from that same template. The table of known formats
    /// (`ChatTemplate`) is the fallback, for a model without a template, a template LabJinja
    /// cannot run, or an explicitly different format.
    ///
    /// Throws `TokenizerError.chatTemplate` when the model's template rejects the conversation
    /// (its `raise_exception`), or when there is no template to use.
    public func renderChat(
        _ messages: [ChatMessage], template: ChatTemplate? = nil, addGenerationPrompt: Bool = true
    ) throws -> String {
        let bos = beginOfSequenceId.flatMap { tokenText(of: $0) }
        let eos = endOfSequenceId.flatMap { tokenText(of: $0) }
        var jinjaFailure: JinjaError?
        if let parsed = parsedChatTemplate, template == nil || template == recognizedChatTemplate {
            do {
                return try parsed.get().renderChat(
                    messages: messages.map { JinjaValue.message(role: $0.role.rawValue, content: $0.content) },
                    addGenerationPrompt: addGenerationPrompt, bosToken: bos, eosToken: eos)
            } catch let error as JinjaError where error.kind == .raised {
                throw TokenizerError(
                    .chatTemplate, "the model's chat template rejects this conversation: \(error.message)",
                    hint: "change the conversation to what the template accepts (roles, their order)")
            } catch let error as JinjaError {
                // The interpreter cannot run this template (or it fails as it would in jinja2):
                // use the known format below, if there is one.
                jinjaFailure = error
            }
        }
        guard let template = template ?? recognizedChatTemplate else {
            if let jinjaFailure {
                throw TokenizerError(
                    .chatTemplate, "cannot render the model's tokenizer.chat_template: \(jinjaFailure)",
                    hint: "name a known format explicitly (--chat-template): \(ChatTemplate.names.joined(separator: ", "))")
            }
            throw TokenizerError(
                .chatTemplate, "cannot choose a chat template: the model has no tokenizer.chat_template",
                hint: "name one explicitly (--chat-template): \(ChatTemplate.names.joined(separator: ", "))")
        }
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
