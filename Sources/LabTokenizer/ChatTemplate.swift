public import LabCore

/// The chat formats synthlab renders, chosen from a GGUF's `tokenizer.chat_template` or by name.
///
/// Rendering is written out per format rather than by a Jinja interpreter: the formats are few and
/// fixed, and exact strings matter (one missing newline changes the model's answers).
public struct ChatTemplate: Sendable, Equatable {
    public enum Format: String, Sendable, CaseIterable {
        /// `<|im_start|>role\ncontent<|im_end|>\n` (SmolLM2, Qwen, …).
        case chatML = "chatml"
        /// `[INST] <<SYS>>\nsystem\n<</SYS>>\n\nuser [/INST] assistant </s>` (Llama 2, TinyLlama chat).
        case llama2
        /// `<|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>` (Llama 3).
        case llama3
        /// `[INST] user [/INST] assistant</s>`, the system prompt folded into the first user turn (Mistral).
        case mistral
        /// `<|system|>\n…\n<|user|>\n…\n<|assistant|>\n…<|endoftext|>` (Granite, Merlinite/Labrador).
        case granite
    }

    public var format: Format
    /// Inserted when a conversation has no system message (SmolLM2's template does this).
    public var defaultSystemPrompt: String?

    public init(format: Format, defaultSystemPrompt: String? = nil) {
        self.format = format
        self.defaultSystemPrompt = defaultSystemPrompt
    }

    /// Recognises the format of a Jinja chat template by its marker strings; nil when unknown.
    public static func detect(fromJinja jinja: String) -> ChatTemplate? {
        let format: Format
        if jinja.contains("<|im_start|>") {
            format = .chatML
        } else if jinja.contains("<|start_header_id|>") {
            format = .llama3
        } else if jinja.contains("<<SYS>>") {
            format = .llama2
        } else if jinja.contains("[INST]") {
            format = .mistral
        } else if jinja.contains("<|assistant|>") && jinja.contains("<|user|>") {
            format = .granite
        } else {
            return nil
        }
        return ChatTemplate(format: format, defaultSystemPrompt: defaultSystem(in: jinja, format: format))
    }

    /// The template of a model: from its metadata when recognisable, else ChatML.
    public static func forVocabulary(_ vocabulary: TokenizerVocabulary) -> ChatTemplate {
        vocabulary.chatTemplate.flatMap(detect(fromJinja:)) ?? ChatTemplate(format: .chatML)
    }

    /// A ChatML template that inserts a default system prompt when the conversation has none, e.g.
    /// `{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are …<|im_end|>\n' }}`.
    private static func defaultSystem(in jinja: String, format: Format) -> String? {
        guard format == .chatML, jinja.contains("!= 'system'") || jinja.contains("!= \"system\""),
              let start = jinja.range(of: "<|im_start|>system\n"),
              let end = jinja.range(of: "<|im_end|>", range: start.upperBound..<jinja.endIndex) else { return nil }
        let text = String(jinja[start.upperBound..<end.lowerBound])
        // Only a literal prompt: a template that prints a variable here has no fixed default.
        return text.contains("{{") || text.contains("+") ? nil : text
    }

    /// The prompt text for `messages`; with `addGenerationPrompt` it ends where the assistant's reply begins.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> String {
        var messages = messages
        if let defaultSystemPrompt, messages.first?.role != .system {
            messages.insert(ChatMessage(.system, defaultSystemPrompt), at: 0)
        }
        var out = ""
        switch format {
        case .chatML:
            for message in messages { out += "<|im_start|>\(message.role.rawValue)\n\(message.content)<|im_end|>\n" }
            if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        case .llama3:
            for message in messages { out += "<|start_header_id|>\(message.role.rawValue)<|end_header_id|>\n\n\(message.content)<|eot_id|>" }
            if addGenerationPrompt { out += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        case .llama2, .mistral:
            var system = ""
            var firstUser = true
            for message in messages {
                switch message.role {
                case .system:
                    system = message.content
                case .user:
                    if !firstUser { out += "<s>" }
                    var content = message.content
                    if firstUser && !system.isEmpty {
                        content = format == .llama2 ? "<<SYS>>\n\(system)\n<</SYS>>\n\n\(content)" : "\(system)\n\n\(content)"
                    }
                    out += "[INST] \(content) [/INST]"
                    firstUser = false
                case .assistant:
                    out += format == .llama2 ? " \(message.content) </s>" : " \(message.content)</s>"
                }
            }
        case .granite:
            for message in messages {
                out += "<|\(message.role.rawValue)|>\n\(message.content)"
                out += message.role == .assistant ? "<|endoftext|>\n" : "\n"
            }
            if addGenerationPrompt { out += "<|assistant|>\n" }
        }
        return out
    }
}
