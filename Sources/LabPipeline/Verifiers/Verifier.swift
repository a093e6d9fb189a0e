/// The kind of leaf a flow serves; decides what a verifier may expect of a candidate.
public enum FlowKind: String, Sendable, CaseIterable, Codable {
    case knowledge
    case freeformSkill = "freeform_skill"
    case groundedSkill = "grounded_skill"

    /// Knowledge and grounded skills answer from a passage; freeform skills carry their own data.
    public var hasSource: Bool { self != .freeformSkill }
}

/// A candidate as verifiers see it: never the teacher, only the text and where it belongs.
public struct CandidateText: Sendable {
    /// The leaf's folder relative to the taxonomy root (`compositional_skills/finance/arithmetic/cagr`).
    public var leafPath: String
    public var flow: FlowKind
    public var question: String
    public var answer: String
    /// The passage, table or paragraph the answer must be grounded in (knowledge chunk, grounded context).
    public var context: String?
    /// A curator's reference the answer was written from (the glossary definition a glossary
    /// question's answer explains); what the answer says beyond its examples must be in it.
    public var reference: String?

    public init(leafPath: String, flow: FlowKind, question: String, answer: String, context: String?, reference: String? = nil) {
        self.leafPath = leafPath
        self.flow = flow
        self.question = question
        self.answer = answer
        self.context = context
        self.reference = reference
    }
}

/// What a verifier found: its decision and why, in a form the store keeps as a verdict.
public struct Finding: Sendable, Equatable {
    public enum Decision: String, Sendable { case accept, reject, flag }

    public var decision: Decision
    public var score: Double?
    public var threshold: Double?
    /// A short, fixed phrase the funnel can count ("final figure does not match").
    public var reason: String
    /// What was recomputed or matched (figures, spans, cells), as string fields.
    public var evidence: [String: String]

    public init(_ decision: Decision, score: Double? = nil, threshold: Double? = nil, reason: String, evidence: [String: String] = [:]) {
        self.decision = decision
        self.score = score
        self.threshold = threshold
        self.reason = reason
        self.evidence = evidence
    }

    public static func accept(_ reason: String, score: Double? = nil, threshold: Double? = nil, evidence: [String: String] = [:]) -> Finding {
        Finding(.accept, score: score, threshold: threshold, reason: reason, evidence: evidence)
    }

    public static func reject(_ reason: String, score: Double? = nil, threshold: Double? = nil, evidence: [String: String] = [:]) -> Finding {
        Finding(.reject, score: score, threshold: threshold, reason: reason, evidence: evidence)
    }
}

/// A check of a candidate that trusts nothing the teacher said about it. Pure and deterministic:
/// the same candidate always gets the same finding, so `verify` and `generate` agree.
public protocol CandidateVerifier: Sendable {
    /// Bumped when the rule changes, stored with each verdict.
    static var version: String { get }
    /// nil when the check does not apply to this candidate (no verdict is stored).
    func verify(_ candidate: CandidateText) -> Finding?
}
