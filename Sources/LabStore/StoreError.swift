/// A store failure, with the database file and the SQL involved when there is one.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case cannotOpen
        case notADatabase
        case readOnly
        case diskFull
        case corrupt
        case newerSchema
        case query
        case notFound
        /// The request itself is wrong (e.g. a review without a reason).
        case invalid
        /// A database server can't be reached, or refused the login.
        case unreachable
        /// The connection to a database server broke and could not be restored; the transaction
        /// in progress was not committed.
        case connectionLost
        /// A worker's lease on a leaf ran out and another worker holds it now; nothing was written.
        case leaseLost
    }

    public var kind: Kind
    public var path: String
    public var detail: String
    public var sql: String?

    public init(_ kind: Kind, path: String, detail: String, sql: String? = nil) {
        self.kind = kind
        self.path = path
        self.detail = detail
        self.sql = sql
    }

    public var description: String {
        var text = "\(path): \(detail)"
        if let sql { text += " (SQL: \(sql.prefix(200)))" }
        let hint: String = switch kind {
        case .cannotOpen: "check that the folder exists and is writable"
        case .notADatabase: "this file is not a synthlab database; pass another --db"
        case .readOnly: "the database is read-only; check its permissions or pass another --db"
        case .diskFull: "free disk space, then resume the run: nothing committed was lost"
        case .corrupt: "restore the database from a copy; `sqlite3 FILE .recover` may save its contents"
        case .newerSchema: "this database was written by a newer synthlab; upgrade synthlab"
        case .unreachable: "check that the PostgreSQL server runs and that the URL's host, port, user, password and database are right"
        case .connectionLost: "nothing of the interrupted write was committed; run the command again (`generate --resume`, `worker`) to carry on"
        case .leaseLost: "another worker took the leaf over after this one missed its lease renewals"
        case .query, .notFound, .invalid: ""
        }
        return hint.isEmpty ? text : "\(text) (hint: \(hint))"
    }
}
