public import Foundation
import Hummingbird
public import LabCore
public import LabLLM
import LabOpenAI
import LabTokenizer
public import Logging
import NIOCore
import NIOFoundationCompat

/// `synthlab serve`: the in-process engine behind the OpenAI-compatible API, so one loaded model
/// can feed many runs and clients (`/v1/models`, `/v1/chat/completions` with `stream`,
/// `/v1/completions`, `/health`). Concurrent requests are decoded together by the teacher's
/// batch scheduler.
public final class OpenAIServer: Sendable {
    public struct Configuration: Sendable {
        /// 127.0.0.1 unless the server is meant to be reached from other machines.
        public var host: String
        /// 0 picks a free port (reported to `onReady`).
        public var port: Int
        /// When set, every `/v1` request needs `Authorization: Bearer <key>`.
        public var apiKey: String?
        /// The model id reported by `/v1/models` and in responses.
        public var modelName: String
        /// Bigger request bodies are refused with 413.
        public var maxBodyBytes: Int
        /// The largest `max_tokens` a request may ask for.
        public var maxTokensLimit: Int
        /// The largest `n`.
        public var maxChoices: Int

        public init(host: String = "127.0.0.1", port: Int = 8000, apiKey: String? = nil, modelName: String,
                    maxBodyBytes: Int = 1 << 20, maxTokensLimit: Int = 2048, maxChoices: Int = 16) {
            self.host = host
            self.port = port
            self.apiKey = apiKey
            self.modelName = modelName
            self.maxBodyBytes = maxBodyBytes
            self.maxTokensLimit = maxTokensLimit
            self.maxChoices = maxChoices
        }
    }

    let teacher: LocalTeacher
    let configuration: Configuration
    let created = Int(Date().timeIntervalSince1970)

    public init(teacher: LocalTeacher, configuration: Configuration) {
        self.teacher = teacher
        self.configuration = configuration
    }

    /// Serves until the task is cancelled or (with `handleSignals`) SIGINT/SIGTERM arrives; requests
    /// in flight finish first. `onReady` gets the port once the server accepts connections.
    public func run(handleSignals: Bool = true, logger: Logger? = nil, onReady: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let router = Router()
        router.middlewares.add(BearerAuthentication(apiKey: configuration.apiKey))
        router.get("/health") { _, _ in Self.json(["status": "ok"]) }
        router.get("/v1/models") { [self] _, _ in
            Self.json(ModelListBody(data: [.init(id: configuration.modelName, created: created, ownedBy: "synthlab")]))
        }
        router.post("/v1/chat/completions") { [self] request, _ in
            await respond(to: request, chat: true)
        }
        router.post("/v1/completions") { [self] request, _ in
            await respond(to: request, chat: false)
        }
        var quiet = Logger(label: "synthlab.serve")
        quiet.logLevel = .warning
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "synthlab"),
            onServerRunning: { channel in onReady(channel.localAddress?.port ?? 0) },
            logger: logger ?? quiet
        )
        try await app.runService(gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [])
    }

    // MARK: Completions

    private func respond(to request: Request, chat: Bool) async -> Response {
        do {
            var request = request
            let bytes: ByteBuffer
            do {
                bytes = try await request.collectBody(upTo: configuration.maxBodyBytes)
            } catch {
                throw APIError(status: .contentTooLarge, "the request body is over \(configuration.maxBodyBytes) bytes",
                               type: "invalid_request_error")
            }
            let body: CompletionRequestBody
            do {
                body = try JSONDecoder().decode(CompletionRequestBody.self, from: Data(buffer: bytes))
            } catch {
                throw APIError(status: .badRequest, "the body is not a valid request: \(Self.describe(error))")
            }
            let plan = try plan(body, chat: chat)
            if body.stream == true {
                return stream(plan, chat: chat, includeUsage: body.streamOptions?.includeUsage == true)
            }
            let result = try await run(plan, chat: chat)
            let choices = result.completions.enumerated().map { index, completion in
                chat ? WireChoice(index: index, message: WireMessage(role: "assistant", content: completion.text),
                                  finishReason: completion.finishReason.rawValue)
                    : WireChoice(index: index, text: completion.text, finishReason: completion.finishReason.rawValue)
            }
            let usage = WireUsage(promptTokens: result.promptTokens,
                                  completionTokens: result.completions.reduce(0) { $0 + $1.completionTokens })
            return Self.json(CompletionResponseBody(id: plan.id, object: chat ? "chat.completion" : "text_completion",
                                                    created: Int(Date().timeIntervalSince1970), model: configuration.modelName,
                                                    choices: choices, usage: usage))
        } catch let error as APIError {
            return error.response
        } catch {
            return APIError(status: .internalServerError, "generation failed: \(error)", type: "server_error").response
        }
    }

    /// A request checked against the model and the server's limits, ready to run.
    struct Plan: Sendable {
        var id: String
        var request: GenerationRequest
    }

    func plan(_ body: CompletionRequestBody, chat: Bool) throws -> Plan {
        let input: GenerationRequest.Input
        if chat {
            guard let messages = body.messages, !messages.isEmpty else {
                throw APIError(status: .badRequest, "'messages' must be a non-empty list", param: "messages")
            }
            input = .chat(try messages.map { message in
                let role: ChatMessage.Role = switch message.role {
                case "system", "developer": .system
                case "user": .user
                case "assistant": .assistant
                default: throw APIError(status: .badRequest, "unsupported message role '\(message.role)'", param: "messages")
                }
                return ChatMessage(role, message.content)
            })
        } else {
            guard let prompt = body.prompt else { throw APIError(status: .badRequest, "'prompt' is required", param: "prompt") }
            input = .prompt(prompt)
        }
        let count = body.n ?? 1
        guard (1...configuration.maxChoices).contains(count) else {
            throw APIError(status: .badRequest, "'n' must be between 1 and \(configuration.maxChoices), got \(count)", param: "n")
        }
        var parameters = SamplingParameters()
        if let temperature = body.temperature {
            guard temperature.isFinite, (0...2).contains(temperature) else {
                throw APIError(status: .badRequest, "'temperature' must be between 0 and 2, got \(temperature)", param: "temperature")
            }
            parameters.temperature = Float(temperature)
        } else {
            parameters.temperature = 1  // the API's default
        }
        if let topP = body.topP {
            guard topP > 0, topP <= 1 else { throw APIError(status: .badRequest, "'top_p' must be in (0, 1], got \(topP)", param: "top_p") }
            parameters.topP = Float(topP)
        }
        if let topK = body.topK {
            guard topK >= 0 else { throw APIError(status: .badRequest, "'top_k' must be 0 or more, got \(topK)", param: "top_k") }
            parameters.topK = topK
        }
        if let minP = body.minP {
            guard (0...1).contains(minP) else { throw APIError(status: .badRequest, "'min_p' must be in [0, 1], got \(minP)", param: "min_p") }
            parameters.minP = Float(minP)
        }
        if let penalty = body.repeatPenalty {
            guard penalty.isFinite, penalty > 0 else {
                throw APIError(status: .badRequest, "'repeat_penalty' must be above 0, got \(penalty)", param: "repeat_penalty")
            }
            parameters.repetitionPenalty = Float(penalty)
        }
        let stops = body.stop?.strings.filter { !$0.isEmpty } ?? []
        guard stops.count <= 16 else { throw APIError(status: .badRequest, "at most 16 'stop' strings, got \(stops.count)", param: "stop") }
        parameters.stop = stops
        // No seed: a fresh one, so repeated calls differ as clients of the API expect.
        parameters.seed = body.seed.map { UInt64(bitPattern: $0) } ?? UInt64.random(in: 0...UInt64.max)

        let promptTokens: Int
        do {
            promptTokens = try teacher.promptTokens(for: input).count
        } catch let error as TokenizerError {
            throw APIError(status: .badRequest, "\(error.message)\(error.hint.isEmpty ? "" : " (\(error.hint))")", param: "messages")
        }
        let context = teacher.contextLength
        guard promptTokens < context else {
            throw APIError(status: .badRequest,
                           "the prompt is \(promptTokens) tokens but the model's context holds \(context) (prompt and reply together)",
                           param: chat ? "messages" : "prompt", code: "context_length_exceeded")
        }
        let requested = body.maxTokens ?? body.maxCompletionTokens
        if let requested {
            guard requested >= 1 else { throw APIError(status: .badRequest, "'max_tokens' must be at least 1", param: "max_tokens") }
            guard requested <= configuration.maxTokensLimit else {
                throw APIError(status: .badRequest, "'max_tokens' is \(requested); this server allows at most \(configuration.maxTokensLimit)",
                               param: "max_tokens")
            }
            guard promptTokens + requested <= context else {
                throw APIError(status: .badRequest,
                               "the prompt (\(promptTokens) tokens) plus max_tokens (\(requested)) exceed the model's context of \(context) tokens",
                               param: "max_tokens", code: "context_length_exceeded")
            }
        }
        parameters.maxTokens = requested ?? min(configuration.maxTokensLimit, context - promptTokens)
        let id = (chat ? "chatcmpl-" : "cmpl-") + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
        return Plan(id: id, request: GenerationRequest(input: input, parameters: parameters, count: count))
    }

    private func run(_ plan: Plan, chat: Bool) async throws -> GenerationResult {
        do {
            let started = Date()
            let batch = try teacher.batchRequest(for: plan.request)
            let results = try await teacher.scheduler.run(batch)
            return GenerationResult(
                completions: results.map { Completion(text: $0.text, finishReason: $0.finishReason, completionTokens: $0.tokens.count) },
                promptTokens: batch.prompt.count,
                latency: Date().timeIntervalSince(started))
        } catch let error as ModelError {
            throw APIError(status: .badRequest, error.description)
        }
    }

    /// The reply as server-sent events: a first chunk with the role (chat), text chunks as they
    /// are decoded, a chunk with each choice's finish reason, optionally usage, then `[DONE]`.
    /// A client that hangs up ends the body writer, which cancels the generation.
    private func stream(_ plan: Plan, chat: Bool, includeUsage: Bool) -> Response {
        let teacher = teacher
        let model = configuration.modelName
        let object = chat ? "chat.completion.chunk" : "text_completion"
        let created = Int(Date().timeIntervalSince1970)
        let body = ResponseBody { writer in
            func chunk(_ choices: [WireChoice], usage: WireUsage? = nil) throws -> ByteBuffer {
                let body = CompletionResponseBody(id: plan.id, object: object, created: created, model: model, choices: choices, usage: usage)
                let json = try JSONEncoder.wire.encode(body)
                return ByteBuffer(string: "data: " + String(decoding: json, as: UTF8.self) + "\n\n")
            }
            if chat {
                let roles = (0..<plan.request.count).map { WireChoice(index: $0, delta: WireDelta(role: "assistant", content: ""), finishReason: nil) }
                try await writer.write(chunk(roles))
            }
            let batch: BatchRequest
            do {
                batch = try self.teacher.batchRequest(for: plan.request)
            } catch {
                try await writer.write(ByteBuffer(string: "data: " + Self.errorJSON("\(error)") + "\n\n"))
                try await writer.finish(nil)
                return
            }
            var completionTokens = 0
            do {
                for try await event in teacher.scheduler.submit(batch) {
                    switch event {
                    case .text(let index, let piece):
                        let choice = chat ? WireChoice(index: index, delta: WireDelta(content: piece), finishReason: nil)
                            : WireChoice(index: index, text: piece, finishReason: nil)
                        try await writer.write(chunk([choice]))
                    case .finished(let index, let result):
                        completionTokens += result.tokens.count
                        let choice = chat ? WireChoice(index: index, delta: WireDelta(), finishReason: result.finishReason.rawValue)
                            : WireChoice(index: index, text: "", finishReason: result.finishReason.rawValue)
                        try await writer.write(chunk([choice]))
                    }
                }
            } catch let error as ModelError {
                try await writer.write(ByteBuffer(string: "data: " + Self.errorJSON(error.description) + "\n\n"))
            }
            if includeUsage {
                try await writer.write(chunk([], usage: WireUsage(promptTokens: batch.prompt.count, completionTokens: completionTokens)))
            }
            try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    // MARK: Helpers

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONEncoder.wire.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func errorJSON(_ message: String) -> String {
        let body = ErrorResponseBody(error: .init(message: message, type: "server_error"))
        return String(decoding: (try? JSONEncoder.wire.encode(body)) ?? Data(), as: UTF8.self)
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            "missing '\((context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: "."))'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        case DecodingError.dataCorrupted(let context):
            context.codingPath.isEmpty ? "not valid JSON" : "bad value at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        default: "not valid JSON"
        }
    }
}

/// An error answered in the API's `{"error": {...}}` shape.
struct APIError: Error {
    var status: HTTPResponse.Status
    var message: String
    var type: String
    var param: String?
    var code: String?

    init(status: HTTPResponse.Status, _ message: String, type: String = "invalid_request_error", param: String? = nil, code: String? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    var response: Response {
        OpenAIServer.json(ErrorResponseBody(error: .init(message: message, type: type, param: param, code: code)), status: status)
    }
}

/// With a key configured, `/v1/...` needs `Authorization: Bearer <key>`; `/health` stays open so
/// supervisors can probe the server without the key.
struct BearerAuthentication<Context: RequestContext>: RouterMiddleware {
    let apiKey: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let apiKey, request.uri.path.hasPrefix("/v1") else { return try await next(request, context) }
        let given = request.headers[.authorization] ?? ""
        guard Secrets.constantTimeEqual(given, "Bearer \(apiKey)") else {
            return APIError(status: .unauthorized, given.isEmpty ? "an API key is required (Authorization: Bearer …)" : "the API key is not valid",
                            type: "authentication_error", code: "invalid_api_key").response
        }
        return try await next(request, context)
    }

}
