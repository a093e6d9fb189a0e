public import LabDocuments

/// The top-level folder a leaf sits under; it decides the schema, as in InstructLab.
public enum TaxonomyBranch: String, Sendable, Codable, CaseIterable {
    case knowledge
    case compositionalSkills = "compositional_skills"
    case foundationalSkills = "foundational_skills"
    /// Outside the three folders: knowledge if the file has a `document` key, else skills.
    case other
}

/// What kind of training data a leaf yields.
public enum LeafKind: String, Sendable, Codable {
    /// Facts from documents; seeds pair a document excerpt with questions and answers.
    case knowledge
    /// A skill whose seeds carry a `context` the answer must be grounded in.
    case groundedSkill = "grounded_skill"
    /// A skill without context.
    case freeformSkill = "freeform_skill"
    /// A skill under `foundational_skills/` (grounded or not; see `Leaf.isGrounded`), which
    /// InstructLab skips and synthlab reads.
    case foundationalSkill = "foundational_skill"
}

/// How a leaf is recognised again: by its place in the tree and by its bytes.
public struct LeafIdentity: Sendable, Hashable, Codable {
    /// InstructLab's `taxonomy_path`: the folder's parts joined with `->`, e.g. `knowledge->finance->sec_filings`.
    public var taxonomyPath: String
    /// SHA-256 of the qna.yaml bytes: changes whenever the curator edits the file.
    public var contentHash: String

    public init(taxonomyPath: String, contentHash: String) {
        self.taxonomyPath = taxonomyPath
        self.contentHash = contentHash
    }

    /// The file-system-safe form InstructLab uses for output names (`->` replaced by `_`).
    public var fileSafeName: String { taxonomyPath.replacingOccurrences(of: "->", with: "_") }
}

/// One question and its answer.
public struct QuestionAnswer: Sendable, Hashable, Codable {
    public var question: String
    public var answer: String

    public init(question: String, answer: String) {
        self.question = question
        self.answer = answer
    }
}

/// One seed example: for knowledge, a context with several Q&A; for skills, one Q&A with an
/// optional context.
public struct SeedExample: Sendable, Hashable, Codable {
    public var context: String?
    public var questionsAndAnswers: [QuestionAnswer]

    public init(context: String?, questionsAndAnswers: [QuestionAnswer]) {
        self.context = context
        self.questionsAndAnswers = questionsAndAnswers
    }
}

/// A validated taxonomy leaf: everything generation needs from its qna.yaml.
public struct Leaf: Sendable, Hashable, Codable {
    public var identity: LeafIdentity
    /// The folder relative to the taxonomy root, `/`-separated.
    public var relativePath: String
    /// The qna.yaml path as shown to the user.
    public var filePath: String
    public var branch: TaxonomyBranch
    public var kind: LeafKind
    /// Whether the seeds carry a `context` the answers must be grounded in (always for knowledge).
    public var isGrounded: Bool
    public var version: Int
    public var createdBy: String
    /// Knowledge: the subject used in prompts.
    public var domain: String?
    /// Skills: what the skill teaches.
    public var taskDescription: String?
    /// Knowledge: a summary of the documents.
    public var documentOutline: String?
    /// Knowledge: where the source documents are.
    public var document: DocumentReference?
    public var seeds: [SeedExample]

    /// InstructLab's `taxonomy_path`, e.g. `knowledge->finance->ratios`.
    public var taxonomyPath: String { identity.taxonomyPath }
    /// SHA-256 of the qna.yaml bytes.
    public var contentHash: String { identity.contentHash }
    /// The file-system-safe identity InstructLab uses for output names (`->` replaced by `_`).
    public var fileSafeName: String { identity.fileSafeName }

    /// Total question/answer pairs over all seeds.
    public var questionAnswerCount: Int { seeds.reduce(0) { $0 + $1.questionsAndAnswers.count } }

    public init(
        identity: LeafIdentity, relativePath: String, filePath: String,
        branch: TaxonomyBranch, kind: LeafKind, isGrounded: Bool, version: Int, createdBy: String,
        domain: String? = nil, taskDescription: String? = nil, documentOutline: String? = nil,
        document: DocumentReference? = nil, seeds: [SeedExample]
    ) {
        self.identity = identity
        self.relativePath = relativePath
        self.filePath = filePath
        self.branch = branch
        self.kind = kind
        self.isGrounded = isGrounded
        self.version = version
        self.createdBy = createdBy
        self.domain = domain
        self.taskDescription = taskDescription
        self.documentOutline = documentOutline
        self.document = document
        self.seeds = seeds
    }
}

extension Leaf {
    /// The identity from a leaf folder path relative to the taxonomy root.
    public static func taxonomyPath(forRelativeFolder folder: String) -> String {
        folder.split(separator: "/").joined(separator: "->")
    }
}
