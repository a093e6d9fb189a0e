public import Foundation
import GRDB

/// The embedded store: one SQLite file (WAL mode, foreign keys on, named migrations), through GRDB.
public final class SQLiteDatabase: StoreDatabase {
    public let location: String
    public var dialect: any SQLDialect { SQLiteDialect() }
    private let pool: DatabasePool

    /// Opens (creating when absent) the database at `url` and brings its schema up to date.
    /// - Parameters:
    ///   - readOnly: open for inspection only: nothing is created, migrated or written.
    ///   - maximumBytes: a quota: writes that would grow the file past it fail as a full disk does
    ///     (SQLite's `max_page_count`), so a run can be kept from filling a shared volume.
    public init(url: URL, readOnly: Bool = false, maximumBytes: Int? = nil) throws(StoreError) {
        location = url.path
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        configuration.readonly = readOnly
        if let maximumBytes {
            configuration.prepareDatabase { db in
                let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
                try db.execute(sql: "PRAGMA max_page_count = \(max(1, maximumBytes / pageSize))")
            }
        }
        do {
            if readOnly && !FileManager.default.fileExists(atPath: url.path) {
                throw StoreError(.cannotOpen, path: url.path, detail: "no database here")
            }
            pool = try DatabasePool(path: url.path, configuration: configuration)
            let migrator = StoreSchema.migrator
            let known = Set(migrator.migrations)
            let applied = try pool.read { db in try migrator.appliedIdentifiers(db) }
            if let unknown = applied.first(where: { !known.contains($0) }) {
                throw StoreError(.newerSchema, path: url.path, detail: "the database has migration '\(unknown)' that this synthlab does not know")
            }
            if !readOnly { try migrator.migrate(pool) }
        } catch let error as StoreError {
            throw error
        } catch {
            throw Self.translate(error, path: url.path)
        }
    }

    static func translate(_ error: any Error, path: String) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let error = error as? DatabaseError else {
            return StoreError(.cannotOpen, path: path, detail: "\(error)")
        }
        let kind: StoreError.Kind = switch error.resultCode.primaryResultCode {
        case .SQLITE_READONLY: .readOnly
        case .SQLITE_FULL: .diskFull
        case .SQLITE_NOTADB: .notADatabase
        case .SQLITE_CORRUPT: .corrupt
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH: .cannotOpen
        default: .query
        }
        return StoreError(kind, path: path, detail: error.message ?? "\(error.resultCode)", sql: error.sql)
    }

    public func read<T>(_ body: (any StoreSession) throws -> T) throws(StoreError) -> T {
        do { return try pool.read { db in try body(SQLiteSession(db: db)) } } catch { throw Self.translate(error, path: location) }
    }

    /// SQLite's commit is local: it either happened or raised, so `idempotent` changes nothing here.
    public func write<T>(idempotent: Bool, _ body: (any StoreSession) throws -> T) throws(StoreError) -> T {
        do { return try pool.write { db in try body(SQLiteSession(db: db)) } } catch { throw Self.translate(error, path: location) }
    }

    public func integrityProblems() throws(StoreError) -> [String] {
        try read { db in try db.values(String.self, sql: "PRAGMA integrity_check").filter { $0 != "ok" } }
    }

    /// Refreshes the planner's statistics where a run changed them a lot (SQLite's advice for long-lived stores).
    public func optimize() throws(StoreError) {
        try write(idempotent: true) { db in try db.execute(sql: "PRAGMA optimize") }
    }
}

/// SQLite's spelling of the store's few dialect-specific parts.
struct SQLiteDialect: SQLDialect {
    func joinedIntegers(_ expression: String) -> String { "group_concat(\(expression))" }

    func globCondition(_ column: String, pattern: String) -> (sql: String, argument: StoreValue) {
        ("\(column) GLOB ?", .text(pattern))
    }

    /// FTS5 over `samples_text` (migration v5): every word must occur, each also as a prefix;
    /// punctuation inside a word ("12,500") makes it a phrase.
    func sampleWordSearch(_ words: [String]) -> (sql: String, argument: StoreValue) {
        let match = words.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"*" }.joined(separator: " AND ")
        return ("SELECT rowid FROM samples_text WHERE samples_text MATCH ?", .text(match))
    }

    var insertionOrder: String { "rowid" }
    var nowSeconds: String { "((julianday('now') - 2440587.5) * 86400.0)" }
    /// A SQLite write transaction holds the whole database: there is nothing to skip or lock.
    var skipLockedLeaves: String { "" }
    var lockRow: String { "" }
    var lockRunCommits: String? { nil }
    /// AUTOINCREMENT continues after the largest id ever inserted, explicit ones included.
    func resetIdentity(table: String) -> String? { nil }
}

/// A GRDB connection seen through `StoreSession`.
struct SQLiteSession: StoreSession {
    let db: Database

    static func arguments(_ values: StoreArguments) -> StatementArguments {
        StatementArguments(values.map { value -> DatabaseValue in
            switch value.storeValue {
            case .null: .null
            case .integer(let number): number.databaseValue
            case .real(let number): number.databaseValue
            case .text(let text): text.databaseValue
            case .blob(let bytes): Data(bytes).databaseValue
            }
        })
    }

    func execute(sql: String, arguments: StoreArguments) throws {
        try db.execute(sql: sql, arguments: Self.arguments(arguments))
    }

    func rows(sql: String, arguments: StoreArguments) throws -> [StoreRow] {
        let cursor = try Row.fetchCursor(db, sql: sql, arguments: Self.arguments(arguments))
        var rows: [StoreRow] = []
        var columns: [String]?
        while let row = try cursor.next() {
            if columns == nil { columns = Array(row.columnNames) }
            rows.append(StoreRow(columns: columns!, values: row.databaseValues.map { value in
                switch value.storage {
                case .null: .null
                case .int64(let number): .integer(number)
                case .double(let number): .real(number)
                case .string(let text): .text(text)
                case .blob(let data): .blob([UInt8](data))
                }
            }))
        }
        return rows
    }

    func insert(sql: String, arguments: StoreArguments) throws -> Int64 {
        try execute(sql: sql, arguments: arguments)
        return db.lastInsertedRowID
    }
}
