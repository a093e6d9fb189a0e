import GRDB

/// The store's tables, created by named migrations applied in order. A migration, once shipped, is
/// never edited: changes come as new migrations. The SQL here is SQLite's and is the one source of
/// truth: the PostgreSQL store applies the same list through `PostgresSchema.translate` (types,
/// collations, and the few statements each database spells its own way).
///
/// Lineage: every accepted sample points at its run, leaf, seeds (sample_seeds), chunk (knowledge),
/// and the response and request that produced it; verdicts record each filter's decision.
public enum StoreSchema {
    public static let migrations: [(identifier: String, sql: String)] = [
        ("v1-core", """
            CREATE TABLE runs (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                created_at TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'interrupted')),
                config_json TEXT NOT NULL,
                taxonomy_hash TEXT NOT NULL,
                pipeline_hash TEXT NOT NULL,
                teacher TEXT NOT NULL,
                seed INTEGER NOT NULL
            );
            CREATE TABLE leaves (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                run_id INTEGER NOT NULL REFERENCES runs(id),
                taxonomy_path TEXT NOT NULL,
                kind TEXT NOT NULL,
                content_hash TEXT NOT NULL,
                target INTEGER NOT NULL,
                status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'saturated', 'exhausted')),
                UNIQUE (run_id, taxonomy_path)
            );
            CREATE TABLE seeds (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                leaf_id INTEGER NOT NULL REFERENCES leaves(id),
                position INTEGER NOT NULL,
                context TEXT,
                question TEXT NOT NULL,
                answer TEXT NOT NULL,
                UNIQUE (leaf_id, position)
            );
            CREATE TABLE documents (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                content_hash TEXT NOT NULL UNIQUE,
                path TEXT NOT NULL,
                text TEXT NOT NULL
            );
            CREATE TABLE chunks (
                id TEXT PRIMARY KEY,
                document_id INTEGER NOT NULL REFERENCES documents(id),
                position INTEGER NOT NULL,
                start_offset INTEGER NOT NULL,
                end_offset INTEGER NOT NULL,
                text TEXT NOT NULL
            );
            CREATE TABLE requests (
                key TEXT PRIMARY KEY,
                teacher TEXT NOT NULL,
                input_json TEXT NOT NULL,
                parameters_json TEXT NOT NULL,
                created_at TEXT NOT NULL
            );
            CREATE TABLE responses (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                request_key TEXT NOT NULL REFERENCES requests(key),
                position INTEGER NOT NULL,
                text TEXT NOT NULL,
                finish_reason TEXT NOT NULL,
                prompt_tokens INTEGER NOT NULL,
                completion_tokens INTEGER NOT NULL,
                latency REAL NOT NULL,
                UNIQUE (request_key, position)
            );
            CREATE TABLE samples (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                run_id INTEGER NOT NULL REFERENCES runs(id),
                leaf_id INTEGER NOT NULL REFERENCES leaves(id),
                response_id INTEGER REFERENCES responses(id),
                chunk_id TEXT REFERENCES chunks(id),
                question TEXT NOT NULL,
                answer TEXT NOT NULL,
                context TEXT,
                status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),
                created_at TEXT NOT NULL
            );
            CREATE INDEX samples_by_run_leaf ON samples (run_id, leaf_id, status);
            CREATE TABLE sample_seeds (
                sample_id INTEGER NOT NULL REFERENCES samples(id),
                seed_id INTEGER NOT NULL REFERENCES seeds(id),
                PRIMARY KEY (sample_id, seed_id)
            );
            CREATE TABLE verdicts (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                sample_id INTEGER NOT NULL REFERENCES samples(id),
                filter TEXT NOT NULL,
                filter_version TEXT NOT NULL,
                score REAL,
                threshold REAL,
                decision TEXT NOT NULL CHECK (decision IN ('accept', 'reject', 'flag')),
                reason TEXT NOT NULL,
                evidence_json TEXT
            );
            CREATE INDEX verdicts_by_sample ON verdicts (sample_id);
            -- A unit of work (one rendered prompt of one leaf) is recorded as done in the same
            -- transaction as its samples, so a resumed run neither repeats nor loses it.
            CREATE TABLE completed_units (
                run_id INTEGER NOT NULL REFERENCES runs(id),
                unit_key TEXT NOT NULL,
                completed_at TEXT NOT NULL,
                PRIMARY KEY (run_id, unit_key)
            );
            """),
        // Units know their leaf and position, so a resumed run can rebuild each leaf's state in
        // order; a unit whose teacher call failed for good is recorded with the error (and no samples).
        ("v2-unit-order", """
            ALTER TABLE completed_units ADD COLUMN leaf_id INTEGER REFERENCES leaves(id);
            ALTER TABLE completed_units ADD COLUMN unit_index INTEGER;
            ALTER TABLE completed_units ADD COLUMN failure TEXT;
            CREATE INDEX completed_units_by_leaf ON completed_units (leaf_id, unit_index);
            ALTER TABLE samples ADD COLUMN unit_index INTEGER;
            ALTER TABLE runs ADD COLUMN finished_at TEXT;
            -- The requests a run used, new or answered from the cache (requests are shared between runs).
            CREATE TABLE run_requests (
                run_id INTEGER NOT NULL REFERENCES runs(id),
                request_key TEXT NOT NULL REFERENCES requests(key),
                PRIMARY KEY (run_id, request_key)
            );
            """),
        ("v3-training", """
            -- A phased fine-tuning job: what it trained on (a generation run or files), its recipe, its outcome.
            CREATE TABLE training_runs (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                created_at TEXT NOT NULL,
                finished_at TEXT,
                status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'interrupted')),
                generation_run_id INTEGER REFERENCES runs(id),
                base_model TEXT NOT NULL,
                output_dir TEXT NOT NULL,
                recipe_json TEXT NOT NULL,
                error TEXT
            );
            -- The exact rows of every phase in training order, and the held-out samples (phase 'held_out').
            CREATE TABLE training_rows (
                training_id INTEGER NOT NULL REFERENCES training_runs(id),
                phase TEXT NOT NULL,
                position INTEGER NOT NULL,
                example_id TEXT NOT NULL,
                leaf TEXT NOT NULL,
                role TEXT NOT NULL,
                PRIMARY KEY (training_id, phase, position)
            );
            -- The journal: weights (and optimiser state mid-phase) saved after a step; resume starts at the newest.
            CREATE TABLE training_checkpoints (
                training_id INTEGER NOT NULL REFERENCES training_runs(id),
                phase TEXT NOT NULL,
                phase_index INTEGER NOT NULL,
                step INTEGER NOT NULL,
                total_steps INTEGER NOT NULL,
                model_path TEXT NOT NULL,
                optimiser_path TEXT,
                -- LoRA mid-phase: the adapters; model_path is then the phase's starting weights.
                adapter_path TEXT,
                loss REAL,
                created_at TEXT NOT NULL,
                PRIMARY KEY (training_id, phase_index, step)
            );
            -- Held-out loss per leaf and on the general text, before training and after each phase.
            CREATE TABLE training_evaluations (
                training_id INTEGER NOT NULL REFERENCES training_runs(id),
                stage TEXT NOT NULL,
                stage_index INTEGER NOT NULL,
                set_name TEXT NOT NULL,
                kind TEXT NOT NULL,
                loss REAL NOT NULL,
                targets INTEGER NOT NULL,
                PRIMARY KEY (training_id, stage_index, set_name)
            );
            """),
        // Curator decisions: each review is a row (the history stays); the newest decides. An edit
        // carries the curator's question and/or answer as a new revision, the sample's own text stays.
        ("v4-reviews", """
            CREATE TABLE reviews (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                sample_id INTEGER NOT NULL REFERENCES samples(id),
                decision TEXT NOT NULL CHECK (decision IN ('accept', 'reject')),
                reason TEXT,
                note TEXT NOT NULL DEFAULT '',
                question TEXT,
                answer TEXT,
                reviewer TEXT NOT NULL,
                created_at TEXT NOT NULL
            );
            CREATE INDEX reviews_by_sample ON reviews (sample_id, id);
            CREATE INDEX verdicts_by_filter ON verdicts (filter, decision, sample_id);
            CREATE INDEX samples_by_run_status ON samples (run_id, status, id);
            """),
        // Word search over questions and answers for the review page (FTS5, kept in step with
        // `samples` by triggers; samples' text never changes, curator revisions live in `reviews`).
        ("v5-sample-search", """
            CREATE VIRTUAL TABLE samples_text USING fts5(question, answer, content='samples', content_rowid='id');
            CREATE TRIGGER samples_text_insert AFTER INSERT ON samples BEGIN
                INSERT INTO samples_text (rowid, question, answer) VALUES (new.id, new.question, new.answer);
            END;
            CREATE TRIGGER samples_text_delete AFTER DELETE ON samples BEGIN
                INSERT INTO samples_text (samples_text, rowid, question, answer) VALUES ('delete', old.id, old.question, old.answer);
            END;
            CREATE TRIGGER samples_text_update AFTER UPDATE OF question, answer ON samples BEGIN
                INSERT INTO samples_text (samples_text, rowid, question, answer) VALUES ('delete', old.id, old.question, old.answer);
                INSERT INTO samples_text (rowid, question, answer) VALUES (new.id, new.question, new.answer);
            END;
            INSERT INTO samples_text (samples_text) VALUES ('rebuild');
            """),
        // The first filter that rejected a sample, kept on the sample (it never changes), so funnels
        // and listings over big runs count by a column instead of a lookup per sample.
        ("v6-first-rejection", """
            ALTER TABLE samples ADD COLUMN rejected_by TEXT;
            UPDATE samples SET rejected_by = (SELECT v.filter FROM verdicts v WHERE v.sample_id = samples.id AND v.decision = 'reject'
                                              ORDER BY v.id LIMIT 1) WHERE status = 'rejected';
            CREATE INDEX samples_by_leaf_rejection ON samples (leaf_id, rejected_by);
            """),
        // Browsing a big run in sample order without a sort (an index on run_id is ordered by rowid),
        // score histograms from the index alone, and statistics so the planner picks them.
        ("v7-browsing-indexes", """
            CREATE INDEX samples_by_run ON samples (run_id);
            CREATE INDEX verdicts_scores ON verdicts (sample_id, filter, score, threshold);
            ANALYZE;
            """),
        // Task accuracy of a training job: the student's greedy answer to each evaluation question
        // (held-out samples and the leaves' seeds) at each stage, graded by the leaf's verifiers,
        // and a judge's 1–10 score when one was asked.
        ("v8-task-answers", """
            CREATE TABLE training_task_answers (
                training_id INTEGER NOT NULL REFERENCES training_runs(id),
                stage TEXT NOT NULL,
                stage_index INTEGER NOT NULL,
                question_id TEXT NOT NULL,
                leaf TEXT NOT NULL,
                kind TEXT NOT NULL,
                origin TEXT NOT NULL CHECK (origin IN ('held_out', 'seed')),
                question TEXT NOT NULL,
                answer TEXT NOT NULL,
                correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
                rejected_by TEXT,
                reason TEXT,
                judge_score REAL,
                PRIMARY KEY (training_id, stage_index, question_id)
            );
            -- Scores on a general benchmark (forgetting): items right of items asked, per stage.
            CREATE TABLE training_benchmarks (
                training_id INTEGER NOT NULL REFERENCES training_runs(id),
                stage TEXT NOT NULL,
                stage_index INTEGER NOT NULL,
                benchmark TEXT NOT NULL,
                items INTEGER NOT NULL,
                correct INTEGER NOT NULL,
                correct_unnormalised INTEGER NOT NULL,
                PRIMARY KEY (training_id, stage_index, benchmark)
            );
            """),
        (StoreMigrations.leafLeases.identifier, StoreMigrations.leafLeases.sql),
        (StoreMigrations.runDuplicates.identifier, StoreMigrations.runDuplicates.sql),
    ]

    /// The migrations as GRDB's `DatabaseMigrator` applies them (tracked in `grdb_migrations`).
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in migrations {
            migrator.registerMigration(migration.identifier) { db in try db.execute(sql: migration.sql) }
        }
        return migrator
    }
}
