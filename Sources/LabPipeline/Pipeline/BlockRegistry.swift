/// The block kinds a pipeline file may use, with the options each accepts and the variables each
/// adds to a row. Adding a kind is one entry here plus its implementation.
public enum BlockKind: String, Sendable, CaseIterable {
    /// Renders a prompt template, asks the teacher, and parses the reply into columns.
    case generate
    /// Asks the teacher to score a row on a scale; the score becomes a column.
    case judge
    /// Keeps rows whose column compares to a value (e.g. a judge's score ≥ 2).
    case filter
    /// Drops exact and near duplicates (ROUGE-L) of seeds and accepted samples.
    case dedup
    /// Drops answers not supported by their source chunk or context.
    case ground
    /// Applies a safety policy file.
    case safety
    /// Drops empty, truncated, echoed and refused outputs.
    case format
    /// Verifier: role labels, template fragments and prompt instructions in question or answer.
    case leak
    /// Verifier: the question asks about finance, not the prompt; freeform questions carry their
    /// data, knowledge and grounded questions are answerable from their context.
    case selfContained = "self_contained"
    /// Verifier: the answer addresses the question (no repeat, no other subject, no false refusal).
    case answersQuestion = "answers_question"
    /// Verifier: worked steps hold, and the final figure equals the operation recomputed from the
    /// question's figures (operations configured per leaf glob).
    case arithmetic
    /// Verifier: every figure of a grounded answer is in its context; a table answer is the cell
    /// at the row and period the question names.
    case numbers
    /// Verifier: each sentence of a grounded answer is supported by the context.
    case claims
    /// Verifier: a definition has every component the glossary requires and no known wrong meaning.
    case definitions
    /// Verifier: the question belongs to its leaf's task rather than another leaf's.
    case onLeaf = "on_leaf"
    /// Asks the teacher for k more answers and scores agreement with the candidate's.
    case consistency
    /// Answer-first knowledge: answers are informative sentences of the passage; a later block asks for their questions.
    case answerFirst = "answer_first"
    /// Writes the answer from the question's figures (arithmetic leaves) or the table's cell (table leaves), marked as computed.
    case computedAnswer = "computed_answer"
    /// Writes questions about glossary terms the leaf's seeds don't ask, phrased like a seed question.
    case glossaryQuestion = "glossary_question"
    /// Writes questions that are a seed question with new figures, kept only when computable.
    case variedQuestion = "varied_question"
    /// Keeps knowledge chunks a model is unlikely to have seen: the target model's loss against a
    /// reference model's (likelihood ratio) or against zlib's compression (zlib ratio).
    case novelty

    /// Whether the block writes a question or an answer (rather than judging one): `verify`, which
    /// checks candidates it is given, leaves these out.
    public var writesCandidates: Bool { [.generate, .answerFirst, .computedAnswer, .glossaryQuestion, .variedQuestion].contains(self) }

    /// Whether the block judges the source text (a chunk) rather than the question and answer:
    /// grading someone's answer to a question (`verify`, task accuracy) leaves these out.
    public var judgesSource: Bool { self == .novelty }

    /// Options the block accepts, with whether each is required.
    var options: [String: Bool] {
        switch self {
        case .generate: ["template": true, "parse": true, "n": false, "max_tokens": false, "temperature": false, "top_p": false, "stop": false,
                         "unless_answered": false, "unless_asked": false, "complete_with": false, "leaves": false]
        case .judge: ["template": true, "output": true, "scale": true, "max_tokens": false, "stop": false]
        case .filter: ["column": true, "operator": true, "value": true]
        case .dedup: ["threshold": false, "with_answer": false]
        case .ground: ["threshold": false]
        case .safety: ["policy": true]
        case .format: ["echo_threshold": false]
        case .leak, .answersQuestion: ["leaves": false]
        case .selfContained: ["answerable_share": false, "strict_leaves": false, "leaves": false]
        case .arithmetic: ["operations": false, "tolerance": false, "check_examples": false, "leaves": false]
        case .numbers: ["tolerance": false, "leaves": false]
        case .claims: ["word_share": false, "pair_share": false, "leaves": false]
        case .definitions: ["glossary": true, "strict_leaves": false, "example_leaves": false, "leaves": false]
        case .onLeaf: ["margin": false, "question_words": false, "leaves": false]
        case .answerFirst: ["n": false, "min_words": false, "leaves": false, "ask_defined": false]
        case .computedAnswer: ["operations": false, "tables": false, "summaries": false, "require": false]
        case .glossaryQuestion: ["glossary": true, "leaves": true, "n": false]
        case .variedQuestion: ["operations": true, "n": false]
        case .novelty: ["reference": false, "model": false, "threshold": false, "score": false]
        case .consistency: ["template": true, "samples": false, "temperature": false, "max_tokens": false, "min_agreement": false,
                            "keep_majority": false, "leaves": false]
        }
    }
}

/// How a generate block turns the teacher's text into columns.
public enum ReplyParser: String, Sendable, CaseIterable {
    /// `[QUESTION] … [ANSWER] … [END]` as InstructLab's knowledge prompts ask, tolerant of case and
    /// missing `[END]`; falls back to `Question:`/`Answer:` lines and to splitting at the first `?`.
    case questionAnswer = "question_answer"
    /// The whole reply is the answer (the question comes from the row).
    case answer
    /// The reply's first question (up to its `?`, a `Question:` label dropped): flows that ask
    /// for questions first and answers in a later block.
    case question
    /// The whole reply is a new context (a `Context:` label dropped): grounded-skill flows that
    /// write new contexts before asking questions about them.
    case context

    /// The columns the parser adds to a row.
    public var columns: Set<String> {
        switch self {
        case .questionAnswer: ["question", "answer"]
        case .answer: ["answer"]
        case .question: ["question"]
        case .context: ["context"]
        }
    }
}
