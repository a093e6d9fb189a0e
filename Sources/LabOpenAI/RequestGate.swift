import Foundation

/// Admits requests to an endpoint: at most `maxInFlight` at once, and within the optional
/// requests-per-minute and tokens-per-minute budgets over a rolling minute. Waiting is
/// first-come first-served and ends promptly when the waiting task is cancelled.
///
/// A lock, not an actor: a request that finds a free slot (the usual case) passes without a
/// suspension or a thread hop, which is most of the client's own cost at hundreds of requests/s.
final class RequestGate: @unchecked Sendable {
    /// A place in the gate: give it back with `release` (and the real token count).
    struct Ticket: Sendable {
        fileprivate let windowIndex: Int
    }

    private let lock = NSLock()
    private let maxInFlight: Int
    private let requestsPerMinute: Int?
    private let tokensPerMinute: Int?
    private var inFlight = 0
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextWaiterID: UInt64 = 0
    /// Requests started in the last period: when, and how many tokens they count for.
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

    /// Waits for a free slot and room in the period's budgets. `tokens` is the request's estimate.
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
        let next: CheckedContinuation<Void, any Error>? = lock.withLock {
            if let ticket, let actualTokens, ticket.windowIndex >= windowStart, ticket.windowIndex - windowStart < window.count {
                window[ticket.windowIndex - windowStart].tokens = actualTokens
            }
            guard !waiters.isEmpty else {
                inFlight -= 1
                return nil
            }
            return waiters.removeFirst().continuation  // the slot passes straight to the next waiter
        }
        next?.resume()
    }

    private func acquireSlot() async throws {
        let admitted = lock.withLock {
            guard inFlight < maxInFlight, waiters.isEmpty else { return false }
            inFlight += 1
            return true
        }
        if admitted { return }
        let id = lock.withLock {
            nextWaiterID += 1
            return nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Decision { case cancelled, admitted, queued }
                let decision: Decision = lock.withLock {
                    if Task.isCancelled { return .cancelled }
                    // A slot may have come free since the fast path looked.
                    if inFlight < maxInFlight && waiters.isEmpty {
                        inFlight += 1
                        return .admitted
                    }
                    waiters.append((id, continuation))
                    return .queued  // `release` or `cancelWaiter` resumes it, exactly once
                }
                switch decision {
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .admitted: continuation.resume()
                case .queued: break
                }
            }
        } onCancel: {
            cancelWaiter(id)
        }
    }

    private func cancelWaiter(_ id: UInt64) {
        let waiter = lock.withLock { () -> CheckedContinuation<Void, any Error>? in
            guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return waiters.remove(at: index).continuation
        }
        waiter?.resume(throwing: CancellationError())
    }

    private func reserveRate(tokens: Int) async throws -> Ticket {
        guard requestsPerMinute != nil || tokensPerMinute != nil else { return Ticket(windowIndex: -1) }
        while true {
            let admitted: (ticket: Ticket?, retryAt: ContinuousClock.Instant) = lock.withLock {
                let now = ContinuousClock.now
                pruneWindow(now: now)
                let fitsRequests = requestsPerMinute.map { window.count < $0 } ?? true
                // A request bigger than the whole budget is let through alone rather than never.
                let usedTokens = window.reduce(0) { $0 + $1.tokens }
                let fitsTokens = tokensPerMinute.map { usedTokens + tokens <= $0 || window.isEmpty } ?? true
                if fitsRequests && fitsTokens {
                    window.append((now, tokens))
                    return (Ticket(windowIndex: windowStart + window.count - 1), now)
                }
                // Look again when the oldest request leaves the window.
                return (nil, (window.first?.started ?? now) + period + .milliseconds(5))
            }
            if let ticket = admitted.ticket { return ticket }
            try await Task.sleep(until: admitted.retryAt, clock: .continuous)
        }
    }

    /// Drops requests older than the period; the lock is held.
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
