public import LabCore
import Foundation

/// Why a request to an OpenAI-compatible endpoint failed. Each case says what happened and what
/// to do; none of them ever contains the API key (server messages are scrubbed of it).
public enum OpenAIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// 401: the key is missing or wrong. `variable` is the environment variable it is read from.
    case unauthorized(url: String, variable: String?, message: String)
    /// 400, 403, 404 and other answers that retrying can't change.
    case rejected(url: String, status: Int, message: String)
    /// A retryable status (408, 409, 429, 5xx) that persisted through every retry.
    case server(url: String, status: Int, message: String, attempts: Int)
    /// The connection failed, was reset or closed before the whole response arrived.
    case transport(url: String, message: String, attempts: Int)
    /// No complete response within the per-request timeout (seconds), through every retry.
    case timeout(url: String, seconds: Double, attempts: Int)
    /// The body was not the JSON the API defines (truncated, not JSON, no `choices`).
    case malformedResponse(url: String, reason: String, snippet: String)
    /// A well-formed response without a single choice.
    case emptyChoices(url: String)
    /// The run's deadline passed before this request could finish.
    case deadlineExceeded(url: String)
    /// The circuit breaker is open: `failures` attempts in a row failed; `lastError` is the last.
    case endpointDown(url: String, failures: Int, lastError: String)
    /// The configuration can't work (a bad URL, a header that can't be sent).
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .unauthorized(let url, let variable, let message):
            let hint = variable.map { "check the API key in $\($0)" } ?? "set --api-key-env to the variable holding the API key"
            return "HTTP 401 from \(url): \(message.isEmpty ? "unauthorized" : message); \(hint)"
        case .rejected(let url, let status, let message):
            let hint = switch status {
            case 404: "check the URL (it usually ends in /v1) and the model name"
            case 403: "the key is not allowed to use this model or endpoint"
            default: "the request was refused as sent; retrying won't help"
            }
            return "HTTP \(status) from \(url): \(message.isEmpty ? "request rejected" : message); \(hint)"
        case .server(let url, let status, let message, let attempts):
            return "HTTP \(status) from \(url) after \(attempts) attempts: \(message.isEmpty ? "server error" : message)"
        case .transport(let url, let message, let attempts):
            return "cannot reach \(url) (\(attempts) attempts): \(message); check that the server is running and the URL is right"
        case .timeout(let url, let seconds, let attempts):
            return "no complete answer from \(url) within \(Self.format(seconds)) s (\(attempts) attempts); "
                + "raise --request-timeout or lower --max-in-flight"
        case .malformedResponse(let url, let reason, let snippet):
            return "malformed response from \(url): \(reason)" + (snippet.isEmpty ? "" : " (body starts: \(snippet))")
        case .emptyChoices(let url):
            return "response from \(url) has no choices"
        case .deadlineExceeded(let url):
            return "the run's deadline passed before \(url) answered"
        case .endpointDown(let url, let failures, let lastError):
            return "endpoint \(url) is down: \(failures) attempts in a row failed; last error: \(lastError)"
        case .invalidConfiguration(let message):
            return message
        }
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
    }
}

extension OpenAIError: FatalTeacherError {
    /// A bad key, a wrong URL or model, a dead endpoint or a passed deadline fail every request
    /// alike: a run stops at once instead of failing unit after unit.
    public var stopsRun: Bool {
        switch self {
        case .unauthorized, .endpointDown, .deadlineExceeded, .invalidConfiguration: true
        case .rejected(_, let status, _): status == 401 || status == 403 || status == 404
        default: false
        }
    }
}
