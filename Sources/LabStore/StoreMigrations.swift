/// Migrations written once in SQL that SQLite and PostgreSQL both accept, applied by both schemas
/// (`StoreSchema` here, `PostgresSchema` in LabStorePostgres) under the same names.
public enum StoreMigrations {
    /// Workers (`synthlab worker`, or `generate` on a shared store) each hold leases on the leaves
    /// they work on: one worker per leaf at a time keeps a leaf's units committed in order, so the
    /// run's samples are the same however many workers made them. A lease names its worker and
    /// runs out at `expires_at` (seconds since 1970 by the database's clock, so workers' clocks
    /// don't matter); a worker that dies stops renewing it and another takes the leaf over.
    /// `completed_units.worker` records who committed each unit (each worker's share).
    public static let leafLeases = (identifier: "v9-leaf-leases", sql: """
        CREATE TABLE leaf_leases (
            leaf_id BIGINT PRIMARY KEY REFERENCES leaves(id),
            worker TEXT NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL
        );
        ALTER TABLE completed_units ADD COLUMN worker TEXT;
        """)

    /// Run-wide duplicate detection (`RunDuplicates`): MinHash band keys of every accepted sample,
    /// looked up by (run, key), and the near-duplicate pairs found across leaves.
    public static let runDuplicates = (identifier: "v10-run-duplicates", sql: """
        CREATE TABLE sample_bands (
            run_id BIGINT NOT NULL REFERENCES runs(id),
            hash BIGINT NOT NULL,
            sample_id BIGINT NOT NULL REFERENCES samples(id)
        );
        CREATE INDEX sample_bands_lookup ON sample_bands (run_id, hash);
        CREATE TABLE duplicate_pairs (
            run_id BIGINT NOT NULL REFERENCES runs(id),
            sample_id BIGINT NOT NULL REFERENCES samples(id),
            duplicate_of BIGINT NOT NULL REFERENCES samples(id),
            similarity DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (sample_id, duplicate_of)
        );
        CREATE INDEX duplicate_pairs_by_other ON duplicate_pairs (duplicate_of);
        CREATE INDEX duplicate_pairs_by_run ON duplicate_pairs (run_id);
        """)
}
