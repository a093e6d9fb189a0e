import ArgumentParser
import Foundation
import LabCore
import LabOpenAI

/// Flags that point a command at an OpenAI-compatible endpoint instead of the local model, and
/// say how hard to drive it. Shared by `chat` and `generate`.
struct EndpointOptions: ParsableArguments {
    @Option(help: ArgumentHelp("An OpenAI-compatible API root to use as the teacher instead of a local model, e.g. http://127.0.0.1:8000/v1.",
                               valueName: "url"))
    var endpoint: String?

    @Option(name: .customLong("api-model"), help: ArgumentHelp("The model name sent to --endpoint (default: the first one it lists).", valueName: "name"))
    var apiModel: String?

    @Option(name: .customLong("api-key-env"),
            help: ArgumentHelp("The environment variable holding the endpoint's API key; the key itself is never stored or printed.",
                               valueName: "var"))
    var apiKeyVariable = "OPENAI_API_KEY"

    @Option(name: .customLong("header"), help: ArgumentHelp("An extra HTTP header for --endpoint, 'Name: value' (repeatable).", valueName: "header"))
    var headers: [String] = []

    @Option(name: .customLong("max-in-flight"), help: "Requests to --endpoint in flight at once.")
    var maxInFlight = 16

    @Option(name: .customLong("requests-per-minute"), help: "At most this many requests to --endpoint per rolling minute.")
    var requestsPerMinute: Int?

    @Option(name: .customLong("tokens-per-minute"), help: "At most this many prompt + completion tokens per rolling minute.")
    var tokensPerMinute: Int?

    @Option(name: .customLong("request-timeout"), help: "Seconds one request may take before it is retried.")
    var requestTimeout: Double = 120

    @Option(help: "Retries of a request that failed in a way that may pass (connection, timeout, 408/409/429/5xx).")
    var retries = 5

    @Option(name: .customLong("deadline"),
            help: ArgumentHelp("Stop asking --endpoint after this long, e.g. 90m, 2h or 3600 (seconds).", valueName: "duration"))
    var deadline: String?

    func validate() throws {
        if endpoint == nil {
            let given = [apiModel != nil ? "--api-model" : nil, headers.isEmpty ? nil : "--header",
                         requestsPerMinute != nil ? "--requests-per-minute" : nil, tokensPerMinute != nil ? "--tokens-per-minute" : nil,
                         deadline != nil ? "--deadline" : nil].compactMap { $0 }
            if let first = given.first { throw ValidationError("\(first) needs --endpoint") }
        }
        if maxInFlight < 1 { throw ValidationError("--max-in-flight must be at least 1") }
        if let requestsPerMinute, requestsPerMinute < 1 { throw ValidationError("--requests-per-minute must be at least 1") }
        if let tokensPerMinute, tokensPerMinute < 1 { throw ValidationError("--tokens-per-minute must be at least 1") }
        if !(requestTimeout > 0) { throw ValidationError("--request-timeout must be above 0 seconds") }
        if retries < 0 { throw ValidationError("--retries must be 0 or more") }
        if let deadline, Self.seconds(deadline) == nil {
            throw ValidationError("--deadline '\(deadline)' is not a duration such as 90m, 2h, 45s or 3600")
        }
        _ = try parsedHeaders()
    }

    /// `--header` values as a dictionary.
    func parsedHeaders() throws -> [String: String] {
        var result: [String: String] = [:]
        for header in headers {
            guard let colon = header.firstIndex(of: ":") else {
                throw ValidationError("--header '\(header)' is not 'Name: value'")
            }
            let name = header[..<colon].trimmingCharacters(in: .whitespaces)
            let value = header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name.lowercased() == "authorization" {
                throw ValidationError("--header can't set Authorization: put the key in an environment variable named by --api-key-env")
            }
            result[name] = value
        }
        return result
    }

    /// "90m", "2h", "45s", "3600" → seconds.
    static func seconds(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(suffix: String, scale: Double)] = [("h", 3600), ("m", 60), ("s", 1)]
        for unit in units where trimmed.hasSuffix(unit.suffix) {
            return Double(trimmed.dropLast()).flatMap { $0 > 0 ? $0 * unit.scale : nil }
        }
        return Double(trimmed).flatMap { $0 > 0 ? $0 : nil }
    }

    var policy: OpenAIClientPolicy {
        OpenAIClientPolicy(
            maxInFlight: maxInFlight, requestsPerMinute: requestsPerMinute, tokensPerMinute: tokensPerMinute,
            requestTimeout: requestTimeout, retries: retries,
            deadline: deadline.flatMap(Self.seconds).map { Date().addingTimeInterval($0) })
    }

    /// The remote teacher for --endpoint; with no --api-model, the first model the endpoint lists.
    /// Every failure becomes a `CLIError` with what to do.
    func makeTeacher() async throws -> OpenAITeacher {
        guard let endpoint else { throw CLIError("no --endpoint given") }
        do {
            var configured = try OpenAIEndpoint(url: endpoint, model: apiModel ?? "", apiKeyVariable: apiKeyVariable,
                                                headers: try parsedHeaders())
            if apiModel == nil {
                let probe = OpenAITeacher(endpoint: configured, policy: policy)
                guard let first = try await probe.models().first else {
                    throw CLIError("\(configured.url("/models")) lists no models", hint: "name one with --api-model")
                }
                configured.model = first
            }
            return OpenAITeacher(endpoint: configured, policy: policy)
        } catch let error as OpenAIError {
            throw CLIError(error.description)
        }
    }
}
