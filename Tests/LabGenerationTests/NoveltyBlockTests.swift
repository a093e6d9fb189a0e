import Foundation
import LabCore
@testable import LabGeneration
import LabPipeline
import LabStore
import LabTestSupport
import Testing

/// A stand-in for the model-backed scorer: chunks that mention the 10-K are "familiar" (zlib
/// ratio 0.1), the rest novel (0.9). Counts its calls.
private final class StandInScorer: NoveltyScoring, @unchecked Sendable {
    private let lock = NSLock()
    private(set) var calls = 0
    private(set) var texts: [String] = []
    /// The block's `model` and `reference` options, as the factory received them.
    var requested: (model: String?, reference: String?)?

    func score(_ text: String) throws -> NoveltyScore {
        lock.withLock {
            calls += 1
            texts.append(text)
        }
        let ratio = text.contains("10-K") ? 0.1 : 0.9
        return NoveltyScore(bytes: text.utf8.count, targetTokens: 10, targetLoss: 1, targetBitsPerByte: ratio, referenceTokens: nil,
                            referenceLoss: nil, referenceBitsPerByte: nil, zlibBitsPerByte: 1)
    }
}

@Suite("The novelty block")
struct NoveltyBlockTests {
    @Test("familiar chunks are rejected before the teacher is asked, with the scores as evidence; each chunk is scored once")
    func run() async throws {
        let plan = try SampleProject.plan(pipeline: "novelty", samplesPerLeaf: 2, maxCandidates: 12)
        let temporary = try TemporaryStore()
        let teacher = ScriptedTeacher(reply: GroundedReplies.reply)
        let runID = try temporary.newRun(plan, teacher: teacher, seed: 5)
        let scorer = StandInScorer()
        let runner = try GenerationRunner(plan: plan, pipelinesRoot: SampleProject.pipelines, teacher: teacher, store: temporary.store,
                                          runID: runID, seed: 5, noveltyScorer: { model, reference in
                                              scorer.requested = (model, reference)
                                              return scorer
                                          })
        _ = try await runner.run()
        #expect(scorer.requested != nil && scorer.requested?.model == nil && scorer.requested?.reference == nil)
        let samples = try temporary.store.samples(runID: runID, limit: 10_000)
        let rejected = samples.filter { $0.rejectedBy == "novelty" }
        #expect(!rejected.isEmpty, "some knowledge chunks mention the 10-K")
        for sample in rejected {
            let lineage = try temporary.store.lineage(ofSample: sample.id)
            let verdict = try #require(lineage.verdicts.first { $0.filter == "novelty" })
            #expect(verdict.decision == .reject && verdict.score == 0.1 && verdict.threshold == 0.5)
            #expect(verdict.evidence?.contains("zlib_bits_per_byte") == true)
            #expect(lineage.context?.contains("10-K") == true)
            #expect(sample.question.isEmpty, "no question was asked of a rejected chunk")
        }
        let accepted = try temporary.store.trainingSources(runID: runID).filter { $0.kind == "knowledge" }
        #expect(!accepted.isEmpty && accepted.allSatisfy { $0.chunkText?.contains("10-K") == false })
        // Every stored chunk was scored, and no chunk twice (units cut off when a leaf is done are scored but not stored).
        let chunks = Set(try samples.map { try temporary.store.lineage(ofSample: $0.id) }.filter { $0.verdicts.contains { $0.filter == "novelty" } }
            .compactMap(\.context))
        #expect(Set(scorer.texts).count == scorer.calls, "a chunk was scored twice")
        #expect(chunks.isSubset(of: Set(scorer.texts)))
    }

    @Test("the likelihood ratio needs a reference; a run without models says so")
    func errors() async throws {
        let pipeline = try Pipeline.load(directory: SampleProject.pipelines.appendingPathComponent("novelty"))
        var spec = try #require(pipeline.flows["knowledge"]?.first)
        spec.options = ["score": "likelihood_ratio"]
        let environment = BlockEnvironment(pipelinesRoot: SampleProject.pipelines, pipeline: pipeline, leaves: [])
        do {
            _ = try BlockFactory.make(spec, environment: environment, flow: .knowledge)
            Issue.record("a likelihood ratio without a reference was accepted")
        } catch {
            #expect("\(error)".contains("needs 'reference'"))
        }
        spec.options = ["score": "zlib_ratio"]
        let block = try BlockFactory.make(spec, environment: environment, flow: .knowledge)
        let plan = try SampleProject.plan(pipeline: "novelty", samplesPerLeaf: 1)
        let leaf = try #require(plan.leaves.first { $0.flow == .knowledge })
        let context = BlockContext(unit: UnitSampler(plan: leaf, runSeed: 1).unit(0), teacher: nil, leafPath: "x", flow: .knowledge)
        do {
            _ = try await block.run([Candidate(columns: ["chunk": "Some text."])], context: context)
            Issue.record("scored without models")
        } catch {
            #expect("\(error)".contains("novelty scoring needs the target and reference models"))
        }
    }
}
