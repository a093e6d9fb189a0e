public import Foundation

/// Where and how to reach an OpenAI-compatible server, and how hard to drive it.
public struct OpenAIEndpoint: Sendable, Hashable {
    /// The API root, ending in `/v1` (added when the URL given has no path).
    public var baseURL: URL
    /// The `model` sent with every request.
    public var model: String
    /// The name of the environment variable holding the API key (nil: no key is sent). The key
    /// itself is read when a request is made and is never stored, logged or put in an error.
    public var apiKeyVariable: String?
    /// Extra headers sent with every request (e.g. an organisation or a gateway's routing header).
    public var headers: [String: String]

    /// - Throws: `OpenAIError.invalidConfiguration` for a URL that is not http(s) with a host.
    public init(url: String, model: String, apiKeyVariable: String? = nil, headers: [String: String] = [:]) throws {
        guard var components = URLComponents(string: url.trimmingCharacters(in: .whitespaces)),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              components.host?.isEmpty == false
        else {
            throw OpenAIError.invalidConfiguration("'\(url)' is not an http(s) URL with a host, e.g. http://127.0.0.1:8000/v1")
        }
        // Users paste the API root (".../v1") or the server (":8000"); both mean the same API.
        var path = components.path
        while path.hasSuffix("/") { path.removeLast() }
        if path.isEmpty { path = "/v1" }
        components.path = path
        components.query = nil
        guard let base = components.url else {
            throw OpenAIError.invalidConfiguration("'\(url)' is not a valid URL")
        }
        for name in headers.keys where name.isEmpty || name.contains(where: { $0 == ":" || $0.isWhitespace || $0.isNewline }) {
            throw OpenAIError.invalidConfiguration("header name '\(name)' is not valid")
        }
        for value in headers.values where value.contains(where: \.isNewline) {
            throw OpenAIError.invalidConfiguration("a header value contains a line break")
        }
        self.baseURL = base
        self.model = model
        self.apiKeyVariable = apiKeyVariable
        self.headers = headers
    }

    /// `base` + `/chat/completions`, `/completions` or `/models`.
    public func url(_ route: String) -> String {
        baseURL.absoluteString + route
    }

    /// The key from the environment, if a variable is configured and set.
    func apiKey(in environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard let apiKeyVariable, let key = environment[apiKeyVariable], !key.isEmpty else { return nil }
        return key
    }
}

/// How hard the client drives an endpoint and how it copes when the endpoint struggles.
public struct OpenAIClientPolicy: Sendable, Hashable {
    /// Requests in flight at once; more wait their turn.
    public var maxInFlight: Int
    /// Requests started per rolling minute (nil: no limit).
    public var requestsPerMinute: Int?
    /// Prompt + completion tokens per rolling minute (nil: no limit). Counted from an estimate
    /// before a request starts and corrected with the server's usage once it answers.
    public var tokensPerMinute: Int?
    /// Seconds one attempt may take, from sending to the last byte.
    public var requestTimeout: Double
    /// Attempts after the first for retryable failures.
    public var retries: Int
    /// The first retry waits up to this many seconds; each later one doubles it (full jitter).
    public var backoffBase: Double
    /// No wait between attempts exceeds this, nor does a `Retry-After` the client honours.
    public var backoffCap: Double
    /// After this many failed attempts in a row (any request) the endpoint is reported down and
    /// every request fails at once. 429s don't count: they are the server pacing us.
    public var breakerThreshold: Int
    /// No request starts or continues after this instant (a whole run's deadline).
    public var deadline: Date?

    public init(
        maxInFlight: Int = 16, requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil, requestTimeout: Double = 120,
        retries: Int = 5, backoffBase: Double = 0.5, backoffCap: Double = 30, breakerThreshold: Int = 20, deadline: Date? = nil
    ) {
        self.maxInFlight = maxInFlight
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
        self.requestTimeout = requestTimeout
        self.retries = retries
        self.backoffBase = backoffBase
        self.backoffCap = backoffCap
        self.breakerThreshold = breakerThreshold
        self.deadline = deadline
    }
}
