public import Foundation
public import LabCore
public import LabDocuments
import Yams

/// Validation of one qna.yaml: its text, its YAML, its schema and the soft limits.
public enum QNAFile {
    /// A qna.yaml is a few kilobytes of seeds; anything this large is a mistake and would make
    /// the YAML parser spend a long time before saying so.
    public static let maximumByteCount = 10 * 1024 * 1024

    /// Soft limits from InstructLab's documentation (warnings, not errors).
    public static let knowledgeContextWordLimit = 500
    public static let questionAnswerWordLimit = 250
    public static let skillFileWordLimit = 2_300
    /// InstructLab's knowledge prompts use this many Q&A pairs of each seed.
    public static let questionsUsedPerKnowledgeSeed = 3

    /// The result of checking one file: a leaf when it has no errors, and every finding.
    public struct Outcome: Sendable {
        public var leaf: Leaf?
        public var diagnostics: [Diagnostic]
        /// Where the `document` block's fields are, so document problems can point at them.
        public var documentLocations: [DocumentProblem.Field: SourceLocation] = [:]
    }

    /// Checks a file's bytes.
    /// - Parameters:
    ///   - displayPath: how messages name the file.
    ///   - relativeFolder: the leaf folder relative to the taxonomy root (decides the schema and identity).
    public static func check(data: Data, displayPath: String, relativeFolder: String) -> Outcome {
        var diagnostics: [Diagnostic] = []
        func fail(_ rule: String, _ message: String, hint: String, line: Int = 0, column: Int = 0) -> Outcome {
            diagnostics.append(Diagnostic(.error, at: SourceLocation(path: displayPath, line: line, column: column),
                                          rule: rule, message: message, hint: hint))
            return Outcome(leaf: nil, diagnostics: diagnostics)
        }
        if data.count > maximumByteCount {
            return fail("file-size", "file is \(data.count) bytes, over the \(maximumByteCount / 1_048_576) MiB limit for a qna.yaml",
                        hint: "keep seed examples short and put long source text in documents/")
        }
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if let bad = DocumentText.firstInvalidUTF8Offset(bytes) {
            let (line, column) = position(ofByte: bad, in: bytes)
            return fail("encoding", "file is not valid UTF-8 (byte 0x\(String(bytes[bad], radix: 16, uppercase: true)) at offset \(bad))",
                        hint: "re-save the file as UTF-8", line: line, column: column)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if text.allSatisfy(\.isWhitespace) {
            return fail("empty", "file is empty",
                        hint: "a qna.yaml needs version, created_by, seed_examples and more; see taxonomy/ for examples")
        }
        diagnostics += TextLint.check(text, path: displayPath)

        let root: Node
        do {
            guard let composed = try Yams.compose(yaml: text) else {
                return fail("empty", "file holds no YAML document", hint: "add the qna.yaml keys")
            }
            root = composed
        } catch let error as YamlError {
            let (message, line, column) = describe(error)
            return fail("yaml-syntax", message, hint: syntaxHint(message), line: line, column: column)
        } catch {
            return fail("yaml-syntax", "could not parse YAML: \(error)", hint: "check the file's syntax")
        }
        let document = MarkedNode(root)
        guard case .mapping = document.value else {
            let found = document.value.typeName == "array" ? "a list" : "a single value"
            return fail("root-type", "the file is \(found), not a mapping of keys",
                        hint: "start the file with 'version: 3' and the other keys at the left margin",
                        line: document.line, column: document.column)
        }

        let branch = branchOf(relativeFolder)
        let pairs = document.pairs
        let isKnowledge = branch == .knowledge || (branch == .other && pairs.contains { $0.key == "document" })
        let versionNode = pairs.first { $0.key == "version" }?.value
        var version = 1
        if let versionNode {
            if case .integer(let value) = versionNode.value { version = value } else { version = 3 }
        }
        var validator = SchemaValidator(path: displayPath)
        let schema: Schema
        if isKnowledge {
            schema = Schemas.knowledgeV3
            if version != 3, let versionNode {
                diagnostics.append(Diagnostic(.error, at: SourceLocation(path: displayPath, line: versionNode.line, column: versionNode.column),
                    documentPath: ".version", rule: "version",
                    message: "Version \(version) is not supported for knowledge. Minimum supported version is 3.",
                    hint: "convert the file to version 3 (seed_examples with context and questions_and_answers) and set 'version: 3'"))
            }
        } else if (1...3).contains(version) {
            schema = Schemas.compositionalSkills(version: version)
        } else {
            schema = Schemas.compositionalSkills(version: 3)
            if let versionNode {
                diagnostics.append(Diagnostic(.error, at: SourceLocation(path: displayPath, line: versionNode.line, column: versionNode.column),
                    documentPath: ".version", rule: "version",
                    message: "Version \(version) is not supported for compositional skills. Supported versions are 1, 2 and 3.",
                    hint: "set 'version: 3'"))
            }
        }
        validator.validate(document, against: schema)
        // The version mismatch was already explained above in InstructLab's words.
        diagnostics += validator.diagnostics.filter { !($0.rule == "const" && $0.documentPath == ".version") }
        diagnostics += softLimitWarnings(document, isKnowledge: isKnowledge, path: displayPath)

        guard !diagnostics.contains(where: { $0.severity == .error }) else {
            return Outcome(leaf: nil, diagnostics: diagnostics)
        }
        let leaf = makeLeaf(document, isKnowledge: isKnowledge, version: version, branch: branch,
                            displayPath: displayPath, relativeFolder: relativeFolder, contentHash: ContentHash.sha256Hex(data))
        if leaf.kind == .groundedSkill, leaf.seeds.contains(where: { $0.context == nil }) {
            diagnostics.append(Diagnostic(.warning, at: SourceLocation(path: displayPath, line: 0), documentPath: ".seed_examples",
                rule: "mixed-context", message: "some seed examples have a context and others don't; the leaf is treated as a grounded skill",
                hint: "give every seed a context, or split the leaf in two"))
        }
        var outcome = Outcome(leaf: leaf, diagnostics: diagnostics)
        if let block = pairs.first(where: { $0.key == "document" })?.value {
            func location(_ node: MarkedNode) -> SourceLocation { SourceLocation(path: displayPath, line: node.line, column: node.column) }
            outcome.documentLocations[.repo] = location(block)
            outcome.documentLocations[.commit] = location(block)
            for field in block.pairs {
                switch field.key {
                case "repo": outcome.documentLocations[.repo] = location(field.value)
                case "commit": outcome.documentLocations[.commit] = location(field.value)
                case "patterns":
                    for (index, item) in field.value.items.enumerated() { outcome.documentLocations[.pattern(index)] = location(item) }
                default: break
                }
            }
        }
        return outcome
    }

    static func branchOf(_ relativeFolder: String) -> TaxonomyBranch {
        let first = relativeFolder.split(separator: "/").first.map(String.init) ?? ""
        return TaxonomyBranch(rawValue: first).flatMap { $0 == .other ? nil : $0 } ?? .other
    }

    private static func softLimitWarnings(_ document: MarkedNode, isKnowledge: Bool, path: String) -> [Diagnostic] {
        var warnings: [Diagnostic] = []
        guard let seeds = document.pairs.first(where: { $0.key == "seed_examples" })?.value else { return [] }
        func words(_ node: MarkedNode?) -> Int {
            if case .string(let text)? = node?.value { return DocumentText.wordCount(text) }
            return 0
        }
        func warn(_ node: MarkedNode, _ documentPath: String, _ rule: String, _ message: String, _ hint: String) {
            warnings.append(Diagnostic(.warning, at: SourceLocation(path: path, line: node.line, column: node.column),
                                       documentPath: documentPath, rule: rule, message: message, hint: hint))
        }
        var total = 0
        for (index, seed) in seeds.items.enumerated() {
            let fields = Dictionary(seed.pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            if isKnowledge {
                if let context = fields["context"], words(context) > knowledgeContextWordLimit {
                    warn(context, ".seed_examples[\(index)].context", "context-length",
                         "context has \(words(context)) words, over the \(knowledgeContextWordLimit)-word guideline",
                         "shorten the excerpt; long contexts crowd out the generated answer in the teacher's window")
                }
                let pairs = fields["questions_and_answers"]?.items ?? []
                for (pairIndex, pair) in pairs.enumerated() {
                    let values = Dictionary(pair.pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
                    let count = words(values["question"]) + words(values["answer"])
                    if count > questionAnswerWordLimit {
                        warn(pair, ".seed_examples[\(index)].questions_and_answers[\(pairIndex)]", "qa-length",
                             "question and answer have \(count) words, over the \(questionAnswerWordLimit)-word guideline",
                             "shorten the answer; seeds show the style, they need not be complete")
                    }
                }
                if pairs.count > questionsUsedPerKnowledgeSeed, let extra = pairs.dropFirst(questionsUsedPerKnowledgeSeed).first {
                    warn(extra, ".seed_examples[\(index)].questions_and_answers[\(questionsUsedPerKnowledgeSeed)]", "unused-qa",
                         "only the first \(questionsUsedPerKnowledgeSeed) question/answer pairs of a seed are used in prompts",
                         "move the extra pairs into another seed example")
                }
            } else {
                let count = words(fields["question"]) + words(fields["answer"])
                total += count + words(fields["context"])
                if count > questionAnswerWordLimit, let question = fields["question"] {
                    warn(question, ".seed_examples[\(index)]", "qa-length",
                         "question and answer have \(count) words, over the \(questionAnswerWordLimit)-word guideline",
                         "shorten the answer; seeds show the style, they need not be complete")
                }
            }
        }
        if !isKnowledge && total > skillFileWordLimit {
            warn(seeds, ".seed_examples", "file-length",
                 "seed examples total \(total) words, over the ~\(skillFileWordLimit)-word guideline for a skill",
                 "shorten the examples or split the skill into narrower leaves")
        }
        return warnings
    }

    private static func makeLeaf(_ document: MarkedNode, isKnowledge: Bool, version: Int, branch: TaxonomyBranch,
                                 displayPath: String, relativeFolder: String, contentHash: String) -> Leaf {
        let fields = Dictionary(document.pairs.map { ($0.key, $0.value.value) }, uniquingKeysWith: { a, _ in a })
        func string(_ value: YAMLValue?) -> String? {
            if case .string(let text)? = value { return text }
            return nil
        }
        func strings(_ value: YAMLValue?) -> [String] {
            if case .sequence(let items)? = value { return items.compactMap { string($0) } }
            return []
        }
        func mapping(_ value: YAMLValue?) -> [String: YAMLValue] {
            if case .mapping(let pairs)? = value { return Dictionary(pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }) }
            return [:]
        }
        var seeds: [SeedExample] = []
        if case .sequence(let items)? = fields["seed_examples"] {
            for item in items {
                let seed = mapping(item)
                if isKnowledge {
                    var pairs: [QuestionAnswer] = []
                    if case .sequence(let qas)? = seed["questions_and_answers"] {
                        for qa in qas.map(mapping) {
                            pairs.append(QuestionAnswer(question: string(qa["question"]) ?? "", answer: string(qa["answer"]) ?? ""))
                        }
                    }
                    seeds.append(SeedExample(context: string(seed["context"]), questionsAndAnswers: pairs))
                } else {
                    seeds.append(SeedExample(context: string(seed["context"]),
                                             questionsAndAnswers: [QuestionAnswer(question: string(seed["question"]) ?? "", answer: string(seed["answer"]) ?? "")]))
                }
            }
        }
        var reference: DocumentReference?
        if isKnowledge {
            let block = mapping(fields["document"])
            reference = DocumentReference(repo: string(block["repo"]) ?? "", commit: string(block["commit"]) ?? "", patterns: strings(block["patterns"]))
        }
        let kind: LeafKind = isKnowledge ? .knowledge : (seeds.contains { $0.context != nil } ? .groundedSkill : .freeformSkill)
        return Leaf(
            taxonomyPath: Leaf.taxonomyPath(forRelativeFolder: relativeFolder), relativePath: relativeFolder,
            filePath: displayPath, contentHash: contentHash, branch: branch, kind: kind, version: version,
            createdBy: string(fields["created_by"]) ?? "", domain: string(fields["domain"]),
            taskDescription: string(fields["task_description"]), documentOutline: string(fields["document_outline"]),
            document: reference, seeds: seeds)
    }

    /// 1-based line and column (in characters) of a byte offset.
    static func position(ofByte offset: Int, in bytes: [UInt8]) -> (Int, Int) {
        var line = 1, lineStart = 0
        for index in 0..<min(offset, bytes.count) where bytes[index] == 0x0A {
            line += 1
            lineStart = index + 1
        }
        let prefix = bytes[lineStart..<min(offset, bytes.count)]
        let column = String(decoding: prefix, as: UTF8.self).count + 1
        return (line, column)
    }

    private static func describe(_ error: YamlError) -> (String, Int, Int) {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let detail = context.map { " \($0.text)" } ?? ""
            return ("invalid YAML: \(problem)\(detail)", mark.line, mark.column)
        case let .duplicatedKeysInMapping(duplicates, context):
            return ("duplicate key\(duplicates.count == 1 ? "" : "s") \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in one mapping",
                    context.mark.line, context.mark.column)
        case let .reader(problem, offset, _, _):
            return ("invalid YAML text: \(problem)\(offset.map { " at byte \($0)" } ?? "")", 0, 0)
        default:
            return ("could not parse YAML: \(error)", 0, 0)
        }
    }

    private static func syntaxHint(_ message: String) -> String {
        if message.contains("duplicate key") {
            return "keep one of them: InstructLab silently uses the last one, losing the other"
        }
        if message.contains("cannot start any token") || message.contains("tab") {
            return "replace tab characters with spaces"
        }
        if message.contains("mapping values are not allowed") {
            return "a value contains ': '; quote it, or use '|' and put the text on the following lines"
        }
        return "check indentation and quoting near this position"
    }
}
