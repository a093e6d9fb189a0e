import Foundation
import LabCore
import LabHTTPTestSupport
import LabTestSupport
import Testing

/// Distinct replies, so a scripted teacher's answers don't all fall to the duplicate filter.
private let replies = [
    "What does a rising current ratio say about a company's short-term liquidity?",
    "How should an investor read a sudden jump in accounts receivable?",
    "Why do analysts adjust EBITDA for one-time restructuring charges?",
    "When is free cash flow a better guide than net income?",
    "Which parts of the cash flow statement show capital spending?",
    "How is working capital different from total current assets?",
    "What makes operating leverage risky during a downturn?",
    "Why would a firm report both GAAP and non-GAAP earnings?",
    "How do share buybacks change earnings per share?",
    "What signals does a widening credit spread send about a borrower?",
    "Why might deferred revenue grow faster than sales?",
    "How does inventory turnover reveal weak demand?",
]

/// A chat completion with one choice.
private func reply(_ text: String) -> String {
    let content = String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
    return #"{"choices":[{"index":0,"message":{"role":"assistant","content":\#(content)},"finish_reason":"stop"}],"#
        + #""usage":{"prompt_tokens":40,"completion_tokens":12,"total_tokens":52}}"#
}

@Suite("chat, generate and serve with --endpoint, through the binary", .serialized)
struct EndpointCommandTests {
    @Test("generate --endpoint runs the pipeline against a remote teacher and records the run")
    func generateAgainstAnEndpoint() async throws {
        let server = ScriptedHTTPServer { _, number in .respond(body: reply(replies[number % replies.count])) }
        let url = try await server.start()
        defer { Task { await server.stop() } }
        let folder = try TestPaths.temporaryDirectory("endpoint-generate")
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("runs.sqlite").path
        let result = SynthlabBinary.run([
            "generate", "--endpoint", url, "--api-model", "scripted-teacher", "--db", db, "--leaf", "compositional_skills/finance/explain_term_plainly",
            "--samples-per-leaf", "2", "--max-candidates-per-leaf", "12", "--json",
        ])
        try #require(result.status == 0, "\(result.errorSummary)")
        let outcome = try #require(try JSONSerialization.jsonObject(with: result.output) as? [String: Any])
        #expect((outcome["teacher_calls"] as? Int ?? 0) > 0)
        #expect((outcome["candidates"] as? Int ?? 0) > 0)
        #expect(server.requests.allSatisfy { $0.body.contains(#""model":"scripted-teacher""#) })
        #expect(server.requests.allSatisfy { $0.path == "/v1/chat/completions" })
        let shown = SynthlabBinary.run(["runs", "show", "latest", "--db", db, "--json"])
        #expect(shown.status == 0)
        #expect(shown.outputText.contains("openai:\(url)#scripted-teacher"), "the run records the endpoint and model as its teacher")
        let text = SynthlabBinary.run(["runs", "show", "latest", "--db", db])
        #expect(text.outputText.contains("  api_key_env ") && text.outputText.contains("  samples_per_leaf "), "setting names are shown whole")
        #expect(!text.outputText.contains("  model "), "the local model is not the teacher of an endpoint run: \(text.outputText)")
    }

    @Test("generate over a file of endpoints, one of them dead, finishes on the others and reports each one's share")
    func generateOverAPoolWithADeadEndpoint() async throws {
        let server = ScriptedHTTPServer { _, number in .respond(body: reply(replies[number % replies.count])) }
        let url = try await server.start()
        defer { Task { await server.stop() } }
        let folder = try TestPaths.temporaryDirectory("endpoint-pool")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("endpoints.txt")
        try "# the pool\nhttp://127.0.0.1:1/v1 max_in_flight=2\n\(url) max_in_flight=8  # the live one\n".write(to: file, atomically: true, encoding: .utf8)
        let db = folder.appendingPathComponent("runs.sqlite").path
        let result = SynthlabBinary.run([
            "generate", "--endpoints-file", file.path, "--api-model", "scripted-teacher", "--db", db, "--retries", "1",
            "--leaf", "compositional_skills/finance/explain_term_plainly", "--samples-per-leaf", "2", "--max-candidates-per-leaf", "12", "--json",
        ])
        try #require(result.status == 0, "\(result.errorSummary)")
        let outcome = try #require(try JSONSerialization.jsonObject(with: result.output) as? [String: Any])
        let endpoints = try #require(outcome["endpoints"] as? [[String: Any]])
        #expect(endpoints.count == 2)
        #expect(endpoints[0]["answered"] as? Int == 0 && endpoints[0]["healthy"] as? Bool == false)
        #expect((endpoints[1]["answered"] as? Int ?? 0) == outcome["teacher_calls"] as? Int)
        #expect(outcome["failed_units"] as? Int == 0, "no unit failed for the dead endpoint")

        try "http://127.0.0.1:1/v1 max_in_flight=zero\n".write(to: file, atomically: true, encoding: .utf8)
        let bad = SynthlabBinary.run(["generate", "--endpoints-file", file.path, "--api-model", "m", "--db", db])
        #expect(bad.status != 0)
        #expect(bad.errorText.contains("endpoints.txt:1") && bad.errorText.contains("max_in_flight=zero"), "\(bad.errorText)")
        #expect(bad.errorText.contains("needs a whole number"), "a known setting with a bad value is named as such: \(bad.errorText)")
        try "http://127.0.0.1:1/v1 max_inflight=4\n".write(to: file, atomically: true, encoding: .utf8)
        let unknown = SynthlabBinary.run(["generate", "--endpoints-file", file.path, "--api-model", "m", "--db", db])
        #expect(unknown.status != 0)
        #expect(unknown.errorText.contains("'max_inflight=4' is not a setting an endpoint takes"), "\(unknown.errorText)")
    }

    @Test("A rejected API key stops generate at once with the variable's name, never the key, and the run can resume")
    func badKeyStopsTheRun() async throws {
        let key = "sk-cli-test-secret-987654321"
        let server = ScriptedHTTPServer { _, _ in
            .respond(status: 401, body: #"{"error":{"message":"Incorrect API key provided: \#(key)"}}"#)
        }
        let url = try await server.start()
        defer { Task { await server.stop() } }
        let folder = try TestPaths.temporaryDirectory("endpoint-401")
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("runs.sqlite").path
        let result = SynthlabBinary.run([
            "generate", "--endpoint", url, "--api-model", "m", "--api-key-env", "SYNTHLAB_TEST_KEY", "--db", db,
            "--leaf", "compositional_skills/finance/explain_term_plainly", "--samples-per-leaf", "1",
        ], environment: ["SYNTHLAB_TEST_KEY": key])
        #expect(result.status == 1)
        #expect(result.errorText.contains("check the API key in $SYNTHLAB_TEST_KEY"))
        #expect(result.errorText.contains("--resume"))
        #expect(!result.errorText.contains(key) && !result.outputText.contains(key))
        // Not every unit's request is sent: the first 401 stops the run.
        #expect(server.requests.count <= 16)
        let stored = try Data(contentsOf: URL(fileURLWithPath: db))
        let wal = (try? Data(contentsOf: URL(fileURLWithPath: db + "-wal"))) ?? Data()
        #expect(stored.range(of: Data(key.utf8)) == nil && wal.range(of: Data(key.utf8)) == nil, "the key is not in the database")
        let runs = SynthlabBinary.run(["runs", "list", "--db", db, "--json"])
        #expect(runs.outputText.contains("failed"))
    }

    @Test("A dead endpoint gives a clear error, not a hang")
    func deadEndpoint() throws {
        // Port 9 (discard): nothing listens there on a test machine, so the connection is refused.
        let result = SynthlabBinary.run(["chat", "--endpoint", "http://127.0.0.1:9/v1", "--api-model", "m", "--prompt", "hi",
                                         "--retries", "1", "--request-timeout", "5"])
        #expect(result.status == 1)
        #expect(result.errorText.contains("cannot reach http://127.0.0.1:9/v1/chat/completions"))
    }

    @Test("serve --port 0 prints its URL; chat --endpoint talks to it, streamed and as JSON")
    func serveAndChat() throws {
        let server = Process()
        server.executableURL = SynthlabBinary.url
        server.arguments = ["serve", "--port", "0", "--threads", "1"]
        let output = Pipe()
        server.standardOutput = output
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            server.interrupt()
            server.waitUntilExit()
        }
        let firstLine = try #require(readLine(from: output.fileHandleForReading))
        #expect(firstLine.hasPrefix("http://127.0.0.1:") && firstLine.hasSuffix("/v1"))

        let json = SynthlabBinary.run(["chat", "--endpoint", firstLine, "--prompt", "Define EBITDA.", "--max-tokens", "12", "--json"])
        try #require(json.status == 0, "\(json.errorSummary)")
        let object = try #require(try JSONSerialization.jsonObject(with: json.output) as? [String: Any])
        #expect(object["completion_tokens"] as? Int == 12)
        #expect(object["finish_reason"] as? String == "length")
        let text = try #require(object["text"] as? String)
        #expect(!text.isEmpty)

        let streamed = SynthlabBinary.run(["chat", "--endpoint", firstLine, "--prompt", "Define EBITDA.", "--max-tokens", "12"])
        #expect(streamed.status == 0)
        #expect(streamed.outputText == text + "\n", "greedy: the streamed reply is the same text")
        #expect(streamed.errorText.contains("reply cut at 12 tokens"))
    }
}

/// The first line written to `handle` (nil at end of file).
private func readLine(from handle: FileHandle) -> String? {
    var bytes: [UInt8] = []
    while true {
        let byte = handle.readData(ofLength: 1)
        guard let first = byte.first else { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
        if first == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
        bytes.append(first)
    }
}
