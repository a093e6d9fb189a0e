import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LabCore
import LabLLM
import LabServer
import LabTestSupport
import LabTokenizer
import Testing

/// With a SentencePiece vocabulary a token carries the space before it (`▁ladies`). A raw
/// completion continues its prompt, so that space is part of the text, as llama.cpp's server
/// returns it; a chat reply starts on its own, where the space is only SentencePiece's prefix.
@Suite("SentencePiece replies: raw completions keep the first piece's space", .serialized)
struct SentencePieceCompletionTests {
    /// A server over a fake model that always continues "▁ladies", "gram", "▁ladies", … (greedy).
    /// Like the suite's other servers, it runs until the test process ends.
    static func startServer() async throws -> String {
        let tokens = ["<unk>", "<s>", "</s>", "▁The", "▁ladies", "gram"]
        let vocabulary = TokenizerVocabulary(
            model: .llama, tokens: tokens, tokenTypes: [.unknown, .control, .control, .normal, .normal, .normal],
            scores: [0, 0, 0, -1, -2, -3], beginOfSequenceId: 1, endOfSequenceId: 2, unknownId: 0)
        let model = FakeLanguageModel(vocabularySize: tokens.count, contextLength: 64) { last in last == 4 ? 5 : 4 }
        let teacher = LocalTeacher(model: model, tokenizer: try Tokenizer(vocabulary), template: .llama2, identity: "spm")
        let server = OpenAIServer(teacher: teacher, configuration: .init(port: 0, modelName: "spm"))
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let task = Task {
            defer { continuation.finish() }
            try await server.run(handleSignals: false) { continuation.yield($0) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            throw MissingFixture(description: "the server did not start: \(String(describing: await task.result))")
        }
        return "http://127.0.0.1:\(port)/v1"
    }

    static func post(_ url: String, _ body: [String: Any]) async throws -> (Int, String) {
        try await rawRequest(url, method: "POST", body: try JSONSerialization.data(withJSONObject: body),
                             headers: ["Content-Type": "application/json"])
    }

    static func choices(_ json: String) throws -> [[String: Any]] {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        return object?["choices"] as? [[String: Any]] ?? []
    }

    @Test("POST /v1/completions keeps the leading space, streamed or not; a chat reply drops it")
    func rawCompletionsKeepTheLeadingSpace() async throws {
        let url = try await Self.startServer()
        let prompt: [String: Any] = ["prompt": "The", "max_tokens": 2, "temperature": 0]

        let (status, body) = try await Self.post(url + "/completions", prompt)
        #expect(status == 200, "\(body)")
        #expect(try Self.choices(body).first?["text"] as? String == " ladiesgram", "\(body)")

        var streamed = prompt
        streamed["stream"] = true
        let (streamStatus, events) = try await Self.post(url + "/completions", streamed)
        #expect(streamStatus == 200, "\(events)")
        let pieces = try events.split(separator: "\n")
            .filter { $0.hasPrefix("data: {") }
            .flatMap { try Self.choices(String($0.dropFirst("data: ".count))) }
            .compactMap { $0["text"] as? String }
        #expect(pieces.joined() == " ladiesgram", "\(events)")

        let chat: [String: Any] = ["messages": [["role": "user", "content": "The"]], "max_tokens": 2, "temperature": 0]
        let (chatStatus, chatBody) = try await Self.post(url + "/chat/completions", chat)
        #expect(chatStatus == 200, "\(chatBody)")
        let message = try Self.choices(chatBody).first?["message"] as? [String: Any]
        #expect(message?["content"] as? String == "ladiesgram", "\(chatBody)")
    }
}
