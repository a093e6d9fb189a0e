import Foundation
import LabCore
import LabGGUF
import LabTestSupport
@testable import LabTokenizer
import Testing

enum Reference {
    static func url(_ name: String) throws -> URL {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
            throw MissingFixture(description: "\(name) is not in the test bundle")
        }
        return url
    }

    static func json(_ name: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url(name)))
    }

    /// The default model's tokenizer, built once.
    static let smolLM: Result<Tokenizer, any Error> = Result {
        try Tokenizer(TokenizerVocabulary(gguf: GGUFFile(url: TestPaths.defaultModel())))
    }

    /// llama-tokenize applies its escape processing (`\n`, `\t`, `\\`, …) to the prompt before
    /// tokenizing, so the reference ids of texts with backslashes are for the processed text.
    static func llamaCppEscapes(_ text: String) -> String {
        var out = ""
        var iterator = text.makeIterator()
        while let c = iterator.next() {
            guard c == "\\" else { out.append(c); continue }
            guard let next = iterator.next() else { out.append(c); break }
            switch next {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "'": out.append("'")
            case "\"": out.append("\"")
            case "\\": out.append("\\")
            default: out.append(c); out.append(next)
            }
        }
        return out
    }
}

@Suite struct SmolLM2Tokenization {
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var ids: [Int32]
        var idsNoSpecial: [Int32]
        var testDescription: String { text.debugDescription }
    }

    static let cases: [Case] = {
        guard let object = try? Reference.json("tokenizer.json") as? [String: Any],
              let cases = object["cases"] as? [[String: Any]] else { return [] }
        return cases.map { entry in
            Case(text: entry["text"] as? String ?? "", ids: (entry["ids"] as? [Int] ?? []).map(Int32.init),
                 idsNoSpecial: (entry["ids_no_special"] as? [Int] ?? []).map(Int32.init))
        }
    }()

    @Test func allSixtyFourReferenceStringsAreLoaded() {
        #expect(Self.cases.count == 64)
    }

    @Test(arguments: cases)
    func idsEqualLlamaCpps(_ reference: Case) throws {
        let tokenizer = try Reference.smolLM.get()
        let text = Reference.llamaCppEscapes(reference.text)
        #expect(tokenizer.encode(text, parseSpecial: true) == reference.ids)
        #expect(tokenizer.encode(text, parseSpecial: false) == reference.idsNoSpecial)
    }

    @Test(arguments: cases)
    func decodingGivesTheTextBack(_ reference: Case) throws {
        let tokenizer = try Reference.smolLM.get()
        let text = Reference.llamaCppEscapes(reference.text)
        #expect(tokenizer.decode(tokenizer.encode(text, parseSpecial: false)) == text)
        #expect(tokenizer.decode(tokenizer.encode(text, parseSpecial: true), renderSpecial: true) == text)
    }

    @Test func thePerplexityTextTokenizesExactly() throws {
        let tokenizer = try Reference.smolLM.get()
        let text = try String(contentsOf: Reference.url("ppl_text.txt"), encoding: .utf8)
        let object = try Reference.json("ppl_text_ids.json")
        let expected = ((object as? [String: Any])?["ids"] as? [Int] ?? object as? [Int] ?? []).map(Int32.init)
        #expect(expected.count == 2354)
        let ids = tokenizer.encode(text)
        #expect(ids.count == expected.count)
        let firstDifference = zip(ids, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(firstDifference == nil, "first difference at token \(firstDifference ?? -1)")
    }

    @Test func theReferenceChatPromptAndReplyRoundTrip() throws {
        let tokenizer = try Reference.smolLM.get()
        let object = try #require(try Reference.json("chat_prompt.json") as? [String: Any])
        let prompt = try #require(object["prompt_text"] as? String)
        #expect(tokenizer.encode(prompt) == (object["prompt_ids"] as? [Int] ?? []).map(Int32.init))
        let reply = (object["generated_ids"] as? [Int] ?? []).map(Int32.init)
        #expect(tokenizer.decode(reply) == object["generated_text"] as? String)
    }

    @Test func specialTokensAndEndOfGeneration() throws {
        let tokenizer = try Reference.smolLM.get()
        #expect(tokenizer.encode("<|im_start|>") == [1])
        #expect(tokenizer.encode("<|im_start|>", parseSpecial: false).count > 1)
        #expect(tokenizer.isEndOfGeneration(2))
        #expect(!tokenizer.isEndOfGeneration(1))
        #expect(tokenizer.decode([1, 2]) == "")
        #expect(tokenizer.decode([1, 2], renderSpecial: true) == "<|im_start|><|im_end|>")
    }
}

@Suite struct StreamingDecoding {
    @Test func multiByteCharactersSplitAcrossTokensAreNeverEmittedHalfWay() throws {
        let tokenizer = try Reference.smolLM.get()
        let text = "Prix: 10 € — naïve 𝄞 日本語のテキスト 🙂 done"
        let ids = tokenizer.encode(text, parseSpecial: false)
        var decoder = StreamingDecoder(tokenizer: tokenizer)
        var pieces: [String] = []
        for id in ids { pieces.append(decoder.append(id)) }
        pieces.append(decoder.flush())
        #expect(pieces.joined() == text)
        #expect(pieces.allSatisfy { !$0.contains("\u{FFFD}") }, "\(pieces)")
        // At least one token must have ended inside a character for this test to mean anything.
        let partial = ids.contains { String(decoding: tokenizer.bytes(of: $0), as: UTF8.self).contains("\u{FFFD}") }
        #expect(partial)
    }

    @Test(arguments: [([0x41] as [UInt8], 1), ([0xE2, 0x82], 0), ([0x41, 0xE2, 0x82, 0xAC], 4), ([0x41, 0xF0, 0x9F], 1), ([0xF0, 0x9F, 0x99, 0x82], 4)])
    func completePrefixesEndOnCharacterBoundaries(bytes: [UInt8], expected: Int) {
        #expect(StreamingDecoder.completePrefixLength(bytes) == expected)
    }
}

@Suite struct PreTokenizerRules {
    private func pieces(_ name: String, _ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return PreTokenizer(name: name)!.split(scalars).map { String(String.UnicodeScalarView(scalars[$0])) }
    }

    @Test func smollmSplitsEveryDigit() {
        #expect(pieces("smollm", "in 2024, it's") == ["in", " ", "2", "0", "2", "4", ",", " it", "'s"])
    }

    @Test func gpt2KeepsTheLastSpaceForTheNextWord() {
        #expect(pieces("gpt2", "a   b\n\nc ") == ["a", "  ", " b", "\n", "\n", "c", " "])
        #expect(pieces("gpt2", "x 123 ?!") == ["x", " 123", " ?!"])
    }

    @Test func llama3GroupsDigitsByThreeAndNewlines() {
        #expect(pieces("llama-bpe", "12345 HELLO's\n\n  x") == ["123", "45", " HELLO", "'s", "\n\n", " ", " x"])
        #expect(pieces("llama3", "(a) ..\n") == ["(a", ")", " ..\n"])
    }

    @Test func anUnknownPreTokenizerIsRefusedByName() {
        #expect(PreTokenizer(name: "mystery") == nil)
        let vocabulary = TokenizerVocabulary(model: .gpt2, preTokenizer: "mystery", tokens: ["a"], merges: ["a a"])
        #expect(throws: TokenizerError.unsupported("pre-tokenizer 'mystery' (tokenizer.ggml.pre)", path: "tokenizer")) {
            _ = try Tokenizer(vocabulary)
        }
    }
}

@Suite struct SentencePieceTokenization {
    /// A tiny Llama-style vocabulary: control tokens, merges scored by preference, byte fallback.
    static func vocabulary() -> TokenizerVocabulary {
        var tokens = ["<unk>", "<s>", "</s>"]
        var types: [TokenizerVocabulary.TokenType] = [.unknown, .control, .control]
        var scores: [Float] = [0, 0, 0]
        for byte in 0..<256 { tokens.append(String(format: "<0x%02X>", byte)); types.append(.byte); scores.append(0) }
        for (piece, score) in [("▁", -1), ("h", -2), ("e", -2), ("l", -2), ("o", -2), ("w", -2), ("r", -2), ("d", -2),
                               ("he", -3), ("ll", -3), ("llo", -4), ("hello", -5), ("▁hello", -6), ("▁w", -7), ("or", -8), ("▁wor", -9), ("ld", -10)] as [(String, Float)] {
            tokens.append(piece); types.append(.normal); scores.append(score)
        }
        return TokenizerVocabulary(model: .llama, tokens: tokens, types: types, scores: scores,
                                   bosID: 1, eosID: 2, unknownID: 0, addBOS: true, addSpacePrefix: true)
    }

    @Test func mergesFollowScoresAndBOSIsAdded() throws {
        let tokenizer = try Tokenizer(Self.vocabulary())
        let ids = tokenizer.encode("hello world")
        let pieces = ids.map { tokenizer.vocabulary.tokens[Int($0)] }
        #expect(pieces == ["<s>", "▁hello", "▁wor", "ld"])
        #expect(tokenizer.decode(ids) == "hello world")
    }

    @Test func unknownCharactersFallBackToBytes() throws {
        let tokenizer = try Tokenizer(Self.vocabulary())
        let ids = tokenizer.encode("hé", addSpecial: false)
        let pieces = ids.map { tokenizer.vocabulary.tokens[Int($0)] }
        #expect(pieces == ["▁", "h", "<0xC3>", "<0xA9>"])
        #expect(tokenizer.decode(ids) == "hé")
    }
}

@Suite struct ChatTemplates {
    @Test func smolLM2sTemplateIsChatMLWithItsDefaultSystemPrompt() throws {
        let tokenizer = try Reference.smolLM.get()
        let template = ChatTemplate.forVocabulary(tokenizer.vocabulary)
        #expect(template.format == .chatML)
        #expect(template.defaultSystemPrompt == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        let object = try #require(try Reference.json("chat_prompt.json") as? [String: Any])
        let prompt = template.render([ChatMessage(.user, "What is a 10-K filing?")])
        #expect(prompt == object["prompt_text"] as? String)
        #expect(tokenizer.encode(prompt) == (object["prompt_ids"] as? [Int] ?? []).map(Int32.init))
        let withSystem = template.render([ChatMessage(.system, "Be brief."), ChatMessage(.user, "Hi")], addGenerationPrompt: false)
        #expect(withSystem == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n")
    }

    static let conversation = [ChatMessage(.system, "S"), ChatMessage(.user, "U1"), ChatMessage(.assistant, "A1"), ChatMessage(.user, "U2")]

    @Test(arguments: [
        (ChatTemplate.Format.llama3, "<|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nU1<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nA1<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nU2<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"),
        (.llama2, "[INST] <<SYS>>\nS\n<</SYS>>\n\nU1 [/INST] A1 </s><s>[INST] U2 [/INST]"),
        (.mistral, "[INST] S\n\nU1 [/INST] A1</s><s>[INST] U2 [/INST]"),
        (.granite, "<|system|>\nS\n<|user|>\nU1\n<|assistant|>\nA1<|endoftext|>\n<|user|>\nU2\n<|assistant|>\n"),
        (.chatML, "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n<|im_start|>user\nU2<|im_end|>\n<|im_start|>assistant\n"),
    ])
    func eachFormatRendersExactly(format: ChatTemplate.Format, expected: String) {
        #expect(ChatTemplate(format: format).render(Self.conversation) == expected)
    }

    @Test(arguments: [
        ("{% for m in messages %}<|start_header_id|>{{ m.role }}<|end_header_id|>", ChatTemplate.Format.llama3),
        ("{{ bos_token }}[INST] <<SYS>>\\n{{ system }}", .llama2),
        ("{{ bos_token }}{% for m in messages %}[INST] {{ m.content }} [/INST]", .mistral),
        ("<|system|>\\n{{ s }}<|user|>\\n{{ u }}<|assistant|>\\n", .granite),
        ("{{'<|im_start|>' + message['role'] }}", .chatML),
    ])
    func formatsAreRecognisedFromJinja(jinja: String, format: ChatTemplate.Format) {
        #expect(ChatTemplate.detect(fromJinja: jinja)?.format == format)
        #expect(ChatTemplate.detect(fromJinja: jinja)?.defaultSystemPrompt == nil)
    }

    @Test func anUnknownTemplateFallsBackToChatML() {
        #expect(ChatTemplate.detect(fromJinja: "{{ messages }}") == nil)
        let vocabulary = TokenizerVocabulary(model: .gpt2, tokens: ["a"], chatTemplate: "{{ messages }}")
        #expect(ChatTemplate.forVocabulary(vocabulary).format == .chatML)
    }
}
