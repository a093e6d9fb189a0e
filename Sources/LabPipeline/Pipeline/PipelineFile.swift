public import Foundation
public import LabCore
import Stencil
import Yams

/// One step of a flow, as written in the pipeline file.
public struct BlockSpec: Sendable, Equatable {
    public var kind: BlockKind
    public var name: String
    /// Option values as written (text); each block parses its own.
    public var options: [String: String]
    /// For template-using blocks: the template's text, loaded and syntax-checked.
    public var template: String?
    public var location: SourceLocation

    /// A mapping-valued option (written as a YAML mapping) as ordered key/value pairs, or empty.
    public func mapOption(_ key: String) -> [(key: String, value: String)] {
        listOption(key).compactMap { entry in
            guard let separator = entry.firstIndex(of: "\u{1}") else { return nil }
            return (String(entry[..<separator]), String(entry[entry.index(after: separator)...]))
        }
    }

    /// A list-valued option (written as a YAML sequence), or empty when absent.
    public func listOption(_ key: String) -> [String] {
        guard let value = options[key], !value.isEmpty else { return [] }
        return value.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
    }
}

/// A loaded, validated pipeline: a flow of blocks per leaf kind.
public struct Pipeline: Sendable {
    public var name: String
    public var description: String
    /// The token budget of a knowledge document chunk (InstructLab uses about 500).
    public var chunkTokens: Int
    /// Keyed by leaf kind: `knowledge`, `freeform_skill`, `grounded_skill`.
    public var flows: [String: [BlockSpec]]
    /// SHA-256 over the pipeline file and every template it uses: recorded with each run.
    public var contentHash: String
    /// Grounded-skill prompts show the unit's own seed's context (`own`: a small teacher varies the
    /// seed's question about that very table) or another seed's (`other`, the default: a capable
    /// teacher writes new questions without copying).
    public var groundedOwnContext = false

    /// Variables a template may use, per flow.
    /// Columns a generate block's parser adds are available to the blocks after it.
    public static let variables: [String: Set<String>] = [
        "knowledge": ["domain", "document_outline", "chunk", "seed_context", "seed_question", "seed_answer", "seed_examples", "seed_questions", "n"],
        "freeform_skill": ["task_description", "seed_question", "seed_answer", "seed_examples", "seed_questions", "next_number", "seed_ask", "n"],
        "grounded_skill": ["task_description", "seed_context", "seed_question", "seed_answer", "seed_examples", "seed_questions", "next_number", "context", "n"],
    ]

    /// Loads `<directory>/pipeline.yaml` and the templates it names (paths relative to the pipelines
    /// folder, the directory's parent), reporting every problem with file:line before any work starts.
    public static func load(directory: URL) throws(PipelineError) -> Pipeline {
        let file = directory.appendingPathComponent("pipeline.yaml")
        let shown = file.path
        guard let data = FileManager.default.contents(atPath: file.path), let text = String(data: data, encoding: .utf8) else {
            throw PipelineError([Diagnostic(.error, at: SourceLocation(path: shown), rule: "missing",
                message: "no readable pipeline.yaml here", hint: "a pipeline is a folder with pipeline.yaml; see pipelines/simple")])
        }
        var problems: [Diagnostic] = []
        func problem(_ node: Node?, _ rule: String, _ message: String, _ hint: String, path: String = shown) {
            problems.append(Diagnostic(.error, at: SourceLocation(path: path, line: node?.mark?.line ?? 0, column: node?.mark?.column ?? 0),
                                       rule: rule, message: message, hint: hint))
        }
        let root: Node
        do {
            guard let composed = try Yams.compose(yaml: text), case .mapping = composed else {
                throw PipelineError([Diagnostic(.error, at: SourceLocation(path: shown, line: 1, column: 1), rule: "type",
                    message: "the file is not a mapping of keys", hint: "start with 'name:', 'description:' and 'flows:'")])
            }
            root = composed
        } catch let error as PipelineError {
            throw error
        } catch {
            throw PipelineError([Diagnostic(.error, at: SourceLocation(path: shown), rule: "yaml-syntax", message: "invalid YAML: \(error)", hint: "check indentation")])
        }
        let pipelinesRoot = directory.deletingLastPathComponent()
        var hashed = [text]
        var flows: [String: [BlockSpec]] = [:]
        for key in root.mapping?.keys.compactMap(\.string) ?? [] where !["name", "description", "flows", "chunk_tokens", "grounded_context"].contains(key) {
            problem(root.mapping?.keys.first { $0.string == key }, "unexpected-key", "unknown key '\(key)'", "allowed: name, description, chunk_tokens, grounded_context, flows")
        }
        guard let flowsNode = root["flows"], case .mapping(let flowMapping) = flowsNode else {
            problem(root, "required", "'flows' is missing or not a mapping", "add 'flows:' with knowledge, freeform_skill and/or grounded_skill")
            throw PipelineError(problems)
        }
        for (flowKey, flowValue) in flowMapping {
            guard let flow = flowKey.string, let allowed = variables[flow] else {
                problem(flowKey, "unknown-flow", "unknown flow '\(flowKey.string ?? "?")'", "flows are knowledge, freeform_skill and grounded_skill")
                continue
            }
            guard case .sequence(let steps) = flowValue, !steps.isEmpty else {
                problem(flowValue, "type", "flow '\(flow)' must be a non-empty list of blocks", "write '- block: generate' items")
                continue
            }
            var specs: [BlockSpec] = []
            var columns: Set<String> = []
            for (index, step) in steps.enumerated() {
                guard case .mapping(let mapping) = step else {
                    problem(step, "type", "step \(index) of '\(flow)' is not a mapping", "write '- block: <kind>' with its options")
                    continue
                }
                var options: [String: String] = [:]
                for (key, value) in mapping {
                    guard let key = key.string else { continue }
                    if case .mapping(let pairs) = value {
                        // A mapping option (e.g. `operations:` per leaf glob): "key\u{1}value" entries, see `mapOption`.
                        options[key] = pairs.map { ($0.key.string ?? "") + "\u{1}" + ($0.value.string ?? "") }.joined(separator: "\u{0}")
                    } else if case .sequence(let items) = value {
                        // A list option (e.g. `stop: ["[END]"]`): items joined by NUL, see `BlockSpec.listOption`.
                        options[key] = items.map { $0.string ?? "" }.joined(separator: "\u{0}")
                    } else {
                        options[key] = value.string ?? value.scalar?.string ?? ""
                    }
                }
                guard let kindName = options.removeValue(forKey: "block") else {
                    problem(step, "required", "step \(index) of '\(flow)' has no 'block' key", "add 'block: <kind>'")
                    continue
                }
                guard let kind = BlockKind(rawValue: kindName) else {
                    problem(mapping["block"] ?? step, "unknown-block", "unknown block '\(kindName)'",
                            "known blocks: \(BlockKind.allCases.map(\.rawValue).joined(separator: ", "))")
                    continue
                }
                let name = options.removeValue(forKey: "name") ?? kindName
                for (option, required) in kind.options where required && options[option] == nil {
                    problem(step, "required", "block '\(name)' (\(kindName)) needs '\(option)'", "add '\(option):'")
                }
                for option in options.keys where kind.options[option] == nil {
                    problem(mapping[Node(option)] ?? step, "unexpected-key", "block '\(name)' (\(kindName)) has no option '\(option)'",
                            "options of \(kindName): \(kind.options.keys.sorted().joined(separator: ", "))")
                }
                if let parse = options["parse"], ReplyParser(rawValue: parse) == nil {
                    problem(mapping[Node("parse")], "unknown-parser", "unknown parser '\(parse)'",
                            "parsers: \(ReplyParser.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                var template: String?
                if let templatePath = options["template"] {
                    let templateURL = pipelinesRoot.appendingPathComponent(templatePath)
                    if let body = try? String(contentsOf: templateURL, encoding: .utf8) {
                        template = body
                        hashed.append(body)
                        problems += TemplateCheck.check(body, path: templateURL.path, allowed: allowed.union(columns))
                    } else {
                        problem(mapping[Node("template")], "missing-template", "template '\(templatePath)' not found",
                                "templates are relative to \(pipelinesRoot.path)")
                    }
                }
                if kind == .judge, let output = options["output"] { columns.insert(output) }
                if let parser = options["parse"].flatMap(ReplyParser.init(rawValue:)) { columns.formUnion(parser.columns) }
                if kind == .answerFirst || kind == .computedAnswer { columns.insert("answer") }
                if kind == .answerFirst && options["ask_defined"] == "true" { columns.insert("question") }
                if kind == .glossaryQuestion { columns.formUnion(["question", "term", "definition"]) }
                if kind == .variedQuestion { columns.insert("question") }
                specs.append(BlockSpec(kind: kind, name: name, options: options, template: template,
                                       location: SourceLocation(path: shown, line: step.mark?.line ?? 0, column: step.mark?.column ?? 0)))
            }
            // Blocks that judge the source (novelty) may come first: they decide which chunks are worth asking about.
            if let first = specs.first(where: { !$0.kind.judgesSource }), ![.generate, .answerFirst, .glossaryQuestion, .variedQuestion].contains(first.kind) {
                problem(steps.first, "order", "flow '\(flow)' must start with a generate, answer_first, glossary_question or varied_question block "
                        + "(after any novelty block)", "put the generate block first")
            }
            flows[flow] = specs
        }
        var chunkTokens = 500
        if let node = root["chunk_tokens"] {
            if let value = node.string.flatMap(Int.init), value >= 32 { chunkTokens = value } else {
                problem(node, "type", "'chunk_tokens' must be a whole number of at least 32", "e.g. chunk_tokens: 500 (InstructLab's size)")
            }
        }
        var groundedOwnContext = false
        if let node = root["grounded_context"] {
            switch node.string {
            case "own": groundedOwnContext = true
            case "other": groundedOwnContext = false
            default: problem(node, "type", "'grounded_context' must be own or other", "own: prompts show the unit's own seed's context")
            }
        }
        guard problems.isEmpty else { throw PipelineError(problems) }
        return Pipeline(name: root["name"]?.string ?? directory.lastPathComponent, description: root["description"]?.string ?? "",
                        chunkTokens: chunkTokens, flows: flows, contentHash: ContentHash.sha256Hex(hashed.joined(separator: "\u{0}")),
                        groundedOwnContext: groundedOwnContext)
    }
}

/// All problems of a pipeline, each with file:line.
public struct PipelineError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Load-time checks of a Stencil template: it parses, and every variable it reads is one the flow provides.
enum TemplateCheck {
    static func check(_ body: String, path: String, allowed: Set<String>) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        do {
            _ = try Template(templateString: body).render(Context(dictionary: [:]))
        } catch {
            problems.append(Diagnostic(.error, at: SourceLocation(path: path), rule: "template-syntax",
                                       message: "template does not parse: \(error)", hint: "check {{ }} and {% %} pairs"))
            return problems
        }
        var defined = allowed
        for (lineNumber, line) in body.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            for tag in tags(in: String(line), open: "{%", close: "%}") {
                let words = tag.split(separator: " ").map(String.init)
                if words.first == "for", words.count >= 4, words[2] == "in" {
                    defined.insert(words[1])
                    check(words[3], line: lineNumber + 1)
                } else if words.first == "if" || words.first == "elif" {
                    for word in words.dropFirst() where !["not", "and", "or", "==", "!=", ">", "<", ">=", "<="].contains(word) { check(word, line: lineNumber + 1) }
                }
            }
            for expression in tags(in: String(line), open: "{{", close: "}}") {
                check(expression, line: lineNumber + 1)
            }
        }
        func check(_ expression: String, line: Int) {
            let name = String(expression.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
            guard !name.isEmpty, !(name.first?.isNumber ?? false), !["forloop", "true", "false"].contains(name) else { return }
            if !defined.contains(name) {
                problems.append(Diagnostic(.error, at: SourceLocation(path: path, line: line), rule: "undefined-variable",
                                           message: "template uses '\(name)', which this flow does not provide",
                                           hint: "available: \(defined.sorted().joined(separator: ", "))"))
            }
        }
        return problems
    }

    private static func tags(in line: String, open: String, close: String) -> [String] {
        var found: [String] = []
        var rest = Substring(line)
        while let start = rest.range(of: open), let end = rest.range(of: close, range: start.upperBound..<rest.endIndex) {
            found.append(rest[start.upperBound..<end.lowerBound].trimmingCharacters(in: .whitespaces))
            rest = rest[end.upperBound...]
        }
        return found
    }
}
