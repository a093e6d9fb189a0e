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
    /// InstructLab's identity: the folder's parts joined with `->`, e.g. `knowledge->finance->ratios`.
    public var taxonomyPath: String
    /// The folder relative to the taxonomy root, `/`-separated.
    public var relativePath: String
    /// The qna.yaml path as shown to the user.
    public var filePath: String
    /// SHA-256 of the qna.yaml bytes: changes whenever the curator edits the file.
    public var contentHash: String
    public var branch: TaxonomyBranch
    public var kind: LeafKind
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

    /// The file-system-safe identity InstructLab uses for output names (`->` replaced by `_`).
    public var fileSafeName: String { taxonomyPath.replacingOccurrences(of: "->", with: "_") }

    /// Total question/answer pairs over all seeds.
    public var questionAnswerCount: Int { seeds.reduce(0) { $0 + $1.questionsAndAnswers.count } }

    public init(
        taxonomyPath: String, relativePath: String, filePath: String, contentHash: String,
        branch: TaxonomyBranch, kind: LeafKind, version: Int, createdBy: String,
        domain: String? = nil, taskDescription: String? = nil, documentOutline: String? = nil,
        document: DocumentReference? = nil, seeds: [SeedExample]
    ) {
        self.taxonomyPath = taxonomyPath
        self.relativePath = relativePath
        self.filePath = filePath
        self.contentHash = contentHash
        self.branch = branch
        self.kind = kind
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
