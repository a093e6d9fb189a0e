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
        // llama.cpp: EOS 2 <|im_end|>, EOT 0 <|endoftext|>; both end generation, BOS does not.
        #expect(tokenizer.endOfSequenceId == 2)
        #expect(tokenizer.endOfTurnId == 0)
        #expect(tokenizer.endOfGenerationIds == [0, 2])
        #expect(!tokenizer.isEndOfGeneration(1))
        #expect(!tokenizer.addsBeginOfSequence)
        #expect(tokenizer.decode([1, 2]) == "")
        #expect(tokenizer.decode([1, 2], renderSpecial: true) == "<|im_start|><|im_end|>")
        let b = try #require(tokenizer.id(of: "b"))
        #expect(tokenizer.decode([b, -1, 49_152]) == "b\u{FFFD}\u{FFFD}")
    }

    @Test func mergingMatchesANaiveReferenceOnEveryWordOfThePerplexityText() throws {
        let tokenizer = try Reference.smolLM.get()
        let naive = NaiveByteLevelBPE(tokenizer.vocabulary)
        let text = try String(contentsOf: Reference.url("ppl_text.txt"), encoding: .utf8)
        var checked = Set<String>()
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map({ " " + $0 }) where checked.insert(word).inserted {
            let pieces = Pieces.split(try PreTokenizer(ggmlName: "smollm"), word)
            let expected = pieces.flatMap { naive.encode(Array($0.utf8)) }
            #expect(tokenizer.encode(word, parseSpecial: false) == expected, "\(word.debugDescription)")
        }
        #expect(checked.count > 500)
    }

    @Test func aDamagedVocabularyIsAClearError() throws {
        let vocabulary = try TokenizerVocabulary(gguf: GGUFFile(url: TestPaths.defaultModel()))
        var broken = vocabulary
        broken.tokenTypes.removeLast()
        #expect(throws: TokenizerError.self) { try Tokenizer(broken) }
        broken = vocabulary
        broken.endOfSequenceId = 60_000
        do {
            _ = try Tokenizer(broken)
            Issue.record("an end-of-sequence id beyond the vocabulary was accepted")
        } catch let error as TokenizerError {
            #expect(error.kind == .invalidVocabulary)
            #expect(error.description.contains("tokenizer.ggml.eos_token_id is 60000"), "\(error)")
        }
        broken = vocabulary
        broken.merges[5] = "nospace"
        #expect(throws: TokenizerError.self) { try Tokenizer(broken) }
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
        #expect(decoder.pendingByteCount == 0)
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

/// Pre-tokenizer output as strings, for readable expectations.
enum Pieces {
    static func split(_ preTokenizer: PreTokenizer, _ text: String) -> [String] {
        let scalars = text.unicodeScalars.map(\.value)
        let classes = scalars.map(CharacterClass.of)
        var ends: [Int] = []
        var scratch: [Int] = []
        preTokenizer.split(scalars, classes: classes, range: 0..<scalars.count, into: &ends, scratch: &scratch)
        var start = 0
        return ends.map { end in
            defer { start = end }
            var view = String.UnicodeScalarView()
            for value in scalars[start..<end] { view.append(Unicode.Scalar(value) ?? "?") }
            return String(view)
        }
    }

    static func split(_ name: String, _ text: String) throws -> [String] {
        try split(PreTokenizer(ggmlName: name), text)
    }
}

/// Textbook byte-level BPE: repeatedly merge the lowest-ranked adjacent pair of strings.
/// Slow and obvious, to check the heap-based merger against.
struct NaiveByteLevelBPE {
    let ranks: [String: Int]
    let ids: [String: Int32]

    init(_ vocabulary: TokenizerVocabulary) {
        var ranks: [String: Int] = [:]
        for (rank, merge) in vocabulary.merges.enumerated() where ranks[merge] == nil { ranks[merge] = rank }
        self.ranks = ranks
        var ids: [String: Int32] = [:]
        for (id, token) in vocabulary.tokens.enumerated() { ids[token] = Int32(id) }
        self.ids = ids
    }

    func encode(_ bytes: [UInt8]) -> [Int32] {
        var symbols = bytes.map { String(ByteLevelEncoding.characterForByte[Int($0)]) }
        while symbols.count > 1 {
            var best: (rank: Int, index: Int)?
            for index in 0..<(symbols.count - 1) {
                if let rank = ranks[symbols[index] + " " + symbols[index + 1]], rank < best?.rank ?? .max {
                    best = (rank, index)
                }
            }
            guard let best else { break }
            symbols[best.index] += symbols[best.index + 1]
            symbols.remove(at: best.index + 1)
        }
        return symbols.compactMap { ids[$0] }
    }
}

@Suite struct PreTokenizerRules {
    @Test func smollmSplitsEveryDigit() throws {
        #expect(try Pieces.split("smollm", "in 2024, it's") == ["in", " ", "2", "0", "2", "4", ",", " it", "'s"])
    }

    @Test(arguments: [
        ("a   b\n\nc ", ["a", "  ", " b", "\n", "\n", "c", " "]),
        ("x 123 ?!", ["x", " 123", " ?!"]),
        ("IT'S O'Neil's", ["IT", "'", "S", " O", "'", "Neil", "'s"]),
        ("tab\tsep", ["tab", "\t", "sep"]),
        ("東京 café", ["東京", " café"]),
    ])
    func gpt2FollowsTheRegexPieceByPiece(text: String, expected: [String]) throws {
        #expect(try Pieces.split("gpt-2", text) == expected)
    }

    @Test(arguments: [
        ("llama-bpe", "12345 HELLO's\n\n  x", ["123", "45", " HELLO", "'s", "\n\n", " ", " x"]),
        ("llama3", "(a) ..\n", ["(a", ")", " ..\n"]),
        ("llama3", "x \r\n\ty", ["x", " \r\n", "\ty"]),
        ("qwen2", "12345 ab", ["1", "2", "3", "4", "5", " ab"]),
        ("default", "a+b=12345", ["a", "+", "b", "=", "123", "45"]),
        // The rows below are llama.cpp's own pieces: `unicode_regex_split` (src/unicode.cpp) run
        // with each family's regex list from src/llama-vocab.cpp.
        ("deepseek-llm", "Hello, 世界! 123 Ωmega\n\n  ", ["Hello", ",", " ", "世界", "!", " ", "123", " Ω", "mega", "\n", "\n", "  "]),
        ("deepseek-llm", "Ὀδυσσεύς ไทย ½ Thé", ["Ὀ", "δυσσεύς", " ", "ไทย", " ", "½", " Th", "é"]),
        ("deepseek-coder", "x=3.14;\n  def f(): 東京 42", ["x", "=", "3", ".", "1", "4", ";", "\n", " ", " def", " f", "():", " ", "東京", " ", "4", "2"]),
        ("qwen35", "naïve cafe\u{301} 12!", ["naïve", " cafe\u{301}", " ", "1", "2", "!"]),
        ("qwen35", "x=3.14;\n  def", ["x", "=", "3", ".", "1", "4", ";\n", " ", " def"]),
        ("gemma4", "a\n\nb c\n", ["a", "\n\n", "b c", "\n"]),
    ])
    func otherFamiliesFollowTheirRegexes(name: String, text: String, expected: [String]) throws {
        #expect(try Pieces.split(name, text) == expected)
    }

    @Test func anUnknownPreTokenizerIsRefusedByName() {
        let vocabulary = TokenizerVocabulary(model: .gpt2, preTokenizer: "mystery", tokens: ["a"], merges: ["a a"])
        do {
            _ = try Tokenizer(vocabulary)
            Issue.record("an unknown pre-tokenizer was accepted")
        } catch let error as TokenizerError {
            #expect(error.kind == .unsupportedPreTokenizer)
            #expect(error.message.contains("'mystery'"), "\(error)")
            #expect(error.hint.contains("smollm"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}

@Suite struct SentencePieceTokenization {
    /// A tiny Llama-style vocabulary: control tokens, pieces scored by preference, byte tokens.
    static func vocabulary(byteTokens: Bool = true) -> TokenizerVocabulary {
        var tokens = ["<unk>", "<s>", "</s>"]
        var types: [TokenizerVocabulary.TokenType] = [.unknown, .control, .control]
        var scores: [Float] = [0, 0, 0]
        if byteTokens {
            for byte in 0..<256 {
                tokens.append(String(format: "<0x%02X>", byte))
                types.append(.byte)
                scores.append(0)
            }
        }
        let pieces: [(String, Float)] = [
            ("▁", -1), ("h", -2), ("e", -2), ("l", -2), ("o", -2), ("w", -2), ("r", -2), ("d", -2),
            ("he", -3), ("ll", -3), ("llo", -4), ("hello", -5), ("▁hello", -6), ("▁w", -7), ("or", -8),
            ("▁wor", -9), ("ld", -10), ("▁h", -20), ("el", -2.5), ("lo", -2.5),
        ]
        for (piece, score) in pieces {
            tokens.append(piece)
            types.append(.normal)
            scores.append(score)
        }
        return TokenizerVocabulary(
            model: .llama, tokens: tokens, tokenTypes: types, scores: scores,
            beginOfSequenceId: 1, endOfSequenceId: 2, unknownId: 0)
    }

    private func pieces(_ tokenizer: Tokenizer, _ ids: [Int32]) -> [String] {
        ids.map { tokenizer.tokenText(of: $0) ?? "?" }
    }

    // Hand-derived: "▁hello▁world" → h+e (-3) beats e+l (-2.5)? No: higher score first, so
    // "el"(-2.5) merges before "he"(-3): ▁ h el l o → ▁ h el lo (-2.5, leftmost first is el) →
    // no "hel"/"ello" token, then "▁h"(-20) is the only pair left: ▁h el lo, which are all tokens.
    @Test func mergesFollowScoresLeftmostFirstAndBOSIsAdded() throws {
        let tokenizer = try Tokenizer(Self.vocabulary())
        #expect(tokenizer.addsBeginOfSequence && tokenizer.addsSpacePrefix)
        let ids = tokenizer.encode("hello world")
        #expect(pieces(tokenizer, ids) == ["<s>", "▁h", "el", "lo", "▁wor", "ld"])
        #expect(tokenizer.decode(ids) == "hello world")
    }

    @Test func unknownCharactersFallBackToBytesOrTheUnknownToken() throws {
        let tokenizer = try Tokenizer(Self.vocabulary())
        let ids = tokenizer.encode("hé", addSpecial: false)
        #expect(pieces(tokenizer, ids) == ["▁h", "<0xC3>", "<0xA9>"])
        #expect(tokenizer.decode(ids) == "hé")
        let withoutBytes = try Tokenizer(Self.vocabulary(byteTokens: false))
        #expect(pieces(withoutBytes, withoutBytes.encode("hé", addSpecial: false)) == ["▁h", "<unk>", "<unk>"])
    }

    @Test func aSpaceIsPrefixedAgainAfterEverySpecialToken() throws {
        let tokenizer = try Tokenizer(Self.vocabulary())
        let ids = tokenizer.encode("he</s>lo", addSpecial: false, parseSpecial: true)
        #expect(pieces(tokenizer, ids) == ["▁", "he", "</s>", "▁", "lo"])
        #expect(pieces(tokenizer, tokenizer.encode("he</s>", addSpecial: false, parseSpecial: false)).contains("<0x3C>"))
    }

    /// A raw completion continues its prompt, so the space of its first piece is text (llama.cpp's
    /// server returns it); a chat reply starts on its own, so the space is SentencePiece's prefix.
    @Test func aContinuationKeepsTheSpaceOfItsFirstPieceAndAReplyDropsIt() throws {
        let tokenizer = try Tokenizer(Self.vocabulary())
        let ids = tokenizer.encode("hello world", addSpecial: false)
        #expect(pieces(tokenizer, ids).first == "▁h")
        var reply = StreamingDecoder(tokenizer: tokenizer)
        var continuation = StreamingDecoder(tokenizer: tokenizer, keepsLeadingSpace: true)
        #expect(ids.map { reply.append($0) }.joined() + reply.flush() == "hello world")
        #expect(ids.map { continuation.append($0) }.joined() + continuation.flush() == " hello world")
        // Still true for the next completion after a flush.
        #expect(ids.map { continuation.append($0) }.joined() == " hello world")
    }

    @Test func byteTokensSplitACharacterThatStreamsWhole() throws {
        let tokenizer = try Tokenizer(Self.vocabulary())
        let ids = tokenizer.encode("h€", addSpecial: false)
        #expect(pieces(tokenizer, ids) == ["▁h", "<0xE2>", "<0x82>", "<0xAC>"])
        var decoder = StreamingDecoder(tokenizer: tokenizer)
        #expect(ids.map { decoder.append($0) } == ["h", "", "", "€"])
        #expect(decoder.flush() == "")
    }
}

@Suite struct SpecialTokenMatching {
    /// Like llama.cpp, the longest special token is cut out first wherever it is, even when a
    /// shorter one starts earlier.
    @Test func longerSpecialTokensAreMatchedFirst() throws {
        let tokens = ["a", "b", "c", "ab", "<x>", "b<"]
        let types: [TokenizerVocabulary.TokenType] = [.normal, .normal, .normal, .normal, .control, .userDefined]
        let vocabulary = TokenizerVocabulary(
            model: .gpt2, preTokenizer: "gpt2", tokens: tokens + ["<", ">", "x"],
            tokenTypes: types + [.normal, .normal, .normal], merges: ["a b"])
        let tokenizer = try Tokenizer(vocabulary)
        #expect(tokenizer.encode("ab<x>c", parseSpecial: true) == [3, 4, 2])
        // Without parsing specials, the user-defined "b<" still matches and the control token does not.
        #expect(tokenizer.encode("ab<x>c", parseSpecial: false) == [0, 5, 8, 7, 2])
    }
}

@Suite struct ChatTemplates {
    static let conversation = [
        ChatMessage(.system, "S"), ChatMessage(.user, "U1"), ChatMessage(.assistant, "A1"), ChatMessage(.user, "U2"),
    ]

    @Test func smolLM2sTemplateIsChatMLWithItsDefaultSystemPrompt() throws {
        let tokenizer = try Reference.smolLM.get()
        let template = try #require(tokenizer.recognizedChatTemplate)
        #expect(template == .chatML(defaultSystemPrompt: "You are a helpful AI assistant named SmolLM, trained by Hugging Face"))
        let object = try #require(try Reference.json("chat_prompt.json") as? [String: Any])
        let question = [ChatMessage(.user, "What is a 10-K filing?")]
        #expect(try tokenizer.renderChat(question) == object["prompt_text"] as? String)
        #expect(try tokenizer.encodeChat(question) == (object["prompt_ids"] as? [Int] ?? []).map(Int32.init))
        let withSystem = try tokenizer.renderChat([ChatMessage(.system, "Be brief."), ChatMessage(.user, "Hi")], addGenerationPrompt: false)
        #expect(withSystem == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n")
    }

    @Test(arguments: [
        (ChatTemplate.llama3, "<s><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nU1<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nA1<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nU2<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"),
        (.llama2, "<s>[INST] <<SYS>>\nS\n<</SYS>>\n\nU1 [/INST] A1 </s><s>[INST] U2 [/INST]"),
        (.mistral, "<s>[INST] S\n\nU1 [/INST]A1</s>[INST] U2 [/INST]"),
        (.granite, "<|system|>\nS\n<|user|>\nU1\n<|assistant|>\nA1<|endoftext|>\n<|user|>\nU2\n<|assistant|>\n"),
        (.chatML(defaultSystemPrompt: nil), "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n<|im_start|>user\nU2<|im_end|>\n<|im_start|>assistant\n"),
        // Phi-3.5-mini-instruct's template rendered by jinja2; Gemma 3's, which puts the system text
        // before the first user message (Gemma 2's refuses a system message).
        (.phi3, "<|system|>\nS<|end|>\n<|user|>\nU1<|end|>\n<|assistant|>\nA1<|end|>\n<|user|>\nU2<|end|>\n<|assistant|>\n"),
        (.gemma, "<s><start_of_turn>user\nS\n\nU1<end_of_turn>\n<start_of_turn>model\nA1<end_of_turn>\n<start_of_turn>user\nU2<end_of_turn>\n<start_of_turn>model\n"),
    ])
    func eachFormatRendersExactly(template: ChatTemplate, expected: String) throws {
        #expect(try template.render(Self.conversation, addGenerationPrompt: true, beginOfSequence: "<s>", endOfSequence: "</s>") == expected)
    }

    @Test(arguments: [
        ("{% for m in messages %}<|start_header_id|>{{ m.role }}<|end_header_id|>", ChatTemplate.llama3),
        ("{{ bos_token }}[INST] <<SYS>>\\n{{ system }}", .llama2),
        ("{{ bos_token }}{% for m in messages %}[INST] {{ m.content }} [/INST]", .mistral),
        ("<|system|>\\n{{ s }}<|user|>\\n{{ u }}<|assistant|>\\n{{ a }}<|endoftext|>", .granite),
        ("{{'<|im_start|>' + message['role'] }}", .chatML(defaultSystemPrompt: nil)),
        ("{{ bos_token }}{% for m in messages %}{{ '<start_of_turn>' + role + '\\n' }}", .gemma),
        ("{% for m in messages %}{{'<|' + m['role'] + '|>' + '\\n' + m['content'] + '<|end|>'}}{% endfor %}<|user|><|assistant|>", .phi3),
        ("{%- if messages[0]['role'] != 'system' %}{{- '<|im_start|>system\\nYou are Qwen.<|im_end|>\\n' }}{%- endif %}", .chatML(defaultSystemPrompt: "You are Qwen.")),
    ])
    func formatsAreRecognisedFromJinja(jinja: String, template: ChatTemplate) {
        #expect(ChatTemplate(recognizing: jinja) == template)
    }

    @Test func anUnrecognisedTemplateIsAnErrorThatNamesTheChoices() throws {
        #expect(ChatTemplate(recognizing: "{{ messages|xmlattr }}") == nil)
        let vocabulary = TokenizerVocabulary(model: .gpt2, preTokenizer: "gpt2", tokens: ["a"], merges: ["a a"], chatTemplate: "{{ messages|xmlattr }}")
        let tokenizer = try Tokenizer(vocabulary)
        do {
            _ = try tokenizer.renderChat([ChatMessage(.user, "hi")])
            Issue.record("an unknown chat template was accepted")
        } catch let error as TokenizerError {
            #expect(error.kind == .chatTemplate)
            #expect(error.hint.contains("chatml, llama2, llama3, mistral, granite, gemma, phi3"))
        }
        #expect(try tokenizer.renderChat([ChatMessage(.user, "hi")], template: ChatTemplate(named: "granite")) == "<|user|>\nhi\n<|assistant|>\n")
    }

    @Test func llama2RefusesTurnsThatDoNotAlternate() {
        #expect(throws: TokenizerError.self) {
            try ChatTemplate.llama2.render(
                [ChatMessage(.user, "a"), ChatMessage(.user, "b")], addGenerationPrompt: true,
                beginOfSequence: "<s>", endOfSequence: "</s>")
        }
    }
}
