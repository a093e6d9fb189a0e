// openai-load: the client side of bench/openai-client. `stub` serves chat completions after a
// fixed latency (run it in its own process so its CPU is not counted); `drive` sends N requests
// with a fixed number in flight and reports the rate reached and the client's own CPU time.
//
//   openai-load stub --latency 0.2            # prints the API root, serves until killed
//   openai-load drive URL --requests 640 --in-flight 64 --client teacher|ahc|urlsession
import ArgumentParser
import AsyncHTTPClient
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LabCore
import LabHTTPTestSupport
import LabOpenAI
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

@main
struct OpenAILoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openai-load", abstract: "Load-test the OpenAI client against a fixed-latency stub.",
        subcommands: [Stub.self, Drive.self])
}

struct Stub: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Answer every chat completion after a fixed latency.")

    @Option(help: "Seconds before each answer.") var latency = 0.2
    @Option(help: "Event loop threads.") var threads = 1

    func run() async throws {
        let body = #"{"id":"x","object":"chat.completion","created":1,"model":"stub","choices":[{"index":0,"message":"#
            + #"{"role":"assistant","content":"A stub answer of about twenty tokens, enough to look like a real reply."},"#
            + #""finish_reason":"stop"}],"usage":{"prompt_tokens":60,"completion_tokens":20,"total_tokens":80}}"#
        let server = ScriptedHTTPServer(threads: threads) { _, _ in .respond(body: body, delay: latency) }
        FileHandle.standardOutput.write(Data((try await server.start() + "\n").utf8))
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}

struct Drive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send requests with a fixed number in flight; print JSON.")

    enum Client: String, ExpressibleByArgument, CaseIterable {
        /// OpenAITeacher: AsyncHTTPClient plus our gate, retries, JSON and accounting.
        case teacher
        /// AsyncHTTPClient alone.
        case ahc
        /// Foundation's URLSession (libcurl underneath on Linux).
        case urlsession
    }

    @Argument(help: "The API root of the stub.") var url: String
    @Option var requests = 640
    @Option var inFlight = 64
    @Option var client: Client = .teacher
    @Option(help: "The stub's latency, for the ideal rate.") var latency = 0.2

    func run() async throws {
        let payload = try JSONEncoder.wire.encode(CompletionRequestBody(
            model: "stub", messages: [WireMessage(role: "user", content: String(repeating: "Explain a ratio. ", count: 12))],
            temperature: 0.7, maxTokens: 64, seed: 1))
        let send = try makeSender(payload: payload)
        // Warm the connection pool so connection setup is not in the measurement.
        try await runAll(count: inFlight, send: send)
        let cpuBefore = cpuSeconds()
        let started = ContinuousClock.now
        try await runAll(count: requests, send: send)
        let wall = (ContinuousClock.now - started).seconds
        let cpu = cpuSeconds() - cpuBefore
        let rate = Double(requests) / wall
        let ideal = Double(inFlight) / latency
        let report: [String: Any] = [
            "client": client.rawValue, "requests": requests, "in_flight": inFlight, "wall_seconds": wall,
            "requests_per_second": rate, "ideal_requests_per_second": ideal, "fraction_of_ideal": rate / ideal,
            "client_cpu_seconds": cpu, "cpu_percent_of_core_per_100_rps": 100 * (cpu / wall) / (rate / 100),
        ]
        let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    private func runAll(count: Int, send: @escaping @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var started = 0
            while started < min(inFlight, count) {
                group.addTask { try await send() }
                started += 1
            }
            while try await group.next() != nil {
                if started < count {
                    group.addTask { try await send() }
                    started += 1
                }
            }
        }
    }

    private func makeSender(payload: Data) throws -> @Sendable () async throws -> Void {
        let target = url + "/chat/completions"
        switch client {
        case .teacher:
            let teacher = OpenAITeacher(
                endpoint: try OpenAIEndpoint(url: url, model: "stub"),
                policy: .init(maxInFlight: inFlight, requestTimeout: 30))
            let request = GenerationRequest(input: .chat([ChatMessage(.user, String(repeating: "Explain a ratio. ", count: 12))]),
                                            parameters: SamplingParameters(temperature: 0.7, maxTokens: 64, seed: 1))
            return { _ = try await teacher.generate(request) }
        case .ahc:
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: inFlight)
            let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            return {
                var request = HTTPClientRequest(url: target)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: payload))
                let response = try await http.execute(request, timeout: .seconds(30))
                let body = try await response.body.collect(upTo: 1 << 20)
                _ = try JSONDecoder().decode(CompletionResponseBody.self, from: Data(body.readableBytesView))
            }
        case .urlsession:
            let configuration = URLSessionConfiguration.ephemeral
            configuration.httpMaximumConnectionsPerHost = inFlight
            let session = URLSession(configuration: configuration)
            return {
                var request = URLRequest(url: URL(string: target)!)
                request.httpMethod = "POST"
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                request.httpBody = payload
                let (data, _) = try await session.data(for: request)
                _ = try JSONDecoder().decode(CompletionResponseBody.self, from: data)
            }
        }
    }
}

/// User plus system CPU time of this process, in seconds.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}
