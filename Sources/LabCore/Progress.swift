/// Progress of long work, reported as events so a CLI can draw a bar and a library stays silent.
public enum ProgressEvent: Sendable {
    /// Work began; `total` units are expected (nil when unknown).
    case started(task: String, total: Int?)
    /// `completed` of the units are done; `detail` is a short status such as "loss 2.31".
    case advanced(task: String, completed: Int, detail: String)
    case finished(task: String)
    /// Work ended early (interrupted, or failed); `reason` says why.
    case stopped(task: String, reason: String)
}

/// Receives progress events. Implementations must be cheap: they are called from hot loops.
public protocol ProgressReporter: Sendable {
    func report(_ event: ProgressEvent)
}

/// Discards all events; the default for library callers that don't care.
public struct SilentProgress: ProgressReporter {
    public init() {}
    public func report(_ event: ProgressEvent) {}
}
