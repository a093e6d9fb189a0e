import Foundation
public import LabCore
public import LabPipeline
public import LabStore

/// A candidate sample as it moves through a flow: its columns, where its text came from, and the
/// verdicts of the blocks it passed.
public struct Candidate: Sendable {
    public var columns: [String: String]
    /// The response whose text produced the candidate's newest column.
    public var responseID: Int64?
    public var finishReason: FinishReason = .stop
    public var verdicts: [Verdict] = []

    public var isRejected: Bool { verdicts.contains { $0.decision == .reject } }
    public var question: String { columns["question"] ?? "" }
    public var answer: String { columns["answer"] ?? "" }
}

/// What a block may use while it runs: the unit, its leaf, and the teacher (answers come from the
/// store's cache when the same request was asked before; `verify --no-teacher` has none).
public struct BlockContext: Sendable {
    public var unit: WorkUnit
    public var teacher: CachedTeacher?
    /// The leaf's folder relative to the taxonomy root, as verifiers and pipeline globs name leaves.
    public var leafPath: String
    public var flow: FlowKind

    /// The teacher, or an error saying the block needs one.
    func requireTeacher(_ block: String) throws -> CachedTeacher {
        guard let teacher else { throw GenerationError.noTeacher(block: block) }
        return teacher
    }
}

/// A pipeline block at run time. Blocks only touch rows not yet rejected; rejected rows pass
/// through unchanged so every candidate reaches the store with its verdicts.
public protocol FlowBlock: Sendable {
    var name: String { get }
    func run(_ rows: [Candidate], context: BlockContext) async throws -> [Candidate]
}

extension FlowBlock {
    /// Applies a per-row decision to every live row.
    func judgeEach(_ rows: [Candidate], _ decide: (Candidate) -> Verdict) -> [Candidate] {
        rows.map { row in
            guard !row.isRejected else { return row }
            var row = row
            row.verdicts.append(decide(row))
            return row
        }
    }
}

/// Builds the run-time block for a spec: the registry from `BlockKind` to implementation. Option
/// values are parsed here, at plan time, so a bad number fails before any teacher call.
public enum BlockFactory {
    /// Space-separated words, a double-quoted phrase counting as one ("main point").
    static func words(_ list: String) -> [String] {
        let pattern = try! NSRegularExpression(pattern: #""[^"]+"|\S+"#)
        let text = list as NSString
        return pattern.matches(in: list, range: NSRange(location: 0, length: text.length))
            .map { text.substring(with: $0.range).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
    }

    /// The run-time blocks of every flow of `pipeline`, each problem reported once.
    public static func makeFlows(_ pipeline: Pipeline, environment: BlockEnvironment) throws(GenerationError) -> [FlowKind: [any FlowBlock]] {
        var flows: [FlowKind: [any FlowBlock]] = [:]
        var problems: [Diagnostic] = []
        for (name, specs) in pipeline.flows {
            guard let flow = FlowKind(rawValue: name) else { continue }
            var blocks: [any FlowBlock] = []
            for spec in specs {
                do { blocks.append(try make(spec, environment: environment, flow: flow)) } catch {
                    if case .plan(let found) = error { problems += found }
                }
            }
            flows[flow] = blocks
        }
        guard problems.isEmpty else { throw .plan(problems) }
        return flows
    }

    public static func make(_ spec: BlockSpec, environment: BlockEnvironment, flow: FlowKind) throws(GenerationError) -> any FlowBlock {
        let pipelinesRoot = environment.pipelinesRoot
        func fail(_ message: String, _ hint: String) -> GenerationError {
            .plan([Diagnostic(.error, at: spec.location, rule: "option-value", message: "block '\(spec.name)': \(message)", hint: hint)])
        }
        let leaves = spec.listOption("leaves").map(LeafGlob.init)
        // `operations:` of arithmetic and computed_answer: per leaf glob, the operations it allows.
        func operationRules() throws(GenerationError) -> [(glob: LeafGlob, operations: Set<ArithmeticOperation>)] {
            var rules: [(glob: LeafGlob, operations: Set<ArithmeticOperation>)] = []
            for (glob, list) in spec.mapOption("operations") {
                var operations = Set<ArithmeticOperation>()
                for word in list.split(whereSeparator: { $0 == " " || $0 == "," }) {
                    guard let operation = ArithmeticOperation(rawValue: String(word)) else {
                        throw fail("unknown operation '\(word)' for '\(glob)'",
                                   "operations: \(ArithmeticOperation.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    operations.insert(operation)
                }
                rules.append((LeafGlob(glob), operations))
            }
            return rules
        }
        func loadGlossary() throws(GenerationError) -> Glossary {
            do { return try Glossary.load(from: pipelinesRoot.appendingPathComponent(spec.options["glossary"] ?? "")) } catch {
                throw fail("\(error)", "glossaries are relative to \(pipelinesRoot.path)")
            }
        }
        func number(_ key: String, default value: Double, in range: ClosedRange<Double>) throws(GenerationError) -> Double {
            guard let text = spec.options[key] else { return value }
            guard let parsed = Double(text), range.contains(parsed) else {
                throw .plan([Diagnostic(.error, at: spec.location, rule: "option-value",
                    message: "block '\(spec.name)': '\(key)' must be a number in \(range.lowerBound)…\(range.upperBound), not '\(text)'",
                    hint: "write e.g. \(key): \"\(value)\"")])
            }
            return parsed
        }
        switch spec.kind {
        case .generate:
            return GenerateBlock(
                spec: spec, parser: ReplyParser(rawValue: spec.options["parse"] ?? "") ?? .answer,
                unlessAnswered: spec.options["unless_answered"] == "true",
                unlessAsked: spec.options["unless_asked"] == "true", leaves: leaves,
                count: Int(try number("n", default: 1, in: 1...64)),
                parameters: SamplingParameters(
                    temperature: Float(try number("temperature", default: 0.7, in: 0...2)),
                    topP: Float(try number("top_p", default: 0.95, in: 0.01...1)),
                    maxTokens: Int(try number("max_tokens", default: 256, in: 1...8192)),
                    stop: spec.listOption("stop")))
        case .judge:
            guard let scale = JudgeScale(spec.options["scale"] ?? "") else {
                throw .plan([Diagnostic(.error, at: spec.location, rule: "option-value",
                    message: "block '\(spec.name)': unknown scale '\(spec.options["scale"] ?? "")'",
                    hint: "scales: yes_no, or a range such as 0-2 or 1-3")])
            }
            return JudgeBlock(spec: spec, output: spec.options["output"] ?? "score", scale: scale,
                              maxTokens: Int(try number("max_tokens", default: 16, in: 1...2048)), stop: spec.listOption("stop"))
        case .filter:
            guard let comparison = FilterBlock.Comparison(rawValue: spec.options["operator"] ?? "") else {
                throw .plan([Diagnostic(.error, at: spec.location, rule: "option-value",
                    message: "block '\(spec.name)': unknown operator '\(spec.options["operator"] ?? "")'",
                    hint: "operators: \(FilterBlock.Comparison.allCases.map(\.rawValue).joined(separator: " "))")])
            }
            return FilterBlock(name: spec.name, column: spec.options["column"] ?? "", comparison: comparison, value: spec.options["value"] ?? "")
        case .ground:
            return GroundBlock(name: spec.name, threshold: try number("threshold", default: 0.6, in: 0...1))
        case .safety:
            let url = pipelinesRoot.appendingPathComponent(spec.options["policy"] ?? "")
            do {
                return SafetyBlock(name: spec.name, policy: try SafetyPolicy.load(from: url))
            } catch {
                throw .plan([Diagnostic(.error, at: spec.location, rule: "policy", message: "block '\(spec.name)': \(error)",
                                        hint: "policies are relative to \(pipelinesRoot.path)")])
            }
        case .format:
            return FormatBlock(name: spec.name, echoThreshold: try number("echo_threshold", default: 0.8, in: 0.01...1))
        case .dedup:
            return DedupBlock(name: spec.name, threshold: try number("threshold", default: 0.7, in: 0.01...1),
                              withAnswer: spec.options["with_answer"] == "true")
        case .leak:
            let checker = LeakCheck(templates: environment.templates[flow] ?? [], leafTexts: environment.leafTexts)
            return VerifierBlock(name: spec.name, version: LeakCheck.version, verifier: checker, leaves: leaves)
        case .selfContained:
            let checker = SelfContainedCheck(answerableShare: try number("answerable_share", default: 0.5, in: 0...1),
                                             strictLeaves: spec.listOption("strict_leaves").map(LeafGlob.init), seedQuestions: environment.seedQuestions)
            return VerifierBlock(name: spec.name, version: SelfContainedCheck.version, verifier: checker, leaves: leaves)
        case .answersQuestion:
            return VerifierBlock(name: spec.name, version: AnswersQuestionCheck.version, verifier: AnswersQuestionCheck(), leaves: leaves)
        case .arithmetic:
            let rules = try operationRules()
            let checker = ArithmeticCheck(rules: rules, relativeTolerance: try number("tolerance", default: 0.002, in: 0...0.1),
                                          exampleLeaves: spec.listOption("check_examples").map(LeafGlob.init))
            return VerifierBlock(name: spec.name, version: ArithmeticCheck.version, verifier: checker, leaves: leaves)
        case .numbers:
            let checker = NumberSupportCheck(relativeTolerance: try number("tolerance", default: 0.002, in: 0...0.1))
            return VerifierBlock(name: spec.name, version: NumberSupportCheck.version, verifier: checker, leaves: leaves)
        case .claims:
            let checker = ClaimGroundingCheck(wordShare: try number("word_share", default: 0.75, in: 0...1),
                                              pairShare: try number("pair_share", default: 0.35, in: 0...1))
            return VerifierBlock(name: spec.name, version: ClaimGroundingCheck.version, verifier: checker, leaves: leaves)
        case .definitions:
            let glossary = try loadGlossary()
            let checker = DefinitionCheck(glossary: glossary, strictLeaves: spec.listOption("strict_leaves").map(LeafGlob.init),
                                          exampleLeaves: spec.listOption("example_leaves").map(LeafGlob.init))
            return VerifierBlock(name: spec.name, version: DefinitionCheck.version, verifier: checker, leaves: leaves)
        case .onLeaf:
            let required = spec.mapOption("question_words").map { (glob: LeafGlob($0.key), words: Self.words($0.value)) }
            let checker = OnLeafCheck(profiles: environment.profiles, margin: try number("margin", default: 0.8, in: 0...10), requiredWords: required)
            return VerifierBlock(name: spec.name, version: OnLeafCheck.version, verifier: checker, leaves: leaves)
        case .answerFirst:
            return AnswerFirstBlock(name: spec.name, count: Int(try number("n", default: 3, in: 1...16)),
                                    minimumWords: Int(try number("min_words", default: 8, in: 3...60)), leaves: leaves,
                                    asksDefined: spec.options["ask_defined"] == "true")
        case .computedAnswer:
            let rules = try operationRules()
            return ComputedAnswerBlock(name: spec.name, rules: rules, tableLeaves: spec.listOption("tables").map(LeafGlob.init),
                                       summaryLeaves: spec.listOption("summaries").map(LeafGlob.init), required: spec.options["require"] == "true")
        case .glossaryQuestion:
            let glossary = try loadGlossary()
            return GlossaryQuestionBlock(name: spec.name, glossary: glossary, leaves: leaves, count: Int(try number("n", default: 1, in: 1...16)),
                                         seedQuestions: environment.seedQuestions)
        case .variedQuestion:
            return VariedQuestionBlock(name: spec.name, rules: try operationRules(), count: Int(try number("n", default: 1, in: 1...16)))
        case .novelty:
            guard let measure = NoveltyMeasure(rawValue: spec.options["score"] ?? NoveltyMeasure.likelihoodRatio.rawValue) else {
                throw fail("unknown score '\(spec.options["score"] ?? "")'", "scores: \(NoveltyMeasure.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if measure == .likelihoodRatio, spec.options["reference"] == nil {
                throw fail("the likelihood_ratio score needs 'reference': a GGUF model to compare the target with",
                           "reference: models/other.gguf, or score: zlib_ratio (no reference needed)")
            }
            return NoveltyBlock(name: spec.name, model: spec.options["model"], reference: spec.options["reference"],
                                threshold: try number("threshold", default: 0, in: -100...100), measure: measure, factory: environment.noveltyScorer)
        case .consistency:
            guard let template = spec.template else { throw fail("needs a template", "template: templates/simple_freeform_answer.txt") }
            return ConsistencyBlock(
                name: spec.name, template: spec, templateText: template, samples: Int(try number("samples", default: 3, in: 1...16)),
                temperature: Float(try number("temperature", default: 0.7, in: 0...2)),
                maxTokens: Int(try number("max_tokens", default: 256, in: 1...8192)),
                minimumAgreement: try number("min_agreement", default: 0, in: 0...1),
                keepMajority: spec.options["keep_majority"] == "true", leaves: leaves)
        }
    }
}
