import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LabCore
import LabHTTPTestSupport
import LabTestSupport
import Testing

// MARK: A store made by a real `generate` run

/// A scripted OpenAI-compatible teacher for the table leaf: it reads the table in the prompt and
/// asks for one cell (row by request number), so the pipeline's computed answers and checks run as
/// they do for a real teacher; every fourth reply is prompt scaffolding, which the filters reject.
private func tableTeacher(_ request: ScriptedHTTPServer.Received, _ number: Int) -> ScriptedHTTPServer.Reply {
    let body = (try? JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any]) ?? [:]
    let prompt = ((body["messages"] as? [[String: Any]])?.last?["content"] as? String) ?? ""
    let rows = prompt.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("|") && !$0.contains("---") }
        .map { $0.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }.dropFirst().dropLast() }
        .map(Array.init)
    var text = "Question: Answer: see the table above."
    if number % 4 != 3, let header = rows.first, rows.count > 1, header.count > 1 {
        let row = rows[1 + number % (rows.count - 1)]
        let column = 1 + (number / (rows.count - 1)) % (header.count - 1)
        text = "What was \(row[0]) for \(header[column])?"
    }
    let content = String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
    return .respond(body: #"{"choices":[{"index":0,"message":{"role":"assistant","content":\#(content)},"finish_reason":"stop"}],"#
        + #""usage":{"prompt_tokens":40,"completion_tokens":12,"total_tokens":52}}"#)
}

/// A temporary store holding one generate run over the table leaf.
private final class ReviewedStore {
    let folder: URL
    var db: String { folder.appendingPathComponent("runs.sqlite").path }

    init() async throws {
        folder = try TestPaths.temporaryDirectory("review-cli")
        let teacher = ScriptedHTTPServer { request, number in tableTeacher(request, number) }
        let url = try await teacher.start()
        let result = SynthlabBinary.run([
            "generate", "--endpoint", url, "--api-model", "scripted", "--db", db, "--leaf", "compositional_skills/finance/tables/extract_value",
            "--samples-per-leaf", "4", "--max-candidates-per-leaf", "16",
        ])
        await teacher.stop()
        try #require(result.status == 0, "\(result.errorSummary)")
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    func samples(_ status: String) throws -> [[String: Any]] {
        let listed = SynthlabBinary.run(["samples", "list", "--db", db, "--status", status, "--limit", "1000", "--json"])
        try #require(listed.status == 0, "\(listed.errorSummary)")
        return try #require(try JSONSerialization.jsonObject(with: listed.output) as? [[String: Any]])
    }
}

// MARK: The server as a user starts it

/// `synthlab review … --port 0` as a child process; the first line it prints is its address.
final class ReviewProcess {
    let process = Process()
    let base: String

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = SynthlabBinary.url
        process.arguments = ["review", "--port", "0"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = LineReader.firstLine(of: output.fileHandleForReading, timeout: 30)
        guard let line, line.hasPrefix("http://") else {
            process.terminate()
            throw MissingFixture(description: "synthlab review printed no address (got \(line ?? "nothing"))")
        }
        base = String(line.dropLast(line.hasSuffix("/") ? 1 : 0))
    }

    deinit {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
    }
}

private enum LineReader {
    static func firstLine(of handle: FileHandle, timeout: TimeInterval) -> String? {
        final class Box: @unchecked Sendable { var line: String? }
        let box = Box(), done = DispatchSemaphore(value: 0)
        Thread {
            var data = Data()
            while !data.contains(UInt8(ascii: "\n")) {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                data += chunk
            }
            box.line = String(decoding: data, as: UTF8.self).split(separator: "\n").first.map(String.init)
            done.signal()
        }.start()
        return done.wait(timeout: .now() + timeout) == .success ? box.line : nil
    }
}

/// One HTTP exchange, redirects not followed (so a 303 is seen as a 303).
struct HTTPReply {
    var status: Int
    var headers: [String: String]
    var body: String

    func header(_ name: String) -> String? { headers.first { $0.key.lowercased() == name.lowercased() }?.value }
}

private final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}

enum HTTP {
    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        return URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
    }()

    static func encode(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
    }

    static func get(_ url: String, headers: [String: String] = [:]) throws -> HTTPReply {
        try send("GET", url, body: nil, headers: headers)
    }

    static func post(_ url: String, form: [(String, String)], headers: [String: String] = [:]) throws -> HTTPReply {
        try send("POST", url, body: encode(form), headers: headers.merging(["Content-Type": "application/x-www-form-urlencoded"]) { a, _ in a })
    }

    static func send(_ method: String, _ url: String, body: String?, headers: [String: String]) throws -> HTTPReply {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.httpBody = body.map { Data($0.utf8) }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        final class Box: @unchecked Sendable { var reply: Result<HTTPReply, any Error>? }
        let box = Box(), done = DispatchSemaphore(value: 0)
        session.dataTask(with: request) { data, response, error in
            if let response = response as? HTTPURLResponse {
                let headers = Dictionary(response.allHeaderFields.map { ("\($0.key)", "\($0.value)") }, uniquingKeysWith: { a, _ in a })
                box.reply = .success(HTTPReply(status: response.statusCode, headers: headers, body: String(decoding: data ?? Data(), as: UTF8.self)))
            } else {
                box.reply = .failure(error ?? URLError(.badServerResponse))
            }
            done.signal()
        }.resume()
        _ = done.wait(timeout: .now() + 30)
        return try (box.reply ?? .failure(URLError(.timedOut))).get()
    }

    /// The CSRF token of the first form on a page.
    static func csrf(in page: String) -> String? {
        guard let range = page.range(of: #"name="csrf" value=""#) else { return nil }
        return String(page[range.upperBound...].prefix { $0 != "\"" })
    }
}

// MARK: Tests

@Suite("synthlab review: the curator's web page over a generated store", .serialized)
struct ReviewCommandTests {
    @Test("Every route serves; decisions post with CSRF, show in samples show and runs show, and exports follow them")
    func aReviewPass() async throws {
        let store = try await ReviewedStore()
        let accepted = try store.samples("accepted"), rejected = try store.samples("rejected")
        try #require(accepted.count >= 3 && !rejected.isEmpty, "the scripted run gives accepted and rejected samples")
        let server = try ReviewProcess(["--db", store.db, "--reviewer", "alice"])

        let runs = try HTTP.get(server.base + "/")
        #expect(runs.status == 200)
        #expect(runs.body.contains("Run 1") && runs.body.contains(#"<svg class="funnel""#) && runs.body.contains("extract_value"))
        #expect(runs.header("Content-Security-Policy")?.contains("script-src 'self'") == true)
        #expect(try HTTP.get(server.base + "/assets/review.js").body.contains("keydown"))
        #expect(try HTTP.get(server.base + "/assets/review.css").status == 200)

        let all = try HTTP.get(server.base + "/runs/1/samples")
        #expect(all.status == 200 && all.body.contains("<b id=\"total\">\(accepted.count + rejected.count)</b>"))
        let onlyAccepted = try HTTP.get(server.base + "/runs/1/samples?status=accepted")
        #expect(onlyAccepted.body.contains("<b id=\"total\">\(accepted.count)</b>"))
        #expect(!onlyAccepted.body.contains("status-rejected"))
        let filter = try #require(rejected[0]["rejected_by"] as? String)
        let byFilter = try HTTP.get(server.base + "/runs/1/samples?rejected_by=" + filter)
        #expect(byFilter.status == 200 && byFilter.body.contains("<b>\(filter)</b>"))
        #expect(!byFilter.body.contains("status-accepted"))
        // Word search: the same count as a naive scan of the listed samples for a word starting with it.
        func words(_ text: String) -> [String] { text.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init) }
        let word = try #require(words(accepted[0]["question"] as? String ?? "").filter { $0.count >= 5 }.max { $0.count < $1.count }.map { String($0.prefix(5)) })
        let expected = (accepted + rejected).filter { sample in
            ["question", "answer"].contains { words((sample[$0] as? String) ?? "").contains { $0.hasPrefix(word) } }
        }.count
        let search = try HTTP.get(server.base + "/runs/1/samples?q=" + (word.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        #expect(search.status == 200 && search.body.contains("<b id=\"total\">\(expected)</b>"), "searching \(word)")
        #expect(try HTTP.get(server.base + "/runs/99/samples").status == 404)
        #expect(try HTTP.get(server.base + "/samples/999999").status == 404)

        let first = try #require(accepted[0]["id"] as? Int), second = try #require(accepted[1]["id"] as? Int)
        let rescued = try #require(rejected[0]["id"] as? Int)
        let page = try HTTP.get(server.base + "/samples/\(first)")
        #expect(page.status == 200 && page.body.contains(#"<form id="review" method="post" action="/samples/\#(first)/review">"#))
        #expect(page.body.contains("<h2>Verdicts</h2>") && page.body.contains("computed_answer") && page.body.contains("<mark>"))
        let csrf = try #require(HTTP.csrf(in: page.body))

        // Refusals: no token, a stale token, a rejection without a reason, an unknown decision.
        #expect(try HTTP.post(server.base + "/samples/\(first)/review", form: [("decision", "reject"), ("reason", "incorrect")]).status == 403)
        // A stale token differs in its first character (always: a token starting with "0" would stay valid as "0…").
        let stale = (csrf.first == "0" ? "1" : "0") + csrf.dropFirst()
        #expect(try HTTP.post(server.base + "/samples/\(first)/review", form: [("csrf", stale), ("decision", "accept")]).status == 403)
        #expect(try HTTP.post(server.base + "/samples/\(first)/review", form: [("csrf", csrf), ("decision", "reject")]).status == 400)
        #expect(try HTTP.post(server.base + "/samples/\(first)/review", form: [("csrf", csrf), ("decision", "maybe")]).status == 400)

        // Reject one, edit one, rescue a rejected one.
        let rejection = try HTTP.post(server.base + "/samples/\(first)/review",
                                      form: [("csrf", csrf), ("decision", "reject"), ("reason", "incorrect"), ("note", "wrong period"), ("then", "next")])
        #expect(rejection.status == 303 && rejection.header("Location")?.hasPrefix("/samples/") == true)
        let editedAnswer = "The value is exactly as the table shows it (edited by a curator)."
        let edit = try HTTP.post(server.base + "/samples/\(second)/review", form: [("csrf", csrf), ("decision", "accept"), ("answer", editedAnswer)])
        #expect(edit.status == 303)
        #expect(try HTTP.post(server.base + "/samples/\(rescued)/review", form: [("csrf", csrf), ("decision", "accept")]).status == 303)
        let afterEdit = try HTTP.get(server.base + "/samples/\(second)?saved=1")
        #expect(afterEdit.body.contains("Your decision was saved.") && afterEdit.body.contains("edited by a curator") && afterEdit.body.contains("the answer as generated"))
        #expect(afterEdit.body.contains("by alice"))
        let curatorFilter = try HTTP.get(server.base + "/runs/1/samples?curator=rejected")
        #expect(curatorFilter.body.contains("<b id=\"total\">1</b>"))

        // The command line sees the decisions; the export follows them.
        let shown = SynthlabBinary.run(["samples", "show", String(first), "--db", store.db])
        #expect(shown.outputText.contains("reject by alice") && shown.outputText.contains("(incorrect): wrong period"))
        let runShow = SynthlabBinary.run(["runs", "show", "latest", "--db", store.db])
        #expect(runShow.outputText.contains("3 reviewed"))
        #expect(runShow.outputText.contains("precision of the filters' accepts 0.00 (0 of 2 reviewed accepts right as generated, 1 right after an edit)"))
        #expect(runShow.outputText.contains("1 of 1 reviewed rejections rescued"))
        let exported = store.folder.appendingPathComponent("export.jsonl").path
        let export = SynthlabBinary.run(["export", "latest", "--db", store.db, "-o", exported])
        #expect(export.status == 0, "\(export.errorSummary)")
        let rows = try String(contentsOfFile: exported, encoding: .utf8).split(separator: "\n")
        #expect(rows.count == accepted.count, "one curator rejection out, one rescue in")
        #expect(!rows.contains { $0.contains("\"sample_id\\\":\(first),") })
        #expect(rows.contains { $0.contains("\"sample_id\\\":\(rescued),") })
        #expect(rows.contains { $0.contains(editedAnswer) })

        // Reviews become a labelled set in bench/quality's format.
        let labels = store.folder.appendingPathComponent("labels.jsonl").path
        let written = SynthlabBinary.run(["review", "--db", store.db, "--export-labels", labels])
        #expect(written.status == 0, "\(written.errorSummary)")
        let lines = try String(contentsOfFile: labels, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(lines.count == 4, "a rejection, an edit (generated and revised) and a rescue")
        #expect(lines.allSatisfy { ($0["leaf"] as? String) == "compositional_skills/finance/tables/extract_value" && $0["question"] is String })
        #expect(lines.contains { ($0["label"] as? String) == "bad" && ($0["class"] as? String) == "incorrect" && ($0["reason"] as? String) == "wrong period" })
        #expect(lines.contains { ($0["label"] as? String) == "good" && ($0["answer"] as? String) == editedAnswer })
    }

    @Test("Generated text is escaped everywhere: a hostile answer shows as text")
    func hostileTextIsEscaped() async throws {
        let store = try await ReviewedStore()
        let id = try #require(try store.samples("accepted").first?["id"] as? Int)
        let server = try ReviewProcess(["--db", store.db])
        let csrf = try #require(HTTP.csrf(in: try HTTP.get(server.base + "/samples/\(id)").body))
        let hostile = #""><img src=x onerror=alert(1)><script>alert('x')</script>"#
        let posted = try HTTP.post(server.base + "/samples/\(id)/review", form: [("csrf", csrf), ("decision", "accept"), ("answer", hostile), ("note", hostile)])
        #expect(posted.status == 303)
        for page in [try HTTP.get(server.base + "/samples/\(id)").body, try HTTP.get(server.base + "/runs/1/samples").body] {
            #expect(!page.contains("<img src=x") && !page.contains("<script>alert"))
            #expect(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
        }
    }

    @Test("--read-only serves no form and refuses every POST")
    func readOnly() async throws {
        let store = try await ReviewedStore()
        let id = try #require(try store.samples("accepted").first?["id"] as? Int)
        let server = try ReviewProcess(["--db", store.db, "--read-only"])
        let page = try HTTP.get(server.base + "/samples/\(id)")
        #expect(page.status == 200 && !page.body.contains("<form id=\"review\"") && page.body.contains("read-only"))
        let refused = try HTTP.post(server.base + "/samples/\(id)/review", form: [("csrf", "x"), ("decision", "accept")])
        #expect(refused.status == 405)
        let shown = SynthlabBinary.run(["samples", "show", String(id), "--db", store.db])
        #expect(shown.outputText.contains("curator: not reviewed"))
    }

    @Test("Another host needs a token; with one, requests need it as a bearer header or a login cookie")
    func tokenRule() async throws {
        let store = try await ReviewedStore()
        let refused = SynthlabBinary.run(["review", "--db", store.db, "--host", "0.0.0.0", "--port", "0"])
        #expect(refused.status != 0 && refused.errorText.contains("without an access token"))
        let missing = SynthlabBinary.run(["review", "--db", store.folder.appendingPathComponent("absent.sqlite").path, "--port", "0"])
        #expect(missing.status != 0 && missing.errorText.contains("no database at"))
        #expect(!FileManager.default.fileExists(atPath: store.folder.appendingPathComponent("absent.sqlite").path), "review creates no store")
        let noLabels = store.folder.appendingPathComponent("none.jsonl").path
        let nothingReviewed = SynthlabBinary.run(["review", "--db", store.db, "--export-labels", noLabels])
        #expect(nothingReviewed.status != 0 && nothingReviewed.errorText.contains("no reviewed samples"))
        #expect(!FileManager.default.fileExists(atPath: noLabels), "no empty file is left behind")
        let unset = SynthlabBinary.run(["review", "--db", store.db, "--host", "0.0.0.0", "--token-env", "SYNTHLAB_REVIEW_UNSET_TOKEN"])
        #expect(unset.status != 0 && unset.errorText.contains("$SYNTHLAB_REVIEW_UNSET_TOKEN is not set"))

        let token = "review-token-\(UInt32.random(in: 0...UInt32.max))"
        let server = try ReviewProcess(["--db", store.db, "--host", "0.0.0.0", "--token-env", "REVIEW_TOKEN"], environment: ["REVIEW_TOKEN": token])
        let local = server.base.replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1")
        #expect(try HTTP.get(local + "/").status == 401)
        #expect(try HTTP.get(local + "/", headers: ["Accept": "text/html"]).header("Location") == "/login")
        #expect(try HTTP.get(local + "/", headers: ["Authorization": "Bearer wrong"]).status == 401)
        #expect(try HTTP.get(local + "/", headers: ["Authorization": "Bearer \(token)"]).status == 200)
        let login = try HTTP.get(local + "/login")
        #expect(login.status == 200)
        let csrf = try #require(HTTP.csrf(in: login.body))
        #expect(try HTTP.post(local + "/login", form: [("csrf", csrf), ("token", "wrong")]).status == 401)
        let signedIn = try HTTP.post(local + "/login", form: [("csrf", csrf), ("token", token)])
        #expect(signedIn.status == 303)
        let cookie = try #require(signedIn.header("Set-Cookie")?.split(separator: ";").first.map(String.init))
        #expect(!cookie.contains(token), "the cookie is derived from the token, not the token")
        #expect(try HTTP.get(local + "/runs/1/samples", headers: ["Cookie": cookie]).status == 200)
    }

    @Test("Decisions posted while generate writes to the same store are all kept")
    func decisionsDuringAGenerateRun() async throws {
        let store = try await ReviewedStore()
        let ids = try store.samples("rejected").compactMap { $0["id"] as? Int } + store.samples("accepted").compactMap { $0["id"] as? Int }
        let server = try ReviewProcess(["--db", store.db])
        let csrf = try #require(HTTP.csrf(in: try HTTP.get(server.base + "/samples/\(ids[0])").body))
        let teacher = ScriptedHTTPServer { request, number in tableTeacher(request, number + 1000) }
        let url = try await teacher.start()
        defer { Task { await teacher.stop() } }
        let writer = Process()
        writer.executableURL = SynthlabBinary.url
        writer.arguments = ["generate", "--endpoint", url, "--api-model", "scripted", "--db", store.db, "--leaf", "compositional_skills/finance/tables/extract_value",
                            "--samples-per-leaf", "30", "--max-candidates-per-leaf", "120", "--seed", "9"]
        writer.standardOutput = FileHandle.nullDevice
        writer.standardError = FileHandle.nullDevice
        try writer.run()
        // Post decisions for as long as the writer runs (and at least one per sample).
        var posted = 0, attempts = 0, duringTheRun = 0
        while attempts < ids.count || writer.isRunning {
            let id = ids[attempts % ids.count]
            let running = writer.isRunning
            let reply = try HTTP.post(server.base + "/samples/\(id)/review",
                                      form: [("csrf", csrf), ("decision", attempts % 2 == 0 ? "accept" : "reject"), ("reason", "unclear")])
            attempts += 1
            if reply.status == 303 { posted += 1; if running { duringTheRun += 1 } }
        }
        writer.waitUntilExit()
        #expect(writer.terminationStatus == 0)
        #expect(posted == attempts)
        #expect(duringTheRun > 0, "some decisions were posted while generate was writing")
        var stored = 0
        for id in ids {
            let shown = SynthlabBinary.run(["samples", "show", String(id), "--db", store.db, "--json"])
            let object = try #require(try JSONSerialization.jsonObject(with: shown.output) as? [String: Any])
            stored += (object["curator"] as? [Any])?.count ?? 0
        }
        #expect(stored == posted, "every posted decision is in the store")
    }
}

// MARK: In a real browser

/// Headless Chromium (Debian's `chromium`, installed by `make test-deps`).
private enum Browser {
    static func executable() throws -> URL {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
                let url = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
                if FileManager.default.isExecutableFile(atPath: url.path) { return url }
            }
        }
        throw MissingFixture(description: "no chromium on PATH: `make test-deps` (scripts/install-deps.sh --test) installs Debian's chromium")
    }

    /// Loads `url`, runs its script, and returns the DOM and what the browser logged (console errors included).
    static func run(_ arguments: [String]) throws -> (output: String, log: String) {
        let home = try TestPaths.temporaryDirectory("chromium")
        defer { try? FileManager.default.removeItem(at: home) }
        let result = Subprocess.run(try executable().path, [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars", "--no-first-run",
            "--user-data-dir=\(home.path)", "--enable-logging=stderr", "--v=0",
        ] + arguments)
        return (result.outputText, result.errorText)
    }
}

@Suite("synthlab review in headless Chromium", .serialized)
struct ReviewBrowserTests {
    @Test("Each page loads in a browser with its elements and no script error; screenshots land in bench/review/screenshots")
    func pagesInABrowser() async throws {
        let store = try await ReviewedStore()
        let id = try #require(try store.samples("accepted").first?["id"] as? Int)
        let server = try ReviewProcess(["--db", store.db, "--reviewer", "curator"])
        let shots = TestPaths.repositoryRoot.appendingPathComponent("bench/review/screenshots")
        try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
        let pages: [(name: String, path: String, expected: [String])] = [
            ("runs", "/", [#"<svg class="funnel""#, "<h2>Run 1 ", "extract_value", "rejected by"]),
            ("samples", "/runs/1/samples", [#"<table class="samples">"#, #"<tr data-href="/samples/"#, #"<svg class="histogram""#, #"<select name="leaf">"#]),
            ("sample", "/samples/\(id)", [#"<form id="review" method="post" action="/samples/\#(id)/review">"#, #"name="csrf""#, "<mark>", "<h2>Verdicts</h2>"]),
        ]
        for page in pages {
            let (dom, log) = try Browser.run(["--dump-dom", server.base + page.path])
            for element in page.expected { #expect(dom.contains(element), "\(page.name) page: \(element)") }
            #expect(dom.contains("data-page=\"\(page.name)\""), "the browser parsed the \(page.name) page")
            #expect(!log.contains("Uncaught") && !log.contains("Refused to"), "no script error or blocked asset on \(page.name): \(log.suffix(400))")
            let shot = shots.appendingPathComponent("\(page.name).png")
            try? FileManager.default.removeItem(at: shot)
            _ = try Browser.run(["--window-size=1280,1400", "--screenshot=\(shot.path)", server.base + page.path])
            let png = try Data(contentsOf: shot)
            #expect(png.count > 10_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a real screenshot of \(page.name)")
        }
    }
}
