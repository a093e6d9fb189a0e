public import Foundation

// The JSON bodies of the OpenAI-compatible API, as both our client and our server speak them.
// Property names follow the wire (snake_case) through `CodingKeys`, so the Swift side reads
// naturally. Decoding is lenient where real servers differ (a `stop` given as one string or a
// list, message content as a string or as a list of text parts, missing optional fields).

/// `stop`: one string or a list of strings on the wire; always a list here.
public struct StopList: Codable, Sendable, Hashable {
    public var strings: [String]

    public init(_ strings: [String]) { self.strings = strings }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let one = try? container.decode(String.self) {
            strings = [one]
        } else {
            strings = try container.decode([String].self)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(strings)
    }
}

/// A chat message on the wire. `content` may arrive as a list of parts; only text parts are kept.
public struct WireMessage: Codable, Sendable, Hashable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    private struct Part: Decodable {
        var type: String
        var text: String?
    }

    enum CodingKeys: String, CodingKey { case role, content }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        role = try container.decode(String.self, forKey: .role)
        if let text = try? container.decodeIfPresent(String.self, forKey: .content) {
            content = text
        } else if let parts = try? container.decodeIfPresent([Part].self, forKey: .content) {
            content = parts.filter { $0.type == "text" }.compactMap(\.text).joined()
        } else {
            // `null` content (e.g. a tool call); a message without text.
            content = ""
        }
    }
}

/// `stream_options` of a streamed request.
public struct StreamOptions: Codable, Sendable, Hashable {
    public var includeUsage: Bool?

    public init(includeUsage: Bool?) { self.includeUsage = includeUsage }

    enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
}

/// The body of `POST /v1/chat/completions` and `POST /v1/completions`: `messages` for the first,
/// `prompt` for the second. `top_k`, `min_p` and `repeat_penalty` are llama.cpp's extensions; the
/// client sends them only when they are not neutral, since strict servers reject unknown fields.
public struct CompletionRequestBody: Codable, Sendable, Hashable {
    public var model: String?
    public var messages: [WireMessage]?
    public var prompt: String?
    public var n: Int?
    public var temperature: Double?
    public var topP: Double?
    public var topK: Int?
    public var minP: Double?
    public var repeatPenalty: Double?
    public var maxTokens: Int?
    /// The newer name of `max_tokens` (OpenAI's chat API); read when `max_tokens` is absent.
    public var maxCompletionTokens: Int?
    public var stop: StopList?
    public var seed: Int64?
    public var stream: Bool?
    public var streamOptions: StreamOptions?

    public init(
        model: String? = nil, messages: [WireMessage]? = nil, prompt: String? = nil, n: Int? = nil,
        temperature: Double? = nil, topP: Double? = nil, topK: Int? = nil, minP: Double? = nil,
        repeatPenalty: Double? = nil, maxTokens: Int? = nil, stop: StopList? = nil, seed: Int64? = nil,
        stream: Bool? = nil, streamOptions: StreamOptions? = nil
    ) {
        self.model = model
        self.messages = messages
        self.prompt = prompt
        self.n = n
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.minP = minP
        self.repeatPenalty = repeatPenalty
        self.maxTokens = maxTokens
        self.stop = stop
        self.seed = seed
        self.stream = stream
        self.streamOptions = streamOptions
    }

    enum CodingKeys: String, CodingKey {
        case model, messages, prompt, n, temperature, stop, seed, stream
        case topP = "top_p", topK = "top_k", minP = "min_p", repeatPenalty = "repeat_penalty"
        case maxTokens = "max_tokens", maxCompletionTokens = "max_completion_tokens"
        case streamOptions = "stream_options"
    }
}

/// Token accounting of a response.
public struct WireUsage: Codable, Sendable, Hashable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int

    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = promptTokens + completionTokens
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        promptTokens = try container.decodeIfPresent(Int.self, forKey: .promptTokens) ?? 0
        completionTokens = try container.decodeIfPresent(Int.self, forKey: .completionTokens) ?? 0
        totalTokens = try container.decodeIfPresent(Int.self, forKey: .totalTokens) ?? promptTokens + completionTokens
    }
}

/// One choice of a response or of a streamed chunk. Chat responses carry `message` (whole) or
/// `delta` (streamed piece); completions carry `text` either way.
public struct WireChoice: Codable, Sendable, Hashable {
    public var index: Int
    public var message: WireMessage?
    public var delta: WireDelta?
    public var text: String?
    public var finishReason: String?

    public init(index: Int, message: WireMessage? = nil, delta: WireDelta? = nil, text: String? = nil, finishReason: String?) {
        self.index = index
        self.message = message
        self.delta = delta
        self.text = text
        self.finishReason = finishReason
    }

    enum CodingKeys: String, CodingKey {
        case index, message, delta, text
        case finishReason = "finish_reason"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        index = try container.decodeIfPresent(Int.self, forKey: .index) ?? 0
        message = try container.decodeIfPresent(WireMessage.self, forKey: .message)
        delta = try container.decodeIfPresent(WireDelta.self, forKey: .delta)
        text = try container.decodeIfPresent(String.self, forKey: .text)
        finishReason = try container.decodeIfPresent(String.self, forKey: .finishReason)
    }

    /// The text this choice carries, whichever field it is in.
    public var content: String {
        message?.content ?? delta?.content ?? text ?? ""
    }
}

/// The piece of a streamed chat choice.
public struct WireDelta: Codable, Sendable, Hashable {
    public var role: String?
    public var content: String?

    public init(role: String? = nil, content: String? = nil) {
        self.role = role
        self.content = content
    }
}

/// A whole response, or one server-sent chunk of a streamed one.
public struct CompletionResponseBody: Codable, Sendable, Hashable {
    public var id: String
    public var object: String
    public var created: Int
    public var model: String
    public var choices: [WireChoice]
    public var usage: WireUsage?

    public init(id: String, object: String, created: Int, model: String, choices: [WireChoice], usage: WireUsage?) {
        self.id = id
        self.object = object
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
    }

    enum CodingKeys: String, CodingKey { case id, object, created, model, choices, usage }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(String.self, forKey: .id) ?? ""
        object = try container.decodeIfPresent(String.self, forKey: .object) ?? ""
        created = try container.decodeIfPresent(Int.self, forKey: .created) ?? 0
        model = try container.decodeIfPresent(String.self, forKey: .model) ?? ""
        // `choices` is the one field a response can't do without.
        choices = try container.decode([WireChoice].self, forKey: .choices)
        usage = try container.decodeIfPresent(WireUsage.self, forKey: .usage)
    }
}

/// `{"error": {...}}`, the body of every failed request.
public struct ErrorResponseBody: Codable, Sendable, Hashable {
    public struct Detail: Codable, Sendable, Hashable {
        public var message: String
        public var type: String?
        public var param: String?
        public var code: String?

        public init(message: String, type: String?, param: String? = nil, code: String? = nil) {
            self.message = message
            self.type = type
            self.param = param
            self.code = code
        }

        enum CodingKeys: String, CodingKey { case message, type, param, code }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            message = try container.decodeIfPresent(String.self, forKey: .message) ?? ""
            type = try container.decodeIfPresent(String.self, forKey: .type)
            param = try container.decodeIfPresent(String.self, forKey: .param)
            // Some servers send a numeric code.
            code = (try? container.decodeIfPresent(String.self, forKey: .code))
                ?? (try? container.decodeIfPresent(Int.self, forKey: .code)).flatMap { $0.map(String.init) }
        }
    }

    public var error: Detail

    public init(error: Detail) { self.error = error }
}

/// `GET /v1/models`.
public struct ModelListBody: Codable, Sendable, Hashable {
    public struct Model: Codable, Sendable, Hashable {
        public var id: String
        public var object: String
        public var created: Int
        public var ownedBy: String

        public init(id: String, created: Int, ownedBy: String) {
            self.id = id
            self.object = "model"
            self.created = created
            self.ownedBy = ownedBy
        }

        enum CodingKeys: String, CodingKey { case id, object, created, ownedBy = "owned_by" }

        /// Only `id` is required: llama.cpp's server, for one, sends no `created`.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            object = try container.decodeIfPresent(String.self, forKey: .object) ?? "model"
            created = try container.decodeIfPresent(Int.self, forKey: .created) ?? 0
            ownedBy = try container.decodeIfPresent(String.self, forKey: .ownedBy) ?? ""
        }
    }

    public var object: String
    public var data: [Model]

    public init(data: [Model]) {
        self.object = "list"
        self.data = data
    }
}

extension JSONEncoder {
    /// The encoder for wire bodies: compact, no escaped slashes, absent optionals left out.
    public static var wire: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }
}
