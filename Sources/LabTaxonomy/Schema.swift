/// The subset of JSON Schema that InstructLab's qna.yaml schemas use, written out as Swift values.
///
/// Mirrors `instructlab-schema` 0.4.2 (`schema/v1…v3/{knowledge,compositional_skills,version}.json`):
/// the same keys, types, minimum counts, uniqueness and closed objects, so a file is accepted here
/// exactly when InstructLab accepts it.
indirect enum Schema: Sendable {
    /// `type: object`, `required`, `properties`, and `unevaluatedProperties: false` when `closed`.
    case object(required: [String], properties: KeyValuePairs<String, Schema>, closed: Bool)
    case array(items: Schema, minItems: Int, unique: Bool)
    case string(minLength: Int)
    case integer(const: Int?)

    var properties: [(String, Schema)] {
        if case .object(_, let properties, _) = self { return properties.map { ($0.key, $0.value) } }
        return []
    }
}

enum Schemas {
    static let nonEmptyString = Schema.string(minLength: 1)

    /// `schema/vN/knowledge.json`; only v3 is accepted for knowledge (as InstructLab).
    static let knowledgeV3 = Schema.object(
        required: ["version", "created_by", "domain", "seed_examples", "document", "document_outline"],
        properties: [
            "version": .integer(const: 3),
            "created_by": nonEmptyString,
            "domain": nonEmptyString,
            "seed_examples": .array(
                items: .object(
                    required: ["context", "questions_and_answers"],
                    properties: [
                        "context": nonEmptyString,
                        "questions_and_answers": .array(
                            items: .object(
                                required: ["question", "answer"],
                                properties: ["question": nonEmptyString, "answer": nonEmptyString],
                                closed: false),  // the schema leaves Q&A items open
                            minItems: 3, unique: true),
                    ],
                    closed: true),
                minItems: 5, unique: true),
            "document": .object(
                required: ["repo", "commit", "patterns"],
                properties: [
                    "repo": nonEmptyString,
                    "commit": nonEmptyString,
                    "patterns": .array(items: nonEmptyString, minItems: 1, unique: true),
                ],
                closed: true),
            "document_outline": nonEmptyString,
        ],
        closed: true)

    /// `schema/vN/compositional_skills.json` for N = 1, 2, 3.
    static func compositionalSkills(version: Int) -> Schema {
        let seed = Schema.object(
            required: ["question", "answer"],
            properties: ["context": nonEmptyString, "question": nonEmptyString, "answer": nonEmptyString],
            closed: true)
        if version == 1 {
            // v1: `version` optional, `task_description` may be empty, one example suffices, duplicates allowed.
            return .object(
                required: ["created_by", "task_description", "seed_examples"],
                properties: [
                    "version": .integer(const: 1),
                    "created_by": nonEmptyString,
                    "task_description": .string(minLength: 0),
                    "seed_examples": .array(items: seed, minItems: 1, unique: false),
                ],
                closed: true)
        }
        return .object(
            required: ["version", "created_by", "task_description", "seed_examples"],
            properties: [
                "version": .integer(const: version),
                "created_by": nonEmptyString,
                "task_description": nonEmptyString,
                "seed_examples": .array(items: seed, minItems: 5, unique: true),
            ],
            closed: true)
    }
}
