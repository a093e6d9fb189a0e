import Foundation

/// Collects text handed out by `@Sendable` callbacks (streamed replies) for a test to check.
public final class TextCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var pieces: [Int: [String]] = [:]

    public init() {}

    /// Adds `piece` to completion `index`'s text.
    public func append(_ piece: String, index: Int = 0) {
        lock.withLock { pieces[index, default: []].append(piece) }
    }

    /// The text collected for completion `index`.
    public func text(_ index: Int = 0) -> String {
        lock.withLock { pieces[index, default: []].joined() }
    }

    /// How many pieces completion `index` arrived in.
    public func count(_ index: Int = 0) -> Int {
        lock.withLock { pieces[index, default: []].count }
    }
}
