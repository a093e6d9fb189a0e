import Foundation
import LabStore
import LabStorePostgres
import LabTestSupport
import Testing

/// Transactions the server aborts to break a deadlock are run again, so two workers that lock rows
/// in opposite orders both land their writes instead of one of them exiting with a store error.
@Suite("PostgreSQL: deadlocks and conflicts", .serialized)
struct PostgresConflicts {
    @Test("two transactions locking two rows in opposite orders both commit: the one the server aborts is run again")
    func aDeadlockedTransactionIsRunAgain() throws {
        let url = try PostgresCluster.shared().makeDatabase("deadlock")
        let first = try PostgresDatabase(url: url)
        let second = try PostgresDatabase(url: url)
        try first.write(idempotent: false) { db in
            try db.execute(sql: "CREATE TABLE pair (id integer PRIMARY KEY, touched_by text)")
            try db.execute(sql: "INSERT INTO pair (id, touched_by) VALUES (1, ''), (2, '')")
        }
        // Each side locks its first row, waits until the other has locked its own, then asks for the
        // other's: a cycle only the server can break (after its 1 s deadlock_timeout).
        let locked = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        let tally = Tally()
        @Sendable func side(_ name: String, _ database: PostgresDatabase, order: (Int, Int),
                  mine: DispatchSemaphore, theirs: DispatchSemaphore) -> Result<Void, StoreError> {
            Result { () throws(StoreError) in
                try database.write(idempotent: false) { db in
                    let attempt = tally.started(name)
                    try db.execute(sql: "UPDATE pair SET touched_by = touched_by || ? WHERE id = ?", arguments: [name, Int64(order.0)])
                    if attempt == 1 {
                        mine.signal()
                        _ = theirs.wait(timeout: .now() + 10)
                    }
                    try db.execute(sql: "UPDATE pair SET touched_by = touched_by || ? WHERE id = ?", arguments: [name, Int64(order.1)])
                }
            }
        }
        let group = DispatchGroup()
        for (name, database, order, mine, theirs) in [("a", first, (1, 2), locked.0, locked.1), ("b", second, (2, 1), locked.1, locked.0)] {
            group.enter()
            Thread.detachNewThread {
                let result = side(name, database, order: order, mine: mine, theirs: theirs)
                tally.finished(result)
                group.leave()
            }
        }
        #expect(group.wait(timeout: .now() + 60) == .success, "the two transactions did not finish within a minute")
        for result in tally.results {
            if case .failure(let error) = result { Issue.record("a transaction failed: \(error)") }
        }
        // One side ran twice (aborted by the server, then again), the other once; each row holds both
        // sides' marks exactly once, so the aborted attempt left nothing behind.
        #expect(tally.attempts.values.sorted() == [1, 2])
        let rows = try first.read { db in try db.rows(sql: "SELECT touched_by FROM pair ORDER BY id").map { $0["touched_by"] as String } }
        #expect(rows.map { String($0.sorted()) } == ["ab", "ab"])
    }
}

/// What each side of the deadlock test did, written from its own thread.
private final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var attemptsByName: [String: Int] = [:]
    private var outcomes: [Result<Void, StoreError>] = []

    /// Counts an attempt of `name`'s transaction and returns its number (1 for the first).
    func started(_ name: String) -> Int {
        lock.withLock { attemptsByName[name, default: 0] += 1; return attemptsByName[name]! }
    }
    func finished(_ result: Result<Void, StoreError>) { lock.withLock { outcomes.append(result) } }
    var attempts: [String: Int] { lock.withLock { attemptsByName } }
    var results: [Result<Void, StoreError>] { lock.withLock { outcomes } }
}
