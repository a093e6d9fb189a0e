import Foundation

/// A row a training job used, as recorded.
public struct TrainingRowRecord: Sendable, Hashable {
    public var phase: String
    public var exampleID: String
    public var leaf: String
    public var role: String

    public init(phase: String, exampleID: String, leaf: String, role: String) {
        self.phase = phase
        self.exampleID = exampleID
        self.leaf = leaf
        self.role = role
    }
}

/// Saved weights after a step; the newest one is where a resumed job starts.
public struct TrainingCheckpointRecord: Sendable, Hashable {
    public var phase: String
    public var phaseIndex: Int
    public var step: Int
    public var totalSteps: Int
    public var modelPath: String
    /// Nil at the end of a phase (the next phase starts a fresh optimiser).
    public var optimiserPath: String?
    /// LoRA mid-phase: the adapters' weights (`modelPath` is then the weights the phase started from).
    public var adapterPath: String?
    public var loss: Double?

    public init(phase: String, phaseIndex: Int, step: Int, totalSteps: Int, modelPath: String, optimiserPath: String?,
                adapterPath: String? = nil, loss: Double?) {
        self.adapterPath = adapterPath
        self.phase = phase
        self.phaseIndex = phaseIndex
        self.step = step
        self.totalSteps = totalSteps
        self.modelPath = modelPath
        self.optimiserPath = optimiserPath
        self.loss = loss
    }
}

/// One evaluation question answered by the student at one stage, and how it was graded.
public struct TrainingTaskAnswerRecord: Sendable, Hashable {
    public var stage: String
    public var stageIndex: Int
    public var questionID: String
    public var leaf: String
    /// knowledge or skill.
    public var kind: String
    /// held_out (a run sample never trained on) or seed (the curator's example).
    public var origin: String
    public var question: String
    public var answer: String
    public var correct: Bool
    /// The first verifier that rejected the answer, and why.
    public var rejectedBy: String?
    public var reason: String?
    /// A judge model's 1–10 score, when one was asked.
    public var judgeScore: Double?

    public init(stage: String, stageIndex: Int, questionID: String, leaf: String, kind: String, origin: String, question: String,
                answer: String, correct: Bool, rejectedBy: String?, reason: String?, judgeScore: Double?) {
        self.stage = stage
        self.stageIndex = stageIndex
        self.questionID = questionID
        self.leaf = leaf
        self.kind = kind
        self.origin = origin
        self.question = question
        self.answer = answer
        self.correct = correct
        self.rejectedBy = rejectedBy
        self.reason = reason
        self.judgeScore = judgeScore
    }
}

/// A general benchmark's score at one stage.
public struct TrainingBenchmarkRecord: Sendable, Hashable {
    public var stage: String
    public var stageIndex: Int
    public var benchmark: String
    public var items: Int
    /// Right by log-likelihood per byte (acc_norm), and by total log-likelihood (acc).
    public var correct: Int
    public var correctUnnormalised: Int

    public init(stage: String, stageIndex: Int, benchmark: String, items: Int, correct: Int, correctUnnormalised: Int) {
        self.stage = stage
        self.stageIndex = stageIndex
        self.benchmark = benchmark
        self.items = items
        self.correct = correct
        self.correctUnnormalised = correctUnnormalised
    }
}

/// One evaluated set at one stage (before training, after a phase).
public struct TrainingEvaluationRecord: Sendable, Hashable {
    public var stage: String
    public var stageIndex: Int
    public var setName: String
    public var kind: String
    public var loss: Double
    public var targets: Int

    public init(stage: String, stageIndex: Int, setName: String, kind: String, loss: Double, targets: Int) {
        self.stage = stage
        self.stageIndex = stageIndex
        self.setName = setName
        self.kind = kind
        self.loss = loss
        self.targets = targets
    }
}

/// A training job as stored.
public struct TrainingRunRecord: Sendable, Hashable {
    public var id: Int64
    public var status: String
    public var generationRunID: Int64?
    public var baseModel: String
    public var outputDirectory: String
    public var recipeJSON: String
    public var error: String?
}

extension SampleStore {
    /// Starts a training job and records every row it will train on and every held-out sample,
    /// in one transaction.
    public func beginTraining(generationRunID: Int64?, baseModel: String, outputDirectory: String, recipeJSON: String,
                              rows: [TrainingRowRecord]) throws(StoreError) -> Int64 {
        try write { db in
            let id = try db.insert(sql: """
                INSERT INTO training_runs (created_at, status, generation_run_id, base_model, output_dir, recipe_json)
                VALUES (?, 'running', ?, ?, ?, ?)
                """, arguments: [Self.now(), generationRunID, baseModel, outputDirectory, recipeJSON])
            var positions: [String: Int] = [:]
            for row in rows {
                let position = positions[row.phase, default: 0]
                positions[row.phase] = position + 1
                try db.execute(sql: """
                    INSERT INTO training_rows (training_id, phase, position, example_id, leaf, role) VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [id, row.phase, position, row.exampleID, row.leaf, row.role])
            }
            return id
        }
    }

    public func recordCheckpoint(trainingID: Int64, _ checkpoint: TrainingCheckpointRecord) throws(StoreError) {
        try write(idempotent: true) { db in
            try db.execute(sql: """
                INSERT INTO training_checkpoints
                    (training_id, phase, phase_index, step, total_steps, model_path, optimiser_path, adapter_path, loss, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (training_id, phase_index, step) DO UPDATE SET phase = excluded.phase, total_steps = excluded.total_steps,
                    model_path = excluded.model_path, optimiser_path = excluded.optimiser_path, adapter_path = excluded.adapter_path,
                    loss = excluded.loss, created_at = excluded.created_at
                """, arguments: [trainingID, checkpoint.phase, checkpoint.phaseIndex, checkpoint.step, checkpoint.totalSteps,
                                 checkpoint.modelPath, checkpoint.optimiserPath, checkpoint.adapterPath, checkpoint.loss, Self.now()])
        }
    }

    public func recordEvaluation(trainingID: Int64, _ evaluation: TrainingEvaluationRecord) throws(StoreError) {
        try write(idempotent: true) { db in
            try db.execute(sql: """
                INSERT INTO training_evaluations (training_id, stage, stage_index, set_name, kind, loss, targets)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (training_id, stage_index, set_name) DO UPDATE SET stage = excluded.stage, kind = excluded.kind,
                    loss = excluded.loss, targets = excluded.targets
                """, arguments: [trainingID, evaluation.stage, evaluation.stageIndex, evaluation.setName, evaluation.kind,
                                 evaluation.loss, evaluation.targets])
        }
    }

    public func finishTraining(_ trainingID: Int64, status: String, error: String? = nil) throws(StoreError) {
        try write(idempotent: true) { db in
            try db.execute(sql: "UPDATE training_runs SET status = ?, finished_at = ?, error = ? WHERE id = ?",
                           arguments: [status, Self.now(), error, trainingID])
        }
    }

    public func latestTrainingID() throws(StoreError) -> Int64? {
        try read { db in try db.value(Int64.self, sql: "SELECT max(id) FROM training_runs") }
    }

    public func training(_ trainingID: Int64) throws(StoreError) -> TrainingRunRecord {
        let record: TrainingRunRecord? = try read { db in
            try db.row(sql: "SELECT * FROM training_runs WHERE id = ?", arguments: [trainingID]).map { row in
                TrainingRunRecord(id: row["id"], status: row["status"], generationRunID: row["generation_run_id"], baseModel: row["base_model"],
                                  outputDirectory: row["output_dir"], recipeJSON: row["recipe_json"], error: row["error"])
            }
        }
        guard let record else { throw StoreError(.notFound, path: path, detail: "no training job \(trainingID)") }
        return record
    }

    public func trainingRows(_ trainingID: Int64) throws(StoreError) -> [TrainingRowRecord] {
        try read { db in
            try db.rows(sql: "SELECT * FROM training_rows WHERE training_id = ? ORDER BY phase, position", arguments: [trainingID]).map {
                TrainingRowRecord(phase: $0["phase"], exampleID: $0["example_id"], leaf: $0["leaf"], role: $0["role"])
            }
        }
    }

    /// The newest checkpoint of a job (latest phase, then latest step).
    public func latestCheckpoint(trainingID: Int64) throws(StoreError) -> TrainingCheckpointRecord? {
        try read { db in
            try db.row(sql: """
                SELECT * FROM training_checkpoints WHERE training_id = ? ORDER BY phase_index DESC, step DESC LIMIT 1
                """, arguments: [trainingID]).map {
                TrainingCheckpointRecord(phase: $0["phase"], phaseIndex: $0["phase_index"], step: $0["step"], totalSteps: $0["total_steps"],
                                         modelPath: $0["model_path"], optimiserPath: $0["optimiser_path"], adapterPath: $0["adapter_path"],
                                         loss: $0["loss"])
            }
        }
    }

    /// The exact weights a phase started from: the end checkpoint of the phase before (nil for the first).
    public func phaseStartPath(trainingID: Int64, phaseIndex: Int) throws(StoreError) -> String? {
        guard phaseIndex > 0 else { return nil }
        return try read { db in
            try db.value(String.self, sql: """
                SELECT model_path FROM training_checkpoints
                WHERE training_id = ? AND phase_index = ? AND step = total_steps AND optimiser_path IS NULL
                """, arguments: [trainingID, phaseIndex - 1])
        }
    }

    /// Records a stage's graded answers in one transaction, so a stage is either all there or absent.
    public func recordTaskAnswers(trainingID: Int64, _ answers: [TrainingTaskAnswerRecord]) throws(StoreError) {
        try write(idempotent: true) { db in
            for answer in answers {
                try db.execute(sql: """
                    INSERT INTO training_task_answers (training_id, stage, stage_index, question_id, leaf, kind, origin,
                        question, answer, correct, rejected_by, reason, judge_score)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (training_id, stage_index, question_id) DO UPDATE SET stage = excluded.stage, leaf = excluded.leaf,
                        kind = excluded.kind, origin = excluded.origin, question = excluded.question, answer = excluded.answer,
                        correct = excluded.correct, rejected_by = excluded.rejected_by, reason = excluded.reason,
                        judge_score = excluded.judge_score
                    """, arguments: [trainingID, answer.stage, answer.stageIndex, answer.questionID, answer.leaf, answer.kind, answer.origin,
                                     answer.question, answer.answer, answer.correct, answer.rejectedBy, answer.reason, answer.judgeScore])
            }
        }
    }

    public func recordBenchmark(trainingID: Int64, _ record: TrainingBenchmarkRecord) throws(StoreError) {
        try write(idempotent: true) { db in
            try db.execute(sql: """
                INSERT INTO training_benchmarks (training_id, stage, stage_index, benchmark, items, correct, correct_unnormalised)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (training_id, stage_index, benchmark) DO UPDATE SET stage = excluded.stage, items = excluded.items,
                    correct = excluded.correct, correct_unnormalised = excluded.correct_unnormalised
                """, arguments: [trainingID, record.stage, record.stageIndex, record.benchmark, record.items, record.correct,
                                 record.correctUnnormalised])
        }
    }

    public func trainingBenchmarks(_ trainingID: Int64) throws(StoreError) -> [TrainingBenchmarkRecord] {
        try read { db in
            try db.rows(sql: "SELECT * FROM training_benchmarks WHERE training_id = ? ORDER BY stage_index, benchmark",
                             arguments: [trainingID]).map {
                TrainingBenchmarkRecord(stage: $0["stage"], stageIndex: $0["stage_index"], benchmark: $0["benchmark"], items: $0["items"],
                                        correct: $0["correct"], correctUnnormalised: $0["correct_unnormalised"])
            }
        }
    }

    /// Every graded answer of a job, by stage and in the order they were asked.
    public func trainingTaskAnswers(_ trainingID: Int64) throws(StoreError) -> [TrainingTaskAnswerRecord] {
        try read { db in
            try db.rows(sql: "SELECT * FROM training_task_answers WHERE training_id = ? ORDER BY stage_index, \(dialect.insertionOrder)",
                             arguments: [trainingID]).map {
                TrainingTaskAnswerRecord(stage: $0["stage"], stageIndex: $0["stage_index"], questionID: $0["question_id"], leaf: $0["leaf"],
                                         kind: $0["kind"], origin: $0["origin"], question: $0["question"], answer: $0["answer"],
                                         correct: $0["correct"], rejectedBy: $0["rejected_by"], reason: $0["reason"],
                                         judgeScore: $0["judge_score"])
            }
        }
    }

    public func trainingEvaluations(_ trainingID: Int64) throws(StoreError) -> [TrainingEvaluationRecord] {
        try read { db in
            try db.rows(sql: "SELECT * FROM training_evaluations WHERE training_id = ? ORDER BY stage_index, \(dialect.insertionOrder)",
                             arguments: [trainingID]).map {
                TrainingEvaluationRecord(stage: $0["stage"], stageIndex: $0["stage_index"], setName: $0["set_name"], kind: $0["kind"],
                                         loss: $0["loss"], targets: $0["targets"])
            }
        }
    }
}
