/// Run-wide duplicate detection across leaves, through an index that lives in the store.
///
/// Each leaf's own checks (the pipeline's dedup blocks) reject duplicates within the leaf at commit.
/// Across leaves, a rejection at commit time would make a sample's fate depend on which leaf
/// committed first — timing, which workers and concurrency decide — so the run's samples would
/// differ between a single process and N workers. Instead every accepted sample's MinHash bands go
/// into `sample_bands`, and a newly accepted sample is checked against every accepted sample of the
/// run through them (one indexed lookup), in the unit's transaction, with the run's commits taken
/// one at a time for that step. Each near-duplicate pair across leaves is recorded once, whichever
/// committed first (the later one finds the earlier in the index), so the set of pairs is the same
/// for any interleaving. Exports and training then keep, of each pair, the sample of the leaf that
/// comes first by taxonomy path: the same choice for every run of the same samples.
public enum RunDuplicates {
    /// Question similarity (Jaccard over words and word pairs) from which two questions are duplicates.
    public static let threshold = 0.8
    static let bands = 16
    static let rowsPerBand = 4

    /// Words and adjacent word pairs of `text`, lower-cased, punctuation dropped.
    public static func shingles(_ text: String) -> Set<String> {
        let words = text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
        var result = Set(words)
        for index in words.indices.dropLast() { result.insert(words[index] + " " + words[index + 1]) }
        return result
    }

    public static func similarity(_ a: Set<String>, _ b: Set<String>) -> Double {
        guard !a.isEmpty || !b.isEmpty else { return 1 }
        return Double(a.intersection(b).count) / Double(a.union(b).count)
    }

    /// The band keys of a text's MinHash signature (`bands` × `rowsPerBand` minima of seeded 64-bit
    /// hashes), each folded with its band number so one indexed column holds them all. Stable across
    /// processes and machines (FNV-1a and splitmix64, never Swift's per-process `Hasher`).
    public static func bandKeys(_ shingles: Set<String>) -> [Int64] {
        guard !shingles.isEmpty else { return [] }
        let base = shingles.map { fnv1a(Array($0.utf8)) }
        var keys: [Int64] = []
        keys.reserveCapacity(bands)
        for band in 0..<bands {
            var bytes: [UInt8] = withUnsafeBytes(of: UInt64(band).littleEndian, Array.init)
            for row in 0..<rowsPerBand {
                let seed = UInt64(band * rowsPerBand + row) &* 0x9E37_79B9_7F4A_7C15
                let minimum = base.reduce(UInt64.max) { min($0, mix($1 ^ seed)) }
                bytes += withUnsafeBytes(of: minimum.littleEndian, Array.init)
            }
            keys.append(Int64(bitPattern: fnv1a(bytes)))
        }
        return keys
    }

    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash
    }

    /// splitmix64's finaliser.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Checks a newly accepted sample against the run's index, records its cross-leaf duplicates,
    /// and adds its bands (inside the unit's transaction, after the run's commit lock).
    static func index(_ db: any StoreSession, runID: Int64, sampleID: Int64, leafID: Int64, question: String) throws {
        let own = shingles(question)
        let keys = bandKeys(own)
        guard !keys.isEmpty else { return }
        let matches = try db.rows(sql: """
            SELECT DISTINCT s.id, s.question FROM sample_bands b JOIN samples s ON s.id = b.sample_id
            WHERE b.run_id = ? AND b.hash IN (\(keys.map { _ in "?" }.joined(separator: ", "))) AND s.leaf_id != ?
            """, arguments: [runID] + keys + [leafID])
        var pairs: [StoreArguments] = []
        for match in matches {
            let score = similarity(own, shingles(match["question"]))
            if score >= threshold { pairs.append([runID, sampleID, match["id"] as Int64, score]) }
        }
        try SampleStore.insertRows(db, "duplicate_pairs (run_id, sample_id, duplicate_of, similarity)", pairs)
        try SampleStore.insertRows(db, "sample_bands (run_id, hash, sample_id)", keys.map { [runID, $0, sampleID] })
    }
}

extension SampleStore {
    /// A condition on sample `s` of leaf `l`: it has a run-wide duplicate in a leaf that comes first
    /// by taxonomy path (the copy exports and training leave out).
    static let laterRunDuplicateSQL = """
        EXISTS (SELECT 1 FROM duplicate_pairs p JOIN samples o ON o.id = CASE WHEN p.sample_id = s.id THEN p.duplicate_of ELSE p.sample_id END
                JOIN leaves ol ON ol.id = o.leaf_id
                WHERE (p.sample_id = s.id OR p.duplicate_of = s.id) AND ol.taxonomy_path < l.taxonomy_path)
        """

    /// Accepted samples of a run left out of exports and training as duplicates of another leaf's, and the pairs found.
    public func runDuplicateCounts(runID: Int64) throws(StoreError) -> (pairs: Int, leftOut: Int) {
        try read { db in
            let pairs = try db.value(Int.self, sql: "SELECT count(*) FROM duplicate_pairs WHERE run_id = ?", arguments: [runID]) ?? 0
            let leftOut = try db.value(Int.self, sql: """
                SELECT count(*) FROM samples s JOIN leaves l ON l.id = s.leaf_id
                WHERE s.run_id = ? AND s.status = 'accepted' AND \(Self.laterRunDuplicateSQL)
                """, arguments: [runID]) ?? 0
            return (pairs, leftOut)
        }
    }

    /// Each pair of near-duplicate accepted samples across leaves: the sample, its earlier duplicate, their similarity.
    public func runDuplicatePairs(runID: Int64) throws(StoreError) -> [(sampleID: Int64, duplicateOf: Int64, similarity: Double)] {
        try read { db in
            try db.rows(sql: "SELECT sample_id, duplicate_of, similarity FROM duplicate_pairs WHERE run_id = ? ORDER BY sample_id, duplicate_of",
                        arguments: [runID]).map { ($0["sample_id"], $0["duplicate_of"], $0["similarity"]) }
        }
    }
}
