public import LabCore
public import LabDocuments
import LabTaxonomy

/// One unit of work: the first prompt of a leaf's flow with everything that filled it.
/// Identified by (leaf, index); the same run seed always gives the same unit.
public struct WorkUnit: Sendable, Hashable {
    public var leafPath: String
    public var index: Int
    /// Template variables (`seed_question`, `chunk`, `task_description`, …).
    public var variables: [String: String]
    /// Positions (in the leaf's seed list) of the seed examples the prompt shows.
    public var seedPositions: [Int]
    /// Knowledge: the chunk the prompt is about.
    public var chunk: DocumentChunk?
    /// Grounded skills: the context the answer must be grounded in.
    public var context: String?
    /// Seeds every teacher request of the unit, so a rerun asks exactly the same questions.
    public var requestSeed: UInt64

    /// The store's key for the unit.
    public var key: String { "\(leafPath)#\(index)" }
}

/// Picks each unit's inputs from its own leaf only (leaf-local sampling), with a seeded RNG per
/// leaf and round: every input (chunk × seed example for knowledge, seed example for skills)
/// is used once per round, in an order shuffled by the seed, before any is used again.
public struct UnitSampler: Sendable {
    public let plan: LeafPlan
    public let runSeed: UInt64

    public init(plan: LeafPlan, runSeed: UInt64) {
        self.plan = plan
        self.runSeed = runSeed
    }

    /// Unit `index` of the leaf.
    public func unit(_ index: Int) -> WorkUnit {
        let leaf = plan.leaf
        let seeds = leaf.seeds
        let inputs = plan.distinctInputs
        let round = index / inputs
        var order = Array(0..<inputs)
        var roundRandom = SeededRandom(seed: runSeed, stream: "\(leaf.taxonomyPath)#round\(round)")
        order.shuffle(using: &roundRandom)
        let input = order[index % inputs]
        var unitRandom = SeededRandom(seed: runSeed, stream: "\(leaf.taxonomyPath)#unit\(index)")

        let seedPosition: Int
        var chunk: DocumentChunk?
        if plan.flow == .knowledge {
            seedPosition = input % seeds.count
            chunk = plan.chunks[input / seeds.count]
        } else {
            seedPosition = input
        }
        let example = seeds[seedPosition]
        let pair = example.questionsAndAnswers[Int(unitRandom.next() % UInt64(example.questionsAndAnswers.count))]
        // Up to two more seeds of the same leaf, for templates that show several examples.
        var others = Array(seeds.indices.filter { $0 != seedPosition })
        others.shuffle(using: &unitRandom)
        let shown = [seedPosition] + others.prefix(2)

        var variables: [String: String] = [
            "seed_question": pair.question,
            "seed_answer": pair.answer,
            "seed_context": example.context ?? "",
            "seed_examples": shown.map { Self.render(seeds[$0]) }.joined(separator: "\n\n"),
            // A numbered list of the shown seeds' questions, one line each, for list-continuation prompts.
            "seed_questions": shown.enumerated().map { "\($0.offset + 1). " + Self.oneLine(seeds[$0.element].questionsAndAnswers[0].question) }
                .joined(separator: "\n"),
            "next_number": String(shown.count + 1),
            // The seed question's asking sentence ("What was the compound annual growth rate?"),
            // which completes a teacher reply that restated only the setup.
            "seed_ask": Self.askingSentence(pair.question),
            "n": String(plan.candidatesPerUnit),
        ]
        var context: String?
        switch plan.flow {
        case .knowledge:
            variables["domain"] = leaf.domain ?? ""
            variables["document_outline"] = leaf.documentOutline ?? ""
            variables["chunk"] = chunk?.text ?? ""
        case .groundedSkill:
            variables["task_description"] = leaf.taskDescription ?? ""
            // The new question is asked about another seed's context when the leaf has one, so the
            // teacher can't copy the example's question.
            let contextPosition = plan.ownContext && example.context != nil ? seedPosition : (others.first { seeds[$0].context != nil } ?? seedPosition)
            context = seeds[contextPosition].context ?? example.context
            variables["context"] = context ?? ""
        case .freeformSkill:
            variables["task_description"] = leaf.taskDescription ?? ""
        }
        // Lineage names the seeds the prompts actually showed.
        let showsAll = plan.blocks.contains { $0.template?.contains("seed_examples") == true }
        return WorkUnit(leafPath: leaf.taxonomyPath, index: index, variables: variables,
                        seedPositions: showsAll ? shown.sorted() : [seedPosition],
                        chunk: chunk, context: context, requestSeed: unitRandom.next())
    }

    static func askingSentence(_ question: String) -> String {
        let flat = oneLine(question)
        let sentences = flat.components(separatedBy: ". ")
        return sentences.last(where: { $0.contains("?") }) ?? sentences.last ?? flat
    }

    private static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    private static func render(_ seed: SeedExample) -> String {
        var lines: [String] = []
        if let context = seed.context, !context.isEmpty { lines.append("Context:\n\(context)") }
        for pair in seed.questionsAndAnswers.prefix(3) {
            lines.append("Question: \(pair.question)\nAnswer: \(pair.answer)")
        }
        return lines.joined(separator: "\n")
    }
}
