import Foundation
import LabCore
import LabHTTPTestSupport
import LabTestSupport
import Testing
@testable import LabOpenAI

/// A chat completion body with one choice per text.
func chatBody(_ texts: [String], finish: String = "stop", promptTokens: Int = 7, completionTokens: Int = 3) -> String {
    let choices = texts.enumerated().map { index, text in
        #"{"index":\#(index),"message":{"role":"assistant","content":\#(jsonString(text))},"finish_reason":"\#(finish)"}"#
    }
    return #"{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[\#(choices.joined(separator: ","))],"#
        + #""usage":{"prompt_tokens":\#(promptTokens),"completion_tokens":\#(completionTokens),"total_tokens":\#(promptTokens + completionTokens)}}"#
}

func jsonString(_ text: String) -> String {
    String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
}

/// Starts `script` on a free port and returns a teacher for it and the server.
func scripted(_ policy: OpenAIClientPolicy = .init(retries: 3, backoffBase: 0.01, backoffCap: 0.05),
              environment: [String: String] = [:], apiKeyVariable: String? = nil, headers: [String: String] = [:],
              _ script: @escaping ScriptedHTTPServer.Script) async throws -> (OpenAITeacher, ScriptedHTTPServer) {
    let server = ScriptedHTTPServer(script: script)
    let url = try await server.start()
    let endpoint = try OpenAIEndpoint(url: url, model: "teacher-model", apiKeyVariable: apiKeyVariable, headers: headers)
    return (OpenAITeacher(endpoint: endpoint, policy: policy, environment: environment), server)
}

let chatRequest = GenerationRequest(input: .chat([ChatMessage(.user, "What is EBITDA?")]),
                                    parameters: SamplingParameters(maxTokens: 16, stop: ["\n\n"], seed: 9))

@Suite("OpenAITeacher against a fault-injecting server")
struct OpenAITeacherFaultTests {
    @Test("A chat request carries model, messages, limits and seed; the answer and its usage come back")
    func chatRoundTrip() async throws {
        let (teacher, server) = try await scripted { _, _ in .respond(body: chatBody(["EBITDA is earnings before…"])) }
        defer { Task { await server.stop() } }
        let result = try await teacher.generate(chatRequest)
        #expect(result.completions.map(\.text) == ["EBITDA is earnings before…"])
        #expect(result.completions[0].finishReason == .stop)
        #expect(result.completions[0].completionTokens == 3)
        #expect(result.promptTokens == 7)
        let sent = try #require(server.requests.first)
        #expect(sent.method == "POST" && sent.path == "/v1/chat/completions")
        let body = try JSONDecoder().decode(CompletionRequestBody.self, from: Data(sent.body.utf8))
        #expect(body.model == "teacher-model")
        #expect(body.messages == [WireMessage(role: "user", content: "What is EBITDA?")])
        #expect(body.maxTokens == 16 && body.stop?.strings == ["\n\n"] && body.seed == 9 && body.n == nil)
        #expect(body.topK == nil && body.minP == nil, "neutral llama.cpp extensions are not sent to strict servers")
    }

    @Test("The model list is read as llama.cpp's server writes it (no created, extra fields)")
    func modelList() async throws {
        let (teacher, server) = try await scripted { _, _ in
            .respond(body: #"{"object":"list","data":[{"id":"/models/smol.gguf","object":"model","owned_by":"me","permissions":[]}]}"#)
        }
        defer { Task { await server.stop() } }
        #expect(try await teacher.models() == ["/models/smol.gguf"])
        #expect(server.requests.first?.path == "/v1/models")
    }

    @Test("A raw prompt goes to /v1/completions")
    func completionsRoute() async throws {
        let (teacher, server) = try await scripted { _, _ in
            .respond(body: #"{"choices":[{"index":0,"text":" Paris.","finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":2}}"#)
        }
        defer { Task { await server.stop() } }
        let result = try await teacher.generate(GenerationRequest(input: .prompt("The capital of France is")))
        #expect(result.completions.map(\.text) == [" Paris."])
        #expect(result.completions[0].finishReason == .length, "finish_reason length surfaces as a cut completion")
        #expect(server.requests.first?.path == "/v1/completions")
        #expect(server.requests.first?.body.contains(#""prompt":"The capital of France is""#) == true)
    }

    @Test("500s are retried until the server recovers")
    func retriesServerErrors() async throws {
        let (teacher, server) = try await scripted { _, number in
            number < 2 ? .respond(status: 500, body: #"{"error":{"message":"overloaded"}}"#) : .respond(body: chatBody(["ok"]))
        }
        defer { Task { await server.stop() } }
        let result = try await teacher.generate(chatRequest)
        #expect(result.completions.map(\.text) == ["ok"])
        #expect(server.requests.count == 3)
    }

    @Test("Persistent 503s fail with the status and the server's message after every retry")
    func persistentServerError() async throws {
        let (teacher, server) = try await scripted { _, _ in .respond(status: 503, body: #"{"error":{"message":"maintenance"}}"#) }
        defer { Task { await server.stop() } }
        let error = await thrownError(OpenAIError.self) { try await teacher.generate(chatRequest) }
        #expect(error == .server(url: teacher.endpoint.url("/chat/completions"), status: 503, message: "maintenance", attempts: 4))
        #expect(server.requests.count == 4)
        #expect(error?.stopsRun == false)
    }

    @Test("429 with Retry-After waits as long as the server asks, then succeeds")
    func honoursRetryAfter() async throws {
        let (teacher, server) = try await scripted(.init(retries: 2, backoffBase: 0.01, backoffCap: 5)) { _, number in
            number == 0 ? .respond(status: 429, headers: ["Retry-After": "1"], body: #"{"error":{"message":"slow down"}}"#)
                : .respond(body: chatBody(["after the pause"]))
        }
        defer { Task { await server.stop() } }
        let started = ContinuousClock.now
        let result = try await teacher.generate(chatRequest)
        let elapsed = ContinuousClock.now - started
        #expect(result.completions.map(\.text) == ["after the pause"])
        #expect(elapsed >= .milliseconds(950), "Retry-After: 1 was honoured (waited \(elapsed))")
        // Generous: the whole test suite runs in parallel on two cores and may starve this task.
        #expect(elapsed < .seconds(60))
    }

    @Test("Retry-After is read as seconds or as an HTTP date")
    func retryAfterFormats() {
        #expect(OpenAITeacher.retryAfter("3") == 3)
        #expect(OpenAITeacher.retryAfter(nil) == nil)
        #expect(OpenAITeacher.retryAfter("soon") == nil)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let inTenSeconds = formatter.string(from: Date().addingTimeInterval(10))
        let parsed = OpenAITeacher.retryAfter(inTenSeconds) ?? -1
        #expect(parsed > 7 && parsed <= 10)
    }

    @Test("400, 403 and 404 are not retried and say what to check")
    func noRetryOnClientErrors() async throws {
        for status in [400, 403, 404] {
            let (teacher, server) = try await scripted { _, _ in .respond(status: status, body: #"{"error":{"message":"nope"}}"#) }
            let error = await thrownError(OpenAIError.self) { try await teacher.generate(chatRequest) }
            #expect(error == .rejected(url: teacher.endpoint.url("/chat/completions"), status: status, message: "nope"))
            #expect(server.requests.count == 1, "HTTP \(status) was not retried")
            if status == 404 { #expect(error?.description.contains("ends in /v1") == true) }
            await server.stop()
        }
    }

    @Test("401 names the key's variable and never shows the key, even when the server echoes it")
    func unauthorized() async throws {
        let key = "sk-test-0123456789abcdef"
        let (teacher, server) = try await scripted(environment: ["TEST_TEACHER_KEY": key], apiKeyVariable: "TEST_TEACHER_KEY") { _, _ in
            .respond(status: 401, body: #"{"error":{"message":"Incorrect API key provided: \#(key)"}}"#)
        }
        defer { Task { await server.stop() } }
        let error = try #require(await thrownError(OpenAIError.self) { try await teacher.generate(chatRequest) })
        #expect(error.description.contains("check the API key in $TEST_TEACHER_KEY"))
        #expect(!error.description.contains(key))
        #expect(error.stopsRun)
        #expect(server.requests.count == 1)
        #expect(server.requests.first?.header("Authorization") == "Bearer \(key)")
        #expect(!teacher.identity.contains(key), "the identity is stored with every request")
    }

    @Test("Custom headers are sent; a header can't carry line breaks")
    func customHeaders() async throws {
        let (teacher, server) = try await scripted(headers: ["X-Route": "blue"]) { _, _ in .respond(body: chatBody(["hi"])) }
        defer { Task { await server.stop() } }
        _ = try await teacher.generate(chatRequest)
        #expect(server.requests.first?.header("x-route") == "blue")
        #expect(throws: OpenAIError.self) { try OpenAIEndpoint(url: "http://h/v1", model: "m", headers: ["X": "a\r\nInjected: 1"]) }
        #expect(throws: OpenAIError.self) { try OpenAIEndpoint(url: "ftp://h/v1", model: "m") }
        #expect(try OpenAIEndpoint(url: "http://h:8000", model: "m").baseURL.absoluteString == "http://h:8000/v1")
        #expect(try OpenAIEndpoint(url: "http://h:8000/v1/", model: "m").baseURL.absoluteString == "http://h:8000/v1")
    }

    @Test("A response slower than the timeout is abandoned and retried, then fails as a timeout in bounded time")
    func timeout() async throws {
        let (teacher, server) = try await scripted(.init(requestTimeout: 0.3, retries: 1, backoffBase: 0.01, backoffCap: 0.02)) { _, _ in
            .respond(body: chatBody(["late"]), delay: 300)
        }
        defer { Task { await server.stop() } }
        let started = ContinuousClock.now
        let error = await thrownError(OpenAIError.self) { try await teacher.generate(chatRequest) }
        #expect(error == .timeout(url: teacher.endpoint.url("/chat/completions"), seconds: 0.3, attempts: 2))
        // Far sooner than the 300 s answer (generous: parallel tests on two cores may starve this task).
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    @Test("A slow answer inside the timeout is waited for")
    func slowButInTime() async throws {
        let (teacher, server) = try await scripted(.init(requestTimeout: 5)) { _, _ in .respond(body: chatBody(["patient"]), delay: 0.3) }
        defer { Task { await server.stop() } }
        #expect(try await teacher.generate(chatRequest).completions.map(\.text) == ["patient"])
        #expect(server.requests.count == 1)
    }

    @Test("A reset connection is retried")
    func resetConnection() async throws {
        let (teacher, server) = try await scripted { _, number in number == 0 ? .reset : .respond(body: chatBody(["second try"])) }
        defer { Task { await server.stop() } }
        #expect(try await teacher.generate(chatRequest).completions.map(\.text) == ["second try"])
        #expect(server.requests.count == 2)
    }

    @Test("Half a body (the connection closes before Content-Length bytes) is retried, and fails as a transport error if it persists")
    func truncatedBody() async throws {
        let whole = chatBody(["complete"])
        let (teacher, server) = try await scripted { _, number in
            number == 0 ? .truncated(declaredLength: whole.utf8.count, body: String(whole.prefix(whole.count / 2))) : .respond(body: whole)
        }
        #expect(try await teacher.generate(chatRequest).completions.map(\.text) == ["complete"])
        #expect(server.requests.count == 2)
        await server.stop()

        let (failing, brokenServer) = try await scripted { _, _ in
            .truncated(declaredLength: whole.utf8.count, body: String(whole.prefix(20)))
        }
        defer { Task { await brokenServer.stop() } }
        let error = await thrownError(OpenAIError.self) { try await failing.generate(chatRequest) }
        guard case .transport(_, _, let attempts) = error else {
            Issue.record("expected a transport error, got \(String(describing: error))")
            return
        }
        #expect(attempts == 4)
    }

    @Test("Malformed JSON and a body without choices are typed errors, not crashes")
    func malformed() async throws {
        let (teacher, server) = try await scripted { _, _ in .respond(body: "<html>502 Bad Gateway</html>") }
        let error = await thrownError(OpenAIError.self) { try await teacher.generate(chatRequest) }
        guard case .malformedResponse(_, let reason, let snippet) = error else {
            Issue.record("expected malformedResponse, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("not valid JSON"))
        #expect(snippet.contains("502 Bad Gateway"))
        await server.stop()

        let (noChoices, otherServer) = try await scripted { _, _ in .respond(body: #"{"id":"x","object":"chat.completion"}"#) }
        let missing = await thrownError(OpenAIError.self) { try await noChoices.generate(chatRequest) }
        guard case .malformedResponse(_, let missingReason, _) = missing else {
            Issue.record("expected malformedResponse, got \(String(describing: missing))")
            return
        }
        #expect(missingReason == "no 'choices' field")
        await otherServer.stop()

        let (empty, emptyServer) = try await scripted { _, _ in .respond(body: #"{"choices":[]}"#) }
        defer { Task { await emptyServer.stop() } }
        #expect(await thrownError(OpenAIError.self) { try await empty.generate(chatRequest) } == .emptyChoices(url: empty.endpoint.url("/chat/completions")))
    }

    @Test("After N failed attempts in a row the endpoint is reported down and is not asked again")
    func circuitBreaker() async throws {
        let (teacher, server) = try await scripted(.init(retries: 10, backoffBase: 0.01, backoffCap: 0.02, breakerThreshold: 3)) { _, _ in
            .respond(status: 500, body: #"{"error":{"message":"boom"}}"#)
        }
        defer { Task { await server.stop() } }
        let error = await thrownError(OpenAIError.self) { try await teacher.generate(chatRequest) }
        #expect(error == .endpointDown(url: teacher.endpoint.url("/chat/completions"), failures: 3, lastError: "HTTP 500: boom"))
        #expect(error?.stopsRun == true)
        #expect(server.requests.count == 3)
        _ = await thrownError(OpenAIError.self) { try await teacher.generate(chatRequest) }
        #expect(server.requests.count == 3, "an open breaker sends nothing")
    }

    @Test("429s don't open the breaker: they are the server pacing us")
    func rateLimitsDoNotTrip() async throws {
        let (teacher, server) = try await scripted(.init(retries: 5, backoffBase: 0.01, backoffCap: 0.02, breakerThreshold: 2)) { _, number in
            number < 4 ? .respond(status: 429, headers: ["Retry-After": "0"], body: "{}") : .respond(body: chatBody(["finally"]))
        }
        defer { Task { await server.stop() } }
        #expect(try await teacher.generate(chatRequest).completions.map(\.text) == ["finally"])
    }

    @Test("n > 1 is asked for once; a server that ignores n is asked again with a new seed until there are n choices")
    func choicesFillUp() async throws {
        let (teacher, server) = try await scripted { request, number in
            .respond(body: chatBody(["answer \(number)"], completionTokens: 4))
        }
        defer { Task { await server.stop() } }
        let result = try await teacher.generate(GenerationRequest(input: chatRequest.input, parameters: chatRequest.parameters, count: 3))
        #expect(result.completions.map(\.text) == ["answer 0", "answer 1", "answer 2"])
        let bodies = try server.requests.map { try JSONDecoder().decode(CompletionRequestBody.self, from: Data($0.body.utf8)) }
        #expect(bodies.map(\.n) == [3, 2, nil])
        #expect(bodies.map(\.seed) == [9, 10, 11])

        let (honest, honestServer) = try await scripted { _, _ in .respond(body: chatBody(["a", "b"], completionTokens: 7)) }
        defer { Task { await honestServer.stop() } }
        let two = try await honest.generate(GenerationRequest(input: chatRequest.input, parameters: chatRequest.parameters, count: 2))
        #expect(two.completions.map(\.text) == ["a", "b"])
        #expect(two.completions.map(\.completionTokens) == [4, 3], "usage is split across choices")
        #expect(honestServer.requests.count == 1)
    }

    @Test("No more than max-in-flight requests reach the server at once")
    func boundedConcurrency() async throws {
        let (teacher, server) = try await scripted(.init(maxInFlight: 4)) { _, _ in .respond(body: chatBody(["x"]), delay: 0.2) }
        defer { Task { await server.stop() } }
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<12 { group.addTask { _ = try await teacher.generate(chatRequest) } }
            try await group.waitForAll()
        }
        // 12 requests, 4 at a time, 0.2 s each: three waves at the least.
        #expect(ContinuousClock.now - started >= .milliseconds(600))
        #expect(server.requests.count == 12)
    }

    @Test("Cancelling a request in flight stops it promptly")
    func cancellation() async throws {
        let (teacher, server) = try await scripted { _, _ in .respond(body: chatBody(["never"]), delay: 300) }
        defer { Task { await server.stop() } }
        let started = ContinuousClock.now
        let task = Task { try await teacher.generate(chatRequest) }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
        // Far sooner than the 300 s answer (generous: parallel tests on two cores may starve this task).
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    @Test("The run's deadline ends waiting and retrying")
    func deadline() async throws {
        let policy = OpenAIClientPolicy(requestTimeout: 30, retries: 5, backoffBase: 0.01, deadline: Date().addingTimeInterval(0.5))
        let (teacher, server) = try await scripted(policy) { _, _ in .respond(body: chatBody(["late"]), delay: 300) }
        defer { Task { await server.stop() } }
        let started = ContinuousClock.now
        let error = await thrownError(OpenAIError.self) { try await teacher.generate(chatRequest) }
        #expect(ContinuousClock.now - started < .seconds(60))
        switch error {
        case .deadlineExceeded, .timeout: break
        default: Issue.record("expected the deadline to end the request, got \(String(describing: error))")
        }
        #expect(await thrownError(OpenAIError.self) { try await teacher.generate(chatRequest) } == .deadlineExceeded(url: teacher.endpoint.url("/chat/completions")))
    }

    @Test("Streamed chat hands out pieces as they arrive; usage comes from the last chunk")
    func streaming() async throws {
        let events = [
            #"{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#,
            #"{"choices":[{"index":0,"delta":{"content":"Net "}}]}"#,
            #"{"choices":[{"index":0,"delta":{"content":"income"}}]}"#,
            #"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
            #"{"choices":[],"usage":{"prompt_tokens":11,"completion_tokens":2,"total_tokens":13}}"#,
        ]
        let (teacher, server) = try await scripted { _, _ in .events(events, interval: 0.02) }
        defer { Task { await server.stop() } }
        let pieces = PieceLog()
        let result = try await teacher.generate(chatRequest) { index, piece in pieces.add(index, piece) }
        #expect(pieces.all == [(0, "Net "), (0, "income")].map { "\($0.0):\($0.1)" })
        #expect(result.completions.map(\.text) == ["Net income"])
        #expect(result.completions[0].completionTokens == 2 && result.promptTokens == 11)
        #expect(server.requests.first?.body.contains(#""stream":true"#) == true)
    }

    @Test("A stream cut off after text was shown fails instead of repeating the text")
    func streamCut() async throws {
        let (teacher, server) = try await scripted { _, _ in
            .events([#"{"choices":[{"index":0,"delta":{"content":"Half"}}]}"#], done: false)
        }
        defer { Task { await server.stop() } }
        let pieces = PieceLog()
        let error = await thrownError(OpenAIError.self) { try await teacher.generate(chatRequest) { index, piece in pieces.add(index, piece) } }
        guard case .transport(_, let message, let attempts) = error else {
            Issue.record("expected a transport error, got \(String(describing: error))")
            return
        }
        #expect(message.contains("stream ended"))
        #expect(attempts == 1)
        #expect(pieces.all == ["0:Half"])
    }

    @Test("Requests per minute: a request over the budget waits for the window to move")
    func requestsPerMinute() async throws {
        let gate = RequestGate(policy: .init(maxInFlight: 8, requestsPerMinute: 2), period: .milliseconds(400))
        let started = ContinuousClock.now
        for _ in 0..<2 { gate.release(try await gate.admit(tokens: 1), actualTokens: nil) }
        #expect(ContinuousClock.now - started < .milliseconds(300))
        gate.release(try await gate.admit(tokens: 1), actualTokens: nil)
        #expect(ContinuousClock.now - started >= .milliseconds(400))
    }

    @Test("A request waiting for a slot can be cancelled, and the slots stay counted right")
    func cancelWhileQueued() async throws {
        let gate = RequestGate(policy: .init(maxInFlight: 1))
        let held = try await gate.admit(tokens: 1)
        let waiting = Task { try await gate.admit(tokens: 1) }
        try await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        let next = Task { try await gate.admit(tokens: 1) }
        gate.release(held, actualTokens: nil)
        gate.release(try await next.value, actualTokens: nil)
        // Both slots given back: one admit passes at once.
        gate.release(try await gate.admit(tokens: 1), actualTokens: nil)
    }

    @Test("Tokens per minute: estimates are corrected with the real usage")
    func tokensPerMinute() async throws {
        let gate = RequestGate(policy: .init(maxInFlight: 8, tokensPerMinute: 100), period: .milliseconds(400))
        let started = ContinuousClock.now
        // Estimated 90, really 10: the next 80-token request fits at once.
        gate.release(try await gate.admit(tokens: 90), actualTokens: 10)
        gate.release(try await gate.admit(tokens: 80), actualTokens: nil)
        #expect(ContinuousClock.now - started < .milliseconds(300))
        // 10 + 80 used; 20 more doesn't fit until the window moves.
        gate.release(try await gate.admit(tokens: 20), actualTokens: nil)
        #expect(ContinuousClock.now - started >= .milliseconds(400))
    }
}

/// Streamed pieces as "index:text", in arrival order.
final class PieceLog: @unchecked Sendable {
    private let lock = NSLock()
    private var pieces: [String] = []
    func add(_ index: Int, _ piece: String) { lock.withLock { pieces.append("\(index):\(piece)") } }
    var all: [String] { lock.withLock { pieces } }
}
