import ArgumentParser
import Foundation
import LabCore
import LabJinja
import LabTokenizer

struct ModelRenderChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render-chat",
        abstract: "Print the prompt a chat template makes of a conversation.",
        discussion: """
            Renders the Jinja chat template stored in a GGUF file (tokenizer.chat_template), or a \
            template file, with LabJinja: the variables Hugging Face's apply_chat_template gives \
            (messages, add_generation_prompt, bos_token, eos_token, raise_exception, \
            strftime_now with today's date; no tools). The prompt is printed exactly, with no \
            newline added, so it can be compared with Python's jinja2 byte for byte.

            FILE.json is an array of {"role": …, "content": …} objects. With a GGUF, bos_token and \
            eos_token are the texts of its BOS and EOS tokens unless --bos-token/--eos-token are \
            given; with a template file they are undefined unless given.

            Examples:
              synthlab model render-chat model.gguf --messages chat.json
              synthlab model render-chat m.gguf --messages c.json --no-generation-prompt
              synthlab model render-chat llama3.jinja --messages c.json --bos-token '<s>'
              synthlab model render-chat model.gguf --messages chat.json | od -c | tail
            """
    )

    @Argument(help: "A GGUF file (its tokenizer.chat_template is used) or a Jinja template file.")
    var template: String

    @Option(help: ArgumentHelp("The conversation: a JSON array of {\"role\", \"content\"} objects.", valueName: "FILE.json"))
    var messages: String

    @Flag(name: .customLong("no-generation-prompt"), help: "Do not end with the opening of an assistant turn.")
    var noGenerationPrompt = false

    @Option(name: .customLong("bos-token"), help: ArgumentHelp("The text of bos_token.", valueName: "S"))
    var bosToken: String?

    @Option(name: .customLong("eos-token"), help: ArgumentHelp("The text of eos_token.", valueName: "S"))
    var eosToken: String?

    func run() async throws {
        let conversation = try readMessages(messages)
        let (source, bos, eos) = try readTemplate(template)
        let prompt: String
        do {
            let parsed = try JinjaTemplate(source, name: template)
            prompt = try parsed.renderChat(
                messages: conversation, addGenerationPrompt: !noGenerationPrompt, bosToken: bosToken ?? bos,
                eosToken: eosToken ?? eos)
        } catch let error as JinjaError {
            throw Self.cliError(error)
        }
        FileHandle.standardOutput.write(Data(prompt.utf8))
    }

    static func cliError(_ error: JinjaError) -> CLIError {
        let place = "\(error.templateName ?? "template"):\(error.position.line):\(error.position.column)"
        switch error.kind {
        case .unsupported:
            return CLIError(
                "\(place): \(error.message)",
                hint: "the template uses \(error.construct ?? "a construct") which LabJinja does not implement")
        case .raised:
            return CLIError(
                "\(place): the template rejected the conversation: \(error.message)",
                hint: "the template's own check failed; change the messages (roles, order) to what it accepts")
        case .syntax:
            return CLIError("\(place): \(error.message)", hint: "the template is not valid Jinja")
        default:
            return CLIError("\(place): \(error.message)", hint: "jinja2 fails on this template with these messages too")
        }
    }

    /// The template text and, for a GGUF, the texts of its BOS and EOS tokens.
    private func readTemplate(_ path: String) throws -> (String, String?, String?) {
        let url = URL(fileURLWithPath: path)
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CLIError("\(path): no such file", hint: "give a GGUF model file or a .jinja template file")
        }
        let magic = (try? handle.read(upToCount: 4)) ?? Data()
        try? handle.close()
        guard magic == Data("GGUF".utf8) else {
            guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("\(path): cannot read the file") }
            guard let text = String(data: data, encoding: .utf8) else {
                throw CLIError("\(path): not UTF-8 text", hint: "give a GGUF model file or a .jinja template file")
            }
            return (text, nil, nil)
        }
        let tokenizer = try loadTokenizer(url)
        guard let source = tokenizer.vocabulary.chatTemplate else {
            throw CLIError(
                "\(path): the model has no tokenizer.chat_template",
                hint: "give the model's template as a .jinja file instead")
        }
        let bos = tokenizer.beginOfSequenceId.flatMap { tokenizer.tokenText(of: $0) }
        let eos = tokenizer.endOfSequenceId.flatMap { tokenizer.tokenText(of: $0) }
        return (source, bos, eos)
    }

    /// The messages of FILE.json, checked to be `{"role": string, "content": string}` objects
    /// (other keys are passed to the template as they are).
    private func readMessages(_ path: String) throws -> [JinjaValue] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("\(path): no such file", hint: "--messages takes a JSON file: [{\"role\": \"user\", \"content\": \"Hi\"}]")
        }
        let value: JinjaValue
        do {
            value = try JinjaJSON.parse(String(decoding: data, as: UTF8.self))
        } catch let error as JinjaJSON.ParseError {
            throw CLIError("\(path):\(error.line):\(error.column): malformed JSON: \(error.message)")
        }
        guard case .list(let items) = value else {
            throw CLIError(
                "\(path): expected a JSON array of messages, found \(Self.jsonKind(value))",
                hint: "write [{\"role\": \"user\", \"content\": \"Hi\"}]")
        }
        for (index, item) in items.enumerated() {
            guard case .dict(let message) = item else {
                throw CLIError("\(path): message \(index) is \(Self.jsonKind(item)), expected an object with \"role\" and \"content\"")
            }
            for key in ["role", "content"] {
                guard let field = message[key] else { throw CLIError("\(path): message \(index) has no \"\(key)\"") }
                guard case .string = field else {
                    throw CLIError("\(path): message \(index): \"\(key)\" is \(Self.jsonKind(field)), expected a string")
                }
            }
        }
        return items
    }

    private static func jsonKind(_ value: JinjaValue) -> String {
        switch value {
        case .list: "an array"
        case .dict: "an object"
        case .string: "a string"
        case .int, .double: "a number"
        case .bool: "a boolean"
        case .none: "null"
        default: "a value"
        }
    }
}
