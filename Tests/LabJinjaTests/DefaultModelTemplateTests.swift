import Foundation
import LabCore
import LabGGUF
import LabJinja
import LabTestSupport
import LabTokenizer
import Testing

/// The default model's own chat template (SmolLM2's, stored in the GGUF) rendered by LabJinja
/// gives exactly the prompt of the ChatML format the tokenizer used before it rendered templates,
/// so switching `Tokenizer.renderChat` to the model's template changes no prompt of this model.
@Suite struct DefaultModelChatTemplate {
    static let tokenizer = Result<Tokenizer, any Error> {
        try Tokenizer(TokenizerVocabulary(gguf: GGUFFile(url: TestPaths.defaultModel())))
    }

    static let conversations: [[ChatMessage]] = [
        [ChatMessage(.user, "What is a 10-K filing?")],
        [ChatMessage(.system, "Be brief."), ChatMessage(.user, "Hi")],
        [
            ChatMessage(.system, "You answer questions about filings."), ChatMessage(.user, "What's EBITDA?"),
            ChatMessage(.assistant, "Earnings before interest, taxes, depreciation and amortization."),
            ChatMessage(.user, "And in one word? Réponds en français."),
        ],
        [ChatMessage(.user, "  two\nlines  "), ChatMessage(.assistant, "<think>hm</think>\n\nOK 😀")],
        [ChatMessage(.assistant, "Starts with the assistant."), ChatMessage(.user, "'quotes' \"and\" {{ braces }}")],
    ]

    @Test(arguments: conversations.indices)
    func theModelsTemplateRendersAsTheChatMLTableDoes(index: Int) throws {
        let tokenizer = try Self.tokenizer.get()
        let source = try #require(tokenizer.vocabulary.chatTemplate)
        let table = try #require(tokenizer.recognizedChatTemplate)
        let template = try JinjaTemplate(source, name: "SmolLM2 tokenizer.chat_template")
        let messages = Self.conversations[index]
        let bos = tokenizer.beginOfSequenceId.flatMap { tokenizer.tokenText(of: $0) }
        let eos = tokenizer.endOfSequenceId.flatMap { tokenizer.tokenText(of: $0) }
        for addGenerationPrompt in [true, false] {
            let expected = try table.render(
                messages, addGenerationPrompt: addGenerationPrompt, beginOfSequence: bos, endOfSequence: eos)
            let jinja = try template.renderChat(
                messages: messages.map { .message(role: $0.role.rawValue, content: $0.content) },
                addGenerationPrompt: addGenerationPrompt, bosToken: bos, eosToken: eos)
            #expect(jinja == expected, "add_generation_prompt=\(addGenerationPrompt)")
            #expect(try tokenizer.renderChat(messages, addGenerationPrompt: addGenerationPrompt) == expected)
            #expect(try tokenizer.renderChat(messages, template: table, addGenerationPrompt: addGenerationPrompt) == expected)
        }
    }

    @Test func aTemplateTheInterpreterCannotRunFallsBackToTheKnownFormat() throws {
        let chatML = "{{ messages|xmlattr }}<|im_start|>"  // recognised as ChatML, uses a filter LabJinja lacks
        let vocabulary = TokenizerVocabulary(model: .gpt2, preTokenizer: "gpt2", tokens: ["a"], merges: ["a a"], chatTemplate: chatML)
        let tokenizer = try Tokenizer(vocabulary)
        #expect(try tokenizer.renderChat([ChatMessage(.user, "hi")]) == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test func aTemplateThatRejectsTheConversationIsAnError() throws {
        let template = "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}ok"
        let vocabulary = TokenizerVocabulary(model: .gpt2, preTokenizer: "gpt2", tokens: ["a"], merges: ["a a"], chatTemplate: template)
        let tokenizer = try Tokenizer(vocabulary)
        #expect(try tokenizer.renderChat([ChatMessage(.user, "hi")]) == "ok")
        do {
            _ = try tokenizer.renderChat([ChatMessage(.system, "s"), ChatMessage(.user, "hi")])
            Issue.record("the template's raise_exception was ignored")
        } catch let error as TokenizerError {
            #expect(error.kind == .chatTemplate)
            #expect(error.message.contains("System role not supported"))
        }
    }
}
