public import Foundation
public import LabPipeline
public import LabStore
public import LabTaxonomy

/// A candidate that did not come from a run, as `synthlab verify` reads it (one JSONL line).
public struct ExternalCandidate: Sendable, Codable, Equatable {
    public var id: String
    /// The leaf's folder relative to the taxonomy root.
    public var leaf: String
    public var question: String
    public var answer: String
    /// The passage, table or paragraph the answer must be grounded in.
    public var context: String?
    /// A reference answer the candidate must not go beyond when it explains a glossary term (the
    /// definitions check holds the explanation's prose to it, as it does for glossary questions).
    public var reference: String?

    public init(id: String, leaf: String, question: String, answer: String, context: String?, reference: String? = nil) {
        self.reference = reference
        self.id = id
        self.leaf = leaf
        self.question = question
        self.answer = answer
        self.context = context
    }
}

/// The verdicts a candidate got, and whether it passed them all.
public struct VerificationResult: Sendable {
    public var id: String
    public var accepted: Bool
    public var verdicts: [Verdict]
}

/// Runs a pipeline's checks on external candidates with the same blocks `generate` runs: every
/// block of the leaf's flow after the blocks that write the question and answer. Judge blocks (and
/// the filters reading their scores) need a teacher and are left out without one; so is the
/// consistency block. Commit-time checks (duplicates) compare a candidate with the others, so they
/// run only when `withCommitChecks` is set, over the input in order.
public final class CandidateVerification: Sendable {
    public enum Problem: Error, Sendable, CustomStringConvertible {
        case unknownLeaf(String, known: [String])
        case noFlow(leaf: String, flow: String)

        public var description: String {
            switch self {
            case .unknownLeaf(let leaf, let known):
                "unknown leaf '\(leaf)' (hint: leaves are folders relative to the taxonomy root, e.g. \(known.prefix(2).joined(separator: ", ")))"
            case .noFlow(let leaf, let flow):
                "the pipeline has no '\(flow)' flow for leaf '\(leaf)' (hint: use a pipeline with that flow)"
            }
        }
    }

    let leaves: [String: Leaf]
    let flows: [FlowKind: [any FlowBlock]]
    let teacher: CachedTeacher?
    let commitChecks: LockedChecks?

    /// Blocks kept, per flow, for `verify`: `skipped` lists the names left out and why.
    public let skipped: [String]

    public init(pipeline: Pipeline, pipelinesRoot: URL, leaves: [Leaf], teacher: CachedTeacher?, withCommitChecks: Bool = false) throws(GenerationError) {
        let environment = BlockEnvironment(pipelinesRoot: pipelinesRoot, pipeline: pipeline, leaves: leaves)
        let built = try BlockFactory.makeFlows(pipeline, environment: environment)
        var flows: [FlowKind: [any FlowBlock]] = [:]
        var skipped: [String] = []
        for (flow, blocks) in built {
            guard let specs = pipeline.flows[flow.rawValue] else { continue }
            // Everything up to the last block that writes a question or answer is generation.
            let lastWriter = specs.lastIndex { $0.kind.writesCandidates }
            var judged = Set<String>()
            var kept: [any FlowBlock] = []
            for (index, (spec, block)) in zip(specs, blocks).enumerated() where index > (lastWriter ?? -1) {
                if spec.kind.writesCandidates || spec.kind.judgesSource { continue }
                if teacher == nil && spec.kind == .judge {
                    judged.insert(spec.options["output"] ?? "")
                    skipped.append("\(flow.rawValue)/\(spec.name) (judge: no teacher)")
                    continue
                }
                if spec.kind == .filter, judged.contains(spec.options["column"] ?? "") {
                    skipped.append("\(flow.rawValue)/\(spec.name) (reads a judge's score)")
                    continue
                }
                if spec.kind == .consistency && teacher == nil { skipped.append("\(flow.rawValue)/\(spec.name) (consistency: no teacher)") }
                kept.append(block)
            }
            flows[flow] = kept
        }
        self.flows = flows
        self.skipped = skipped.sorted()
        self.leaves = Dictionary(leaves.map { ($0.relativePath, $0) }, uniquingKeysWith: { first, _ in first })
        self.teacher = teacher
        commitChecks = withCommitChecks ? LockedChecks(flows: flows, leaves: leaves) : nil
    }

    /// The leaf named by its folder relative to the taxonomy root, or by its taxonomy path
    /// (`a->b->c`, as runs record leaves).
    func leaf(named name: String) -> Leaf? {
        leaves[name.trimmingCharacters(in: CharacterSet(charactersIn: "/"))] ?? leaves[name.replacingOccurrences(of: "->", with: "/")]
    }

    /// Whether `leaf` (a folder relative to the taxonomy root, or a taxonomy path) is one of the leaves given.
    public func knows(leaf: String) -> Bool { self.leaf(named: leaf) != nil }

    /// Verifies one candidate.
    public func verify(_ candidate: ExternalCandidate) async throws -> VerificationResult {
        guard let leaf = leaf(named: candidate.leaf) else { throw Problem.unknownLeaf(candidate.leaf, known: leaves.keys.sorted()) }
        let path = leaf.relativePath
        let flow = GenerationPlan.flow(for: leaf)
        guard let blocks = flows[flow] else { throw Problem.noFlow(leaf: path, flow: flow.rawValue) }
        let first = leaf.seeds.first?.questionsAndAnswers.first
        var variables: [String: String] = [
            "question": candidate.question, "answer": candidate.answer,
            "task_description": leaf.taskDescription ?? "", "domain": leaf.domain ?? "", "document_outline": leaf.documentOutline ?? "",
            "seed_question": first?.question ?? "", "seed_answer": first?.answer ?? "", "seed_context": leaf.seeds.first?.context ?? "",
        ]
        if let context = candidate.context { variables[flow == .knowledge ? "chunk" : "context"] = context }
        if let reference = candidate.reference, !reference.isEmpty { variables["definition"] = reference }
        let unit = WorkUnit(leafPath: leaf.taxonomyPath, index: 0, variables: variables, seedPositions: [], chunk: nil,
                            context: flow == .knowledge ? nil : candidate.context,
                            requestSeed: Self.stableSeed(candidate.id))
        let context = BlockContext(unit: unit, teacher: teacher, leafPath: path, flow: flow)
        var rows = [Candidate(columns: variables)]
        for block in blocks { rows = try await block.run(rows, context: context) }
        var row = rows[0]
        if let commitChecks, !row.isRejected { row.verdicts += commitChecks.check(row, leaf: path) }
        return VerificationResult(id: candidate.id, accepted: !row.isRejected, verdicts: row.verdicts)
    }

    /// A seed from the candidate's id that is the same in every process (Swift's hashValue is not).
    static func stableSeed(_ id: String) -> UInt64 {
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in id.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
        return hash
    }
}

/// Commit-time checks per leaf for `verify`, applied in input order.
final class LockedChecks: @unchecked Sendable {
    private let lock = NSLock()
    private var checks: [String: [any CommitCheck]]

    init(flows: [FlowKind: [any FlowBlock]], leaves: [Leaf]) {
        var checks: [String: [any CommitCheck]] = [:]
        for leaf in leaves {
            let seeds = leaf.seeds.flatMap { $0.questionsAndAnswers.map { (question: $0.question, answer: $0.answer) } }
            checks[leaf.relativePath] = (flows[GenerationPlan.flow(for: leaf)] ?? []).compactMap {
                ($0 as? any CommitTimeBlock)?.makeCommitCheck(seeds: seeds)
            }
        }
        self.checks = checks
    }

    func check(_ row: Candidate, leaf: String) -> [Verdict] {
        lock.lock()
        defer { lock.unlock() }
        var verdicts: [Verdict] = []
        for check in checks[leaf] ?? [] {
            let verdict = check.check(row, label: "input")
            verdicts.append(verdict)
            if verdict.decision == .reject { return verdicts }
        }
        for check in checks[leaf] ?? [] { check.remember(question: row.question, answer: row.answer, label: "input") }
        return verdicts
    }
}
