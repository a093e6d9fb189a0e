public import LabCore
import Foundation

/// A chat format: how a conversation becomes the prompt text a model was trained on.
///
/// The common formats written out. `Tokenizer.renderChat` renders a model's own
/// `tokenizer.chat_template` with LabJinja and uses this table as the fallback (a model without
/// a template, a template the interpreter cannot run) and for explicitly chosen formats. The
/// right one is recognised from marker substrings of the GGUF's `tokenizer.chat_template` (the
/// same approach as llama.cpp's `llm_chat_detect_template`, src/llama-chat.cpp). Each rendering
/// reproduces its model family's published Hugging Face template.
public enum ChatTemplate: Sendable, Hashable {
    /// `<|im_start|>role\ncontent<|im_end|>\n` (SmolLM, Qwen, …). When the conversation does not
    /// start with a system message, `defaultSystemPrompt` (if any) is put first, as SmolLM2's and
    /// Qwen2.5's templates do.
    case chatML(defaultSystemPrompt: String?)
    /// Llama-2 chat: `<s>[INST] <<SYS>>\nsystem\n<</SYS>>\n\nuser [/INST] answer </s>`.
    case llama2
    /// Llama-3 instruct: `<|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>`.
    case llama3
    /// Mistral instruct: `<s>[INST] user [/INST]answer</s>`; a system message is put before the
    /// first user message, separated by a blank line.
    case mistral
    /// Granite / InstructLab (LAB): `<|system|>\n…\n<|user|>\n…\n<|assistant|>\n…<|endoftext|>`.
    case granite
    /// Gemma instruct: `<bos><start_of_turn>user\n…<end_of_turn>\n<start_of_turn>model\n`; a system
    /// message is put before the first user message, separated by a blank line.
    case gemma
    /// Phi-3 instruct: `<|system|>\n…<|end|>\n<|user|>\n…<|end|>\n<|assistant|>\n`.
    case phi3

    /// Names accepted by `init(named:)`.
    public static let names = ["chatml", "llama2", "llama3", "mistral", "granite", "gemma", "phi3"]

    /// The template called `name` (one of `names`); ChatML without a default system prompt.
    public init(named name: String) throws {
        switch name.lowercased() {
        case "chatml": self = .chatML(defaultSystemPrompt: nil)
        case "llama2", "llama-2": self = .llama2
        case "llama3", "llama-3": self = .llama3
        case "mistral": self = .mistral
        case "granite", "labrador", "lab": self = .granite
        case "gemma": self = .gemma
        case "phi3", "phi-3": self = .phi3
        default:
            throw TokenizerError(
                .chatTemplate, "unknown chat template '\(name)'", hint: "use one of: \(Self.names.joined(separator: ", "))")
        }
    }

    /// The template a Jinja `tokenizer.chat_template` text implements, or nil when unrecognised.
    public init?(recognizing template: String) {
        if template.contains("<|im_start|>") {
            self = .chatML(defaultSystemPrompt: Self.defaultSystemPrompt(in: template))
        } else if template.contains("<|start_header_id|>") && template.contains("<|end_header_id|>") {
            self = .llama3
        } else if template.contains("[INST]") {
            self = template.contains("<<SYS>>") ? .llama2 : .mistral
        } else if template.contains("<|user|>") && template.contains("<|assistant|>")
            && template.contains("<|endoftext|>") && !template.contains("<|end|>")
        {
            self = .granite
        } else if template.contains("<start_of_turn>") {
            self = .gemma
        } else if template.contains("<|user|>") && template.contains("<|assistant|>") && template.contains("<|end|>") {
            self = .phi3
        } else {
            return nil
        }
    }

    /// The literal system text a ChatML template inserts when the conversation has none.
    ///
    /// Recognises `'<|im_start|>system` followed by a newline (real, or `\n` escaped in the
    /// Jinja string) and literal text up to `<|im_end|>`, in a template that tests for a missing
    /// system message (`!= 'system'` or `!= "system"`).
    static func defaultSystemPrompt(in template: String) -> String? {
        guard template.contains("!= 'system'") || template.contains("!= \"system\"") else { return nil }
        let marker = "<|im_start|>system"
        var searchStart = template.startIndex
        while let found = template.range(of: marker, range: searchStart..<template.endIndex) {
            searchStart = found.upperBound
            var rest = template[found.upperBound...]
            if rest.hasPrefix("\n") {
                rest = rest.dropFirst()
            } else if rest.hasPrefix("\\n") {
                rest = rest.dropFirst(2)
            } else {
                continue
            }
            guard let end = rest.range(of: "<|im_end|>") else { continue }
            let text = String(rest[..<end.lowerBound])
            // Text built from template expressions is not a fixed default prompt.
            if text.isEmpty || text.contains("{{") || text.contains("{%") || text.contains("'") || text.contains("\"") {
                continue
            }
            return text.replacingOccurrences(of: "\\n", with: "\n")
        }
        return nil
    }

    /// The prompt text for `messages`.
    ///
    /// - Parameters:
    ///   - addGenerationPrompt: end with the opening of an assistant turn, so the model answers.
    ///   - beginOfSequence, endOfSequence: the texts of BOS and EOS (`<s>`, `</s>`), which some
    ///     formats write into the prompt; nil when the vocabulary has none.
    /// - Throws: `TokenizerError.chatTemplate` when the format cannot express the conversation
    ///   (Llama-2 and Mistral need user and assistant turns to alternate) or lacks a needed token.
    public func render(
        _ messages: [ChatMessage], addGenerationPrompt: Bool, beginOfSequence: String?, endOfSequence: String?
    ) throws -> String {
        switch self {
        case .chatML(let defaultSystemPrompt):
            return Self.renderChatML(messages, addGenerationPrompt, defaultSystemPrompt)
        case .llama2:
            return try Self.renderLlama2(messages, try Self.require(beginOfSequence, "BOS"), try Self.require(endOfSequence, "EOS"))
        case .llama3:
            return try Self.renderLlama3(messages, addGenerationPrompt, try Self.require(beginOfSequence, "BOS"))
        case .mistral:
            return try Self.renderMistral(messages, try Self.require(beginOfSequence, "BOS"), try Self.require(endOfSequence, "EOS"))
        case .granite:
            return Self.renderGranite(messages, addGenerationPrompt)
        case .gemma:
            return try Self.renderGemma(messages, addGenerationPrompt, try Self.require(beginOfSequence, "BOS"))
        case .phi3:
            return Self.renderPhi3(messages, addGenerationPrompt)
        }
    }

    private static func require(_ text: String?, _ name: String) throws -> String {
        guard let text else {
            throw TokenizerError(
                .chatTemplate, "this chat template writes the \(name) token into the prompt but the vocabulary has none",
                hint: "choose a chat template that matches the model")
        }
        return text
    }

    private static func renderChatML(_ messages: [ChatMessage], _ addGenerationPrompt: Bool, _ defaultSystem: String?) -> String {
        var text = ""
        for (index, message) in messages.enumerated() {
            if index == 0, message.role != .system, let defaultSystem {
                text += "<|im_start|>system\n\(defaultSystem)<|im_end|>\n"
            }
            text += "<|im_start|>\(message.role.rawValue)\n\(message.content)<|im_end|>\n"
        }
        if addGenerationPrompt { text += "<|im_start|>assistant\n" }
        return text
    }

    /// Splits off a leading system message and checks that the rest alternates user, assistant, ….
    private static func alternatingTurns(_ messages: [ChatMessage], format: String) throws -> (String?, [ChatMessage]) {
        var turns = messages[...]
        var system: String?
        if let first = turns.first, first.role == .system {
            system = first.content
            turns = turns.dropFirst()
        }
        for (index, message) in turns.enumerated() {
            let expected: ChatMessage.Role = index % 2 == 0 ? .user : .assistant
            guard message.role == expected else {
                throw TokenizerError(
                    .chatTemplate,
                    "the \(format) chat format needs user and assistant turns to alternate, starting with user; message \(index + (system == nil ? 0 : 1)) is \(message.role.rawValue)",
                    hint: "merge consecutive messages of the same role, and put any system message first")
            }
        }
        return (system, Array(turns))
    }

    private static func stripped(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func renderLlama2(_ messages: [ChatMessage], _ bos: String, _ eos: String) throws -> String {
        let (system, turns) = try alternatingTurns(messages, format: "Llama-2")
        var text = ""
        for (index, message) in turns.enumerated() {
            var content = message.content
            if index == 0, let system {
                content = "<<SYS>>\n\(system)\n<</SYS>>\n\n\(content)"
            }
            if message.role == .user {
                text += "\(bos)[INST] \(stripped(content)) [/INST]"
            } else {
                text += " \(stripped(content)) \(eos)"
            }
        }
        return text
    }

    private static func renderLlama3(_ messages: [ChatMessage], _ addGenerationPrompt: Bool, _ bos: String) throws -> String {
        var text = bos
        for message in messages {
            text += "<|start_header_id|>\(message.role.rawValue)<|end_header_id|>\n\n\(stripped(message.content))<|eot_id|>"
        }
        if addGenerationPrompt { text += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        return text
    }

    private static func renderMistral(_ messages: [ChatMessage], _ bos: String, _ eos: String) throws -> String {
        let (system, turns) = try alternatingTurns(messages, format: "Mistral")
        var text = bos
        for (index, message) in turns.enumerated() {
            if message.role == .user {
                let content = index == 0 && system != nil ? "\(system ?? "")\n\n\(message.content)" : message.content
                text += "[INST] \(content) [/INST]"
            } else {
                text += "\(message.content)\(eos)"
            }
        }
        return text
    }

    private static func renderGranite(_ messages: [ChatMessage], _ addGenerationPrompt: Bool) -> String {
        var text = ""
        for (index, message) in messages.enumerated() {
            switch message.role {
            case .system: text += "<|system|>\n\(message.content)\n"
            case .user: text += "<|user|>\n\(message.content)\n"
            case .assistant:
                text += "<|assistant|>\n\(message.content)<|endoftext|>"
                if index < messages.count - 1 { text += "\n" }
            }
        }
        if addGenerationPrompt { text += "<|assistant|>\n" }
        return text
    }

    private static func renderGemma(_ messages: [ChatMessage], _ addGenerationPrompt: Bool, _ bos: String) throws -> String {
        let (system, turns) = try alternatingTurns(messages, format: "Gemma")
        var text = bos
        for (index, message) in turns.enumerated() {
            let role = message.role == .assistant ? "model" : "user"
            let content = index == 0 && system != nil ? "\(system ?? "")\n\n\(message.content)" : message.content
            text += "<start_of_turn>\(role)\n\(stripped(content))<end_of_turn>\n"
        }
        if addGenerationPrompt { text += "<start_of_turn>model\n" }
        return text
    }

    private static func renderPhi3(_ messages: [ChatMessage], _ addGenerationPrompt: Bool) -> String {
        var text = ""
        for message in messages {
            text += "<|\(message.role.rawValue)|>\n\(message.content)<|end|>\n"
        }
        if addGenerationPrompt { text += "<|assistant|>\n" }
        return text
    }
}
