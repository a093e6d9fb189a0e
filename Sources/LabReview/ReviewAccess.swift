import Crypto
import Foundation
import Hummingbird
import LabCore

/// Who may use the page. Without a token (loopback only) everyone on this machine may; with one,
/// a request needs `Authorization: Bearer <token>` or the session cookie the login form sets (an
/// HMAC of the token, so the cookie never holds the token itself). Every response also carries
/// headers that keep the page from running anything but its own script or being framed.
struct ReviewAccess<Context: RequestContext>: RouterMiddleware {
    static var cookieName: String { "synthlab_review" }

    let token: String?
    let pages: ReviewPages

    static func sessionValue(token: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data("synthlab-review-session".utf8), using: SymmetricKey(data: Data(token.utf8)))
        return code.map { String(format: "%02x", $0) }.joined()
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await authorize(request) ? next(request, context) : refusal(request)
        response.headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.init("Referrer-Policy")!] = "same-origin"
        return response
    }

    private func authorize(_ request: Request) -> Bool {
        guard let token, !token.isEmpty else { return true }
        let path = request.uri.path
        if path == "/login" || path == "/health" || path.hasPrefix("/assets/") { return true }
        if let header = request.headers[.authorization], Secrets.constantTimeEqual(header, "Bearer \(token)") { return true }
        if let cookie = request.cookies[Self.cookieName]?.value, Secrets.constantTimeEqual(cookie, Self.sessionValue(token: token)) { return true }
        return false
    }

    /// Browsers go to the login form; other clients get 401.
    private func refusal(_ request: Request) -> Response {
        if request.method == .get, (request.headers[.accept] ?? "").contains("text/html") {
            return Response(status: .seeOther, headers: [.location: "/login"])
        }
        return pages.problem(.unauthorized, "Sign in first", "This server needs its access token: send Authorization: Bearer <token>, or sign in at /login.")
    }
}
