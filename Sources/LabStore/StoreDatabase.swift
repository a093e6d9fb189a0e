/// What the store's queries need from a SQL database: transactions, and statements with `?`
/// placeholders. `SampleStore` holds its queries once and runs them on any implementation:
/// SQLite (`SQLiteDatabase`, the embedded default) or PostgreSQL (module LabStorePostgres).
///
/// A new backend is one file implementing this protocol and `SQLDialect`, plus one line in the
/// command line's store registry (`StoreLocation`).
public protocol StoreDatabase: Sendable {
    /// Where the store lives, for messages: a file path, or a server URL without its password.
    var location: String { get }
    var dialect: any SQLDialect { get }
    /// Runs `body` on a consistent snapshot.
    func read<T>(_ body: (any StoreSession) throws -> T) throws(StoreError) -> T
    /// Runs `body` in one transaction: all of its writes land, or none (on any thrown error).
    /// `idempotent`: running `body` again after it committed changes nothing, so when a connection
    /// breaks during COMMIT (the outcome unknown) the transaction may simply be run again.
    func write<T>(idempotent: Bool, _ body: (any StoreSession) throws -> T) throws(StoreError) -> T
    /// The database's own consistency check; empty when sound.
    func integrityProblems() throws(StoreError) -> [String]
    /// Housekeeping after a run changed many rows (the query planner's statistics).
    func optimize() throws(StoreError)
}

/// A connection inside a transaction (or a read snapshot).
public protocol StoreSession {
    func execute(sql: String, arguments: StoreArguments) throws
    func rows(sql: String, arguments: StoreArguments) throws -> [StoreRow]
    /// Runs an INSERT into a table whose key is an `id` column and returns the new row's id.
    func insert(sql: String, arguments: StoreArguments) throws -> Int64
}

extension StoreSession {
    public func execute(sql: String) throws { try execute(sql: sql, arguments: []) }

    public func rows(sql: String) throws -> [StoreRow] { try rows(sql: sql, arguments: []) }

    public func row(sql: String, arguments: StoreArguments = []) throws -> StoreRow? {
        try rows(sql: sql, arguments: arguments).first
    }

    /// The first column of the first row; nil when there is no row or the value is NULL.
    public func value<T: StoreValueConvertible>(_ type: T.Type, sql: String, arguments: StoreArguments = []) throws -> T? {
        guard let row = try rows(sql: sql, arguments: arguments).first, let first = row.values.first else { return nil }
        return T.fromStoreValue(first)
    }

    /// The first column of every row (NULLs left out).
    public func values<T: StoreValueConvertible>(_ type: T.Type, sql: String, arguments: StoreArguments = []) throws -> [T] {
        try rows(sql: sql, arguments: arguments).compactMap { $0.values.first.flatMap(T.fromStoreValue) }
    }
}

/// The few places where SQLite and PostgreSQL spell a query differently. Everything else in the
/// store's SQL is common to both (`ON CONFLICT`, `IS NOT DISTINCT FROM`, `CASE`, subqueries).
public protocol SQLDialect: Sendable {
    /// An aggregate joining the integer `expression` of a group's rows with commas.
    func joinedIntegers(_ expression: String) -> String
    /// A condition that `column` matches the shell glob given as the next argument (`*`, `?`), and
    /// that argument.
    func globCondition(_ column: String, pattern: String) -> (sql: String, argument: StoreValue)
    /// A subquery selecting the ids of samples whose question or answer contains every one of
    /// `words`, each also as the start of a longer word, through the store's full-text index.
    func sampleWordSearch(_ words: [String]) -> (sql: String, argument: StoreValue)
    /// The column ordering the rows of training_task_answers and training_evaluations by insertion.
    var insertionOrder: String { get }
    /// The database clock, as seconds since 1970 (a SQL expression): leases are timed by it, so
    /// workers' own clocks never matter.
    var nowSeconds: String { get }
    /// Appended to a SELECT over `leaves l` that picks leaves to claim: rows another transaction is
    /// claiming are skipped rather than waited for ("" where writers are serialised anyway).
    var skipLockedLeaves: String { get }
    /// Appended to a SELECT of one row that the transaction is about to act on, to hold it until commit.
    var lockRow: String { get }
    /// A statement taking the run's commit lock until the transaction ends (one argument: the run
    /// id), or nil where write transactions are serialised anyway.
    var lockRunCommits: String? { get }
    /// After rows were inserted with explicit ids (`store copy`): the statement that moves the
    /// table's id generator past them, or nil where the database does so itself.
    func resetIdentity(table: String) -> String?
}
