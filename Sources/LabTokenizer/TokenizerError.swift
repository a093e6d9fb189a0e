public import Foundation

/// Everything that can go wrong while building a tokenizer or using it, with what and where.
public struct TokenizerError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// The kind of failure, for callers that branch on it.
    public enum Kind: Sendable, Equatable {
        /// `tokenizer.ggml.model` names a tokenizer this module does not implement.
        case unsupportedModel
        /// `tokenizer.ggml.pre` names a pre-tokenizer this module does not implement.
        case unsupportedPreTokenizer
        /// A metadata field is missing, has the wrong length, or holds an impossible value.
        case invalidVocabulary
        /// No chat template could be chosen or a conversation cannot be rendered with it.
        case chatTemplate
    }

    /// The kind of failure.
    public var kind: Kind
    /// What went wrong, naming the field or value involved.
    public var message: String
    /// What the user can do about it.
    public var hint: String
    /// The model file the vocabulary came from, when known.
    public var path: String?

    /// Creates an error; `path` is the model file when the vocabulary came from one.
    public init(_ kind: Kind, _ message: String, hint: String, path: String? = nil) {
        self.kind = kind
        self.message = message
        self.hint = hint
        self.path = path
    }

    /// `path: error: message (hint: …)`, the project's one-line error format.
    public var description: String {
        let prefix = path.map { "\($0): " } ?? ""
        return "\(prefix)error: \(message) (hint: \(hint))"
    }

    /// The same text as `description`, for `localizedDescription`.
    public var errorDescription: String? { description }

    /// A copy of this error attributed to the model file at `path`.
    public func at(path: String) -> TokenizerError {
        var copy = self
        copy.path = path
        return copy
    }
}
