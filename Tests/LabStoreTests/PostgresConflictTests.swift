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

    /// The interleaving a SIGKILL trial of the worker suite hit: worker B claims a leaf whose lease
    /// lapsed (locking the leaf's row, then waiting for the lease row) while the late holder A,
    /// holding that lease row from its renewal, inserts its unit, whose foreign key takes a key-share
    /// lock on the same leaf row. With the claim's FOR UPDATE the two waited on each other; with
    /// FOR NO KEY UPDATE A's insert doesn't wait at all (a lock_timeout makes any wait an error).
    @Test("a worker claiming a lapsed lease does not block the late holder's unit insert")
    func aClaimDoesNotBlockTheLateHoldersInsert() throws {
        let url = try PostgresCluster.shared().makeDatabase("claimrace")
        let holder = try PostgresDatabase(url: url), claimer = SampleStore(database: try PostgresDatabase(url: url))
        let observer = try PostgresDatabase(url: url)
        let setup = SampleStore(database: holder)
        let run = try setup.createRun(RunConfiguration(taxonomyHash: "t", pipelineHash: "p", teacher: "scripted", seed: 7))
        let (leaf, _) = try setup.addLeaf(runID: run, taxonomyPath: "skills->x", kind: "skill", contentHash: "h", target: 10, seeds: [("", "q", "a")])
        #expect(try setup.claimLeaves(runID: run, worker: "a", limit: 1, leaseSeconds: 0.05) == [leaf])
        Thread.sleep(forTimeInterval: 0.2)  // A's lease lapses

        let holdsLease = DispatchSemaphore(value: 0)
        let claimed = DispatchSemaphore(value: 0)
        let claim = ClaimResult()
        Thread.detachNewThread {
            _ = holdsLease.wait(timeout: .now() + 10)
            claim.set(Result { () throws(StoreError) in try claimer.claimLeaves(runID: run, worker: "b", limit: 1, leaseSeconds: 30) })
            claimed.signal()
        }
        try holder.write(idempotent: false) { db in
            // completeUnit's order: renew the lease (locks its row), then insert the unit.
            try db.execute(sql: "UPDATE leaf_leases SET expires_at = extract(epoch from clock_timestamp()) + 30 WHERE leaf_id = ? AND worker = 'a'",
                           arguments: [leaf])
            holdsLease.signal()
            // Until B's claim waits for the lease row.
            let deadline = Date().addingTimeInterval(10)
            while try observer.read({ db in try db.value(Int.self, sql: "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") ?? 0 }) == 0,
                  Date() < deadline {
                Thread.sleep(forTimeInterval: 0.01)
            }
            // Shorter than the server's 1 s deadlock_timeout: a wait here fails before a deadlock
            // check could resolve it by aborting B.
            try db.execute(sql: "SET LOCAL lock_timeout = '300ms'")
            try db.execute(sql: "INSERT INTO completed_units (run_id, unit_key, completed_at, leaf_id, unit_index, failure, worker) VALUES (?, 'u0', 0, ?, 0, NULL, 'a')",
                           arguments: [run, leaf])
        }
        #expect(claimed.wait(timeout: .now() + 30) == .success, "the claim did not return")
        // B's claim went through after A committed: it takes the leaf over (A's next unit finds its lease lost).
        #expect(try claim.get()?.get() == [leaf])
    }
}

/// The outcome of a claim made on another thread.
private final class ClaimResult: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<[Int64], StoreError>?
    func set(_ value: Result<[Int64], StoreError>) { lock.withLock { result = value } }
    func get() -> Result<[Int64], StoreError>? { lock.withLock { result } }
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
