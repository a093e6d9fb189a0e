import Foundation
public import LabCore

/// What a run was started with; stored as JSON so later versions can read older runs.
public struct RunConfiguration: Sendable, Codable, Hashable {
    public var taxonomyHash: String
    public var pipelineHash: String
    public var teacher: String
    public var seed: UInt64
    /// Everything else the run was configured with (pipeline name, samples per leaf, …).
    public var settings: [String: String]

    public init(taxonomyHash: String, pipelineHash: String, teacher: String, seed: UInt64, settings: [String: String] = [:]) {
        self.taxonomyHash = taxonomyHash
        self.pipelineHash = pipelineHash
        self.teacher = teacher
        self.seed = seed
        self.settings = settings
    }
}

/// Where a generation run stands.
public enum RunStatus: String, Sendable, Codable, CaseIterable {
    case running, finished, interrupted, failed
}

/// Where one leaf of a run stands. `done`: target reached; `saturated`: new candidates were mostly
/// duplicates; `exhausted`: its candidate budget is spent.
public enum LeafStatus: String, Sendable, Codable, CaseIterable {
    case pending, running, done, saturated, exhausted

    /// Whether the leaf will take no more work.
    public var isStopped: Bool { self == .done || self == .saturated || self == .exhausted }
}

/// A run as listed.
public struct RunSummary: Sendable, Hashable {
    public var id: Int64
    public var createdAt: String
    public var status: String
    public var teacher: String
    public var accepted: Int
    public var rejected: Int
}

/// A filter's decision about a sample, with what it measured and why.
public struct Verdict: Sendable, Codable, Hashable {
    public enum Decision: String, Sendable, Codable { case accept, reject, flag }

    public var filter: String
    public var filterVersion: String
    public var score: Double?
    public var threshold: Double?
    public var decision: Decision
    public var reason: String
    /// JSON evidence, e.g. the offsets of the best supporting span in the source chunk.
    public var evidence: String?

    public init(filter: String, filterVersion: String, score: Double? = nil, threshold: Double? = nil,
                decision: Decision, reason: String, evidence: String? = nil) {
        self.filter = filter
        self.filterVersion = filterVersion
        self.score = score
        self.threshold = threshold
        self.decision = decision
        self.reason = reason
        self.evidence = evidence
    }
}

/// A generated question/answer pair ready to be stored with its verdicts.
public struct NewSample: Sendable, Hashable {
    public var leafID: Int64
    public var responseID: Int64?
    public var chunkID: String?
    public var seedIDs: [Int64]
    public var question: String
    public var answer: String
    public var context: String?
    public var verdicts: [Verdict]

    public init(leafID: Int64, responseID: Int64?, chunkID: String?, seedIDs: [Int64], question: String, answer: String,
                context: String?, verdicts: [Verdict]) {
        self.leafID = leafID
        self.responseID = responseID
        self.chunkID = chunkID
        self.seedIDs = seedIDs
        self.question = question
        self.answer = answer
        self.context = context
        self.verdicts = verdicts
    }

    /// Accepted when no verdict rejects it.
    public var isAccepted: Bool { !verdicts.contains { $0.decision == .reject } }
}

/// Everything that produced a sample, from one query.
public struct SampleLineage: Sendable, Hashable {
    public var sampleID: Int64
    public var runID: Int64
    public var status: String
    public var question: String
    public var answer: String
    public var leafPath: String
    public var seedQuestions: [String]
    public var chunkID: String?
    public var documentPath: String?
    public var teacher: String?
    public var requestInput: String?
    public var responseText: String?
    public var verdicts: [Verdict]
    /// The context the answer must be grounded in: the sample's own (grounded skills) or its chunk's text (knowledge).
    public var context: String?
    /// The leaf's seeds the prompt showed.
    public var seeds: [(question: String, answer: String, context: String?)] = []
    /// Curator reviews, oldest first; the last one decides.
    public var reviews: [Review] = []

    /// The question and answer as curators left them (the sample's own text when never edited).
    public var effectiveQuestion: String { reviews.last(where: { $0.question != nil })?.question ?? question }
    public var effectiveAnswer: String { reviews.last(where: { $0.answer != nil })?.answer ?? answer }
    /// The curator's decision when there is one.
    public var curatorDecision: ReviewDecision? { reviews.last?.decision }

    public static func == (a: SampleLineage, b: SampleLineage) -> Bool { a.sampleID == b.sampleID && a.reviews == b.reviews }
    public func hash(into hasher: inout Hasher) { hasher.combine(sampleID) }
}

/// Per-leaf counts for a run's funnel.
public struct LeafFunnel: Sendable, Hashable {
    public var leaf: String
    /// The leaf's kind as the run saw it (`knowledge`, `freeform_skill`, `grounded_skill`).
    public var kind: String = ""
    /// Accepted samples the run aimed for.
    public var target: Int = 0
    /// `pending`, `running`, `done` (target reached), `saturated` (mostly duplicates) or
    /// `exhausted` (candidate budget spent).
    public var status: String = ""
    public var candidates: Int
    /// Candidates whose reply had the shape the parser needs.
    public var parsed: Int = 0
    /// Units whose teacher request failed for good (their errors are in `runs show`).
    public var failedUnits: Int = 0
    public var accepted: Int
    /// Rejections per filter.
    public var rejectedBy: [String: Int]
    /// The most common rejection reasons, most frequent first.
    public var topReasons: [(reason: String, count: Int)]

    public static func == (a: LeafFunnel, b: LeafFunnel) -> Bool {
        a.leaf == b.leaf && a.candidates == b.candidates && a.accepted == b.accepted && a.rejectedBy == b.rejectedBy
            && a.topReasons.map(\.reason) == b.topReasons.map(\.reason) && a.topReasons.map(\.count) == b.topReasons.map(\.count)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(leaf)
        hasher.combine(candidates)
    }
}

/// The content address of a teacher request: the same rendered input, teacher, parameters and seed
/// always give the same key, so a rerun finds the stored answer instead of asking again.
public enum RequestKey {
    public static func make(teacher: String, request: GenerationRequest) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let input = try encoder.encode(request.input)
        let parameters = try encoder.encode(request.parameters)
        return ContentHash.sha256Hex("\(teacher)\n\(request.count)\n" + String(decoding: input, as: UTF8.self) + "\n" + String(decoding: parameters, as: UTF8.self))
    }
}
