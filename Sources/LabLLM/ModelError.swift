/// Why a model could not be loaded or run: what, where (file and metadata key or tensor name),
/// and what to do about it.
public struct ModelError: Error, Sendable, CustomStringConvertible {
    /// The model file, or empty when the problem is not about a file.
    public var path: String
    /// The metadata key, tensor name or argument at fault, e.g. `llama.rope.scaling.type`.
    public var field: String
    /// What is wrong.
    public var message: String
    /// What the user can do about it.
    public var hint: String

    /// An error about `field` of the model at `path`.
    public init(path: String = "", field: String = "", _ message: String, hint: String = "") {
        self.path = path
        self.field = field
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var text = path.isEmpty ? "" : "\(path): "
        if !field.isEmpty { text += "\(field): " }
        text += message
        return hint.isEmpty ? text : "\(text) (hint: \(hint))"
    }
}
