import LabCore

/// Checks a parsed qna.yaml against a `Schema`, reporting every violation (not just the first)
/// with InstructLab's wording, the YAML path, the node's line and column, and a fix hint.
struct SchemaValidator {
    let path: String
    private(set) var diagnostics: [Diagnostic] = []

    init(path: String) { self.path = path }

    mutating func validate(_ node: YAMLValue, against schema: Schema, at documentPath: String = ".") {
        switch schema {
        case .string(let minLength):
            guard case .string(let text) = node.kind else { return typeError(node, expected: "string", at: documentPath) }
            if text.unicodeScalars.count < minLength {
                report(.error, node, documentPath, rule: "non-empty", Self.pythonMessage(PythonRepr.repr(node) + " should be non-empty"),
                       hint: "write the text, or remove the key if it is optional")
            } else if minLength > 0, text.allSatisfy(\.isWhitespace) {
                // jsonschema counts characters, so "   " passes minLength 1 there; blank text gives
                // generation nothing to work with all the same, hence a warning.
                report(.warning, node, documentPath, rule: "blank", "value is only whitespace",
                       hint: "write the text; blank values give the teacher nothing to work with")
            }
        case .integer(let constant):
            // JSON Schema's "integer" includes floats with no fraction (3.0), and never booleans;
            // `const` is checked on its own, so '3' gets both messages, as from jsonschema.
            let number: Double? = switch node.kind {
            case .integer(let value): Double(value)
            case .number(let value) where value.rounded() == value: value
            default: nil
            }
            if number == nil { typeError(node, expected: "integer", at: documentPath) }
            if let constant, number != Double(constant) {
                report(.error, node, documentPath, rule: "const", "\(constant) was expected", hint: "set it to \(constant)")
            }
        case .array(let items, let minItems, let unique):
            guard case .sequence(let children) = node.kind else { return typeError(node, expected: "array", at: documentPath) }
            if children.count < minItems {
                // InstructLab replaces jsonschema's "[...] is too short" with this sentence.
                let missing = minItems - children.count
                report(.error, node, documentPath, rule: "min-items", "Value must have at least \(minItems) items",
                       hint: "add \(missing) more \(Self.itemNoun(documentPath, plural: missing != 1))")
            }
            if unique { checkUnique(node, children, at: documentPath) }
            for (index, child) in children.enumerated() {
                validate(child, against: items, at: "\(documentPath == "." ? "" : documentPath)[\(index)]")
            }
        case .object(let required, let properties, let closed):
            guard case .mapping(let pairs) = node.kind else { return typeError(node, expected: "object", at: documentPath) }
            let present = Set(pairs.map(\.key))
            for key in required where !present.contains(key) {
                report(.error, node, documentPath, rule: "required", "'\(key)' is a required property",
                       hint: Self.requiredHint(key))
            }
            let known = Dictionary(properties.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
            for pair in pairs {
                let childPath = documentPath == "." ? ".\(pair.key)" : "\(documentPath).\(pair.key)"
                if let childSchema = known[pair.key] {
                    validate(pair.value, against: childSchema, at: childPath)
                } else if closed {
                    let allowed = properties.map(\.key)
                    var hint = "remove it or fix its spelling; allowed here: \(allowed.joined(separator: ", "))"
                    if let suggestion = Self.closest(to: pair.key, in: allowed) { hint = "did you mean '\(suggestion)'? " + hint }
                    // jsonschema lists every unexpected key of an object in one message; one
                    // diagnostic per key lets each point at its own line, in the same words.
                    diagnostics.append(Diagnostic(
                        .error, at: SourceLocation(path: path, line: pair.keyLine, column: pair.keyColumn),
                        documentPath: documentPath, rule: "unexpected-key",
                        message: Self.pythonMessage("Unevaluated properties are not allowed (\(PythonRepr.repr(pair.key)) was unexpected)"),
                        hint: hint))
                }
            }
        }
    }

    /// `uniqueItems`: one error per list, as jsonschema reports it, placed at the first repeat.
    private mutating func checkUnique(_ node: YAMLValue, _ children: [YAMLValue], at documentPath: String) {
        var firstIndex: [YAMLValue: Int] = [:]
        var repeats: [(index: Int, earlier: Int)] = []
        for (index, child) in children.enumerated() {
            if let earlier = firstIndex[child] {
                repeats.append((index, earlier))
            } else {
                firstIndex[child] = index
            }
        }
        guard let first = repeats.first else { return }
        let listed = repeats.prefix(3).map { "item \($0.index) (line \(children[$0.index].line)) repeats item \($0.earlier) (line \(children[$0.earlier].line))" }
        let more = repeats.count > 3 ? " and \(repeats.count - 3) more" : ""
        report(.error, children[first.index], documentPath, rule: "unique-items",
               Self.pythonMessage(PythonRepr.repr(node) + " has non-unique elements"),
               hint: listed.joined(separator: "; ") + more + "; change or remove the repeats")
    }

    /// InstructLab prints jsonschema's message cut to its last 200 characters.
    static func pythonMessage(_ message: String) -> String {
        let scalars = message.unicodeScalars
        guard scalars.count > 200 else { return message }
        return String(String.UnicodeScalarView(scalars.suffix(200)))
    }

    private mutating func typeError(_ node: YAMLValue, expected: String, at documentPath: String) {
        let hint: String = switch expected {
        case "string": "write text here; quote values such as yes, no, dates or numbers, and use | for several lines"
        case "array": "write a list, one '- ' item per line"
        case "object": "write key: value pairs, indented under this key"
        case "integer": "write a whole number, e.g. 3, without quotes"
        default: ""
        }
        report(.error, node, documentPath, rule: "type",
               Self.pythonMessage("\(PythonRepr.repr(node)) is not of type '\(expected)'"), hint: hint)
    }

    private mutating func report(_ severity: Severity, _ node: YAMLValue, _ documentPath: String, rule: String, _ message: String, hint: String) {
        diagnostics.append(Diagnostic(severity, at: SourceLocation(path: path, line: node.line, column: node.column),
                                      documentPath: documentPath, rule: rule, message: message, hint: hint))
    }

    static func itemNoun(_ documentPath: String, plural: Bool) -> String {
        if documentPath.hasSuffix("seed_examples") { return plural ? "seed examples" : "seed example" }
        if documentPath.hasSuffix("questions_and_answers") { return plural ? "question/answer pairs" : "question/answer pair" }
        if documentPath.hasSuffix("patterns") { return plural ? "patterns" : "pattern" }
        return plural ? "items" : "item"
    }

    static func requiredHint(_ key: String) -> String {
        switch key {
        case "version": "add 'version: 3' at the top"
        case "created_by": "add 'created_by: <your GitHub user name>'"
        case "domain": "add 'domain: <short subject, e.g. Finance>'"
        case "task_description": "add 'task_description: <one sentence on what the skill teaches>'"
        case "document_outline": "add 'document_outline: <one-sentence summary of the documents>'"
        case "document": "add a 'document:' block with repo, commit and patterns (repo: documents/<folder>, commit: local for documents in this project)"
        case "seed_examples": "add 'seed_examples:' with at least 5 examples"
        case "context": "add 'context: |' with an excerpt of the document"
        case "questions_and_answers": "add 'questions_and_answers:' with 3 question/answer pairs"
        case "repo": "add 'repo:' (a git URL, or documents/<folder> for documents in this project)"
        case "commit": "add 'commit:' (a commit id, or 'local' for documents in this project)"
        case "patterns": "add 'patterns:' with at least one file name or glob"
        default: "add '\(key):'"
        }
    }

    /// The allowed key within edit distance 2 of a misspelt one, if any.
    static func closest(to key: String, in candidates: [String]) -> String? {
        candidates
            .map { ($0, editDistance(Array(key.lowercased()), Array($0))) }
            .filter { $0.1 <= 2 }
            .min { $0.1 < $1.1 }?.0
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
