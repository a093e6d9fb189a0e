import Foundation
import LabCore
@testable import LabGeneration
import LabPipeline
import LabStore
import LabTaxonomy
import LabTestSupport
import Testing

/// The shipped `simple` pipeline's question-writing blocks on the sample taxonomy, run without a teacher.
enum ShippedFreeformFlow {
    static let pipeline = try! Pipeline.load(directory: SampleProject.shippedPipelines.appendingPathComponent("simple"))
    static let plan = try! GenerationPlan(pipeline: pipeline, leaves: SampleProject.report.leaves, samplesPerLeaf: 3)
    static let blocks: [any FlowBlock] = {
        let environment = BlockEnvironment(pipelinesRoot: SampleProject.shippedPipelines, pipeline: pipeline,
                                           leaves: SampleProject.report.leaves.map(\.leaf))
        return try! BlockFactory.makeFlows(pipeline, environment: environment)[.freeformSkill]!
    }()
    static let glossary = try! Glossary.load(from: SampleProject.shippedPipelines.appendingPathComponent("glossary.yaml"))

    static func leafPlan(_ suffix: String) -> LeafPlan { plan.leaves.first { $0.leaf.relativePath.hasSuffix(suffix) }! }

    /// Unit `index` of the leaf through every block but those that ask the teacher.
    static func rows(_ suffix: String, unit index: Int, seed: UInt64 = 42) async throws -> [Candidate] {
        let leaf = leafPlan(suffix)
        let unit = UnitSampler(plan: leaf, runSeed: seed).unit(index)
        let context = BlockContext(unit: unit, teacher: nil, leafPath: leaf.leaf.relativePath, flow: .freeformSkill)
        var rows = [Candidate(columns: unit.variables)]
        for block in blocks where !(block is GenerateBlock) && !(block is ConsistencyBlock) {
            rows = try await block.run(rows, context: context)
        }
        return rows
    }

    static func evidence(_ row: Candidate, of filter: String) -> [String: String]? {
        guard let text = row.verdicts.first(where: { $0.filter == filter })?.evidence else { return nil }
        return try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))
    }
}

@Suite struct SeedQuestionBlocks {
    @Test func everyGlossaryTermHasADefinitionThatPassesItsOwnCheck() {
        let glossary = ShippedFreeformFlow.glossary
        let check = DefinitionCheck(glossary: glossary, strictLeaves: [LeafGlob("*")])
        let block = GlossaryQuestionBlock(name: "glossary_question", glossary: glossary, leaves: [], count: 1, seedQuestions: [:])
        var failures: [String] = []
        for term in glossary.terms {
            guard let definition = term.definition else { failures.append("\(term.term): no definition"); continue }
            guard let question = block.question(about: term, like: "What is EBITDA? Explain it in plain words.") else {
                failures.append("\(term.term): no question names it"); continue
            }
            let finding = check.verify(CandidateText(leafPath: "finance/explain_term_plainly", flow: .freeformSkill, question: question, answer: definition, context: nil))
            if finding?.decision != .accept { failures.append("\(term.term): \(finding?.reason ?? "no finding")") }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test func glossaryQuestionsAskAFreshTermInASeedsWords() async throws {
        let leaf = ShippedFreeformFlow.leafPlan("explain_term_plainly")
        let glossary = ShippedFreeformFlow.glossary
        let seedQuestions = leaf.leaf.seeds.flatMap { $0.questionsAndAnswers.map(\.question) }
        let seedTerms = Set(seedQuestions.flatMap { glossary.terms(namedIn: $0).map(\.term.term) })
        #expect(seedTerms.contains("EBITDA") && seedTerms.contains("Basis point"))
        var asked: [String] = []
        for index in 0..<16 {
            let rows = try await ShippedFreeformFlow.rows("explain_term_plainly", unit: index)
            #expect(rows.count == 3)
            for row in rows {
                let evidence = try #require(ShippedFreeformFlow.evidence(row, of: "glossary_question"))
                #expect(evidence["question_source"] == "glossary")
                let named = glossary.terms(namedIn: row.question).map(\.term.term)
                #expect(named.first == evidence["term"], "\(row.question)")
                #expect(seedTerms.isDisjoint(with: named), "\(row.question) names a seed's term")
                #expect(row.columns["definition"] == glossary.terms.first { $0.term == evidence["term"] }?.definition)
                // Phrased like the seed it names: the same words once the terms are set aside.
                let phrasedLike = try #require(evidence["phrased_like"])
                #expect(seedQuestions.contains(phrasedLike))
                let askedTerm = try #require(glossary.terms.first { $0.term == evidence["term"] })
                let termWords = Set(([askedTerm.term] + askedTerm.aliases).flatMap(TextUnits.words)
                                    + TextUnits.words(glossary.terms(namedIn: phrasedLike).first?.alias ?? "") + ["a", "an", "the"])
                #expect(TextUnits.words(row.question).filter { !termWords.contains($0) } == TextUnits.words(phrasedLike).filter { !termWords.contains($0) },
                        "\(row.question) vs \(phrasedLike)")
                asked.append(evidence["term"] ?? "")
            }
        }
        #expect(Set(asked).count == asked.count, "units ask different terms")
        // Reproducible: the same unit asks the same questions.
        let again = try await ShippedFreeformFlow.rows("explain_term_plainly", unit: 7).map(\.question)
        #expect(again == (try await ShippedFreeformFlow.rows("explain_term_plainly", unit: 7)).map(\.question))
    }

    @Test func glossaryQuestionsAreWrittenOnlyForTheirLeaf() async throws {
        let rows = try await ShippedFreeformFlow.rows("arithmetic/percent_change", unit: 0)
        #expect(!rows.contains { $0.verdicts.contains { $0.filter == "glossary_question" } })
    }

    @Test func variedQuestionsKeepTheSeedsWordsAndScaleWithNewFiguresAndPassEveryVerifier() async throws {
        let scaleWords = ["in thousands", "(in thousands)", "in millions", "except per-share amounts", "in dollars", "billion", "million"]
        var varied = 0
        var passThrough = 0
        for index in 0..<21 {
            for row in try await ShippedFreeformFlow.rows("reasoning/unit_scaling", unit: index) {
                guard let evidence = ShippedFreeformFlow.evidence(row, of: "varied_question") else {
                    // A seed the computed answer can't work out is left to the teacher, unasked.
                    #expect(row.columns["question"] == nil)
                    passThrough += 1
                    continue
                }
                let seed = try #require(evidence["seed_question"])
                #expect(evidence["question_source"] == "seed_variation")
                guard row.verdicts.first(where: { $0.filter == "varied_question" })?.decision == .accept else { continue }
                varied += 1
                #expect(row.question != seed)
                for word in scaleWords where seed.lowercased().contains(word) { #expect(row.question.lowercased().contains(word), "\(row.question)") }
                let words = { (text: String) in TextUnits.words(text).filter { $0.first?.isNumber != true } }
                #expect(words(row.question) == words(seed))
                let figures = FigureScanner.quantities(in: row.question).map(\.value), seedFigures = FigureScanner.quantities(in: seed).map(\.value)
                #expect(figures.count == seedFigures.count && figures != seedFigures)
                // The computed answer recomputes, and the candidate passes every verifier.
                #expect(row.verdicts.contains { $0.filter == "computed_answer" && $0.decision == .accept })
                let rejection = row.verdicts.first { $0.decision == .reject }
                #expect(rejection == nil, "\(row.question)\n\(row.answer)\n\(rejection?.filter ?? ""): \(rejection?.reason ?? "") \(rejection?.evidence ?? "")")
            }
        }
        #expect(varied >= 15)
        #expect(passThrough > 0)
    }

    @Test func variationsAreReproducibleAndDifferAcrossUnits() async throws {
        let first = try await ShippedFreeformFlow.rows("reasoning/unit_scaling", unit: 3).map(\.question)
        #expect(first == (try await ShippedFreeformFlow.rows("reasoning/unit_scaling", unit: 3)).map(\.question))
        var random = SeededRandom(seed: 1)
        let seed = "A balance sheet says \"(in thousands)\" and lists net income of 38,460. How much net income is that?"
        let one = VariedQuestionBlock.vary(seed, using: &random), two = VariedQuestionBlock.vary(seed, using: &random)
        #expect(one != nil && one != two && one != seed)
        // Five digits with a separator stay five digits with a separator.
        #expect(one?.range(of: "of [0-9]{2},[0-9]{3}\\.", options: .regularExpression) != nil, "\(one ?? "")")
    }

    @Test func aGenerateBlockLeavesAskedRowsAndOtherLeavesAlone() async throws {
        let leaf = ShippedFreeformFlow.leafPlan("explain_term_plainly")
        let unit = UnitSampler(plan: leaf, runSeed: 42).unit(0)
        let context = BlockContext(unit: unit, teacher: nil, leafPath: leaf.leaf.relativePath, flow: .freeformSkill)
        let question = try #require(ShippedFreeformFlow.blocks.first { $0.name == "question" })
        let asked = Candidate(columns: unit.variables.merging(["question": "What is gross margin?"]) { $1 })
        // No teacher: asking it would throw.
        #expect(try await question.run([asked], context: context).map(\.question) == ["What is gross margin?"])
        let glossaryAnswer = try #require(ShippedFreeformFlow.blocks.first { $0.name == "glossary_answer" })
        let other = ShippedFreeformFlow.leafPlan("reasoning/unit_scaling")
        let otherContext = BlockContext(unit: unit, teacher: nil, leafPath: other.leaf.relativePath, flow: .freeformSkill)
        #expect(try await glossaryAnswer.run([asked], context: otherContext).map(\.answer) == [""])
    }

    @Test func questionWritersDontChangeOtherLeavesUnitSizes() {
        #expect(ShippedFreeformFlow.leafPlan("arithmetic/percent_change").candidatesPerUnit == 3)
        #expect(ShippedFreeformFlow.leafPlan("reasoning/unit_scaling").candidatesPerUnit == 3)
    }
}

@Suite struct DefinitionQuestions {
    @Test(arguments: [
        ("Guidance is usually a range, such as revenue of $425 million to $435 million for the next quarter.", "What is guidance?"),
        ("Non-GAAP measures are the company's own adjusted versions of GAAP figures.", "What are non-GAAP measures?"),
        ("A Form 10-K is the annual report a US public company files with the SEC.", "What is a Form 10-K?"),
        ("EBITDA means earnings before interest, taxes, depreciation and amortization.", "What does EBITDA mean?"),
        ("Return on assets (ROA) = net income / total assets.", "How is return on assets (ROA) calculated?"),
    ])
    func aSentenceThatSaysWhatItsSubjectIsGetsThatQuestion(sentence: String, question: String) {
        #expect(AnswerFirstBlock.definitionQuestion(for: sentence) == question)
    }

    @Test(arguments: [
        "A Form 10-Q is organised in two Parts, with financial statements first.",
        "All Form 10-K filings are public and can be read free of charge on EDGAR.",
        "Revenue grew 9% in the quarter as demand for devices recovered.",
    ])
    func otherSentencesAreLeftToTheTeacher(sentence: String) {
        #expect(AnswerFirstBlock.definitionQuestion(for: sentence) == nil)
    }
}

@Suite struct LeadSummaries {
    @Test func quotedPhrasesAreOneQuestionWord() {
        #expect(BlockFactory.words(#"summar "main point" gist"#) == ["summar", "main point", "gist"])
    }

    @Test func theLeadIsTheOpeningSentencesAndAtMostThreeFifthsOfTheParagraph() throws {
        let paragraph = """
            Oakridge Instruments, Inc. today reported revenue of $842.7 million for the second quarter of
            fiscal 2026, an increase of 9.4% from $770.3 million in the second quarter of fiscal 2025. GAAP
            net income was $96.1 million, or $1.18 per diluted share, compared with $81.5 million, or $0.99
            per diluted share, a year ago. Non-GAAP diluted earnings per share were $1.46, compared with
            $1.27 in the prior-year quarter.
            """
        // Two of its three sentences are 77 % of its words: a copy. The first alone is 44 %.
        let lead = try #require(ComputedAnswerBlock.lead(of: paragraph))
        #expect(lead.text == "Oakridge Instruments, Inc. reported revenue of $842.7 million for the second quarter of fiscal 2026, "
                + "an increase of 9.4% from $770.3 million in the second quarter of fiscal 2025.")
        #expect(lead.inputs == "1 of 3 sentences")
        // Four sentences whose first two are short: both, under three fifths of the words.
        let outlook = "Revenue rose 9% to $1.2 billion. Net income fell 3% to $88 million. The company expects "
            + "fourth-quarter revenue of $1.25 billion to $1.28 billion, reflecting stronger demand in its services business. "
            + "It raised its full-year outlook for revenue and operating margin, citing new contracts signed in October."
        #expect(try #require(ComputedAnswerBlock.lead(of: outlook)).inputs == "2 of 4 sentences")
        // A first sentence that is most of the paragraph summarises nothing: no lead.
        let long = "Acme Corp reported revenue of $5.1 billion for the third quarter of fiscal 2026, up 12% from $4.55 billion a year "
            + "earlier, with growth in every segment and every region, led by industrial equipment and services. Margins rose. Cash grew."
        #expect(ComputedAnswerBlock.lead(of: long) == nil)
        // Two sentences: no lead (the second may be the news).
        #expect(ComputedAnswerBlock.lead(of: "Revenue rose 9% to $1.2 billion. The company lowered its outlook.") == nil)
        #expect(ComputedAnswerBlock.lead(of: "Revenue rose 9% to $1.2 billion.") == nil)
    }
}
