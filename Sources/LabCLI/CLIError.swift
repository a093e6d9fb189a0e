public import Foundation

/// A failure the user can act on: printed as `error: message` plus a hint line, exit code 1.
///
/// Commands throw this (or a module's own error) instead of printing and exiting, so the
/// message format and exit code are decided in one place.
public struct CLIError: Error, CustomStringConvertible, LocalizedError {
    public var message: String
    public var hint: String

    public init(_ message: String, hint: String = "") {
        self.message = message
        self.hint = hint
    }

    public var description: String {
        hint.isEmpty ? message : "\(message)\n  hint: \(hint)"
    }

    public var errorDescription: String? { description }
}
