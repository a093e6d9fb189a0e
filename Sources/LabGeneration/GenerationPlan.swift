public import LabCore
public import LabDocuments
public import LabPipeline
public import LabTaxonomy

/// One leaf as a run will work on it: its flow, its chunks (knowledge) and its target.
public struct LeafPlan: Sendable {
    public var leaf: Leaf
    /// The pipeline flow the leaf runs.
    public var flow: FlowKind
    /// The flow's key in the pipeline file: `knowledge`, `freeform_skill` or `grounded_skill`.
    public var flowName: String { flow.rawValue }
    public var blocks: [BlockSpec]
    /// Knowledge: the leaf's documents and their chunks, in document order.
    public var documents: [SourceDocument]
    public var chunks: [DocumentChunk]
    /// Grounded skills: prompts show the unit's own seed's context (see `Pipeline.groundedOwnContext`).
    public var ownContext = false
    /// Accepted samples to reach.
    public var target: Int
    /// The most units (teacher prompts of the flow's first block) the leaf may use.
    public var unitBudget: Int

    /// Completions each unit asks the first generate block for (`n`); blocks before it that write
    /// questions for some leaves only (glossary_question, varied_question) don't count.
    public var candidatesPerUnit: Int {
        max(1, Int(blocks.first { $0.kind == .generate || $0.kind == .answerFirst }?.options["n"] ?? "1") ?? 1)
    }

    /// How many distinct inputs the leaf has before its sampler starts a new round over them.
    public var distinctInputs: Int { flow == .knowledge ? max(1, chunks.count) * leaf.seeds.count : leaf.seeds.count }
}

/// What a run will do, built (and checked) before any teacher call.
public struct GenerationPlan: Sendable {
    public var pipeline: Pipeline
    public var leaves: [LeafPlan]
    /// SHA-256 over every planned leaf's path and content hash and its documents' hashes: a resumed
    /// run refuses to continue on a taxonomy that changed under it.
    public var taxonomyHash: String

    /// The flow a leaf kind runs.
    public static func flow(for leaf: Leaf) -> FlowKind {
        switch leaf.kind {
        case .knowledge: .knowledge
        case .groundedSkill: .groundedSkill
        case .freeformSkill: .freeformSkill
        case .foundationalSkill: leaf.isGrounded ? .groundedSkill : .freeformSkill
        }
    }

    /// Plans `leaves` under `pipeline`. Throws `GenerationError.plan` listing every leaf the
    /// pipeline has no flow for, or a knowledge leaf without document text.
    /// Knowledge documents are cut into chunks of the pipeline's `chunk_tokens` (a tenth overlapping).
    public init(pipeline: Pipeline, leaves checked: [CheckedLeaf], samplesPerLeaf: Int, maxCandidatesPerLeaf: Int? = nil) throws(GenerationError) {
        self.pipeline = pipeline
        let chunker: DocumentChunker
        do {
            chunker = try DocumentChunker(maxTokens: pipeline.chunkTokens, overlapTokens: pipeline.chunkTokens / 10)
        } catch {
            throw .plan([Diagnostic(.error, at: SourceLocation(path: "pipeline \(pipeline.name)"), rule: "chunk_tokens",
                                    message: "\(error)", hint: "set chunk_tokens to a number such as 500")])
        }
        var plans: [LeafPlan] = []
        var problems: [Diagnostic] = []
        var hashed: [String] = []
        for item in checked.sorted(by: { $0.leaf.taxonomyPath < $1.leaf.taxonomyPath }) {
            let leaf = item.leaf
            let flow = Self.flow(for: leaf)
            guard let blocks = pipeline.flows[flow.rawValue] else {
                problems.append(Diagnostic(.error, at: SourceLocation(path: leaf.filePath), rule: "no-flow",
                    message: "pipeline '\(pipeline.name)' has no '\(flow.rawValue)' flow for this \(leaf.kind.rawValue) leaf",
                    hint: "add a '\(flow.rawValue):' flow to the pipeline, or leave the leaf out with --leaf"))
                continue
            }
            let chunks = flow == .knowledge ? item.documents.flatMap { chunker.chunks(of: $0) } : []
            if flow == .knowledge && chunks.isEmpty {
                problems.append(Diagnostic(.error, at: SourceLocation(path: leaf.filePath), rule: "no-documents",
                    message: "the knowledge leaf's documents have no text to generate from",
                    hint: "check the patterns under 'document:' with `synthlab taxonomy check`"))
                continue
            }
            hashed.append(leaf.taxonomyPath + "\u{0}" + leaf.contentHash + "\u{0}" + item.documents.map(\.contentHash).joined(separator: ","))
            var plan = LeafPlan(leaf: leaf, flow: flow, blocks: blocks, documents: flow == .knowledge ? item.documents : [], chunks: chunks, target: samplesPerLeaf, unitBudget: 0)
            let candidates = maxCandidatesPerLeaf ?? max(10 * samplesPerLeaf, 20)
            plan.unitBudget = max(1, (candidates + plan.candidatesPerUnit - 1) / plan.candidatesPerUnit)
            plan.ownContext = pipeline.groundedOwnContext
            plans.append(plan)
        }
        guard problems.isEmpty else { throw .plan(problems) }
        leaves = plans
        taxonomyHash = ContentHash.sha256Hex(hashed.joined(separator: "\n"))
    }
}

/// What a plan is expected to cost, for `generate --dry-run`.
public struct PlanEstimate: Sendable, Codable {
    public struct Leaf: Sendable, Codable {
        public var leaf: String
        public var flow: String
        public var target: Int
        public var distinctInputs: Int
        /// Units expected at the assumed acceptance rate, capped by the budget.
        public var expectedUnits: Int
        public var unitBudget: Int
        public var teacherCalls: Int
        public var completionTokens: Int
    }

    public var leaves: [Leaf]
    public var assumedAcceptance: Double
    public var teacherCalls: Int { leaves.reduce(0) { $0 + $1.teacherCalls } }
    public var completionTokens: Int { leaves.reduce(0) { $0 + $1.completionTokens } }

    /// Estimates assuming `acceptance` of the candidates are accepted and every reply uses its
    /// whole token limit (an upper bound on tokens).
    public init(_ plan: GenerationPlan, acceptance: Double = 0.5) {
        assumedAcceptance = acceptance
        leaves = plan.leaves.map { leaf in
            let units = min(leaf.unitBudget, Int((Double(leaf.target) / (acceptance * Double(leaf.candidatesPerUnit))).rounded(.up)))
            var calls = 0
            var tokens = 0
            var rows = 1
            let askedBy = { (block: BlockSpec) in block.listOption("leaves").isEmpty || block.listOption("leaves").contains { LeafGlob($0).matches(leaf.leaf.relativePath) } }
            for block in leaf.blocks where (block.kind == .generate || block.kind == .judge) && askedBy(block) {
                let count = block.kind == .generate ? max(1, Int(block.options["n"] ?? "1") ?? 1) : 1
                let maxTokens = Int(block.options["max_tokens"] ?? "") ?? (block.kind == .generate ? 256 : 16)
                calls += units * rows
                tokens += units * rows * count * maxTokens
                rows *= count
            }
            return Leaf(leaf: leaf.leaf.taxonomyPath, flow: leaf.flowName, target: leaf.target, distinctInputs: leaf.distinctInputs,
                        expectedUnits: units, unitBudget: leaf.unitBudget, teacherCalls: calls, completionTokens: tokens)
        }
    }
}
