import Foundation

/// A curator's decision about a sample.
public enum ReviewDecision: String, Sendable, Codable, CaseIterable {
    case accept, reject
}

/// Why a curator rejected a sample: a short fixed list (so rejections can be counted by kind), plus
/// free text in the review's note.
public enum ReviewReason: String, Sendable, Codable, CaseIterable {
    case incorrect
    case ungrounded
    case offTask = "off_task"
    case scaffolding
    case duplicate
    case unclear
    case other

    /// How the reason reads in a form or a report.
    public var label: String {
        switch self {
        case .incorrect: "incorrect (wrong fact, figure or arithmetic)"
        case .ungrounded: "not supported by its context"
        case .offTask: "not the leaf's task"
        case .scaffolding: "prompt scaffolding or meta question"
        case .duplicate: "duplicate of another sample"
        case .unclear: "unclear or incomplete"
        case .other: "other (see note)"
        }
    }
}

/// A review to record. `question`/`answer` are the curator's edited text (nil: unchanged).
public struct NewReview: Sendable, Hashable {
    public var sampleID: Int64
    public var decision: ReviewDecision
    public var reason: ReviewReason?
    public var note: String
    public var question: String?
    public var answer: String?
    public var reviewer: String

    public init(sampleID: Int64, decision: ReviewDecision, reason: ReviewReason? = nil, note: String = "",
                question: String? = nil, answer: String? = nil, reviewer: String) {
        self.sampleID = sampleID
        self.decision = decision
        self.reason = reason
        self.note = note
        self.question = question
        self.answer = answer
        self.reviewer = reviewer
    }
}

/// A stored curator verdict: who decided what, when, and the revision they wrote if they edited.
public struct Review: Sendable, Hashable, Codable {
    public var id: Int64
    public var sampleID: Int64
    public var decision: ReviewDecision
    public var reason: ReviewReason?
    public var note: String
    public var question: String?
    public var answer: String?
    public var reviewer: String
    public var createdAt: String

    /// Whether this review wrote a new revision of the question or answer.
    public var isEdit: Bool { question != nil || answer != nil }
}

/// A reviewed sample as the labelled set of `bench/quality` needs it.
public struct ReviewedSample: Sendable, Hashable {
    public var sampleID: Int64
    public var runID: Int64
    public var leaf: String
    /// The pipeline's decision.
    public var status: String
    public var question: String
    public var answer: String
    public var context: String?
    /// The newest review, which decides.
    public var review: Review
    /// The sample's own text when the curator edited it (the revision is in `review`/the effective text).
    public var originalQuestion: String
    public var originalAnswer: String
}

/// What curators' reviews say about the filters, over the reviewed samples of a run.
public struct ReviewSummary: Sendable, Hashable {
    public var reviewed = 0
    /// Reviewed samples the filters accepted, and how many of them the curator accepted unchanged.
    public var reviewedAccepted = 0
    public var confirmedAccepted = 0
    /// Filter-accepted samples the curator accepted only after editing them.
    public var editedAccepted = 0
    /// Reviewed samples the filters rejected, and how many of them the curator accepted (rescued).
    public var reviewedRejected = 0
    public var rescued = 0
    /// Curator rejections by reason.
    public var rejectionsByReason: [String: Int] = [:]

    /// The filters' precision over reviewed samples: accepted by the filters and correct as they were.
    public var precision: Double? { reviewedAccepted == 0 ? nil : Double(confirmedAccepted) / Double(reviewedAccepted) }
}

/// A problem with a review the store was asked to record.
public struct ReviewError: Error, Sendable, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension SampleStore {
    /// The newest curator decision of sample `s` (SQL over alias `s`).
    static let curatorDecisionSQL = "(SELECT r.decision FROM reviews r WHERE r.sample_id = s.id ORDER BY r.id DESC LIMIT 1)"
    /// Whether `s` ends up in exports and training: the curator's newest decision, else the filters'.
    static let effectivelyAcceptedSQL = "coalesce(\(curatorDecisionSQL), CASE s.status WHEN 'accepted' THEN 'accept' ELSE 'reject' END) = 'accept'"
    /// The newest revision of `s`'s question and answer (the sample's own text when never edited).
    static let effectiveQuestionSQL = "coalesce((SELECT r.question FROM reviews r WHERE r.sample_id = s.id AND r.question IS NOT NULL ORDER BY r.id DESC LIMIT 1), s.question)"
    static let effectiveAnswerSQL = "coalesce((SELECT r.answer FROM reviews r WHERE r.sample_id = s.id AND r.answer IS NOT NULL ORDER BY r.id DESC LIMIT 1), s.answer)"

    /// Records a curator's review. A rejection needs a reason; an edit must change something and may
    /// not be empty. The write is one transaction and waits for a concurrent writer (a running
    /// `generate`) instead of failing, so a decision is never lost to it.
    @discardableResult
    public func addReview(_ review: NewReview) throws(StoreError) -> Review {
        let now = Self.now()
        let stored: Result<Review, ReviewError> = try write { db in
            guard let current = try db.row(sql: """
                SELECT \(Self.effectiveQuestionSQL) AS question, \(Self.effectiveAnswerSQL) AS answer FROM samples s WHERE s.id = ?
                """, arguments: [review.sampleID]) else {
                return .failure(ReviewError("no sample \(review.sampleID)"))
            }
            if review.decision == .reject && review.reason == nil {
                return .failure(ReviewError("a rejection needs a reason: one of \(ReviewReason.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
            func revision(_ text: String?, current: String, field: String) -> Result<String?, ReviewError> {
                guard let text else { return .success(nil) }
                let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
                if normalized.isEmpty { return .failure(ReviewError("the edited \(field) is empty")) }
                return .success(normalized == current ? nil : normalized)
            }
            let question: String?
            let answer: String?
            switch (revision(review.question, current: current["question"], field: "question"),
                    revision(review.answer, current: current["answer"], field: "answer")) {
            case (.success(let q), .success(let a)): question = q; answer = a
            case (.failure(let error), _), (_, .failure(let error)): return .failure(error)
            }
            let id = try db.insert(sql: """
                INSERT INTO reviews (sample_id, decision, reason, note, question, answer, reviewer, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [review.sampleID, review.decision.rawValue, review.reason?.rawValue, review.note, question, answer,
                                 review.reviewer, now])
            return .success(Review(id: id, sampleID: review.sampleID, decision: review.decision, reason: review.reason,
                                   note: review.note, question: question, answer: answer, reviewer: review.reviewer, createdAt: now))
        }
        switch stored {
        case .success(let review): return review
        case .failure(let error): throw StoreError(.invalid, path: path, detail: error.description)
        }
    }

    /// Every review of a sample, oldest first (the last one decides).
    public func reviews(ofSample sampleID: Int64) throws(StoreError) -> [Review] {
        try read { db in try Self.fetchReviews(db, sql: "SELECT * FROM reviews WHERE sample_id = ? ORDER BY id", arguments: [sampleID]) }
    }

    static func fetchReviews(_ db: any StoreSession, sql: String, arguments: StoreArguments) throws -> [Review] {
        try db.rows(sql: sql, arguments: arguments).map(Self.review)
    }

    static func review(_ row: StoreRow) -> Review {
        Review(id: row["id"], sampleID: row["sample_id"], decision: ReviewDecision(rawValue: row["decision"]) ?? .reject,
               reason: (row["reason"] as String?).flatMap(ReviewReason.init(rawValue:)), note: row["note"], question: row["question"],
               answer: row["answer"], reviewer: row["reviewer"], createdAt: row["created_at"])
    }

    /// The reviewed samples of a run (or of every run), each with its newest review, in sample order.
    public func reviewedSamples(runID: Int64?) throws(StoreError) -> [ReviewedSample] {
        try read { db in
            let rows = try db.rows(sql: """
                SELECT s.id, s.run_id, l.taxonomy_path, s.status, s.question, s.answer, \(Self.effectiveQuestionSQL) AS edited_question,
                       \(Self.effectiveAnswerSQL) AS edited_answer, coalesce(s.context, c.text) AS context,
                       r.id AS r_id, r.sample_id AS r_sample_id, r.decision AS r_decision, r.reason AS r_reason, r.note AS r_note,
                       r.question AS r_question, r.answer AS r_answer, r.reviewer AS r_reviewer, r.created_at AS r_created_at
                FROM samples s JOIN leaves l ON l.id = s.leaf_id LEFT JOIN chunks c ON c.id = s.chunk_id
                JOIN reviews r ON r.id = (SELECT max(x.id) FROM reviews x WHERE x.sample_id = s.id)
                \(runID == nil ? "" : "WHERE s.run_id = ?") ORDER BY s.id
                """, arguments: runID.map { [$0] } ?? [])
            return rows.map { row in
                let review = Review(id: row["r_id"], sampleID: row["r_sample_id"], decision: ReviewDecision(rawValue: row["r_decision"]) ?? .reject,
                                    reason: (row["r_reason"] as String?).flatMap(ReviewReason.init(rawValue:)), note: row["r_note"],
                                    question: row["r_question"], answer: row["r_answer"], reviewer: row["r_reviewer"], createdAt: row["r_created_at"])
                return ReviewedSample(sampleID: row["id"], runID: row["run_id"], leaf: row["taxonomy_path"], status: row["status"],
                                      question: row["edited_question"], answer: row["edited_answer"], context: row["context"], review: review,
                                      originalQuestion: row["question"], originalAnswer: row["answer"])
            }
        }
    }

    /// The filters measured by curators over the reviewed samples of a run.
    public func reviewSummary(runID: Int64) throws(StoreError) -> ReviewSummary {
        var summary = ReviewSummary()
        for sample in try reviewedSamples(runID: runID) {
            summary.reviewed += 1
            let edited = sample.question != sample.originalQuestion || sample.answer != sample.originalAnswer
            if sample.review.decision == .reject {
                summary.rejectionsByReason[sample.review.reason?.rawValue ?? ReviewReason.other.rawValue, default: 0] += 1
            }
            if sample.status == "accepted" {
                summary.reviewedAccepted += 1
                if sample.review.decision == .accept {
                    if edited { summary.editedAccepted += 1 } else { summary.confirmedAccepted += 1 }
                }
            } else {
                summary.reviewedRejected += 1
                if sample.review.decision == .accept { summary.rescued += 1 }
            }
        }
        return summary
    }
}
