public import Foundation
public import LabPipeline
public import LabTaxonomy

/// What blocks may need beyond their own options, built once per run (or `verify`) from the plan:
/// where policy and glossary files live, the flow's templates (for the leak check), and every
/// planned leaf's profile (for the on-leaf check).
public struct BlockEnvironment: Sendable {
    public var pipelinesRoot: URL
    /// Per flow, the templates its blocks render.
    public var templates: [FlowKind: [String]]
    /// Per leaf path: the leaf's task (or domain and outline) and seed questions.
    public var profiles: [LeafProfile]
    /// Per leaf path: its seeds and task as one text (what a candidate may legitimately repeat).
    public var leafTexts: [String: String]
    /// Per leaf path: its seed questions, in the leaf's order.
    public var seedQuestions: [String: [String]]
    /// Loads the models of `novelty` blocks (set by `generate`; nil where nothing is scored).
    public var noveltyScorer: NoveltyScorerFactory?

    public init(pipelinesRoot: URL, pipeline: Pipeline, leaves: [Leaf]) {
        self.pipelinesRoot = pipelinesRoot
        var templates: [FlowKind: [String]] = [:]
        for (name, blocks) in pipeline.flows {
            guard let flow = FlowKind(rawValue: name) else { continue }
            templates[flow] = blocks.compactMap(\.template)
        }
        self.templates = templates
        profiles = leaves.map { leaf in
            let task = leaf.taskDescription ?? [leaf.domain, leaf.documentOutline].compactMap { $0 }.joined(separator: "\n")
            let flow = GenerationPlan.flow(for: leaf)
            let examples = leaf.seeds.flatMap { seed in
                (flow == .groundedSkill ? [seed.context ?? ""] : []) + seed.questionsAndAnswers.flatMap { [$0.question, $0.answer] }
            }
            return LeafProfile(path: leaf.relativePath, flow: flow, text: ([task] + examples).joined(separator: "\n"))
        }
        seedQuestions = Dictionary(leaves.map { leaf in (leaf.relativePath, leaf.seeds.flatMap { $0.questionsAndAnswers.map(\.question) }) },
                                   uniquingKeysWith: { first, _ in first })
        leafTexts = Dictionary(leaves.map { leaf in
            let seeds = leaf.seeds.flatMap { seed in [seed.context ?? ""] + seed.questionsAndAnswers.flatMap { [$0.question, $0.answer] } }
            return (leaf.relativePath, ([leaf.taskDescription ?? "", leaf.documentOutline ?? ""] + seeds).joined(separator: "\n"))
        }, uniquingKeysWith: { first, _ in first })
    }
}
