import Crypto
public import Foundation

/// Copies a whole store into an empty one, between any two backends (SQLite ⇄ PostgreSQL), with
/// every id kept, so lineage, reviews and training journals point where they did. The copy is one
/// transaction on the destination, checked before it commits: each table's row count and content
/// hash (SHA-256 over its rows in key order) must equal the source's, else nothing is written.
public enum StoreCopy {
    /// A table and how to copy it: its columns (without backend-only ones) and its key order.
    struct Table {
        var name: String
        var columns: [String]
        var order: String
        /// Read back in insertion order (the dialect's `insertionOrder`) rather than by key.
        var insertionOrdered = false
        /// Has an `id` identity column whose sequence must move past the copied ids.
        var hasIdentity = false
    }

    /// Every table of the current schema, parents before children. Leases are run-time state and stay behind.
    static let tables: [Table] = [
        Table(name: "runs", columns: ["id", "created_at", "status", "config_json", "taxonomy_hash", "pipeline_hash", "teacher", "seed", "finished_at"],
              order: "id", hasIdentity: true),
        Table(name: "leaves", columns: ["id", "run_id", "taxonomy_path", "kind", "content_hash", "target", "status"], order: "id", hasIdentity: true),
        Table(name: "seeds", columns: ["id", "leaf_id", "position", "context", "question", "answer"], order: "id", hasIdentity: true),
        Table(name: "documents", columns: ["id", "content_hash", "path", "text"], order: "id", hasIdentity: true),
        Table(name: "chunks", columns: ["id", "document_id", "position", "start_offset", "end_offset", "text"], order: "id"),
        Table(name: "requests", columns: ["key", "teacher", "input_json", "parameters_json", "created_at"], order: "key"),
        Table(name: "responses", columns: ["id", "request_key", "position", "text", "finish_reason", "prompt_tokens", "completion_tokens", "latency"],
              order: "id", hasIdentity: true),
        Table(name: "samples", columns: ["id", "run_id", "leaf_id", "response_id", "chunk_id", "question", "answer", "context", "status", "created_at",
                                         "unit_index", "rejected_by"], order: "id", hasIdentity: true),
        Table(name: "sample_seeds", columns: ["sample_id", "seed_id"], order: "sample_id, seed_id"),
        Table(name: "verdicts", columns: ["id", "sample_id", "filter", "filter_version", "score", "threshold", "decision", "reason", "evidence_json"],
              order: "id", hasIdentity: true),
        Table(name: "completed_units", columns: ["run_id", "unit_key", "completed_at", "leaf_id", "unit_index", "failure", "worker"],
              order: "run_id, unit_key"),
        Table(name: "run_requests", columns: ["run_id", "request_key"], order: "run_id, request_key"),
        Table(name: "reviews", columns: ["id", "sample_id", "decision", "reason", "note", "question", "answer", "reviewer", "created_at"],
              order: "id", hasIdentity: true),
        Table(name: "training_runs", columns: ["id", "created_at", "finished_at", "status", "generation_run_id", "base_model", "output_dir",
                                               "recipe_json", "error"], order: "id", hasIdentity: true),
        Table(name: "training_rows", columns: ["training_id", "phase", "position", "example_id", "leaf", "role"], order: "training_id, phase, position"),
        Table(name: "training_checkpoints", columns: ["training_id", "phase", "phase_index", "step", "total_steps", "model_path", "optimiser_path",
                                                      "adapter_path", "loss", "created_at"], order: "training_id, phase_index, step"),
        Table(name: "training_evaluations", columns: ["training_id", "stage", "stage_index", "set_name", "kind", "loss", "targets"],
              order: "training_id, stage_index, set_name", insertionOrdered: true),
        Table(name: "training_task_answers", columns: ["training_id", "stage", "stage_index", "question_id", "leaf", "kind", "origin", "question",
                                                       "answer", "correct", "rejected_by", "reason", "judge_score"],
              order: "training_id, stage_index, question_id", insertionOrdered: true),
        Table(name: "sample_bands", columns: ["run_id", "hash", "sample_id"], order: "run_id, sample_id, hash"),
        Table(name: "duplicate_pairs", columns: ["run_id", "sample_id", "duplicate_of", "similarity"], order: "sample_id, duplicate_of"),
        Table(name: "training_benchmarks", columns: ["training_id", "stage", "stage_index", "benchmark", "items", "correct", "correct_unnormalised"],
              order: "training_id, stage_index, benchmark"),
    ]

    /// One table as copied: rows and the content hash both stores agree on.
    public struct TableSummary: Sendable, Hashable {
        public var table: String
        public var rows: Int
        public var sha256: String
    }

    /// Rows read and written per statement (well under both backends' limits on bound values).
    static let batch = 400

    /// Copies `source` into `destination`, which must hold no runs and no training jobs.
    public static func copy(from source: SampleStore, to destination: SampleStore,
                            progress: (TableSummary) -> Void = { _ in }) throws(StoreError) -> [TableSummary] {
        let existing = try destination.database.read { db in
            (try db.value(Int.self, sql: "SELECT count(*) FROM runs") ?? 0) + (try db.value(Int.self, sql: "SELECT count(*) FROM training_runs") ?? 0)
                + (try db.value(Int.self, sql: "SELECT count(*) FROM requests") ?? 0)
        }
        guard existing == 0 else {
            throw StoreError(.invalid, path: destination.path,
                             detail: "the destination already holds runs, training jobs or teacher answers; copy into an empty store (a new file or database)")
        }
        let sourceDialect = source.database.dialect
        let destinationDialect = destination.database.dialect
        // One snapshot of the source, one transaction on the destination: all or nothing.
        return try source.database.read { from in
            try destination.database.write(idempotent: false) { to in
                var summaries: [TableSummary] = []
                for table in tables {
                    // Hash the rows as they are read, and write each batch on.
                    let summary = try tableHash(from, table, dialect: sourceDialect) { rows in
                        try SampleStore.insertRows(to, "\(table.name) (\(table.columns.joined(separator: ", ")))",
                                                   rows.map { $0.values.map { $0 as any StoreValueConvertible } })
                    }
                    if table.hasIdentity, let reset = destinationDialect.resetIdentity(table: table.name) { try to.execute(sql: reset) }
                    // The destination's rows, read back inside the transaction, must hash the same.
                    let written = try tableHash(to, table, dialect: destinationDialect)
                    guard written == summary else {
                        throw StoreError(.query, path: destination.path, detail: """
                            table \(table.name) differs after copying (\(written.rows) rows, hash \(written.sha256.prefix(12)); \
                            source \(summary.rows) rows, hash \(summary.sha256.prefix(12))); nothing was written
                            """)
                    }
                    progress(summary)
                    summaries.append(summary)
                }
                return summaries
            }
        }
    }

    /// Row count and content hash of every table of a store (for checking a copy later).
    public static func summaries(of store: SampleStore) throws(StoreError) -> [TableSummary] {
        let dialect = store.database.dialect
        return try store.database.read { db in try tables.map { try tableHash(db, $0, dialect: dialect) } }
    }

    /// Reads `table` in key (or insertion) order, batch by batch, hashing every row and handing each
    /// batch to `each` (the copy writes it on); returns the row count and content hash.
    static func tableHash(_ db: any StoreSession, _ table: Table, dialect: any SQLDialect,
                          each: ([StoreRow]) throws -> Void = { _ in }) throws -> TableSummary {
        let order = table.insertionOrdered ? "\(table.order.split(separator: ",")[0]), \(dialect.insertionOrder)" : table.order
        var hasher = SHA256()
        var count = 0
        while true {
            let rows = try db.rows(sql: "SELECT \(table.columns.joined(separator: ", ")) FROM \(table.name) ORDER BY \(order) LIMIT \(batch) OFFSET \(count)")
            if rows.isEmpty { break }
            for row in rows { hash(row, into: &hasher) }
            try each(rows)
            count += rows.count
        }
        return TableSummary(table: table.name, rows: count, sha256: hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }

    /// A row's values in an encoding both backends produce alike: kind, length, bytes.
    static func hash(_ row: StoreRow, into hasher: inout SHA256) {
        for value in row.values {
            let (kind, bytes): (UInt8, [UInt8]) = switch value {
            case .null: (0, [])
            case .integer(let number): (1, withUnsafeBytes(of: number.littleEndian, Array.init))
            case .real(let number): (2, withUnsafeBytes(of: number.bitPattern.littleEndian, Array.init))
            case .text(let text): (3, Array(text.utf8))
            case .blob(let blob): (4, blob)
            }
            hasher.update(data: [kind])
            hasher.update(data: withUnsafeBytes(of: UInt64(bytes.count).littleEndian, Array.init))
            hasher.update(data: bytes)
        }
    }
}
