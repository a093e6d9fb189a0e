import Foundation

/// Admits requests to an endpoint: at most `maxInFlight` at once, and within the optional
/// requests-per-minute and tokens-per-minute budgets over a rolling minute. Waiting is
/// first-come first-served and ends promptly when the waiting task is cancelled.
actor RequestGate {
    /// A place in the gate: give it back with `release` (and the real token count).
    struct Ticket: Sendable {
        fileprivate let windowIndex: Int
    }

    private let maxInFlight: Int
    private let requestsPerMinute: Int?
    private let tokensPerMinute: Int?
    private var inFlight = 0
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextWaiterID: UInt64 = 0
    /// Requests started in the last minute: when, and how many tokens they count for.
    private var window: [(started: ContinuousClock.Instant, tokens: Int)] = []
    private var windowStart = 0

    /// The budgets' period: a minute, shorter only in tests.
    private let period: Duration

    init(policy: OpenAIClientPolicy, period: Duration = .seconds(60)) {
        self.period = period
        maxInFlight = max(1, policy.maxInFlight)
        requestsPerMinute = policy.requestsPerMinute
        tokensPerMinute = policy.tokensPerMinute
    }

    /// Waits for a free slot and room in the minute's budgets. `tokens` is the request's estimate.
    func admit(tokens: Int) async throws -> Ticket {
        try await acquireSlot()
        do {
            return try await reserveRate(tokens: tokens)
        } catch {
            release(nil, actualTokens: nil)
            throw error
        }
    }

    /// Frees the slot; `actualTokens` (from the response's usage) replaces the estimate.
    func release(_ ticket: Ticket?, actualTokens: Int?) {
        if let ticket, let actualTokens, ticket.windowIndex >= windowStart, ticket.windowIndex - windowStart < window.count {
            window[ticket.windowIndex - windowStart].tokens = actualTokens
        }
        if let next = waiters.first {
            waiters.removeFirst()
            next.continuation.resume()  // the slot passes straight to the next waiter
        } else {
            inFlight -= 1
        }
    }

    private func acquireSlot() async throws {
        if inFlight < maxInFlight, waiters.isEmpty {
            inFlight += 1
            return
        }
        let id = nextWaiterID
        nextWaiterID += 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiters.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    private func cancelWaiter(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }

    private func reserveRate(tokens: Int) async throws -> Ticket {
        guard requestsPerMinute != nil || tokensPerMinute != nil else { return Ticket(windowIndex: -1) }
        while true {
            let now = ContinuousClock.now
            pruneWindow(now: now)
            let live = window
            let fitsRequests = requestsPerMinute.map { live.count < $0 } ?? true
            // A request bigger than the whole budget is let through alone rather than never.
            let usedTokens = live.reduce(0) { $0 + $1.tokens }
            let fitsTokens = tokensPerMinute.map { usedTokens + tokens <= $0 || live.isEmpty } ?? true
            if fitsRequests && fitsTokens {
                window.append((now, tokens))
                return Ticket(windowIndex: windowStart + window.count - 1)
            }
            // Wait until the oldest request leaves the window, then look again.
            let oldest = live.first?.started ?? now
            try await Task.sleep(until: oldest + period + .milliseconds(5), clock: .continuous)
        }
    }

    private func pruneWindow(now: ContinuousClock.Instant) {
        var dropped = 0
        while dropped < window.count, now - window[dropped].started >= period {
            dropped += 1
        }
        if dropped > 0 {
            window.removeFirst(dropped)
            windowStart += dropped
        }
    }
}

/// Counts failed attempts in a row across all requests to an endpoint; at the threshold the
/// endpoint is "down" and stays so (a batch run should stop and say why, not keep knocking).
final class CircuitBreaker: @unchecked Sendable {
    private let lock = NSLock()
    private let threshold: Int
    private var consecutiveFailures = 0
    private var lastError = ""
    private(set) var isOpen = false

    init(threshold: Int) {
        self.threshold = max(1, threshold)
    }

    func recordSuccess() {
        lock.withLock {
            if !isOpen { consecutiveFailures = 0 }
        }
    }

    func recordFailure(_ error: String) {
        lock.withLock {
            consecutiveFailures += 1
            lastError = error
            if consecutiveFailures >= threshold { isOpen = true }
        }
    }

    /// (failures, last error) when open, else nil.
    var openState: (failures: Int, lastError: String)? {
        lock.withLock { isOpen ? (consecutiveFailures, lastError) : nil }
    }
}
