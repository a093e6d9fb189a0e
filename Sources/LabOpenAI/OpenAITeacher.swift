public import AsyncHTTPClient
public import Foundation
public import LabCore
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// A teacher behind any OpenAI-compatible endpoint (vLLM, llama.cpp's server, Ollama, a hosted
/// API, or `synthlab serve`): chat requests go to `/chat/completions`, raw prompts to
/// `/completions`.
///
/// It drives the endpoint hard but safely: a bounded number of requests in flight, optional
/// per-minute budgets, retries with exponential backoff and jitter on failures that may pass
/// (connection errors, timeouts, 408/409/429/5xx, honouring `Retry-After`), none on answers that
/// won't change (400/401/403/404), and a circuit breaker that reports the endpoint down instead of
/// hammering it. Every failure is an `OpenAIError`.
public final class OpenAITeacher: StreamingTextGenerator, @unchecked Sendable {
    public let endpoint: OpenAIEndpoint
    public let policy: OpenAIClientPolicy
    /// `openai:` + the API root + `#` + the model: answers are cached per endpoint and model.
    public let identity: String

    private let client: HTTPClient
    private let gate: RequestGate
    private let breaker: CircuitBreaker
    private let apiKey: String?

    /// The largest response body read; a bigger one is treated as malformed.
    static let maximumBodyBytes = 32 << 20

    /// - Parameter environment: where the API key variable is looked up (the process's by default).
    public init(endpoint: OpenAIEndpoint, policy: OpenAIClientPolicy = .init(),
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.endpoint = endpoint
        self.policy = policy
        self.identity = "openai:\(endpoint.baseURL.absoluteString)#\(endpoint.model)"
        self.apiKey = endpoint.apiKey(in: environment)
        self.gate = RequestGate(policy: policy)
        self.breaker = CircuitBreaker(threshold: policy.breakerThreshold)
        var configuration = HTTPClient.Configuration()
        // One connection per request in flight: HTTP/1.1 has no multiplexing.
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, policy.maxInFlight))
        // Our retry loop (with its backoff, deadline and breaker) decides about retries; the pool's
        // own silent reconnecting would turn "connection refused" into a timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        let requestTimeout = TimeAmount.nanoseconds(Int64(policy.requestTimeout * 1e9))
        configuration.timeout = .init(connect: min(requestTimeout, .seconds(30)), read: requestTimeout)
        configuration.decompression = .enabled(limit: .ratio(50))
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    deinit {
        // Non-blocking; the client keeps itself alive until its connections are closed.
        _ = client.shutdown()
    }

    /// Whether a key was found in the configured variable (for a note at startup; never the key).
    public var hasAPIKey: Bool { apiKey != nil }

    public func generate(_ request: GenerationRequest) async throws -> GenerationResult {
        try await complete(request, onText: nil)
    }

    public func generate(_ request: GenerationRequest, onText: @escaping @Sendable (Int, String) -> Void) async throws -> GenerationResult {
        try await complete(request, onText: onText)
    }

    /// `GET /models`: the model ids the endpoint serves (a cheap check that it is up and the key works).
    public func models() async throws -> [String] {
        let url = endpoint.url("/models")
        var request = HTTPClientRequest(url: url)
        addHeaders(to: &request)
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(request, timeout: .seconds(Int64(policy.requestTimeout.rounded(.up))))
            body = try await response.body.collect(upTo: Self.maximumBodyBytes)
        } catch {
            throw OpenAIError.transport(url: url, message: describe(error), attempts: 1)
        }
        guard response.status.code == 200 else { throw finalError(status: Int(response.status.code), body: body, url: url, attempts: 1) }
        do {
            return try JSONDecoder().decode(ModelListBody.self, from: Data(buffer: body)).data.map(\.id)
        } catch {
            throw OpenAIError.malformedResponse(url: url, reason: "not a model list", snippet: snippet(body))
        }
    }

    // MARK: Requests

    /// The completions of `request`. A server that returns fewer choices than `n` (some ignore
    /// `n`) is asked again for the rest, with the seed moved on so the answers differ.
    private func complete(_ request: GenerationRequest, onText: (@Sendable (Int, String) -> Void)?) async throws -> GenerationResult {
        let started = Date()
        var completions: [Completion] = []
        var promptTokens = 0
        var round: UInt64 = 0
        while completions.count < request.count {
            let offset = completions.count
            let shifted = onText.map { callback in { @Sendable (index: Int, piece: String) in callback(offset + index, piece) } }
            let answer = try await send(request, count: request.count - completions.count, seedOffset: round, onText: shifted)
            if answer.completions.isEmpty { throw OpenAIError.emptyChoices(url: route(for: request)) }
            completions += answer.completions.prefix(request.count - completions.count)
            promptTokens = max(promptTokens, answer.promptTokens)
            round += 1
        }
        return GenerationResult(completions: completions, promptTokens: promptTokens, latency: Date().timeIntervalSince(started))
    }

    private func route(for request: GenerationRequest) -> String {
        switch request.input {
        case .chat: endpoint.url("/chat/completions")
        case .prompt: endpoint.url("/completions")
        }
    }

    /// The JSON body for `count` completions of `request`.
    func body(for request: GenerationRequest, count: Int, seedOffset: UInt64, stream: Bool) -> CompletionRequestBody {
        let parameters = request.parameters
        var body = CompletionRequestBody(model: endpoint.model)
        switch request.input {
        case .chat(let messages): body.messages = messages.map { WireMessage(role: $0.role.rawValue, content: $0.content) }
        case .prompt(let text): body.prompt = text
        }
        body.n = count == 1 ? nil : count
        body.temperature = Double(parameters.temperature)
        body.topP = parameters.topP == 1 ? nil : Double(parameters.topP)
        body.topK = parameters.topK == 0 ? nil : parameters.topK
        body.minP = parameters.minP == 0 ? nil : Double(parameters.minP)
        body.repeatPenalty = parameters.repetitionPenalty == 1 ? nil : Double(parameters.repetitionPenalty)
        body.maxTokens = parameters.maxTokens
        body.stop = parameters.stop.isEmpty ? nil : StopList(parameters.stop)
        // 31 bits: llama.cpp reads the seed as a 32-bit value and treats 0xFFFFFFFF as "random".
        body.seed = Int64((parameters.seed &+ seedOffset) & 0x7FFF_FFFF)
        if stream {
            body.stream = true
            body.streamOptions = StreamOptions(includeUsage: true)
        }
        return body
    }

    private struct Answer: Sendable {
        var completions: [Completion]
        var promptTokens: Int
        var totalTokens: Int
    }

    /// One logical request with its retries.
    private func send(_ request: GenerationRequest, count: Int, seedOffset: UInt64,
                      onText: (@Sendable (Int, String) -> Void)?) async throws -> Answer {
        let url = route(for: request)
        let payload = try JSONEncoder.wire.encode(body(for: request, count: count, seedOffset: seedOffset, stream: onText != nil))
        let estimate = payload.count / 4 + request.parameters.maxTokens * count
        let emitted = EmittedFlag()
        let guarded = onText.map { callback in { @Sendable (index: Int, piece: String) in emitted.set(); callback(index, piece) } }
        var attempts = 0
        while true {
            try Task.checkCancellation()
            if let open = breaker.openState {
                throw OpenAIError.endpointDown(url: url, failures: open.failures, lastError: open.lastError)
            }
            let timeout = try attemptTimeout(url: url)
            attempts += 1
            let ticket = try await gate.admit(tokens: estimate)
            do {
                let answer = try await attempt(url: url, payload: payload, count: count, timeout: timeout, onText: guarded)
                gate.release(ticket, actualTokens: answer.totalTokens > 0 ? answer.totalTokens : nil)
                breaker.recordSuccess()
                return answer
            } catch let failure as AttemptFailure {
                gate.release(ticket, actualTokens: nil)
                if Task.isCancelled { throw CancellationError() }
                switch failure {
                case .final(let error):
                    throw error
                case .retryable(let kind, let retryAfter):
                    if kind.countsAsFailure { breaker.recordFailure(kind.summary) }
                    // A streamed reply already shown can't be taken back: no retry after text.
                    guard attempts <= policy.retries, !emitted.isSet else { throw kind.error(url: url, attempts: attempts) }
                    try await pause(before: attempts + 1, retryAfter: retryAfter, url: url)
                }
            } catch {
                gate.release(ticket, actualTokens: nil)
                throw error
            }
        }
    }

    /// The time an attempt may take: the per-request timeout, cut short by the run's deadline.
    private func attemptTimeout(url: String) throws -> Double {
        var timeout = policy.requestTimeout
        if let deadline = policy.deadline {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw OpenAIError.deadlineExceeded(url: url) }
            timeout = min(timeout, left)
        }
        return timeout
    }

    /// Waits before attempt `attempt`: exponential backoff with full jitter, or the server's
    /// `Retry-After` when it gives one, never past `backoffCap` nor the deadline.
    private func pause(before attempt: Int, retryAfter: Double?, url: String) async throws {
        let exponential = policy.backoffBase * pow(2, Double(attempt - 2))
        var delay = retryAfter.map { min($0, policy.backoffCap) } ?? Double.random(in: 0...min(exponential, policy.backoffCap))
        if let deadline = policy.deadline {
            let left = deadline.timeIntervalSinceNow
            if left <= delay { throw OpenAIError.deadlineExceeded(url: url) }
            delay = min(delay, left)
        }
        try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
    }

    /// One HTTP exchange. Throws `AttemptFailure` only.
    private func attempt(url: String, payload: Data, count: Int, timeout: Double,
                         onText: (@Sendable (Int, String) -> Void)?) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: onText == nil ? "application/json" : "text/event-stream")
        addHeaders(to: &request)
        request.body = .bytes(ByteBuffer(bytes: payload))
        let response: HTTPClientResponse
        do {
            // The deadline bounds the wait for the response head; the client's read timeout (the
            // same length) bounds every wait for more of the body. Both are timers on the event
            // loop: no task per request.
            response = try await client.execute(request, deadline: .now() + .nanoseconds(Int64(timeout * 1e9)))
        } catch {
            throw failure(for: error, timeout: timeout)
        }
        let status = Int(response.status.code)
        guard status == 200 else {
            let body = (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()
            switch status {
            case 408, 409, 429, 500...599:
                throw AttemptFailure.retryable(.status(status, errorMessage(in: body)),
                                               retryAfter: Self.retryAfter(response.headers.first(name: "Retry-After")))
            default:
                throw AttemptFailure.final(finalError(status: status, body: body, url: url, attempts: 1))
            }
        }
        if let onText {
            return try await readStream(response, url: url, count: count, timeout: timeout, onText: onText)
        }
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: Self.maximumBodyBytes)
        } catch {
            throw failure(for: error, timeout: timeout, context: "the response ended early: ")
        }
        let decoded: CompletionResponseBody
        do {
            decoded = try JSONDecoder().decode(CompletionResponseBody.self, from: Data(buffer: body))
        } catch {
            throw AttemptFailure.retryable(.malformed(reason: Self.decodingReason(error), snippet: snippet(body)), retryAfter: nil)
        }
        guard !decoded.choices.isEmpty else { throw AttemptFailure.final(.emptyChoices(url: url)) }
        return answer(from: decoded.choices, usage: decoded.usage, chunkCounts: nil)
    }

    /// Reads a server-sent event stream, passing text on as it comes.
    private func readStream(_ response: HTTPClientResponse, url: String, count: Int, timeout: Double,
                            onText: @Sendable (Int, String) -> Void) async throws -> Answer {
        var parser = ServerSentEventParser()
        var texts: [Int: String] = [:]
        var finish: [Int: String] = [:]
        var chunks: [Int: Int] = [:]
        var usage: WireUsage?
        var done = false
        func handle(_ event: String) throws {
            if event == "[DONE]" {
                done = true
                return
            }
            guard let data = event.data(using: .utf8),
                  let chunk = try? JSONDecoder().decode(CompletionResponseBody.self, from: data)
            else {
                if let error = try? JSONDecoder().decode(ErrorResponseBody.self, from: Data(event.utf8)) {
                    throw AttemptFailure.final(.rejected(url: url, status: 200, message: scrub(error.error.message)))
                }
                throw AttemptFailure.retryable(.malformed(reason: "a streamed event is not a completion chunk",
                                                          snippet: String(scrub(event).prefix(120))), retryAfter: nil)
            }
            if let chunkUsage = chunk.usage { usage = chunkUsage }
            for choice in chunk.choices {
                let piece = choice.content
                if !piece.isEmpty {
                    texts[choice.index, default: ""] += piece
                    chunks[choice.index, default: 0] += 1
                    onText(choice.index, piece)
                }
                if let reason = choice.finishReason { finish[choice.index] = reason }
            }
        }
        do {
            for try await buffer in response.body {
                for event in parser.feed(buffer.readableBytesView) {
                    try handle(event)
                    if done { break }
                }
                if done { break }
            }
            if !done, let last = parser.finish() { try handle(last) }
        } catch let failure as AttemptFailure {
            throw failure
        } catch {
            throw failure(for: error, timeout: timeout, context: "the stream ended early: ")
        }
        guard done || finish.count >= count else {
            throw AttemptFailure.retryable(.transport("the stream ended before [DONE]"), retryAfter: nil)
        }
        let choices = Set(texts.keys).union(finish.keys).sorted().map {
            WireChoice(index: $0, text: texts[$0] ?? "", finishReason: finish[$0])
        }
        guard !choices.isEmpty else { throw AttemptFailure.final(.emptyChoices(url: url)) }
        return answer(from: choices, usage: usage, chunkCounts: chunks)
    }

    /// Choices in index order as completions. Per-choice token counts come from `usage` (split
    /// evenly when there are several choices, as the API reports only their sum) or, for a stream
    /// without usage, from the number of chunks (servers send about one token per chunk).
    private func answer(from choices: [WireChoice], usage: WireUsage?, chunkCounts: [Int: Int]?) -> Answer {
        let sorted = choices.sorted { $0.index < $1.index }
        let total = usage?.completionTokens ?? 0
        let completions = sorted.enumerated().map { position, choice in
            let share = total / sorted.count + (position < total % sorted.count ? 1 : 0)
            let tokens = usage != nil ? share : (chunkCounts?[choice.index] ?? 0)
            return Completion(text: choice.content, finishReason: Self.finishReason(choice.finishReason), completionTokens: tokens)
        }
        return Answer(completions: completions, promptTokens: usage?.promptTokens ?? 0, totalTokens: usage?.totalTokens ?? 0)
    }

    static func finishReason(_ wire: String?) -> FinishReason {
        wire == "length" ? .length : .stop
    }

    private func addHeaders(to request: inout HTTPClientRequest) {
        for (name, value) in endpoint.headers.sorted(by: { $0.key < $1.key }) {
            request.headers.replaceOrAdd(name: name, value: value)
        }
        if let apiKey { request.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(apiKey)") }
    }

    // MARK: Failures

    /// What an error of the HTTP client means for the attempt: cancellation, a timeout, or a
    /// transport failure worth retrying.
    private func failure(for error: any Error, timeout: Double, context: String = "") -> any Error {
        if Task.isCancelled || error is CancellationError { return CancellationError() }
        if let client = error as? HTTPClientError, client == .deadlineExceeded || client == .readTimeout {
            return AttemptFailure.retryable(.timeout(timeout), retryAfter: nil)
        }
        return AttemptFailure.retryable(.transport(context + describe(error)), retryAfter: nil)
    }

    private func finalError(status: Int, body: ByteBuffer, url: String, attempts: Int) -> OpenAIError {
        let message = errorMessage(in: body)
        if status == 401 { return .unauthorized(url: url, variable: endpoint.apiKeyVariable, message: message) }
        return .rejected(url: url, status: status, message: message)
    }

    /// The `error.message` of an error body, or the start of the body; without the key.
    private func errorMessage(in body: ByteBuffer) -> String {
        let data = Data(buffer: body)
        if let decoded = try? JSONDecoder().decode(ErrorResponseBody.self, from: data) {
            return scrub(String(decoded.error.message.prefix(300)))
        }
        return snippet(body)
    }

    private func snippet(_ body: ByteBuffer) -> String {
        let text = String(decoding: Data(buffer: body).prefix(160), as: UTF8.self)
        return scrub(text.replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces))
    }

    /// `text` with every occurrence of the API key masked: servers echo keys in error messages.
    func scrub(_ text: String) -> String {
        guard let apiKey, apiKey.count >= 4 else { return text }
        return text.replacingOccurrences(of: apiKey, with: "***")
    }

    private func describe(_ error: any Error) -> String {
        scrub(String(describing: error).prefix(300).description)
    }

    static func decodingReason(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "no '\(key.stringValue)' field"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "unexpected value at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.dataCorrupted: "not valid JSON (truncated or not JSON at all)"
        default: "not valid JSON"
        }
    }

    /// Seconds from a `Retry-After` header: a number of seconds or an HTTP date.
    static func retryAfter(_ value: String?) -> Double? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Double(value), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value).map { max(0, $0.timeIntervalSinceNow) }
    }
}

/// How one attempt failed: worth another try, or not.
enum AttemptFailure: Error {
    enum Kind {
        case status(Int, String)
        case transport(String)
        case timeout(Double)
        case malformed(reason: String, snippet: String)

        /// 429 is the server pacing us, not failing.
        var countsAsFailure: Bool {
            if case .status(429, _) = self { return false }
            return true
        }

        var summary: String {
            switch self {
            case .status(let status, let message): "HTTP \(status)" + (message.isEmpty ? "" : ": \(message)")
            case .transport(let message): message
            case .timeout(let seconds): "no answer within \(seconds) s"
            case .malformed(let reason, _): "malformed response: \(reason)"
            }
        }

        func error(url: String, attempts: Int) -> OpenAIError {
            switch self {
            case .status(let status, let message): .server(url: url, status: status, message: message, attempts: attempts)
            case .transport(let message): .transport(url: url, message: message, attempts: attempts)
            case .timeout(let seconds): .timeout(url: url, seconds: seconds, attempts: attempts)
            case .malformed(let reason, let snippet): .malformedResponse(url: url, reason: reason, snippet: snippet)
            }
        }
    }

    case retryable(Kind, retryAfter: Double?)
    case final(OpenAIError)
}

/// Set once any streamed text has been handed out.
private final class EmittedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
