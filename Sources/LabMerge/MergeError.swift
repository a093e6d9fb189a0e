/// Why a merge cannot run: a bad config (with its file and line), or inputs that do not fit
/// together (naming the tensor).
public struct MergeError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
