import LabCore

/// The phases a training job can run: LAB's two, and the recipes around them.
public enum TrainingPhase: String, Sendable, Codable, CaseIterable {
    /// Continued pre-training: the raw text of documents (loss on every token), mixed with
    /// general text against forgetting (`CPTCorpus`).
    case cpt
    /// Knowledge rows: the chunk, the question and the answer, loss on all of it.
    case knowledge
    /// Skill rows (loss on the answer) plus a replay buffer of knowledge rows.
    case skills
    /// Direct preference optimisation on the run's preference pairs (an accepted and a rejected
    /// answer to one question), against the frozen weights the phase starts from.
    case dpo

    /// The phases a job runs unless told otherwise (DPO needs pairs, so it is asked for).
    public static let defaultPhases: [TrainingPhase] = [.knowledge, .skills]
}

/// Every choice that shapes what is trained; written to the recipe file with the run.
public struct CurriculumSettings: Sendable, Codable, Equatable {
    public var phases: [TrainingPhase]
    /// Replay rows in the skills phase per skill row (0.3: 3 knowledge rows for every 10 skill rows).
    public var replayRatio: Double
    /// Share of each leaf's samples set aside for evaluation, never trained on (at least one
    /// when the leaf has two or more samples).
    public var heldOutFraction: Double
    /// Knowledge phase order: short answers before long ones (else a seeded shuffle).
    public var shortAnswersFirst: Bool
    /// Chunks from other documents put around the right one in a RAFT row.
    public var raftDistractors: Int
    public var seed: UInt64

    public init(phases: [TrainingPhase] = TrainingPhase.defaultPhases, replayRatio: Double = 0.3, heldOutFraction: Double = 0.2,
                shortAnswersFirst: Bool = true, raftDistractors: Int = 2, seed: UInt64 = 42) {
        self.phases = phases
        self.replayRatio = replayRatio
        self.heldOutFraction = heldOutFraction
        self.shortAnswersFirst = shortAnswersFirst
        self.raftDistractors = raftDistractors
        self.seed = seed
    }
}

/// One row a phase trains on.
public struct CurriculumRow: Sendable, Codable, Hashable {
    public enum Role: String, Sendable, Codable, Hashable {
        /// A sample of the phase's own kind.
        case primary
        /// A knowledge row replayed in the skills phase, as trained in phase 1.
        case replay
        /// A knowledge row replayed as RAFT: the right chunk among distractors, loss on the answer.
        case raft
    }

    public var exampleID: String
    public var leaf: String
    public var role: Role
    public var system: String
    public var user: String
    public var assistant: String
    /// Loss on every token (knowledge rows), not only the answer.
    public var unmask: Bool
}

/// The phases' rows and the held-out samples, decided once from the samples and the settings.
public struct Curriculum: Sendable {
    public struct Phase: Sendable {
        public var phase: TrainingPhase
        public var rows: [CurriculumRow]
    }

    public let settings: CurriculumSettings
    public let phases: [Phase]
    /// Set aside per leaf for evaluation.
    public let heldOut: [TrainingExample]

    /// Splits `examples` into held-out and training samples per leaf and builds each phase.
    /// Throws when a requested phase would have no rows.
    public init(examples: [TrainingExample], settings: CurriculumSettings) throws(CurriculumError) {
        self.settings = settings
        var random = SeededRandom(seed: settings.seed, stream: "curriculum")
        var heldOut: [TrainingExample] = [], training: [TrainingExample] = []
        for leaf in Set(examples.map(\.leaf)).sorted() {
            let ofLeaf = examples.filter { $0.leaf == leaf }.sorted {
                ContentHash.sha256Hex("\(settings.seed)/\($0.id)") < ContentHash.sha256Hex("\(settings.seed)/\($1.id)")
            }
            let count = ofLeaf.count >= 2 && settings.heldOutFraction > 0
                ? max(1, Int((Double(ofLeaf.count) * settings.heldOutFraction).rounded())) : 0
            heldOut += ofLeaf.prefix(min(count, ofLeaf.count - 1))
            training += ofLeaf.dropFirst(min(count, ofLeaf.count - 1))
        }
        let knowledge = training.filter { $0.kind == .knowledge }, skills = training.filter { $0.kind == .skill }
        var phases: [Phase] = []
        var knowledgeRows: [CurriculumRow] = []
        for phase in settings.phases {
            switch phase {
            case .knowledge:
                guard !knowledge.isEmpty else { throw CurriculumError.emptyPhase(.knowledge, held: heldOut.filter { $0.kind == .knowledge }.count) }
                var ordered = knowledge.shuffled(using: &random)
                if settings.shortAnswersFirst {
                    ordered = ordered.enumerated().sorted { ($0.element.assistant.count, $0.offset) < ($1.element.assistant.count, $1.offset) }.map(\.element)
                }
                knowledgeRows = ordered.map { Self.row($0, role: .primary, unmask: true) }
                phases.append(Phase(phase: .knowledge, rows: knowledgeRows))
            case .skills:
                guard !skills.isEmpty else { throw CurriculumError.emptyPhase(.skills, held: heldOut.filter { $0.kind == .skill }.count) }
                var rows = skills.map { Self.row($0, role: .primary, unmask: false) }
                let replayCount = knowledgeRows.isEmpty ? 0 : Int((Double(skills.count) * settings.replayRatio).rounded())
                let replayable = knowledge.shuffled(using: &random)
                let chunks = Dictionary(knowledge.compactMap { e in e.chunkID.flatMap { id in e.chunkText.map { (id, $0) } } },
                                        uniquingKeysWith: { first, _ in first })
                for i in 0..<replayCount {
                    let example = replayable[i % replayable.count]
                    if i % 2 == 1, let raft = Self.raftRow(example, chunks: chunks, distractors: settings.raftDistractors, random: &random) {
                        rows.append(raft)
                    } else {
                        rows.append(Self.row(example, role: .replay, unmask: true))
                    }
                }
                phases.append(Phase(phase: .skills, rows: rows.shuffled(using: &random)))
            case .dpo, .cpt:
                // Pairs or documents, not sample rows: the job builds these phases from them.
                phases.append(Phase(phase: phase, rows: []))
            }
        }
        self.phases = phases
        self.heldOut = heldOut
    }

    private static func row(_ example: TrainingExample, role: CurriculumRow.Role, unmask: Bool) -> CurriculumRow {
        CurriculumRow(exampleID: example.id, leaf: example.leaf, role: role, system: example.system, user: example.user,
                      assistant: example.assistant, unmask: unmask)
    }

    /// The question after its chunk shuffled among chunks of other samples (Zhang et al. 2024,
    /// RAFT); nil when the sample has no chunk or there is no other chunk to distract with.
    private static func raftRow(_ example: TrainingExample, chunks: [String: String], distractors: Int,
                                random: inout SeededRandom) -> CurriculumRow? {
        guard let id = example.chunkID, let text = example.chunkText, distractors > 0 else { return nil }
        let others = chunks.keys.filter { $0 != id }.sorted().shuffled(using: &random).prefix(distractors).compactMap { chunks[$0] }
        guard !others.isEmpty else { return nil }
        let documents = ([text] + others).shuffled(using: &random)
        let user = documents.enumerated().map { "Document \($0.offset + 1):\n\($0.element)" }.joined(separator: "\n\n")
            + "\n\n" + example.question
        return CurriculumRow(exampleID: example.id, leaf: example.leaf, role: .raft, system: example.system, user: user,
                             assistant: example.assistant, unmask: false)
    }
}

/// Why a curriculum cannot be built.
public enum CurriculumError: Error, Sendable, CustomStringConvertible, Equatable {
    case emptyPhase(TrainingPhase, held: Int)
    case noSamples(String)

    public var description: String {
        switch self {
        case .emptyPhase(let phase, let held):
            let kind = phase == .knowledge ? "knowledge" : (phase == .skills ? "skill" : phase.rawValue)
            let detail = held > 0 ? " (\(held) were held out for evaluation)" : ""
            return "the \(phase.rawValue) phase has no \(kind) samples to train on\(detail) "
                + "(hint: generate \(kind) samples first, or leave the phase out with --phases)"
        case .noSamples(let source):
            return "\(source) has no accepted samples (hint: run `synthlab generate` first, or check --run)"
        }
    }
}
