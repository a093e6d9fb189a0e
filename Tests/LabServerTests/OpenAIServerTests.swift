import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LabCore
import LabLLM
import LabOpenAI
import LabServer
import LabTestSupport
import Testing

/// `synthlab serve`'s server on a free port over the default model, and our client for it.
final class RunningServer: Sendable {
    let teacher: LocalTeacher
    let url: String
    private let task: Task<Void, any Error>

    /// One server per configuration for the whole suite: the model loads once.
    static func shared() async throws -> RunningServer { try await ServerCache.shared.server(apiKey: nil) }
    static func secured() async throws -> RunningServer { try await ServerCache.shared.server(apiKey: "server-secret-key") }

    init(apiKey: String?) async throws {
        let teacher = try LocalTeacher(modelAt: try TestPaths.defaultModel(), threads: 2, identity: "test")
        self.teacher = teacher
        let server = OpenAIServer(teacher: teacher, configuration: .init(
            port: 0, apiKey: apiKey, modelName: "smol", maxBodyBytes: 64 << 10, maxTokensLimit: 512))
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        task = Task {
            defer { continuation.finish() }
            try await server.run(handleSignals: false) { port in
                continuation.yield(port)
            }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            throw MissingFixture(description: "the server did not start: \(String(describing: await task.result))")
        }
        url = "http://127.0.0.1:\(port)/v1"
    }

    /// These tests check what the server answers, not how fast: a completion can queue behind other
    /// suites' engine work on a loaded 2-core machine (one waited over 120 s), so the client waits 600 s.
    func client(apiKey: String? = nil, policy: OpenAIClientPolicy = .init(requestTimeout: 600, retries: 0)) throws -> OpenAITeacher {
        let endpoint = try OpenAIEndpoint(url: url, model: "smol", apiKeyVariable: apiKey == nil ? nil : "KEY")
        return OpenAITeacher(endpoint: endpoint, policy: policy, environment: apiKey.map { ["KEY": $0] } ?? [:])
    }
}

actor ServerCache {
    static let shared = ServerCache()
    private var servers: [String: RunningServer] = [:]

    func server(apiKey: String?) async throws -> RunningServer {
        if let running = servers[apiKey ?? ""] { return running }
        let started = try await RunningServer(apiKey: apiKey)
        servers[apiKey ?? ""] = started
        return started
    }
}

/// A raw HTTP exchange (for what our client doesn't send: bad bodies, missing keys, /health).
func rawRequest(_ url: String, method: String = "GET", body: Data? = nil, headers: [String: String] = [:]) async throws -> (Int, String) {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    request.httpBody = body
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    // The server's async handlers share Swift's cooperative threads (one per core) with every
    // other test of the run, some of which compute for minutes on them: a reply can wait well
    // past URLSession's 60-second default without anything being wrong with the server.
    request.timeoutInterval = 600
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
}

let question = [ChatMessage(.user, "What is a balance sheet?")]

@Suite("synthlab serve: our client against our server over HTTP", .serialized)
struct OpenAIServerTests {
    @Test("A greedy chat reply over HTTP is the engine's own reply, with its token counts")
    func chatMatchesEngine() async throws {
        let server = try await RunningServer.shared()
        let request = GenerationRequest(input: .chat(question), parameters: SamplingParameters(maxTokens: 24, seed: 1))
        let direct = try await server.teacher.generate(request)
        let remote = try await server.client().generate(request)
        #expect(remote.completions.map(\.text) == direct.completions.map(\.text))
        #expect(remote.completions.map(\.completionTokens) == direct.completions.map(\.completionTokens))
        #expect(remote.promptTokens == direct.promptTokens)
        #expect(remote.completions[0].finishReason == direct.completions[0].finishReason)
    }

    @Test("Completions honour stop strings: the text ends before the stop string")
    func completionsWithStop() async throws {
        let server = try await RunningServer.shared()
        let open = GenerationRequest(input: .prompt("1, 2, 3, 4,"), parameters: SamplingParameters(maxTokens: 12))
        let unstopped = try await server.client().generate(open).completions[0]
        // Stop at the first comma the model writes.
        #expect(unstopped.text.contains(","), "the model continues the list: \(unstopped.text)")
        var stopped = open
        stopped.parameters.stop = [","]
        let answer = try await server.client().generate(stopped).completions[0]
        #expect(answer.text == String(unstopped.text.prefix { $0 != "," }))
        #expect(answer.finishReason == .stop)
    }

    @Test("n > 1 returns n sampled choices in one request")
    func severalChoices() async throws {
        let server = try await RunningServer.shared()
        let request = GenerationRequest(input: .chat(question), parameters: SamplingParameters(temperature: 1.0, maxTokens: 12, seed: 5), count: 3)
        let result = try await server.client().generate(request)
        #expect(result.completions.count == 3)
        #expect(Set(result.completions.map(\.text)).count > 1, "sampled choices differ: \(result.completions.map(\.text))")
        let again = try await server.client().generate(request)
        #expect(again.completions.map(\.text) == result.completions.map(\.text), "the same seed gives the same choices")
    }

    @Test("Streaming sends the same text as one piece per token, then the finish reason and usage")
    func streaming() async throws {
        let server = try await RunningServer.shared()
        let request = GenerationRequest(input: .chat(question), parameters: SamplingParameters(maxTokens: 20))
        let whole = try await server.client().generate(request).completions[0]
        let pieces = TextCollector()
        let streamed = try await server.client().generate(request) { index, piece in pieces.append(piece, index: index) }
        #expect(pieces.text() == whole.text)
        #expect(streamed.completions[0].text == whole.text)
        #expect(streamed.completions[0].completionTokens == whole.completionTokens)
        #expect(pieces.count() > 5, "text arrived in pieces, not at the end")
    }

    @Test("Concurrent requests are decoded together")
    func batching() async throws {
        let server = try await RunningServer.shared()
        let before = server.teacher.scheduler.statistics.widestStep
        let client = try server.client()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<4 {
                group.addTask {
                    let request = GenerationRequest(input: .prompt("Item \(index):"), parameters: SamplingParameters(maxTokens: 40, ignoreEndOfSequence: false))
                    _ = try await client.generate(request)
                }
            }
            try await group.waitForAll()
        }
        #expect(max(before, server.teacher.scheduler.statistics.widestStep) >= 2)
    }

    @Test("/health and /v1/models answer; bad requests get a 400 that says why")
    func routesAndErrors() async throws {
        let server = try await RunningServer.shared()
        let root = String(server.url.dropLast(3))
        #expect(try await rawRequest(root + "/health") == (200, #"{"status":"ok"}"#))
        let models = try await server.client().models()
        #expect(models == ["smol"])

        let (status, body) = try await rawRequest(server.url + "/chat/completions", method: "POST", body: Data("{not json".utf8))
        #expect(status == 400 && body.contains("not valid JSON"))
        let (roleStatus, roleBody) = try await rawRequest(server.url + "/chat/completions", method: "POST",
                                                          body: Data(#"{"messages":[{"role":"wizard","content":"hi"}]}"#.utf8))
        #expect(roleStatus == 400 && roleBody.contains("unsupported message role 'wizard'"))

        let tooMany = GenerationRequest(input: .chat(question), parameters: SamplingParameters(maxTokens: 100_000))
        let error = await thrownError(OpenAIError.self) { try await server.client().generate(tooMany) }
        guard case .rejected(_, 400, let message) = error else {
            Issue.record("expected a 400, got \(String(describing: error))")
            return
        }
        #expect(message.contains("at most 512"))
    }

    @Test("A prompt the model can't hold, or can't answer within max_tokens, gets a 400 with the token counts")
    func contextOverflow() async throws {
        let server = try await RunningServer.shared()
        let context = server.teacher.contextLength
        // " word" is one token: these prompts are about `count` tokens and fit the 64 KiB body limit.
        func prompt(_ count: Int) -> GenerationRequest.Input { .prompt(String(repeating: "word ", count: count)) }
        let error = await thrownError(OpenAIError.self) {
            try await server.client().generate(GenerationRequest(input: prompt(context + 100), parameters: SamplingParameters(maxTokens: 8)))
        }
        guard case .rejected(_, 400, let message) = error else {
            Issue.record("expected a 400, got \(String(describing: error))")
            return
        }
        #expect(message.contains("context holds \(context)"))
        let overflow = await thrownError(OpenAIError.self) {
            try await server.client().generate(GenerationRequest(input: prompt(context - 100), parameters: SamplingParameters(maxTokens: 512)))
        }
        guard case .rejected(_, 400, let reason) = overflow else {
            Issue.record("expected a 400, got \(String(describing: overflow))")
            return
        }
        #expect(reason.contains("plus max_tokens (512) exceed the model's context of \(context) tokens"))
    }

    @Test("An oversized body is refused with 413")
    func oversizedBody() async throws {
        let server = try await RunningServer.shared()
        let huge = Data(#"{"prompt":""#.utf8) + Data(repeating: UInt8(ascii: "a"), count: 70 << 10) + Data(#""}"#.utf8)
        let (status, body) = try await rawRequest(server.url + "/completions", method: "POST", body: huge)
        #expect(status == 413)
        #expect(body.contains("over 65536 bytes"))
    }

    @Test("With a key set, /v1 needs the bearer token; /health stays open")
    func authentication() async throws {
        let server = try await RunningServer.secured()
        let root = String(server.url.dropLast(3))
        #expect(try await rawRequest(root + "/health").0 == 200)
        #expect(try await rawRequest(server.url + "/models").0 == 401)
        #expect(try await rawRequest(server.url + "/models", headers: ["Authorization": "Bearer wrong"]).0 == 401)
        let denied = await thrownError(OpenAIError.self) { try await server.client(apiKey: "wrong-key").generate(GenerationRequest(input: .prompt("Hi"))) }
        guard case .unauthorized(_, let variable, _) = denied else {
            Issue.record("expected 401, got \(String(describing: denied))")
            return
        }
        #expect(variable == "KEY")
        let allowed = try await server.client(apiKey: "server-secret-key")
            .generate(GenerationRequest(input: .prompt("Hi"), parameters: SamplingParameters(maxTokens: 3)))
        #expect(allowed.completions.count == 1)
    }
}
