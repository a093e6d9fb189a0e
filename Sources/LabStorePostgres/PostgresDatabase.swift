public import Foundation
public import LabStore
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// The store on a PostgreSQL server, for runs shared by workers on many machines.
///
/// The store's API is synchronous (the runner commits a unit at a time; SQLite is synchronous
/// too), so each transaction waits for its futures on the calling thread; PostgresNIO's I/O runs
/// on its own event-loop threads, never the one waiting. One connection per process, used by one
/// transaction at a time: a worker's writes are sequential anyway, and a single connection keeps
/// the server's connection count at one per worker.
///
/// A dropped connection is reopened (for up to `reconnectSeconds`) and a transaction that had not
/// reached COMMIT is run again from the start: the server rolled it back, so nothing is doubled.
/// A connection lost *during* COMMIT can't be told apart from a committed one and is reported
/// (`.connectionLost`); the runner's exactly-once rules (unit keys, leases) make rerunning safe.
public final class PostgresDatabase: StoreDatabase, @unchecked Sendable {
    public let location: String
    public var dialect: any SQLDialect { PostgresDialect() }
    /// How long a transaction keeps trying to reconnect after the server went away.
    public let reconnectSeconds: Double

    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var connection: PostgresConnection?
    private var nextConnectionID = 1

    /// Whether `text` names a PostgreSQL store (`postgres://…` or `postgresql://…`).
    public static func accepts(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Connects to the server named by `url` (`postgres://user:password@host:port/database`;
    /// `PGPASSWORD` when the URL has no password; `?sslmode=require` for TLS) and brings the schema
    /// up to date (unless `readOnly`).
    public init(url text: String, readOnly: Bool = false, reconnectSeconds: Double = 30) throws(StoreError) {
        let parsed = try Self.parse(text)
        location = parsed.location
        configuration = parsed.configuration
        self.reconnectSeconds = reconnectSeconds
        var logger = Logger(label: "synthlab.store.postgres")
        logger.logLevel = .critical
        self.logger = logger
        do {
            // No other thread can see `self` yet; the lock is for the rule that `connection` is guarded.
            lock.lock()
            defer { lock.unlock() }
            connection = try connect()
        } catch {
            throw Self.translate(error, location: location, connecting: true)
        }
        try migrate(readOnly: readOnly)
    }

    deinit {
        try? connection?.close().wait()
    }

    // MARK: URL

    static func parse(_ text: String) throws(StoreError) -> (configuration: PostgresConnection.Configuration, location: String) {
        guard accepts(text), let components = URLComponents(string: text), let host = components.host, !host.isEmpty else {
            throw StoreError(.invalid, path: text, detail: "not a PostgreSQL URL; write it as postgres://user:password@host:5432/database")
        }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        let environment = ProcessInfo.processInfo.environment
        let user = components.user.flatMap { $0.removingPercentEncoding } ?? environment["PGUSER"] ?? environment["USER"] ?? "postgres"
        let password = components.password.flatMap { $0.removingPercentEncoding } ?? environment["PGPASSWORD"]
        var database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        if database.isEmpty { database = user }
        let tls: PostgresConnection.Configuration.TLS
        switch query["sslmode"] ?? "disable" {
        case "disable": tls = .disable
        default:
            throw StoreError(.invalid, path: text, detail: "sslmode '\(query["sslmode"] ?? "")' is not supported by this build: "
                             + "use sslmode=disable on a trusted network, or reach the server through an SSH tunnel or a TLS proxy")
        }
        var configuration = PostgresConnection.Configuration(host: host, port: components.port ?? 5432, username: user,
                                                             password: password, database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        var shown = components
        shown.password = nil
        shown.query = nil
        return (configuration, shown.string ?? "postgres://\(host)/\(database)")
    }

    // MARK: Connections

    /// A fresh connection (caller holds `lock`).
    private func connect() throws -> PostgresConnection {
        defer { nextConnectionID += 1 }
        return try PostgresSession.wait(PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration,
                                                                   id: nextConnectionID, logger: logger), seconds: 15)
    }

    /// Closes a broken connection and forgets it (caller holds `lock`); the next transaction opens a new one.
    private func dropConnection() {
        // PostgresNIO requires a connection to be closed before it is released; a broken one may
        // never report that it closed, so the wait is bounded.
        if let connection { _ = try? PostgresSession.wait(connection.close(), seconds: 5) }
        connection = nil
    }

    /// The open connection, reopening it (with pauses) for up to `reconnectSeconds` when it was lost.
    private func liveConnection() throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        dropConnection()
        let deadline = Date().addingTimeInterval(reconnectSeconds)
        var pause = 0.2
        while true {
            do {
                let fresh = try connect()
                connection = fresh
                return fresh
            } catch {
                if Date().addingTimeInterval(pause) > deadline { throw error }
                Thread.sleep(forTimeInterval: pause)
                pause = min(pause * 2, 2)
            }
        }
    }

    /// Runs `body` between BEGIN and COMMIT, again from the start when the connection broke before COMMIT.
    ///
    /// A read-only transaction doesn't wait for its BEGIN and COMMIT: they are sent on the
    /// connection, whose queries run in order, so the body's first statement waits for the BEGIN
    /// too and the next transaction's for the COMMIT. Most reads are one statement (a cache lookup
    /// per teacher call), so this saves two of three round trips. A BEGIN that failed is caught
    /// before the body's result is used; the only thing a read could lose with it is one snapshot.
    private func transaction<T>(_ begin: String, idempotent: Bool, readOnly: Bool = false,
                                _ body: (any StoreSession) throws -> T) throws(StoreError) -> T {
        lock.lock()
        defer { lock.unlock() }
        var attempts = 0
        var conflicts = 0
        while true {
            var committing = false
            do {
                let connection = try liveConnection()
                let session = PostgresSession(connection: connection, logger: logger)
                let began: EventLoopFuture<PostgresQueryResult>?
                if readOnly {
                    began = connection.query(PostgresQuery(unsafeSQL: begin), logger: logger)
                } else {
                    began = nil
                    try session.execute(sql: begin, arguments: [])
                }
                do {
                    let value = try body(session)
                    if let began { _ = try PostgresSession.wait(began, seconds: PostgresSession.statementTimeout) }
                    committing = true
                    if readOnly {
                        connection.query(PostgresQuery(unsafeSQL: "COMMIT"), logger: logger).whenFailure { _ in }
                    } else {
                        try session.execute(sql: "COMMIT", arguments: [])
                    }
                    return value
                } catch {
                    // A broken connection is dropped instead: the server rolls back what it had.
                    if !committing && !connection.isClosed && !Self.isConnectionFailure(error) {
                        try? session.execute(sql: "ROLLBACK", arguments: [])
                    }
                    throw error
                }
            } catch {
                if Self.isConnectionFailure(error) {
                    dropConnection()
                    attempts += 1
                    if (!committing || idempotent) && attempts <= 3 { continue }
                    throw StoreError(.connectionLost, path: location,
                                     detail: committing ? "the connection broke during COMMIT: the last write may or may not have landed"
                                                        : "the connection broke and could not be restored within \(Int(reconnectSeconds)) s")
                }
                if Self.isTransientConflict(error) && conflicts < Self.conflictRetries {
                    // The server rolled the transaction back to break a deadlock (or a serialization
                    // conflict): nothing of it landed, so running it again is safe whatever it writes.
                    // The wait is jittered so the two sides don't meet again in the same order.
                    conflicts += 1
                    // A fresh session: the ROLLBACK above may not have gone through, and a BEGIN on a
                    // connection still inside the aborted transaction would fail every statement.
                    dropConnection()
                    Thread.sleep(forTimeInterval: Double.random(in: 0.005...0.02) * Double(conflicts))
                    continue
                }
                throw Self.translate(error, location: location, connecting: false)
            }
        }
    }

    /// How many times a transaction the server aborted for a deadlock or serialization conflict is run again.
    static let conflictRetries = 5

    public func read<T>(_ body: (any StoreSession) throws -> T) throws(StoreError) -> T {
        try transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", idempotent: true, readOnly: true, body)
    }

    public func write<T>(idempotent: Bool, _ body: (any StoreSession) throws -> T) throws(StoreError) -> T {
        try transaction("BEGIN", idempotent: idempotent, body)
    }

    /// The server keeps its own consistency (checksums, WAL); nothing to check from a client.
    public func integrityProblems() throws(StoreError) -> [String] { [] }

    /// Fresh planner statistics for the tables a run grows (autovacuum does this too, later).
    public func optimize() throws(StoreError) {
        lock.lock()
        defer { lock.unlock() }
        do {
            try PostgresSession(connection: try liveConnection(), logger: logger).execute(sql: "ANALYZE samples, verdicts, completed_units", arguments: [])
        } catch {
            throw Self.translate(error, location: location, connecting: false)
        }
    }

    // MARK: Schema

    private func migrate(readOnly: Bool) throws(StoreError) {
        let known = PostgresSchema.migrations.map(\.identifier)
        try write(idempotent: true) { db in
            // One migrating process at a time (workers start together); the lock ends with the transaction.
            try db.execute(sql: "SELECT pg_advisory_xact_lock(7261736873)", arguments: [])
            let exists = try db.value(String.self, sql: "SELECT to_regclass('schema_migrations')::text", arguments: []) != nil
            if readOnly && !exists {
                throw StoreError(.notFound, path: location, detail: "this database holds no synthlab store yet (run `synthlab generate --store …` first)")
            }
            try db.execute(sql: "CREATE TABLE IF NOT EXISTS schema_migrations (identifier TEXT PRIMARY KEY, applied_at TEXT NOT NULL)", arguments: [])
            let applied = try db.values(String.self, sql: "SELECT identifier FROM schema_migrations", arguments: [])
            if let unknown = applied.first(where: { !known.contains($0) }) {
                throw StoreError(.newerSchema, path: location, detail: "the database has migration '\(unknown)' that this synthlab does not know")
            }
            if readOnly { return }
            for migration in PostgresSchema.migrations where !applied.contains(migration.identifier) {
                for statement in Self.statements(migration.sql) { try db.execute(sql: statement, arguments: []) }
                try db.execute(sql: "INSERT INTO schema_migrations (identifier, applied_at) VALUES (?, ?)",
                               arguments: [migration.identifier, ISO8601DateFormatter().string(from: Date())])
            }
        }
    }

    /// The statements of a migration (the extended protocol takes one at a time).
    static func statements(_ sql: String) -> [String] {
        sql.components(separatedBy: ";\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .map { $0.hasSuffix(";") ? String($0.dropLast()) : $0 }.filter { !$0.isEmpty }
    }

    // MARK: Errors

    static func isConnectionFailure(_ error: any Error) -> Bool {
        if error is PostgresSession.Timeout { return true }
        if let error = error as? PSQLError {
            // The server ending the session (57P01 admin shutdown, 57P02 crash, 57P03 starting up) or a
            // connection exception (class 08) says so before it closes the socket.
            if let state = error.serverInfo?[.sqlState], state.hasPrefix("57P") || state.hasPrefix("08") { return true }
            return [.connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection].contains(error.code)
        }
        return error is ChannelError || error is IOError
    }

    /// A deadlock the server broke (40P01) or a serialization failure (40001): the transaction was
    /// rolled back and can be run again.
    static func isTransientConflict(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40P01" || state == "40001"
    }

    static func translate(_ error: any Error, location: String, connecting: Bool) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let error = error as? PSQLError else {
            return StoreError(connecting ? .unreachable : .query, path: location, detail: "\(error)")
        }
        if let info = error.serverInfo {
            let state = info[.sqlState] ?? ""
            var detail = info[.message] ?? "server error \(state)"
            if let more = info[.detail] { detail += " (\(more))" }
            let kind: StoreError.Kind = switch state {
            case "53100": .diskFull
            case "25006": .readOnly
            case _ where state.hasPrefix("28"), "3D000": .unreachable
            case _ where state.hasPrefix("08"): .connectionLost
            default: .query
            }
            return StoreError(kind, path: location, detail: detail, sql: error.query?.sql)
        }
        if isConnectionFailure(error) || connecting {
            var detail = "\(error.code)"
            if let underlying = error.underlying { detail += ": \(underlying)" }
            return StoreError(connecting ? .unreachable : .connectionLost, path: location, detail: detail)
        }
        return StoreError(.query, path: location, detail: "\(error.code)", sql: error.query?.sql)
    }
}

/// A PostgreSQL connection seen through `StoreSession`: `?` placeholders become `$1…`, values bind
/// by kind, and result cells come back as `StoreValue`s.
struct PostgresSession: StoreSession {
    let connection: PostgresConnection
    let logger: Logger

    /// `?` outside quotes becomes `$n`.
    static func numbered(_ sql: String) -> String {
        var result = ""
        result.reserveCapacity(sql.utf8.count + 16)
        var number = 0
        var quote: Character?
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
                result.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                result.append(character)
            } else if character == "?" {
                number += 1
                result += "$\(number)"
            } else {
                result.append(character)
            }
        }
        return result
    }

    static func bindings(_ arguments: StoreArguments) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument.storeValue {
            case .null: bindings.appendNull()
            case .integer(let number): bindings.append(number)
            case .real(let number): bindings.append(number)
            case .text(let text): bindings.append(text)
            case .blob(let bytes): bindings.append(ByteBuffer(bytes: bytes))
            }
        }
        return bindings
    }

    /// How long one statement may take before the connection is taken to be broken. Statements here
    /// are short (a unit's rows, a page of samples); the bound catches a connection the server cut
    /// whose pending query PostgresNIO never fails (seen after pg_terminate_backend).
    static let statementTimeout = 15.0

    struct Timeout: Error {}

    /// The future's value, waited for at most `seconds` (then `Timeout`).
    static func wait<T: Sendable>(_ future: EventLoopFuture<T>, seconds: Double) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        future.whenComplete { result in
            box.set(result)
            done.signal()
        }
        guard done.wait(timeout: .now() + seconds) == .success, let result = box.get() else { throw Timeout() }
        return try result.get()
    }

    private func run(_ sql: String, _ arguments: StoreArguments) throws -> PostgresQueryResult {
        try Self.wait(connection.query(PostgresQuery(unsafeSQL: Self.numbered(sql), binds: Self.bindings(arguments)), logger: logger),
                      seconds: Self.statementTimeout)
    }

    func execute(sql: String, arguments: StoreArguments) throws {
        _ = try run(sql, arguments)
    }

    func rows(sql: String, arguments: StoreArguments) throws -> [StoreRow] {
        let result = try run(sql, arguments)
        var rows: [StoreRow] = []
        var columns: [String]?
        for row in result.rows {
            let cells = Array(row)
            if columns == nil { columns = cells.map(\.columnName) }
            rows.append(StoreRow(columns: columns!, values: try cells.map(Self.value)))
        }
        return rows
    }

    func insert(sql: String, arguments: StoreArguments) throws -> Int64 {
        guard let id = try rows(sql: sql + " RETURNING id", arguments: arguments).first.flatMap({ Int64.fromStoreValue($0.value("id")) }) else {
            throw StoreError(.query, path: "postgres", detail: "an INSERT returned no id", sql: sql)
        }
        return id
    }

    static func value(_ cell: PostgresCell) throws -> StoreValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .int2, .int4, .int8, .oid: return .integer(try cell.decode(Int64.self))
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .numeric:
            let decimal = try cell.decode(Decimal.self)
            return .real(NSDecimalNumber(decimal: decimal).doubleValue)
        case .bytea: return .blob([UInt8](try cell.decode(Data.self)))
        default: return .text(try cell.decode(String.self))
        }
    }
}

private final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, any Error>?
    func set(_ value: Result<T, any Error>) { lock.withLock { result = value } }
    func get() -> Result<T, any Error>? { lock.withLock { result } }
}

/// PostgreSQL's spelling of the store's few dialect-specific parts.
struct PostgresDialect: SQLDialect {
    func joinedIntegers(_ expression: String) -> String { "string_agg((\(expression))::text, ',')" }

    /// A shell glob as a LIKE pattern: `*` → `%`, `?` → `_`, LIKE's own wildcards escaped.
    func globCondition(_ column: String, pattern: String) -> (sql: String, argument: StoreValue) {
        var like = ""
        for character in pattern {
            switch character {
            case "*": like += "%"
            case "?": like += "_"
            case "%", "_", "\\": like += "\\" + String(character)
            default: like.append(character)
            }
        }
        return ("\(column) LIKE ? ESCAPE '\\'", .text(like))
    }

    /// The GIN index of migration v5: every word must occur, each also as a prefix.
    func sampleWordSearch(_ words: [String]) -> (sql: String, argument: StoreValue) {
        let query = words.map { "'" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''") + "':*" }
            .joined(separator: " & ")
        return ("SELECT id FROM samples WHERE to_tsvector('simple', question || ' ' || answer) @@ to_tsquery('simple', ?)", .text(query))
    }

    var insertionOrder: String { "seq" }
    var nowSeconds: String { "extract(epoch from clock_timestamp())::double precision" }
    // NO KEY UPDATE, not UPDATE: every unit's INSERT of samples and completed units takes KEY SHARE
    // on its leaf's row (their foreign keys), which FOR UPDATE blocks — a worker claiming a lapsed
    // lease (leaf row, then lease row) and the late holder committing a unit (lease row, then the
    // leaf row's key share) waited on each other. NO KEY UPDATE still orders claims against the
    // UPDATE that ends a leaf.
    var skipLockedLeaves: String { "FOR NO KEY UPDATE OF l SKIP LOCKED" }
    var lockRow: String { "FOR NO KEY UPDATE" }
    /// A transaction-scoped advisory lock keyed by the run (class 7261 keeps it apart from the migration lock).
    var lockRunCommits: String? { "SELECT pg_advisory_xact_lock(7261, ?::integer)" }
    func resetIdentity(table: String) -> String? {
        "SELECT setval(pg_get_serial_sequence('\(table)', 'id'), coalesce(max(id), 0) + 1, false) FROM \(table)"
    }
}
