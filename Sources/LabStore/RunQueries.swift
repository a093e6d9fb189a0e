import Foundation

/// What the store knows about one leaf of a run: enough for a resumed run to carry on exactly
/// where the interrupted one stopped.
public struct StoredLeafState: Sendable, Hashable {
    public var leafID: Int64
    public var taxonomyPath: String
    public var kind: String
    public var target: Int
    public var status: LeafStatus
    /// Units committed so far (including failed ones); units are committed in index order, so the
    /// next unit to run is this number.
    public var completedUnits: Int
    public var failedUnits: Int
    public var candidates: Int
    public var accepted: Int
}

/// A sample as listed by `synthlab samples list` and the review page's table.
public struct SampleRow: Sendable, Hashable, Codable {
    public var id: Int64
    public var runID: Int64
    public var leaf: String
    public var status: String
    public var question: String
    public var answer: String
    /// The first rejecting filter and its reason, for rejected samples.
    public var rejectedBy: String?
    public var reason: String?
    /// The newest curator decision, when a curator reviewed it.
    public var curator: ReviewDecision?
    /// Whether a curator wrote a revision (the question and answer above are then the revision).
    public var edited = false
}

/// An accepted sample with what a training row needs: its leaf's kind, its source chunk or
/// context, and the ids that trace it back.
public struct TrainingSource: Sendable, Hashable {
    public var sampleID: Int64
    public var runID: Int64
    public var leaf: String
    public var kind: String
    public var question: String
    public var answer: String
    /// Grounded skills: the context the answer is grounded in.
    public var context: String?
    /// Knowledge: the document chunk the pair was generated from.
    public var chunkID: String?
    public var chunkText: String?
    public var documentPath: String?
    public var seedIDs: [Int64]

    public init(sampleID: Int64, runID: Int64, leaf: String, kind: String, question: String, answer: String, context: String?,
                chunkID: String?, chunkText: String?, documentPath: String?, seedIDs: [Int64]) {
        self.sampleID = sampleID
        self.runID = runID
        self.leaf = leaf
        self.kind = kind
        self.question = question
        self.answer = answer
        self.context = context
        self.chunkID = chunkID
        self.chunkText = chunkText
        self.documentPath = documentPath
        self.seedIDs = seedIDs
    }
}

/// A run in detail, for `synthlab runs show`.
public struct RunDetail: Sendable {
    public var summary: RunSummary
    public var finishedAt: String?
    public var configuration: RunConfiguration
    public var teacherRequests: Int
    public var promptTokens: Int
    public var completionTokens: Int
    /// Units whose teacher request failed for good: leaf, unit index, error.
    public var failures: [(leaf: String, unit: Int, error: String)]
}

extension SampleStore {
    /// Every leaf recorded for `runID`, with its progress.
    public func leafStates(runID: Int64) throws(StoreError) -> [StoredLeafState] {
        try read { db in
            try db.rows(sql: """
                SELECT l.id, l.taxonomy_path, l.kind, l.target, l.status,
                       (SELECT count(*) FROM completed_units u WHERE u.leaf_id = l.id) AS units,
                       (SELECT count(*) FROM completed_units u WHERE u.leaf_id = l.id AND u.failure IS NOT NULL) AS failed,
                       (SELECT count(*) FROM samples s WHERE s.leaf_id = l.id) AS candidates,
                       (SELECT count(*) FROM samples s WHERE s.leaf_id = l.id AND s.status = 'accepted') AS accepted
                FROM leaves l WHERE l.run_id = ? ORDER BY l.id
                """, arguments: [runID]).map { row in
                StoredLeafState(leafID: row["id"], taxonomyPath: row["taxonomy_path"], kind: row["kind"], target: row["target"],
                                status: LeafStatus(rawValue: row["status"]) ?? .pending, completedUnits: row["units"], failedUnits: row["failed"],
                                candidates: row["candidates"], accepted: row["accepted"])
            }
        }
    }

    /// The leaf's accepted samples in the order they were committed (for rebuilding duplicate indexes).
    public func acceptedPairs(leafID: Int64) throws(StoreError) -> [(id: Int64, question: String, answer: String)] {
        try read { db in
            try db.rows(sql: "SELECT id, question, answer FROM samples WHERE leaf_id = ? AND status = 'accepted' ORDER BY id",
                             arguments: [leafID]).map { ($0["id"], $0["question"], $0["answer"]) }
        }
    }

    /// For the leaf's most recent parsed candidates (newest first): whether each was rejected by
    /// one of `filters` (the leaf's duplicate checks).
    public func recentDuplicateFlags(leafID: Int64, filters: [String], limit: Int) throws(StoreError) -> [Bool] {
        guard !filters.isEmpty else { return [] }
        let names = filters.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" }.joined(separator: ", ")
        return try read { db in
            try db.values(Bool.self, sql: """
                SELECT EXISTS (SELECT 1 FROM verdicts v WHERE v.sample_id = s.id AND v.filter IN (\(names)) AND v.decision = 'reject')
                FROM samples s
                WHERE s.leaf_id = ? AND NOT EXISTS (SELECT 1 FROM verdicts v WHERE v.sample_id = s.id AND v.filter = 'parse' AND v.decision = 'reject')
                ORDER BY s.id DESC LIMIT ?
                """, arguments: [leafID, limit])
        }
    }

    public func setLeafStatus(_ leafID: Int64, _ status: LeafStatus) throws(StoreError) {
        try write(idempotent: true) { db in try db.execute(sql: "UPDATE leaves SET status = ? WHERE id = ?", arguments: [status.rawValue, leafID]) }
    }

    /// Marks a run finished, failed or interrupted, with the time.
    public func endRun(_ runID: Int64, status: RunStatus) throws(StoreError) {
        try write(idempotent: true) { db in
            try db.execute(sql: "UPDATE runs SET status = ?, finished_at = ? WHERE id = ?", arguments: [status.rawValue, Self.now(), runID])
        }
        try database.optimize()
    }

    /// Whether a run with this id exists.
    public func runExists(_ runID: Int64) throws(StoreError) -> Bool {
        try read { db in try db.value(Bool.self, sql: "SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?)", arguments: [runID]) ?? false }
    }

    public func runDetail(_ runID: Int64) throws(StoreError) -> RunDetail {
        guard let summary = try runs().first(where: { $0.id == runID }) else {
            throw StoreError(.notFound, path: path, detail: "no run \(runID)", sql: nil)
        }
        let configuration = try runConfiguration(runID)
        return try read { db in
            let usage = try db.row(sql: """
                SELECT count(DISTINCT r.request_key) AS requests, coalesce(sum(CASE WHEN r.position = 0 THEN r.prompt_tokens END), 0) AS prompt,
                       coalesce(sum(r.completion_tokens), 0) AS completion
                FROM responses r WHERE r.request_key IN (SELECT request_key FROM run_requests WHERE run_id = ?)
                """, arguments: [runID])
            let failures = try db.rows(sql: """
                SELECT l.taxonomy_path, u.unit_index, u.failure FROM completed_units u JOIN leaves l ON l.id = u.leaf_id
                WHERE u.run_id = ? AND u.failure IS NOT NULL ORDER BY l.taxonomy_path, u.unit_index
                """, arguments: [runID]).map { (leaf: $0["taxonomy_path"] as String, unit: $0["unit_index"] as Int, error: $0["failure"] as String) }
            let finishedAt = try db.value(String.self, sql: "SELECT finished_at FROM runs WHERE id = ?", arguments: [runID])
            return RunDetail(summary: summary, finishedAt: finishedAt, configuration: configuration,
                             teacherRequests: usage?["requests"] ?? 0, promptTokens: usage?["prompt"] ?? 0,
                             completionTokens: usage?["completion"] ?? 0, failures: failures)
        }
    }

    /// Notes that a run used a teacher request (cached or new), so its usage can be reported per run.
    public func noteRequest(runID: Int64, key: String) throws(StoreError) {
        try write(idempotent: true) { db in
            try db.execute(sql: "INSERT INTO run_requests (run_id, request_key) VALUES (?, ?) ON CONFLICT DO NOTHING", arguments: [runID, key])
        }
    }

    /// Samples of a run (or every run), newest last, optionally of one leaf (a taxonomy path or a
    /// `*` glob over it) and one status.
    public func samples(runID: Int64?, leaf: String? = nil, status: String? = nil, limit: Int = 50) throws(StoreError) -> [SampleRow] {
        var conditions: [String] = []
        var arguments: StoreArguments = []
        if let runID { conditions.append("s.run_id = ?"); arguments.append(runID) }
        if let leaf {
            let glob = dialect.globCondition("l.taxonomy_path", pattern: leaf)
            conditions.append(glob.sql)
            arguments.append(glob.argument)
        }
        if let status { conditions.append("s.status = ?"); arguments.append(status) }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments.append(limit)
        let sql = """
            SELECT s.id, s.run_id, l.taxonomy_path, s.status, s.question, s.answer,
                   (SELECT v.filter FROM verdicts v WHERE v.sample_id = s.id AND v.decision = 'reject' ORDER BY v.id LIMIT 1) AS rejected_by,
                   (SELECT v.reason FROM verdicts v WHERE v.sample_id = s.id AND v.decision = 'reject' ORDER BY v.id LIMIT 1) AS reason,
                   \(Self.curatorDecisionSQL) AS curator
            FROM samples s JOIN leaves l ON l.id = s.leaf_id \(whereClause) ORDER BY s.id LIMIT ?
            """
        return try read { db in
            try db.rows(sql: sql, arguments: arguments).map { row in
                SampleRow(id: row["id"], runID: row["run_id"], leaf: row["taxonomy_path"], status: row["status"], question: row["question"],
                          answer: row["answer"], rejectedBy: row["rejected_by"], reason: row["reason"],
                          curator: (row["curator"] as String?).flatMap(ReviewDecision.init(rawValue:)))
            }
        }
    }

    /// The samples of a run that go into training, with their sources, in commit order: those the
    /// filters accepted and no curator rejected, plus those a curator accepted; a curator's edit
    /// replaces the question or answer.
    public func trainingSources(runID: Int64) throws(StoreError) -> [TrainingSource] {
        try read { db in
            let rows = try db.rows(sql: """
                SELECT s.id, s.run_id, l.taxonomy_path, l.kind, \(Self.effectiveQuestionSQL) AS question, \(Self.effectiveAnswerSQL) AS answer,
                       s.context, s.chunk_id, c.text AS chunk_text, d.path AS document_path,
                       (SELECT \(dialect.joinedIntegers("x.seed_id")) FROM sample_seeds x WHERE x.sample_id = s.id) AS seeds
                FROM samples s JOIN leaves l ON l.id = s.leaf_id
                LEFT JOIN chunks c ON c.id = s.chunk_id LEFT JOIN documents d ON d.id = c.document_id
                WHERE s.run_id = ? AND \(Self.effectivelyAcceptedSQL) AND NOT \(Self.laterRunDuplicateSQL) ORDER BY s.id
                """, arguments: [runID])
            return rows.map { row in
                let seeds = (row["seeds"] as String?)?.split(separator: ",").compactMap { Int64($0) }.sorted() ?? []
                return TrainingSource(sampleID: row["id"], runID: row["run_id"], leaf: row["taxonomy_path"], kind: row["kind"],
                                      question: row["question"], answer: row["answer"], context: row["context"], chunkID: row["chunk_id"],
                                      chunkText: row["chunk_text"], documentPath: row["document_path"], seedIDs: seeds)
            }
        }
    }

    /// Preference pairs of a run: an effectively accepted sample and a rejected sample of the same
    /// leaf with the same question (case and surrounding space aside) and the same context or chunk,
    /// where the rejection is about the answer's content: a curator's, or a filter named in
    /// `contentFilters`; then every accepted answer a curator edited (the edit chosen over the
    /// original, `rejectedBy` "curator_edit"). Ordered by the accepted sample, then the rejected one.
    public func preferencePairs(runID: Int64, contentFilters: Set<String>) throws(StoreError) -> [PreferenceSource] {
        let sources = Dictionary(try trainingSources(runID: runID).map { ($0.sampleID, $0) }, uniquingKeysWith: { first, _ in first })
        let filters = contentFilters.sorted()
        let placeholders = filters.map { _ in "?" }.joined(separator: ", ")
        // `rj` is the rejected sample (`r` is the reviews alias inside the decision subquery).
        let curatorOfR = Self.curatorDecisionSQL.replacingOccurrences(of: "s.id", with: "rj.id")
        let rows: [StoreRow] = try read { db in
            try db.rows(sql: """
                SELECT s.id AS chosen_id, rj.id AS rejected_id, rj.answer AS rejected_answer,
                       CASE WHEN \(curatorOfR) = 'reject' THEN 'curator' ELSE rj.rejected_by END AS rejected_by
                FROM samples s JOIN samples rj ON rj.run_id = s.run_id AND rj.leaf_id = s.leaf_id AND rj.id != s.id
                     AND lower(trim(rj.question)) = lower(trim(\(Self.effectiveQuestionSQL)))
                     AND rj.context IS NOT DISTINCT FROM s.context AND rj.chunk_id IS NOT DISTINCT FROM s.chunk_id
                WHERE s.run_id = ? AND \(Self.effectivelyAcceptedSQL)
                  AND (\(curatorOfR) = 'reject'
                       OR (\(curatorOfR) IS NULL AND rj.status = 'rejected' AND rj.rejected_by IN (\(placeholders))))
                ORDER BY s.id, rj.id
                """, arguments: [runID] + filters)
        }
        // A curator's edit of an accepted answer is a preference too: the edit over the original.
        let edits: [StoreRow] = try read { db in
            try db.rows(sql: """
                SELECT s.id AS chosen_id, s.id AS rejected_id, s.answer AS rejected_answer, 'curator_edit' AS rejected_by
                FROM samples s WHERE s.run_id = ? AND \(Self.effectivelyAcceptedSQL) AND \(Self.effectiveAnswerSQL) != s.answer
                ORDER BY s.id
                """, arguments: [runID])
        }
        return (rows + edits).compactMap { row in
            guard let chosen = sources[row["chosen_id"]] else { return nil }
            return PreferenceSource(chosen: chosen, rejectedSampleID: row["rejected_id"], rejectedAnswer: row["rejected_answer"],
                                    rejectedBy: row["rejected_by"] ?? "")
        }
    }

    /// The seed examples of a run's leaves, as recorded when the run started (the curator's own
    /// question/answer pairs, never trained on), by leaf and position.
    public func seedExamples(runID: Int64) throws(StoreError) -> [SeedExampleRecord] {
        try read { db in
            try db.rows(sql: """
                SELECT x.id, l.taxonomy_path, l.kind, x.position, x.context, x.question, x.answer
                FROM seeds x JOIN leaves l ON l.id = x.leaf_id WHERE l.run_id = ? ORDER BY l.taxonomy_path, x.position
                """, arguments: [runID]).map { row in
                SeedExampleRecord(id: row["id"], leaf: row["taxonomy_path"], kind: row["kind"], position: row["position"],
                                  context: row["context"], question: row["question"], answer: row["answer"])
            }
        }
    }
}

/// A leaf's seed example as a run recorded it.
public struct SeedExampleRecord: Sendable, Hashable {
    public var id: Int64
    public var leaf: String
    public var kind: String
    public var position: Int
    public var context: String?
    public var question: String
    public var answer: String

    public init(id: Int64, leaf: String, kind: String, position: Int, context: String?, question: String, answer: String) {
        self.id = id
        self.leaf = leaf
        self.kind = kind
        self.position = position
        self.context = context
        self.question = question
        self.answer = answer
    }
}

/// An accepted sample and a rejected answer to the same question: a DPO preference pair.
public struct PreferenceSource: Sendable, Hashable {
    public var chosen: TrainingSource
    public var rejectedSampleID: Int64
    public var rejectedAnswer: String
    /// The filter that rejected it, or `curator`.
    public var rejectedBy: String

    public init(chosen: TrainingSource, rejectedSampleID: Int64, rejectedAnswer: String, rejectedBy: String) {
        self.chosen = chosen
        self.rejectedSampleID = rejectedSampleID
        self.rejectedAnswer = rejectedAnswer
        self.rejectedBy = rejectedBy
    }
}
