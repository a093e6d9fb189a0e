import Foundation
import LabCore
import LabHTTPTestSupport
@testable import LabOpenAI
import Testing

/// A thread-safe request counter for scripts.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int { lock.withLock { defer { value += 1 }; return value } }
}

/// A pool of scripted endpoints: failover, rest and health check, and what happens when all are down.
@Suite("A pool of endpoints as one teacher", .serialized)
struct EndpointPoolTests {
    static func answering(_ text: String) -> ScriptedHTTPServer {
        OpenAIStub.server { _, _, _ in text }
    }

    static func teacher(_ url: String, maxInFlight: Int = 4) throws -> OpenAITeacher {
        OpenAITeacher(endpoint: try OpenAIEndpoint(url: url, model: "stub-teacher"),
                      policy: OpenAIClientPolicy(maxInFlight: maxInFlight, requestTimeout: 5, retries: 1, backoffBase: 0.01, backoffCap: 0.05))
    }

    static func request(_ number: Int) -> GenerationRequest {
        GenerationRequest(input: .chat([ChatMessage(.user, "Question \(number)?")]), parameters: SamplingParameters(temperature: 0.7, seed: UInt64(number)))
    }

    @Test func aDeadEndpointsRequestsGoToTheOthersAndNoRequestFails() async throws {
        let alive = Self.answering("from alive")
        let aliveURL = try await alive.start()
        defer { Task { await alive.stop() } }
        // A port nothing listens on: every connection is refused.
        let pool = EndpointPool(members: [try Self.teacher("http://127.0.0.1:1/v1"), try Self.teacher(aliveURL)], restSeconds: 60)
        let answers = try await withThrowingTaskGroup(of: String.self) { group in
            for number in 0..<40 { group.addTask { try await pool.generate(Self.request(number)).completions[0].text } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.count == 40 && answers.allSatisfy { $0 == "from alive" })
        let shares = pool.shares
        #expect(shares[1].answered == 40 && shares[1].healthy)
        #expect(shares[0].answered == 0 && shares[0].failed >= 1 && !shares[0].healthy)
        #expect(shares[0].lastError?.contains("127.0.0.1:1") == true)
    }

    @Test func aRestedEndpointThatPassesItsHealthCheckGetsWorkAgain() async throws {
        let steady = Self.answering("steady")
        let steadyURL = try await steady.start()
        defer { Task { await steady.stop() } }
        // Fails its first chat requests (one request's two attempts) with 503, then recovers.
        let chats = Counter()
        let flaky = ScriptedHTTPServer { request, _ in
            if request.path.hasSuffix("/models") { return .respond(body: #"{"object":"list","data":[{"id":"stub-teacher"}]}"#) }
            if chats.next() < 2 { return .respond(status: 503, body: #"{"error":{"message":"warming up"}}"#) }
            return .respond(body: #"{"choices":[{"index":0,"message":{"role":"assistant","content":"flaky"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1}}"#)
        }
        let flakyURL = try await flaky.start()
        defer { Task { await flaky.stop() } }
        let pool = EndpointPool(members: [try Self.teacher(flakyURL, maxInFlight: 1), try Self.teacher(steadyURL, maxInFlight: 1)], restSeconds: 0.3)
        for number in 0..<6 { _ = try await pool.generate(Self.request(number)) }
        #expect(pool.shares[0].failed >= 1, "the flaky endpoint's failure was counted")
        #expect(pool.shares[0].answered + pool.shares[1].answered == 6, "no request failed: the failing endpoint's went to the other")
        // After its rest, the next pick starts a health check; once that passes, the flaky endpoint
        // gets work again. However slow the machine, within 100 tries.
        var number = 100
        while pool.shares[0].answered == 0 && number < 200 {
            _ = try await pool.generate(Self.request(number))
            number += 1
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(pool.shares[0].healthy && pool.shares[0].answered > 0, "\(pool.shares)")
    }

    @Test func whenEveryEndpointIsDownTheRequestFailsAndStopsTheRun() async throws {
        let pool = EndpointPool(members: [try Self.teacher("http://127.0.0.1:1/v1"), try Self.teacher("http://127.0.0.1:2/v1")])
        await #expect {
            try await pool.generate(Self.request(1))
        } throws: { error in
            (error as? OpenAIError)?.stopsRun == true && "\(error)".contains("every endpoint of the pool")
        }
    }

    @Test func aPoolIsNamedByItsModelSoAnswersAreCachedWhicheverEndpointServed() throws {
        let a = EndpointPool(members: [try Self.teacher("http://a:8000/v1"), try Self.teacher("http://b:8000/v1")])
        let b = EndpointPool(members: [try Self.teacher("http://c:8000/v1"), try Self.teacher("http://d:8000/v1")])
        #expect(a.identity == b.identity && a.identity == "openai:pool#stub-teacher")
        let single = EndpointPool(members: [try Self.teacher("http://a:8000/v1")])
        #expect(single.identity == (try Self.teacher("http://a:8000/v1")).identity, "one endpoint keeps the identity runs recorded before pools")
    }
}
