public import Foundation
public import LabStore
import Hummingbird
import LabCore
public import Logging
import Mustache
import NIOCore

/// `synthlab review`: a web page over the store where curators read every sample with its lineage
/// and verdicts, and accept, reject or edit it. It loads no model.
///
/// Safety: the server binds loopback unless told otherwise, and any other address needs an access
/// token; every POST carries the page's CSRF token; everything the store holds is escaped; in
/// read-only mode no form is served and every POST is refused.
public struct ReviewServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var readOnly: Bool
        /// The name decisions are stored under.
        public var reviewer: String
        /// The access token (required when `host` is not loopback).
        public var token: String?
        public var maxBodyBytes: Int

        public init(host: String = "127.0.0.1", port: Int = 8080, readOnly: Bool = false, reviewer: String,
                    token: String? = nil, maxBodyBytes: Int = 1 << 20) {
            self.host = host
            self.port = port
            self.readOnly = readOnly
            self.reviewer = reviewer
            self.token = token
            self.maxBodyBytes = maxBodyBytes
        }
    }

    public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    let store: SampleStore
    let configuration: Configuration
    let pages: ReviewPages
    /// The synchronizer token every form carries; a page of another site cannot read it.
    let csrfToken: String

    /// Whether `host` only accepts connections from this machine.
    public static func isLoopback(_ host: String) -> Bool {
        ["127.0.0.1", "::1", "localhost", "[::1]"].contains(host.lowercased()) || host.hasPrefix("127.")
    }

    public init(store: SampleStore, configuration: Configuration) throws {
        if !Self.isLoopback(configuration.host) && (configuration.token ?? "").isEmpty {
            throw ConfigurationError(description: "binding \(configuration.host) makes the review page reachable from other machines, so it needs an access token")
        }
        self.store = store
        self.configuration = configuration
        csrfToken = Secrets.randomToken()
        pages = try ReviewPages(store: store, readOnly: configuration.readOnly, reviewer: configuration.reviewer, csrfToken: csrfToken)
    }

    /// The router with every route; `run` serves it, tests may drive it directly.
    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.middlewares.add(ReviewAccess(token: configuration.token, pages: pages))
        router.get("/") { [pages] _, _ in pages.respond { try pages.runs() } }
        router.get("/health") { _, _ in Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n"))) }
        router.get("/assets/review.css") { _, _ in Self.asset(Assets.css, type: "text/css; charset=utf-8") }
        router.get("/assets/review.js") { _, _ in Self.asset(Assets.javascript, type: "text/javascript; charset=utf-8") }
        router.get("/runs/:id/samples") { [pages] request, context in
            guard let runID = context.parameters.get("id", as: Int64.self) else { return pages.notFound("There is no such run.") }
            return pages.respond { try pages.samples(runID: runID, query: FormFields(request.uri.query ?? "")) }
        }
        router.get("/samples/:id") { [pages] request, context in
            guard let sampleID = context.parameters.get("id", as: Int64.self) else { return pages.notFound("There is no such sample.") }
            let saved = FormFields(request.uri.query ?? "")["saved"] != nil
            return pages.respond { try pages.sample(id: sampleID, message: saved ? "Your decision was saved." : nil) }
        }
        router.post("/samples/:id/review") { [self] request, context in
            guard let sampleID = context.parameters.get("id", as: Int64.self) else { return pages.notFound("There is no such sample.") }
            return await review(request, sampleID: sampleID)
        }
        router.get("/login") { [pages] _, _ in pages.respond { try pages.login(message: nil) } }
        router.post("/login") { [self] request, _ in await login(request) }
        return router
    }

    /// Serves until cancelled or (with `handleSignals`) SIGINT/SIGTERM; `onReady` gets the bound port.
    public func run(handleSignals: Bool = true, logger: Logger? = nil, onReady: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        var quiet = Logger(label: "synthlab.review")
        quiet.logLevel = .warning
        let app = Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "synthlab-review"),
            onServerRunning: { channel in onReady(channel.localAddress?.port ?? 0) },
            logger: logger ?? quiet
        )
        try await app.runService(gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [])
    }

    // MARK: POST handlers

    private func review(_ request: Request, sampleID: Int64) async -> Response {
        if configuration.readOnly {
            return pages.problem(.methodNotAllowed, "Read-only", "This server was started with --read-only; it records no decisions.")
        }
        guard let form = await formBody(request) else {
            return pages.problem(.contentTooLarge, "Too large", "The form is larger than this server accepts.")
        }
        guard let given = form["csrf"], Secrets.constantTimeEqual(given, csrfToken) else {
            return pages.problem(.forbidden, "Refused", "The form's security token is missing or stale: reload the page and decide again.")
        }
        guard let decision = form["decision"].flatMap(ReviewDecision.init(rawValue:)) else {
            return pages.problem(.badRequest, "No decision", "Choose accept or reject.")
        }
        let reasonText = form["reason"] ?? ""
        let reason = reasonText.isEmpty ? nil : ReviewReason(rawValue: reasonText)
        if !reasonText.isEmpty && reason == nil {
            return pages.problem(.badRequest, "Unknown reason", "'\(reasonText)' is not one of the reasons: \(ReviewReason.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        let edit = NewReview(sampleID: sampleID, decision: decision, reason: reason, note: form["note"] ?? "",
                             question: form["question"], answer: form["answer"], reviewer: configuration.reviewer)
        do {
            try store.addReview(edit)
        } catch let error where error.kind == .invalid {
            let notFound = error.detail.hasPrefix("no sample")
            return pages.problem(notFound ? .notFound : .badRequest, notFound ? "Not found" : "Not saved", error.detail)
        } catch {
            return pages.problem(.serviceUnavailable, "Not saved", "The store could not record the decision: \(error.description). Nothing was changed; try again.")
        }
        var target = "/samples/\(sampleID)?saved=1"
        if form["then"] == "next", let next = try? store.neighbours(ofSample: sampleID).next { target = "/samples/\(next)" }
        return Response(status: .seeOther, headers: [.location: target])
    }

    private func login(_ request: Request) async -> Response {
        guard let token = configuration.token, !token.isEmpty else { return Response(status: .seeOther, headers: [.location: "/"]) }
        guard let form = await formBody(request), let given = form["csrf"], Secrets.constantTimeEqual(given, csrfToken) else {
            return pages.problem(.forbidden, "Refused", "The form's security token is missing or stale: reload the page.")
        }
        guard Secrets.constantTimeEqual(form["token"] ?? "", token) else {
            var response = pages.respond { try pages.login(message: "That token is not the one this server was started with.") }
            response.status = .unauthorized
            return response
        }
        var response = Response(status: .seeOther, headers: [.location: "/"])
        response.setCookie(Cookie(name: ReviewAccess<BasicRequestContext>.cookieName, value: ReviewAccess<BasicRequestContext>.sessionValue(token: token),
                                  path: "/", httpOnly: true, sameSite: .strict))
        return response
    }

    private func formBody(_ request: Request) async -> FormFields? {
        var request = request
        guard let body = try? await request.collectBody(upTo: configuration.maxBodyBytes) else { return nil }
        return FormFields(String(buffer: body))
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "max-age=300"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
