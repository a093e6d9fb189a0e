public import Foundation
public import LabCore

/// The store of runs, leaves, seeds, documents, chunks, teacher requests and responses, samples
/// and verdicts, on any `StoreDatabase` (SQLite by default, PostgreSQL for many machines).
///
/// Writes that belong together happen in one transaction, so a crash or a full disk leaves the
/// store as it was before the write, never half-written.
public final class SampleStore: Sendable {
    /// Where the store lives (a file path, or a server URL without its password), for messages.
    public var path: String { database.location }
    public let database: any StoreDatabase

    public init(database: any StoreDatabase) {
        self.database = database
    }

    /// Opens (creating when absent) the SQLite database at `url`; see `SQLiteDatabase`.
    public convenience init(url: URL, readOnly: Bool = false, maximumBytes: Int? = nil) throws(StoreError) {
        self.init(database: try SQLiteDatabase(url: url, readOnly: readOnly, maximumBytes: maximumBytes))
    }

    var dialect: any SQLDialect { database.dialect }

    /// - Parameter idempotent: the body may run twice with the same end state (ON CONFLICT, "already
    ///   done" checks), so a server store may retry it when a lost connection leaves a COMMIT's outcome unknown.
    func write<T>(idempotent: Bool = false, _ body: (any StoreSession) throws -> T) throws(StoreError) -> T {
        try database.write(idempotent: idempotent, body)
    }

    func read<T>(_ body: (any StoreSession) throws -> T) throws(StoreError) -> T { try database.read(body) }

    static func now() -> String { ISO8601DateFormatter().string(from: Date()) }

    // MARK: Runs, leaves, seeds

    /// Starts a run and returns its id.
    public func createRun(_ configuration: RunConfiguration) throws(StoreError) -> Int64 {
        let json = String(decoding: (try? JSONEncoder().encode(configuration)) ?? Data("{}".utf8), as: UTF8.self)
        return try write { db in
            try db.insert(sql: """
                INSERT INTO runs (created_at, status, config_json, taxonomy_hash, pipeline_hash, teacher, seed)
                VALUES (?, 'running', ?, ?, ?, ?, ?)
                """, arguments: [Self.now(), json, configuration.taxonomyHash, configuration.pipelineHash,
                                 configuration.teacher, Int64(bitPattern: configuration.seed)])
        }
    }

    public func setRunStatus(_ runID: Int64, _ status: RunStatus) throws(StoreError) {
        try write(idempotent: true) { db in try db.execute(sql: "UPDATE runs SET status = ? WHERE id = ?", arguments: [status.rawValue, runID]) }
    }

    /// The newest run's id (what `latest` means on the command line).
    public func latestRunID() throws(StoreError) -> Int64? {
        try read { db in try db.value(Int64.self, sql: "SELECT max(id) FROM runs") }
    }

    public func runConfiguration(_ runID: Int64) throws(StoreError) -> RunConfiguration {
        let json: String? = try read { db in try db.value(String.self, sql: "SELECT config_json FROM runs WHERE id = ?", arguments: [runID]) }
        guard let json, let configuration = try? JSONDecoder().decode(RunConfiguration.self, from: Data(json.utf8)) else {
            throw StoreError(.notFound, path: path, detail: "no run \(runID)")
        }
        return configuration
    }

    public func runs() throws(StoreError) -> [RunSummary] {
        try read { db in
            try db.rows(sql: """
                SELECT r.id, r.created_at, r.status, r.teacher,
                       (SELECT count(*) FROM samples s WHERE s.run_id = r.id AND s.status = 'accepted') AS accepted,
                       (SELECT count(*) FROM samples s WHERE s.run_id = r.id AND s.status = 'rejected') AS rejected
                FROM runs r ORDER BY r.id
                """).map { row in
                RunSummary(id: row["id"], createdAt: row["created_at"], status: row["status"], teacher: row["teacher"],
                           accepted: row["accepted"], rejected: row["rejected"])
            }
        }
    }

    /// Records a leaf of a run with its seeds, once: a resumed run, or another worker of the same
    /// run, gets the ids recorded first (concurrent first records wait on the unique key, then agree).
    public func addLeaf(runID: Int64, taxonomyPath: String, kind: String, contentHash: String, target: Int,
                        seeds: [(context: String?, question: String, answer: String)]) throws(StoreError) -> (leafID: Int64, seedIDs: [Int64]) {
        try write(idempotent: true) { db in
            try db.execute(sql: """
                INSERT INTO leaves (run_id, taxonomy_path, kind, content_hash, target) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (run_id, taxonomy_path) DO NOTHING
                """, arguments: [runID, taxonomyPath, kind, contentHash, target])
            guard let leafID = try db.value(Int64.self, sql: "SELECT id FROM leaves WHERE run_id = ? AND taxonomy_path = ?",
                                            arguments: [runID, taxonomyPath]) else {
                throw StoreError(.query, path: path, detail: "leaf \(taxonomyPath) vanished while it was recorded")
            }
            for (position, seed) in seeds.enumerated() {
                try db.execute(sql: """
                    INSERT INTO seeds (leaf_id, position, context, question, answer) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (leaf_id, position) DO NOTHING
                    """, arguments: [leafID, position, seed.context, seed.question, seed.answer])
            }
            return (leafID, try db.values(Int64.self, sql: "SELECT id FROM seeds WHERE leaf_id = ? ORDER BY position", arguments: [leafID]))
        }
    }

    // MARK: Documents and chunks

    /// Stores a document once per content hash and returns its id.
    public func addDocument(path documentPath: String, text: String, contentHash: String) throws(StoreError) -> Int64 {
        try write(idempotent: true) { db in
            try db.execute(sql: "INSERT INTO documents (content_hash, path, text) VALUES (?, ?, ?) ON CONFLICT (content_hash) DO NOTHING",
                           arguments: [contentHash, documentPath, text])
            return try db.value(Int64.self, sql: "SELECT id FROM documents WHERE content_hash = ?", arguments: [contentHash]) ?? 0
        }
    }

    public func addChunk(id: String, documentID: Int64, position: Int, startOffset: Int, endOffset: Int, text: String) throws(StoreError) {
        try write(idempotent: true) { db in
            try db.execute(sql: """
                INSERT INTO chunks (id, document_id, position, start_offset, end_offset, text) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO NOTHING
                """, arguments: [id, documentID, position, startOffset, endOffset, text])
        }
    }

    // MARK: Teacher requests (content-addressed cache)

    /// The stored completions for a request key, or nil when the teacher was never asked.
    public func cachedResult(forKey key: String) throws(StoreError) -> (responseIDs: [Int64], result: GenerationResult)? {
        try read { db in
            let rows = try db.rows(sql: "SELECT * FROM responses WHERE request_key = ? ORDER BY position", arguments: [key])
            guard let first = rows.first else { return nil }
            let completions = rows.map { row in
                Completion(text: row["text"], finishReason: FinishReason(rawValue: row["finish_reason"]) ?? .stop, completionTokens: row["completion_tokens"])
            }
            return (rows.map { $0["id"] }, GenerationResult(completions: completions, promptTokens: first["prompt_tokens"], latency: first["latency"]))
        }
    }

    /// Stores a teacher's answer under its content address and returns the response ids; with
    /// `runID`, also notes that the run used it (one transaction: a round trip per teacher call on a
    /// server store).
    public func recordResult(key: String, teacher: String, request: GenerationRequest, result: GenerationResult,
                             runID: Int64? = nil) throws(StoreError) -> [Int64] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let input = String(decoding: (try? encoder.encode(request.input)) ?? Data(), as: UTF8.self)
        let parameters = String(decoding: (try? encoder.encode(request.parameters)) ?? Data(), as: UTF8.self)
        return try write(idempotent: true) { db in
            try db.execute(sql: """
                INSERT INTO requests (key, teacher, input_json, parameters_json, created_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (key) DO NOTHING
                """, arguments: [key, teacher, input, parameters, Self.now()])
            // Another process may have stored the same request meanwhile: its rows stay, and their ids are returned.
            try Self.insertRows(db, "responses (request_key, position, text, finish_reason, prompt_tokens, completion_tokens, latency)",
                                result.completions.enumerated().map { position, completion in
                                    [key, position, completion.text, completion.finishReason.rawValue,
                                     result.promptTokens, completion.completionTokens, result.latency]
                                }, conflict: "ON CONFLICT (request_key, position) DO NOTHING")
            if let runID {
                try db.execute(sql: "INSERT INTO run_requests (run_id, request_key) VALUES (?, ?) ON CONFLICT DO NOTHING", arguments: [runID, key])
            }
            let stored = try db.rows(sql: "SELECT id, position FROM responses WHERE request_key = ? ORDER BY position", arguments: [key])
            let byPosition = Dictionary(stored.map { ($0["position"] as Int, $0["id"] as Int64) }, uniquingKeysWith: { first, _ in first })
            return result.completions.indices.map { byPosition[$0] ?? 0 }
        }
    }

    // MARK: Units of work

    public func isUnitCompleted(runID: Int64, unitKey: String) throws(StoreError) -> Bool {
        try read { db in
            try db.value(Bool.self, sql: "SELECT EXISTS (SELECT 1 FROM completed_units WHERE run_id = ? AND unit_key = ?)", arguments: [runID, unitKey]) ?? false
        }
    }

    /// Stores a unit's samples with their seeds and verdicts and marks the unit done, all in one
    /// transaction. Returns false (storing nothing) when the unit was already completed, so a
    /// resumed run can never store a unit twice.
    /// - Parameter worker: a worker of a shared run: the unit is stored only while the worker holds
    ///   the leaf's lease (else `.leaseLost`, nothing written), and the lease is extended.
    /// - Parameter leafStatus: the status the leaf ends with, when this unit ends it.
    @discardableResult
    public func completeUnit(runID: Int64, unitKey: String, samples: [NewSample], leafID: Int64? = nil, unitIndex: Int? = nil,
                             failure: String? = nil, worker: String? = nil, leaseSeconds: Double = 30,
                             leafStatus: LeafStatus? = nil) throws(StoreError) -> Bool {
        // Few statements per unit: each is a round trip to a server store (the lease check and renewal
        // are one UPDATE; a unit's seeds and verdicts go in one multi-row INSERT each).
        try write(idempotent: true) { db in
            // A unit that ends its leaf locks the leaf's row before its lease, the order in which
            // `claimLeaves` takes them: the other order let a worker taking over a lapsed lease and
            // the late holder committing its last unit (whose UPDATE of the leaf needs that row)
            // deadlock, and PostgreSQL aborts one.
            if leafStatus != nil, let leafID, !dialect.lockRow.isEmpty {
                _ = try db.rows(sql: "SELECT id FROM leaves WHERE id = ? \(dialect.lockRow)", arguments: [leafID])
            }
            if let worker, let leafID {
                let held = try db.rows(sql: """
                    UPDATE leaf_leases SET expires_at = \(dialect.nowSeconds) + ? WHERE leaf_id = ? AND worker = ? RETURNING leaf_id
                    """, arguments: [leaseSeconds, leafID, worker])
                guard !held.isEmpty else {
                    let holder = try db.value(String.self, sql: "SELECT worker FROM leaf_leases WHERE leaf_id = ?", arguments: [leafID])
                    throw StoreError(.leaseLost, path: path, detail: "leaf \(leafID) is now worked on by \(holder ?? "no worker")")
                }
            }
            let done = try db.value(Bool.self, sql: "SELECT EXISTS (SELECT 1 FROM completed_units WHERE run_id = ? AND unit_key = ?)", arguments: [runID, unitKey]) ?? false
            if done { return false }
            var seedRows: [StoreArguments] = []
            var verdictRows: [StoreArguments] = []
            // Run-wide duplicate pairs must not depend on which of two concurrent units commits first.
            if samples.contains(where: \.isAccepted), let lock = dialect.lockRunCommits {
                try db.execute(sql: lock, arguments: [runID])
            }
            for sample in samples {
                let sampleID = try db.insert(sql: """
                    INSERT INTO samples (run_id, leaf_id, response_id, chunk_id, question, answer, context, status, created_at, unit_index, rejected_by)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [runID, sample.leafID, sample.responseID, sample.chunkID, sample.question, sample.answer,
                                     sample.context, sample.isAccepted ? "accepted" : "rejected", Self.now(), unitIndex,
                                     sample.verdicts.first { $0.decision == .reject }?.filter])
                if sample.isAccepted {
                    try RunDuplicates.index(db, runID: runID, sampleID: sampleID, leafID: sample.leafID, question: sample.question)
                }
                seedRows += Set(sample.seedIDs).sorted().map { [sampleID, $0] }
                // In the sample's verdict order: ids follow it, and "the first rejecting filter" is read by id.
                verdictRows += sample.verdicts.map { verdict in
                    [sampleID, verdict.filter, verdict.filterVersion, verdict.score, verdict.threshold, verdict.decision.rawValue,
                     verdict.reason, verdict.evidence]
                }
            }
            try Self.insertRows(db, "sample_seeds (sample_id, seed_id)", seedRows)
            try Self.insertRows(db, "verdicts (sample_id, filter, filter_version, score, threshold, decision, reason, evidence_json)", verdictRows)
            try db.execute(sql: """
                INSERT INTO completed_units (run_id, unit_key, completed_at, leaf_id, unit_index, failure, worker) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [runID, unitKey, Self.now(), leafID, unitIndex, failure, worker])
            // The leaf's end lands with the unit that ends it: written apart, a process killed in
            // between would leave a leaf open in the store whose committed units say it is done.
            if let leafStatus, let leafID {
                try db.execute(sql: "UPDATE leaves SET status = ? WHERE id = ?", arguments: [leafStatus.rawValue, leafID])
            }
            return true
        }
    }

    /// Inserts `rows` into `target` ("table (columns)") with multi-row INSERTs, in order (so ids
    /// follow the rows' order), 200 rows per statement.
    /// `conflict` is an ON CONFLICT clause, if any.
    static func insertRows(_ db: any StoreSession, _ target: String, _ rows: [StoreArguments], conflict: String = "") throws {
        guard let width = rows.first?.count else { return }
        let placeholders = "(" + Array(repeating: "?", count: width).joined(separator: ", ") + ")"
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(rows.count, start + 200)]
            try db.execute(sql: "INSERT INTO \(target) VALUES " + Array(repeating: placeholders, count: chunk.count).joined(separator: ", ") + " " + conflict,
                           arguments: chunk.flatMap { $0 })
            start += chunk.count
        }
    }

    // MARK: Questions users ask

    /// "Why was sample X rejected, and where did it come from?" in one call.
    public func lineage(ofSample sampleID: Int64) throws(StoreError) -> SampleLineage {
        let lineage: SampleLineage? = try read { db in
            guard let row = try db.row(sql: """
                SELECT s.id, s.run_id, s.status, s.question, s.answer, s.chunk_id, l.taxonomy_path, coalesce(s.context, c.text) AS context,
                       d.path AS document_path, q.teacher, q.input_json, r.text AS response_text
                FROM samples s
                JOIN leaves l ON l.id = s.leaf_id
                LEFT JOIN chunks c ON c.id = s.chunk_id
                LEFT JOIN documents d ON d.id = c.document_id
                LEFT JOIN responses r ON r.id = s.response_id
                LEFT JOIN requests q ON q.key = r.request_key
                WHERE s.id = ?
                """, arguments: [sampleID]) else { return nil }
            let seeds = try db.rows(sql: """
                SELECT e.question, e.answer, e.context FROM sample_seeds x JOIN seeds e ON e.id = x.seed_id WHERE x.sample_id = ? ORDER BY e.position
                """, arguments: [sampleID]).map { (question: $0["question"] as String, answer: $0["answer"] as String, context: $0["context"] as String?) }
            let reviews = try Self.fetchReviews(db, sql: "SELECT * FROM reviews WHERE sample_id = ? ORDER BY id", arguments: [sampleID])
            let verdicts = try db.rows(sql: "SELECT * FROM verdicts WHERE sample_id = ? ORDER BY id", arguments: [sampleID]).map { v in
                Verdict(filter: v["filter"], filterVersion: v["filter_version"], score: v["score"], threshold: v["threshold"],
                        decision: Verdict.Decision(rawValue: v["decision"]) ?? .flag, reason: v["reason"], evidence: v["evidence_json"])
            }
            return SampleLineage(sampleID: row["id"], runID: row["run_id"], status: row["status"], question: row["question"],
                                 answer: row["answer"], leafPath: row["taxonomy_path"], seedQuestions: seeds.map(\.question),
                                 chunkID: row["chunk_id"], documentPath: row["document_path"], teacher: row["teacher"],
                                 requestInput: row["input_json"], responseText: row["response_text"], verdicts: verdicts,
                                 context: row["context"], seeds: seeds, reviews: reviews)
        }
        guard let lineage else { throw StoreError(.notFound, path: path, detail: "no sample \(sampleID)") }
        return lineage
    }

    /// Per leaf: candidates, accepted, rejections by filter and the top reasons.
    public func funnel(runID: Int64) throws(StoreError) -> [LeafFunnel] {
        try read { db in
            let leaves = try db.rows(sql: """
                SELECT l.id, l.taxonomy_path, l.kind, l.target, l.status,
                       count(s.id) AS candidates, coalesce(sum(CASE WHEN s.status = 'accepted' THEN 1 ELSE 0 END), 0) AS accepted,
                       coalesce(sum(CASE WHEN s.id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM verdicts v WHERE v.sample_id = s.id
                                AND v.filter = 'parse' AND v.decision = 'reject') THEN 1 ELSE 0 END), 0) AS parsed,
                       (SELECT count(*) FROM completed_units u WHERE u.leaf_id = l.id AND u.failure IS NOT NULL) AS failed
                FROM leaves l LEFT JOIN samples s ON s.run_id = l.run_id AND s.leaf_id = l.id
                WHERE l.run_id = ? GROUP BY l.id ORDER BY l.taxonomy_path
                """, arguments: [runID])
            return try leaves.map { leaf in
                let leafID: Int64 = leaf["id"]
                let byFilter = try db.rows(sql: """
                    SELECT v.filter, count(DISTINCT v.sample_id) AS n FROM verdicts v JOIN samples s ON s.id = v.sample_id
                    WHERE s.leaf_id = ? AND v.decision = 'reject' GROUP BY v.filter
                    """, arguments: [leafID])
                let reasons = try db.rows(sql: """
                    SELECT v.reason, count(*) AS n FROM verdicts v JOIN samples s ON s.id = v.sample_id
                    WHERE s.leaf_id = ? AND v.decision = 'reject' GROUP BY v.reason ORDER BY n DESC, v.reason LIMIT 3
                    """, arguments: [leafID])
                return LeafFunnel(
                    leaf: leaf["taxonomy_path"], kind: leaf["kind"], target: leaf["target"], status: leaf["status"],
                    candidates: leaf["candidates"], parsed: leaf["parsed"], failedUnits: leaf["failed"], accepted: leaf["accepted"],
                    rejectedBy: Dictionary(uniqueKeysWithValues: byFilter.map { ($0["filter"] as String, $0["n"] as Int) }),
                    topReasons: reasons.map { ($0["reason"] as String, $0["n"] as Int) })
            }
        }
    }

    /// The database's own consistency check; empty when it is sound.
    public func integrityProblems() throws(StoreError) -> [String] {
        try database.integrityProblems()
    }
}
