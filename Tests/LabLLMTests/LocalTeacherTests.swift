import Foundation
import LabCore
import LabTestSupport
import LabTokenizer
import Testing
@testable import LabLLM

/// A SentencePiece-style vocabulary of ChatML's control tokens, "▁" and the 256 byte tokens, so
/// every text encodes byte by byte and byte b is token `byteOffset + b` (letters are consecutive).
enum ByteVocabulary {
    static let endOfTurn: Int32 = 0
    static let byteOffset = 4

    static func tokenizer() throws -> Tokenizer {
        let tokens = ["<|im_end|>", "<|im_start|>", "<unk>", "\u{2581}"] + (0..<256).map { String(format: "<0x%02X>", $0) }
        let types: [TokenizerVocabulary.TokenType] = [.control, .control, .unknown, .normal] + Array(repeating: .byte, count: 256)
        return try Tokenizer(TokenizerVocabulary(
            model: .llama, tokens: tokens, tokenTypes: types, beginOfSequenceId: 1, endOfSequenceId: endOfTurn, unknownId: 2,
            addBeginOfSequence: false, addSpacePrefix: false
        ))
    }

    static func token(_ character: Character) -> Int32 {
        Int32(byteOffset) + Int32(character.asciiValue ?? 0)
    }

    static var size: Int { byteOffset + 256 }
}

@Suite("Local teacher")
struct LocalTeacherTests {
    func teacher(successor: (@Sendable (Int32) -> Int32)? = nil) throws -> LocalTeacher {
        let model = FakeLanguageModel(vocabularySize: ByteVocabulary.size, contextLength: 512, successor: successor)
        return LocalTeacher(model: model, tokenizer: try ByteVocabulary.tokenizer(), template: .chatML(defaultSystemPrompt: nil), identity: "fake")
    }

    @Test("Identity is the given one marked local")
    func identity() throws {
        #expect(try teacher().identity == "local:fake")
    }

    @Test("A raw prompt is continued and decoded to text, with token counts")
    func rawPrompt() async throws {
        let result = try await teacher().generate(GenerationRequest(input: .prompt("Say a"), parameters: SamplingParameters(maxTokens: 5)))
        #expect(result.completions == [Completion(text: "bcdef", finishReason: .length, completionTokens: 5)])
        #expect(result.promptTokens == 5)
        #expect(result.latency >= 0)
    }

    @Test("Chat messages are rendered with the template and its generation prompt")
    func chatRendering() throws {
        let teacher = try teacher()
        let tokens = try teacher.promptTokens(for: .chat([ChatMessage(.system, "Be brief."), ChatMessage(.user, "Hi")]))
        let expected = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
        #expect(tokens == teacher.tokenizer.encode(expected))
        #expect(tokens.first == 1, "control tokens in the rendered template are parsed as such")
        #expect(teacher.tokenizer.decode(tokens, renderSpecial: true) == expected)
    }

    @Test("The end-of-turn token ends the reply with reason stop and is not in the text")
    func endOfTurn() async throws {
        let stopAfterE: @Sendable (Int32) -> Int32 = { $0 == ByteVocabulary.token("e") ? ByteVocabulary.endOfTurn : $0 + 1 }
        let result = try await teacher(successor: stopAfterE).generate(
            GenerationRequest(input: .chat([ChatMessage(.user, "a")]), parameters: SamplingParameters(maxTokens: 200))
        )
        // After the generation prompt's "\n" the fake counts up through control bytes to … "e", then <|im_end|>.
        let expectedBytes = (0x0B...0x65).map { UInt8($0) }
        let completion = try #require(result.completions.first)
        #expect(completion.text == String(decoding: expectedBytes, as: UTF8.self))
        #expect(completion.finishReason == .stop)
        #expect(completion.completionTokens == expectedBytes.count + 1)
    }

    @Test("Stop strings cut the reply across token boundaries")
    func stopStrings() async throws {
        let result = try await teacher().generate(
            GenerationRequest(input: .prompt("a"), parameters: SamplingParameters(maxTokens: 20, stop: ["efg"]))
        )
        #expect(result.completions.first?.text == "bcd")
        #expect(result.completions.first?.finishReason == .stop)
    }

    @Test("count asks for that many completions; sampled ones differ, seeded runs repeat")
    func counts() async throws {
        let parameters = SamplingParameters(temperature: 1, topK: 20, maxTokens: 8, seed: 77)
        let request = GenerationRequest(input: .prompt("x"), parameters: parameters, count: 4)
        let first = try await teacher().generate(request)
        let second = try await teacher().generate(request)
        #expect(first.completions.count == 4)
        #expect(first.completions == second.completions)
        #expect(Set(first.completions.map(\.text)).count > 1, "\(first.completions.map(\.text))")
    }

    @Test("Streaming yields the same text piece by piece")
    func streaming() async throws {
        let teacher = try teacher()
        var pieces: [String] = []
        for try await event in try teacher.stream(GenerationRequest(input: .prompt("a"), parameters: SamplingParameters(maxTokens: 6))) {
            if case .text(_, let piece) = event { pieces.append(piece) }
        }
        #expect(pieces == ["b", "c", "d", "e", "f", "g"])
    }

    @Test("A chat session keeps the conversation and forgets it on reset")
    func chatSession() async throws {
        let session = ChatSession(teacher: try teacher(), systemPrompt: "S", parameters: SamplingParameters(maxTokens: 3))
        let streamed = TextCollector()
        let reply = try await session.send("q") { streamed.append($0) }
        #expect(streamed.text() == reply.completion.text)
        #expect(streamed.count() == 3)
        #expect(reply.completion.completionTokens == 3)
        #expect(session.messages == [ChatMessage(.system, "S"), ChatMessage(.user, "q"), ChatMessage(.assistant, reply.completion.text)])
        _ = try await session.send("again") { _ in }
        #expect(session.turns.count == 4)
        session.reset()
        #expect(session.messages == [ChatMessage(.system, "S")])
    }

    @Test("The batching benchmark decodes all its sequences together and reports their rates")
    func benchmark() async throws {
        let teacher = try teacher()
        let result = try await BatchBenchmark.run(teacher: teacher, sequences: 3, promptTokens: 4, generatedTokens: 5)
        #expect(result.widestStep == 3)
        #expect(result.decodeTokensPerSecond > 0 && result.prefillTokensPerSecond > 0 && result.endToEndTokensPerSecond > 0)
        let statistics = teacher.scheduler.statistics
        // 3 prompts of 4 tokens; 4 decode steps feed back the first 4 of each sequence's 5 tokens.
        #expect(statistics.prefillTokens == 12)
        #expect(statistics.decodeSteps == 4)
        #expect(statistics.decodedTokens == 12)
    }
}
