/// Leases on leaves, for runs that several workers share (see `StoreMigrations.leafLeases`).
extension SampleStore {
    /// Claims up to `limit` open leaves of a run (pending or running, with no lease, a lapsed one, or
    /// one this worker holds already), in leaf order, leasing them to `worker` for `leaseSeconds`.
    /// Two workers never get the same leaf: on PostgreSQL rows being claimed are skipped
    /// (`FOR UPDATE SKIP LOCKED`), on SQLite claims are serialised by the write lock.
    /// - Parameter excluding: leaves the worker works on already (their leases are renewed apart).
    public func claimLeaves(runID: Int64, worker: String, limit: Int, leaseSeconds: Double,
                            excluding: [Int64] = []) throws(StoreError) -> [Int64] {
        guard limit > 0 else { return [] }
        let now = dialect.nowSeconds
        let held = excluding.isEmpty ? "" : "AND l.id NOT IN (\(excluding.map(String.init).joined(separator: ",")))"
        return try write(idempotent: true) { db in
            let ids = try db.values(Int64.self, sql: """
                SELECT l.id FROM leaves l LEFT JOIN leaf_leases x ON x.leaf_id = l.id
                WHERE l.run_id = ? AND l.status IN ('pending', 'running') \(held)
                  AND (x.leaf_id IS NULL OR x.expires_at < \(now) OR x.worker = ?)
                ORDER BY l.id LIMIT ? \(dialect.skipLockedLeaves)
                """, arguments: [runID, worker, limit])
            for id in ids {
                try db.execute(sql: """
                    INSERT INTO leaf_leases (leaf_id, worker, expires_at) VALUES (?, ?, \(now) + ?)
                    ON CONFLICT (leaf_id) DO UPDATE SET worker = excluded.worker, expires_at = excluded.expires_at
                    """, arguments: [id, worker, leaseSeconds])
            }
            return ids
        }
    }

    /// Extends this worker's leases on `leafIDs` and returns the ones it still holds (a lease that
    /// lapsed and was taken by another worker is gone).
    public func renewLeases(worker: String, leafIDs: [Int64], leaseSeconds: Double) throws(StoreError) -> Set<Int64> {
        guard !leafIDs.isEmpty else { return [] }
        let list = leafIDs.map(String.init).joined(separator: ",")
        return try write(idempotent: true) { db in
            try db.execute(sql: "UPDATE leaf_leases SET expires_at = \(dialect.nowSeconds) + ? WHERE worker = ? AND leaf_id IN (\(list))",
                           arguments: [leaseSeconds, worker])
            return Set(try db.values(Int64.self, sql: "SELECT leaf_id FROM leaf_leases WHERE worker = ? AND leaf_id IN (\(list))",
                                     arguments: [worker]))
        }
    }

    /// Gives up this worker's leases on `leafIDs` (a stopped leaf, or a worker leaving).
    public func releaseLeases(worker: String, leafIDs: [Int64]) throws(StoreError) {
        guard !leafIDs.isEmpty else { return }
        let list = leafIDs.map(String.init).joined(separator: ",")
        try write(idempotent: true) { db in try db.execute(sql: "DELETE FROM leaf_leases WHERE worker = ? AND leaf_id IN (\(list))", arguments: [worker]) }
    }

    /// How many leaves of a run are still open (pending or running), whoever works on them.
    public func openLeafCount(runID: Int64) throws(StoreError) -> Int {
        try read { db in
            try db.value(Int.self, sql: "SELECT count(*) FROM leaves WHERE run_id = ? AND status IN ('pending', 'running')", arguments: [runID]) ?? 0
        }
    }

    /// Units each worker committed in a run (single-process runs count under "local").
    public func unitsByWorker(runID: Int64) throws(StoreError) -> [(worker: String, units: Int, failed: Int)] {
        try read { db in
            try db.rows(sql: """
                SELECT coalesce(worker, 'local') AS worker, count(*) AS units,
                       sum(CASE WHEN failure IS NULL THEN 0 ELSE 1 END) AS failed
                FROM completed_units WHERE run_id = ? GROUP BY coalesce(worker, 'local') ORDER BY 1
                """, arguments: [runID]).map { ($0["worker"], $0["units"], $0["failed"]) }
        }
    }
}
