import LabCore
import LabDocuments

/// Builds the `Leaf` model from a qna.yaml that passed the schema (so every field has its type).
enum LeafBuilder {
    static func leaf(_ root: YAMLValue, selection: SchemaSelection, branch: TaxonomyBranch,
                     displayPath: String, relativeFolder: String, contentHash: String) -> Leaf {
        func text(_ node: YAMLValue?) -> String { node?.string ?? "" }
        let seeds: [SeedExample] = (root["seed_examples"]?.items ?? []).map { seed in
            if selection.isKnowledge {
                let pairs = (seed["questions_and_answers"]?.items ?? []).map {
                    QuestionAnswer(question: text($0["question"]), answer: text($0["answer"]))
                }
                return SeedExample(context: seed["context"]?.string, questionsAndAnswers: pairs)
            }
            return SeedExample(context: seed["context"]?.string,
                               questionsAndAnswers: [QuestionAnswer(question: text(seed["question"]), answer: text(seed["answer"]))])
        }
        var reference: DocumentReference?
        if selection.isKnowledge, let block = root["document"] {
            reference = DocumentReference(repo: text(block["repo"]), commit: text(block["commit"]),
                                          patterns: (block["patterns"]?.items ?? []).compactMap(\.string))
        }
        let grounded = selection.isKnowledge || seeds.contains { $0.context != nil }
        let kind: LeafKind = if selection.isKnowledge {
            .knowledge
        } else if branch == .foundationalSkills {
            .foundationalSkill
        } else {
            grounded ? .groundedSkill : .freeformSkill
        }
        return Leaf(
            identity: LeafIdentity(taxonomyPath: Leaf.taxonomyPath(forRelativeFolder: relativeFolder), contentHash: contentHash),
            relativePath: relativeFolder, filePath: displayPath, branch: branch, kind: kind, isGrounded: grounded,
            version: selection.version, createdBy: text(root["created_by"]), domain: root["domain"]?.string,
            taskDescription: root["task_description"]?.string, documentOutline: root["document_outline"]?.string,
            document: reference, seeds: seeds)
    }

    /// Where the `document` block's fields are, so document problems can point at them.
    static func documentLocations(_ root: YAMLValue, path: String) -> [DocumentProblem.Field: SourceLocation] {
        guard let block = root["document"] else { return [:] }
        func location(_ node: YAMLValue) -> SourceLocation { SourceLocation(path: path, line: node.line, column: node.column) }
        var locations: [DocumentProblem.Field: SourceLocation] = [.repo: location(block), .commit: location(block)]
        if let repo = block["repo"] { locations[.repo] = location(repo) }
        if let commit = block["commit"] { locations[.commit] = location(commit) }
        for (index, item) in (block["patterns"]?.items ?? []).enumerated() { locations[.pattern(index)] = location(item) }
        return locations
    }
}
