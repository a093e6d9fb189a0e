public import Foundation
public import LabCore

/// Several OpenAI-compatible endpoints serving the same model, used as one teacher: each keeps its
/// own in-flight limit, rate budget, retries and circuit breaker (its `OpenAITeacher`), a request
/// goes to the least loaded healthy endpoint, and a request that fails because its endpoint failed
/// (unreachable, timing out, 5xx through every retry, circuit open, key refused) is sent to another
/// one instead of failing. A failed endpoint rests, then must answer a health check (`GET /models`)
/// before it gets work again. Only when every endpoint is down does a request fail.
///
/// Answers depend on the request, not on which endpoint served it, so the pool's identity names the
/// model only: a run's cached answers stay valid whichever endpoints later serve it.
public final class EndpointPool: TextGenerator, @unchecked Sendable {
    public let identity: String
    public let members: [OpenAITeacher]
    /// Seconds a failed endpoint rests before its health check.
    public let restSeconds: Double

    /// What each endpoint did, for the run summary.
    public struct Share: Sendable, Hashable {
        public var url: String
        public var answered: Int
        public var failed: Int
        /// Whether it is taking work now.
        public var healthy: Bool
        public var lastError: String?
    }

    private struct State {
        var inFlight = 0
        var answered = 0
        var failed = 0
        var restingUntil: Date?
        var probing = false
        var lastError: String?
    }

    private let lock = NSLock()
    private var states: [State]

    public init(members: [OpenAITeacher], restSeconds: Double = 10) {
        precondition(!members.isEmpty, "a pool needs at least one endpoint")
        self.members = members
        self.restSeconds = restSeconds
        self.states = Array(repeating: State(), count: members.count)
        let models = Set(members.map(\.endpoint.model))
        identity = members.count == 1 ? members[0].identity : "openai:pool#\(models.sorted().joined(separator: ","))"
    }

    public var shares: [Share] {
        lock.withLock {
            zip(members, states).map { member, state in
                Share(url: member.endpoint.baseURL.absoluteString, answered: state.answered, failed: state.failed,
                      healthy: state.restingUntil == nil, lastError: state.lastError)
            }
        }
    }

    public func generate(_ request: GenerationRequest) async throws -> GenerationResult {
        var tried = Set<Int>()
        var lastError: OpenAIError?
        while true {
            guard let index = pick(excluding: tried) else {
                throw lastError.map { OpenAIError.endpointDown(url: "every endpoint of the pool", failures: tried.count, lastError: $0.description) }
                    ?? OpenAIError.endpointDown(url: "every endpoint of the pool", failures: members.count,
                                                lastError: "all \(members.count) endpoints are resting after failures")
            }
            do {
                let result = try await members[index].generate(request)
                finish(index, .answered)
                return result
            } catch let error as OpenAIError where Self.isEndpointFault(error) {
                finish(index, .endpointFailed(error))
                tried.insert(index)
                lastError = error
            } catch {
                // The request itself failed (a malformed answer) or was cancelled: another endpoint wouldn't help.
                finish(index, error is CancellationError || Task.isCancelled ? .cancelled : .requestFailed)
                throw error
            }
        }
    }

    /// Failures that say the endpoint, not the request, is at fault.
    static func isEndpointFault(_ error: OpenAIError) -> Bool {
        switch error {
        case .transport, .timeout, .server, .endpointDown, .unauthorized: true
        case .rejected(_, let status, _): status == 403 || status == 404
        case .malformedResponse, .emptyChoices, .deadlineExceeded, .invalidConfiguration: false
        }
    }

    /// The healthy endpoint with the most room (in flight relative to its limit), not in `excluded`.
    private func pick(excluding excluded: Set<Int>) -> Int? {
        let now = Date()
        var probes: [Int] = []
        let chosen: Int? = lock.withLock {
            for index in states.indices where !excluded.contains(index) {
                if let until = states[index].restingUntil, until <= now, !states[index].probing {
                    states[index].probing = true
                    probes.append(index)
                }
            }
            let ready = states.indices.filter { !excluded.contains($0) && states[$0].restingUntil == nil }
            guard let best = ready.min(by: { load($0) < load($1) }) else { return nil }
            states[best].inFlight += 1
            return best
        }
        for index in probes { probe(index) }
        return chosen
    }

    private func load(_ index: Int) -> Double {
        Double(states[index].inFlight) / Double(max(1, members[index].policy.maxInFlight))
    }

    private enum Outcome {
        case answered
        /// The endpoint failed: it rests, the request goes elsewhere.
        case endpointFailed(OpenAIError)
        /// The request failed on a working endpoint.
        case requestFailed
        case cancelled
    }

    private func finish(_ index: Int, _ outcome: Outcome) {
        lock.withLock {
            states[index].inFlight -= 1
            switch outcome {
            case .answered:
                states[index].answered += 1
            case .endpointFailed(let error):
                states[index].failed += 1
                states[index].lastError = String(error.description.prefix(300))
                if states[index].restingUntil == nil { states[index].restingUntil = Date().addingTimeInterval(restSeconds) }
            case .requestFailed:
                states[index].failed += 1
            case .cancelled:
                break
            }
        }
    }

    /// Health check of a rested endpoint: back in the pool if it lists models, resting again if not.
    private func probe(_ index: Int) {
        let member = members[index]
        Task {
            let healthy = (try? await member.models()) != nil
            lock.withLock {
                states[index].probing = false
                states[index].restingUntil = healthy ? nil : Date().addingTimeInterval(restSeconds)
            }
        }
    }
}
