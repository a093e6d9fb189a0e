/// A tensor whose shape or format a kernel cannot work with.
public struct TensorError: Error, CustomStringConvertible, Sendable {
    /// What is wrong, naming the tensor or dimension.
    public var message: String

    /// An error with a message that says what is wrong and where.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
