import Foundation
import LabStore
import LabStorePostgres

/// A store named on the command line, and the registry of store backends: a new backend is one
/// `StoreDatabase` file in its module plus one entry in `servers`.
struct StoreLocation: Equatable {
    /// A backend reached by URL.
    struct Server: Sendable {
        var name: String
        var accepts: @Sendable (String) -> Bool
        var open: @Sendable (_ url: String, _ readOnly: Bool) throws(StoreError) -> any StoreDatabase
    }

    static let servers: [Server] = [
        Server(name: "PostgreSQL", accepts: { PostgresDatabase.accepts($0) }, open: { url, readOnly throws(StoreError) in
            try PostgresDatabase(url: url, readOnly: readOnly)
        }),
    ]

    /// A URL, a `sqlite:` URL or a file path.
    let text: String

    init(_ text: String) { self.text = text }

    var server: Server? { Self.servers.first { $0.accepts(text) } }
    var isServer: Bool { server != nil }

    /// The SQLite file, for a file store.
    var fileURL: URL {
        let path = text.hasPrefix("sqlite://") ? String(text.dropFirst("sqlite://".count))
            : text.hasPrefix("sqlite:") ? String(text.dropFirst("sqlite:".count)) : text
        return URL(fileURLWithPath: (path as NSString).expandingTildeInPath)
    }

    /// Where it is, for messages (never a password).
    var shown: String {
        guard isServer, var components = URLComponents(string: text) else { return fileURL.path }
        components.password = nil
        return components.string ?? text
    }

    func open(readOnly: Bool) throws -> SampleStore {
        do {
            if let server { return SampleStore(database: try server.open(text, readOnly)) }
            if text.contains("://") {
                throw CLIError("'\(text)' is not a store this synthlab knows",
                               hint: "give a SQLite file path, or a postgres://user@host:5432/database URL")
            }
            if readOnly && !FileManager.default.fileExists(atPath: fileURL.path) {
                throw CLIError("no database at \(fileURL.path)", hint: "run `synthlab generate` first, or pass the right file with --db or --store")
            }
            return SampleStore(database: try SQLiteDatabase(url: fileURL, readOnly: readOnly))
        } catch let error as StoreError {
            throw CLIError(error.description)
        }
    }

    /// Whether the store exists (a server store is taken to; opening it says otherwise).
    var exists: Bool { isServer || FileManager.default.fileExists(atPath: fileURL.path) }

    static func == (lhs: StoreLocation, rhs: StoreLocation) -> Bool { lhs.text == rhs.text }
}
