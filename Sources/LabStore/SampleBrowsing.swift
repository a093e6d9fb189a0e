import Foundation

/// A filtered, paginated view of a run's samples (the review page's table).
public struct SampleQuery: Sendable, Hashable {
    /// Which curator decisions to show.
    public enum CuratorFilter: String, Sendable, CaseIterable {
        case unreviewed, accepted, rejected, edited
    }

    public var runID: Int64
    /// A taxonomy path (exact).
    public var leaf: String?
    /// The filters' decision: `accepted` or `rejected`.
    public var status: String?
    /// Only samples this filter rejected.
    public var rejectedBy: String?
    public var curator: CuratorFilter?
    /// Words that must appear in the question or answer (case-insensitive substring).
    public var text: String?
    /// 0-based page.
    public var page: Int
    public var pageSize: Int

    public init(runID: Int64, leaf: String? = nil, status: String? = nil, rejectedBy: String? = nil, curator: CuratorFilter? = nil,
                text: String? = nil, page: Int = 0, pageSize: Int = 50) {
        self.runID = runID
        self.leaf = leaf
        self.status = status
        self.rejectedBy = rejectedBy
        self.curator = curator
        self.text = text
        self.page = max(0, page)
        self.pageSize = min(max(1, pageSize), 500)
    }
}

/// A page of the review table and how many samples match in all.
public struct SamplePage: Sendable, Hashable {
    public var rows: [SampleRow]
    public var total: Int
}

/// Scores one filter gave over the current selection, in equal-width bins between its lowest and highest score.
public struct ScoreHistogram: Sendable, Hashable {
    public var filter: String
    public var low: Double
    public var high: Double
    public var counts: [Int]
    /// Where the filter's threshold lies, when it has one.
    public var threshold: Double?

    public init(filter: String, low: Double, high: Double, counts: [Int], threshold: Double?) {
        self.filter = filter
        self.low = low
        self.high = high
        self.counts = counts
        self.threshold = threshold
    }
}

extension SampleStore {
    private func whereClause(_ query: SampleQuery) -> (String, StoreArguments) {
        var conditions = ["s.run_id = ?"]
        var arguments: StoreArguments = [query.runID]
        if let leaf = query.leaf {
            conditions.append("s.leaf_id = (SELECT id FROM leaves WHERE run_id = ? AND taxonomy_path = ?)")
            arguments += [query.runID, leaf]
        }
        if let status = query.status { conditions.append("s.status = ?"); arguments.append(status) }
        if let filter = query.rejectedBy {
            // Driven from the (filter, decision, sample_id) index: as cheap as the filter is selective.
            conditions.append("s.id IN (SELECT v.sample_id FROM verdicts v WHERE v.filter = ? AND v.decision = 'reject')")
            arguments.append(filter)
        }
        switch query.curator {
        case nil: break
        case .unreviewed: conditions.append("NOT EXISTS (SELECT 1 FROM reviews r WHERE r.sample_id = s.id)")
        case .accepted: conditions.append("\(Self.curatorDecisionSQL) = 'accept'")
        case .rejected: conditions.append("\(Self.curatorDecisionSQL) = 'reject'")
        case .edited: conditions.append("EXISTS (SELECT 1 FROM reviews r WHERE r.sample_id = s.id AND (r.question IS NOT NULL OR r.answer IS NOT NULL))")
        }
        if let text = query.text, let words = Self.searchWords(text) {
            // Words (each also as a prefix) through the full-text index; curators' revisions, few, by substring.
            let patterns = text.split(whereSeparator: \.isWhitespace).map {
                "%" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
            }
            let revised = patterns.map { _ in "(coalesce(r.question, '') || ' ' || coalesce(r.answer, '')) LIKE ? ESCAPE '\\'" }.joined(separator: " AND ")
            // One IN over a UNION (not two INs joined by OR), so the matching ids drive the lookup.
            let search = dialect.sampleWordSearch(words)
            conditions.append("s.id IN (\(search.sql) UNION SELECT r.sample_id FROM reviews r WHERE \(revised))")
            arguments.append(search.argument)
            arguments += patterns
        }
        return (conditions.joined(separator: " AND "), arguments)
    }

    /// The words of a search (those with a letter or digit); nil when there are none.
    static func searchWords(_ text: String) -> [String]? {
        let words = text.split(whereSeparator: \.isWhitespace).map(String.init)
            .filter { $0.unicodeScalars.contains { CharacterSet.alphanumerics.contains($0) } }
        return words.isEmpty ? nil : words
    }

    /// A page of a run's samples matching `query`, in sample order, with the total that match.
    public func samplePage(_ query: SampleQuery) throws(StoreError) -> SamplePage {
        let (condition, arguments) = whereClause(query)
        return try read { db in
            let total = try db.value(Int.self, sql: "SELECT count(*) FROM samples s WHERE \(condition)", arguments: arguments) ?? 0
            // The page's ids first: the columns below cost a lookup each, which OFFSET would pay for every skipped row.
            let ids = try db.values(Int64.self, sql: """
                SELECT s.id FROM samples s WHERE \(condition) ORDER BY s.id LIMIT \(query.pageSize) OFFSET \(query.page * query.pageSize)
                """, arguments: arguments)
            guard !ids.isEmpty else { return SamplePage(rows: [], total: total) }
            let rows = try db.rows(sql: """
                SELECT s.id, s.run_id, l.taxonomy_path, s.status, \(Self.effectiveQuestionSQL) AS question, \(Self.effectiveAnswerSQL) AS answer,
                       s.rejected_by,
                       (SELECT v.reason FROM verdicts v WHERE v.sample_id = s.id AND v.decision = 'reject' ORDER BY v.id LIMIT 1) AS reason,
                       \(Self.curatorDecisionSQL) AS curator,
                       EXISTS (SELECT 1 FROM reviews r WHERE r.sample_id = s.id AND (r.question IS NOT NULL OR r.answer IS NOT NULL)) AS edited
                FROM samples s JOIN leaves l ON l.id = s.leaf_id
                WHERE s.id IN (\(ids.map(String.init).joined(separator: ","))) ORDER BY s.id
                """)
            return SamplePage(rows: rows.map { row in
                SampleRow(id: row["id"], runID: row["run_id"], leaf: row["taxonomy_path"], status: row["status"], question: row["question"],
                          answer: row["answer"], rejectedBy: row["rejected_by"], reason: row["reason"],
                          curator: (row["curator"] as String?).flatMap(ReviewDecision.init(rawValue:)), edited: row["edited"])
            }, total: total)
        }
    }

    /// Per filter, a histogram of the scores it gave the newest `limit` samples matching `query`
    /// (the bound keeps the page fast on a big store; the caller says how many it covers). One query
    /// reads the scores; the bins are counted here.
    public func scoreHistograms(_ query: SampleQuery, bins: Int = 10, limit: Int = 2_000) throws(StoreError) -> (histograms: [ScoreHistogram], covered: Int) {
        let (condition, arguments) = whereClause(query)
        let rows: [(filter: String, score: Double, threshold: Double?)] = try read { db in
            try db.rows(sql: """
                WITH chosen AS (SELECT s.id FROM samples s WHERE \(condition) ORDER BY s.id DESC LIMIT \(limit))
                SELECT v.sample_id, v.filter, v.score, v.threshold FROM chosen JOIN verdicts v ON v.sample_id = chosen.id
                WHERE v.score IS NOT NULL
                UNION ALL SELECT id, NULL, NULL, NULL FROM chosen
                """, arguments: arguments).map { ($0["filter"] ?? "", $0["score"] ?? .nan, $0["threshold"]) }
        }
        let covered = rows.filter { $0.filter.isEmpty }.count
        var byFilter: [String: [(score: Double, threshold: Double?)]] = [:]
        for row in rows where !row.filter.isEmpty { byFilter[row.filter, default: []].append((row.score, row.threshold)) }
        let histograms = byFilter.keys.sorted().map { filter -> ScoreHistogram in
            let scores = byFilter[filter]!
            let low = scores.map(\.score).min()!, high = scores.map(\.score).max()!
            var counts = [Int](repeating: 0, count: bins)
            for (score, _) in scores {
                let index = high > low ? Int((score - low) / (high - low) * Double(bins)) : 0
                counts[min(max(index, 0), bins - 1)] += 1
            }
            return ScoreHistogram(filter: filter, low: low, high: high, counts: counts, threshold: scores.compactMap(\.threshold).max())
        }
        return (histograms, covered)
    }

    /// The names of the filters that rejected samples in a run (for the filter menu).
    public func rejectingFilters(runID: Int64) throws(StoreError) -> [String] {
        try read { db in
            // Walk the distinct filter names through the (filter, …) index one seek at a time (a
            // handful of names over millions of verdicts), then keep those with a rejection in this run.
            var names: [String] = []
            var last = ""
            while let next = try db.value(String.self, sql: "SELECT min(filter) FROM verdicts WHERE filter > ?", arguments: [last]) {
                names.append(next)
                last = next
            }
            return try names.filter { name in
                try db.value(Bool.self, sql: """
                    SELECT EXISTS (SELECT 1 FROM verdicts v JOIN samples s ON s.id = v.sample_id
                                   WHERE v.filter = ? AND v.decision = 'reject' AND s.run_id = ?)
                    """, arguments: [name, runID]) ?? false
            }
        }
    }

    /// The next and previous sample ids of the same run (for keyboard navigation).
    public func neighbours(ofSample sampleID: Int64) throws(StoreError) -> (previous: Int64?, next: Int64?) {
        try read { db in
            let previous = try db.value(Int64.self, sql: """
                SELECT max(id) FROM samples WHERE id < ? AND run_id = (SELECT run_id FROM samples WHERE id = ?)
                """, arguments: [sampleID, sampleID])
            let next = try db.value(Int64.self, sql: """
                SELECT min(id) FROM samples WHERE id > ? AND run_id = (SELECT run_id FROM samples WHERE id = ?)
                """, arguments: [sampleID, sampleID])
            return (previous, next)
        }
    }
}

/// One leaf's funnel as a stacked bar: each rejected sample counted once, under the first filter that
/// rejected it, so the parts add up to the candidates.
public struct LeafFunnelBar: Sendable, Hashable {
    public var leaf: String
    public var candidates: Int
    public var accepted: Int
    /// Filter and count, in the order the filters first rejected a sample of the run (pipeline order, nearly always).
    public var rejections: [FilterCount]

    public struct FilterCount: Sendable, Hashable {
        public var filter: String
        public var count: Int

        public init(filter: String, count: Int) {
            self.filter = filter
            self.count = count
        }
    }

    public init(leaf: String, candidates: Int, accepted: Int, rejections: [FilterCount]) {
        self.leaf = leaf
        self.candidates = candidates
        self.accepted = accepted
        self.rejections = rejections
    }
}

extension SampleStore {
    /// Per leaf of a run: candidates, accepted, and rejections by first rejecting filter.
    public func funnelBars(runID: Int64) throws(StoreError) -> [LeafFunnelBar] {
        try read { db in
            let leaves = try db.rows(sql: """
                SELECT l.id, l.taxonomy_path, count(s.id) AS candidates, coalesce(sum(CASE WHEN s.status = 'accepted' THEN 1 ELSE 0 END), 0) AS accepted
                FROM leaves l LEFT JOIN samples s ON s.run_id = l.run_id AND s.leaf_id = l.id WHERE l.run_id = ? GROUP BY l.id ORDER BY l.taxonomy_path
                """, arguments: [runID])
            let firsts = try db.rows(sql: """
                SELECT s.leaf_id, s.rejected_by AS filter, count(*) AS n, min(s.id) AS first_seen
                FROM samples s WHERE s.leaf_id IN (SELECT id FROM leaves WHERE run_id = ?) AND s.rejected_by IS NOT NULL
                GROUP BY s.leaf_id, s.rejected_by
                """, arguments: [runID])
            var order: [String: Int64] = [:]
            for row in firsts {
                let filter: String = row["filter"]
                order[filter] = min(order[filter] ?? .max, row["first_seen"])
            }
            return leaves.map { leaf in
                let leafID: Int64 = leaf["id"]
                let rejections = firsts.filter { ($0["leaf_id"] as Int64) == leafID }
                    .map { LeafFunnelBar.FilterCount(filter: $0["filter"], count: $0["n"]) }
                    .sorted { (order[$0.filter] ?? 0, $0.filter) < (order[$1.filter] ?? 0, $1.filter) }
                return LeafFunnelBar(leaf: leaf["taxonomy_path"], candidates: leaf["candidates"], accepted: leaf["accepted"], rejections: rejections)
            }
        }
    }

    /// How many samples of a run curators reviewed.
    public func reviewedCount(runID: Int64) throws(StoreError) -> Int {
        try read { db in
            try db.value(Int.self, sql: """
                SELECT count(DISTINCT r.sample_id) FROM reviews r JOIN samples s ON s.id = r.sample_id WHERE s.run_id = ?
                """, arguments: [runID]) ?? 0
        }
    }

    /// The taxonomy paths of a run's leaves.
    public func leafPaths(runID: Int64) throws(StoreError) -> [String] {
        try read { db in try db.values(String.self, sql: "SELECT taxonomy_path FROM leaves WHERE run_id = ? ORDER BY taxonomy_path", arguments: [runID]) }
    }
}
