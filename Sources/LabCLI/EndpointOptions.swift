import ArgumentParser
import Foundation
import LabCore
import LabOpenAI

/// Flags that point a command at an OpenAI-compatible endpoint instead of the local model, and
/// say how hard to drive it. Shared by `chat` and `generate`.
struct EndpointOptions: ParsableArguments {
    @Option(name: .customLong("endpoint"),
            help: ArgumentHelp("""
                An OpenAI-compatible API root to use as the teacher instead of a local model, e.g. http://127.0.0.1:8000/v1. \
                Repeat it for a pool of endpoints serving the same model (generate, worker): work goes to the least loaded \
                healthy one, and a failing one's requests go to the others.
                """, valueName: "url"))
    var endpoints: [String] = []

    @Option(name: .customLong("endpoints-file"),
            help: ArgumentHelp("""
                A file of endpoints, one per line: URL [max_in_flight=N] [requests_per_minute=N] [tokens_per_minute=N] \
                [api_key_env=VAR] (# starts a comment); settings not given come from the flags.
                """, valueName: "file"))
    var endpointsFile: String?

    /// The first endpoint (or, set, the only one; several lines set a pool).
    var endpoint: String? {
        get { endpoints.first ?? endpointsFile.map { _ in "file" } }
        set { endpoints = newValue.map { $0.split(separator: "\n").map(String.init) } ?? [] }
    }

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
        if endpoints.isEmpty && endpointsFile == nil {
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

    /// One endpoint of a pool: its URL and the settings that differ from the flags'.
    struct EndpointSpec: Equatable {
        var url: String
        var maxInFlight: Int?
        var requestsPerMinute: Int?
        var tokensPerMinute: Int?
        var apiKeyVariable: String?

        /// `URL [key=value …]`, a line of an endpoints file (or one --endpoint).
        init(line: String, source: String) throws {
            let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
            guard let first = words.first else { throw CLIError("\(source): an empty endpoint") }
            url = first
            for word in words.dropFirst() {
                let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw CLIError("\(source): '\(word)' is not key=value", hint: Self.keys) }
                let number = Int(parts[1])
                switch parts[0] {
                case "max_in_flight" where (number ?? 0) >= 1: maxInFlight = number
                case "requests_per_minute" where (number ?? 0) >= 1: requestsPerMinute = number
                case "tokens_per_minute" where (number ?? 0) >= 1: tokensPerMinute = number
                case "api_key_env": apiKeyVariable = parts[1]
                case "max_in_flight", "requests_per_minute", "tokens_per_minute":
                    throw CLIError("\(source): '\(word)': \(parts[0]) needs a whole number of at least 1", hint: Self.keys)
                default: throw CLIError("\(source): '\(word)' is not a setting an endpoint takes", hint: Self.keys)
                }
            }
        }

        static let keys = "use max_in_flight=N, requests_per_minute=N, tokens_per_minute=N or api_key_env=VAR"

        /// Back to a line (what a run records, so a resumed run or a worker rebuilds the same pool).
        var line: String {
            ([url] + [maxInFlight.map { "max_in_flight=\($0)" }, requestsPerMinute.map { "requests_per_minute=\($0)" },
                      tokensPerMinute.map { "tokens_per_minute=\($0)" }, apiKeyVariable.map { "api_key_env=\($0)" }].compactMap { $0 })
                .joined(separator: " ")
        }
    }

    /// Every endpoint given by --endpoint and --endpoints-file, in order.
    func specs() throws -> [EndpointSpec] {
        var specs = try endpoints.enumerated().map { try EndpointSpec(line: $1, source: "--endpoint #\($0 + 1)") }
        if let endpointsFile {
            let text: String
            do { text = try String(contentsOfFile: endpointsFile, encoding: .utf8) } catch {
                throw CLIError("cannot read the endpoints file \(endpointsFile): \(error.localizedDescription)", hint: "check the path")
            }
            for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)?
                    .trimmingCharacters(in: .whitespaces) ?? ""
                if !line.isEmpty { specs.append(try EndpointSpec(line: line, source: "\(endpointsFile):\(number + 1)")) }
            }
            if specs.isEmpty { throw CLIError("\(endpointsFile) names no endpoint", hint: "write one URL per line") }
        }
        return specs
    }

    /// The teacher for a run: every endpoint given, as a pool (one endpoint is a pool of one, with
    /// that endpoint's own identity). With no --api-model, the model the first endpoint lists first.
    func makePool() async throws -> EndpointPool {
        let specs = try specs()
        guard let first = specs.first else { throw CLIError("no --endpoint given") }
        var model = apiModel
        if model == nil { model = try await makeTeacher(url: first.url).endpoint.model }
        var members: [OpenAITeacher] = []
        for spec in specs {
            var options = self
            options.apiModel = model
            options.maxInFlight = spec.maxInFlight ?? maxInFlight
            options.requestsPerMinute = spec.requestsPerMinute ?? requestsPerMinute
            options.tokensPerMinute = spec.tokensPerMinute ?? tokensPerMinute
            options.apiKeyVariable = spec.apiKeyVariable ?? apiKeyVariable
            members.append(try await options.makeTeacher(url: spec.url))
        }
        return EndpointPool(members: members)
    }

    /// The remote teacher for --endpoint; with no --api-model, the first model the endpoint lists.
    /// Every failure becomes a `CLIError` with what to do.
    func makeTeacher() async throws -> OpenAITeacher {
        guard let endpoint = endpoints.first else { throw CLIError("no --endpoint given") }
        return try await makeTeacher(url: endpoint)
    }

    func makeTeacher(url endpoint: String) async throws -> OpenAITeacher {
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
