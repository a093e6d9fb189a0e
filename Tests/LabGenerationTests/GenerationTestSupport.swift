import Foundation
import LabCore
import LabDocuments
@testable import LabGeneration
import LabPipeline
import LabStore
import LabTaxonomy
import LabTestSupport

/// The repository's sample taxonomy, checked once, and the runner's fixture pipelines: `mechanics`
/// (lexical filters only, so scripted teachers can pass it) and `judges` (judge blocks). The shipped
/// pipelines' verifiers are tested on their own (VerificationTests), not through scripted replies.
enum SampleProject {
    static let root = TestPaths.repositoryRoot
    static let shippedPipelines = root.appendingPathComponent("pipelines")
    static let pipelines = root.appendingPathComponent("Tests/LabGenerationTests/Fixtures/pipelines")
    static let report = TaxonomyChecker().check(root.appendingPathComponent("taxonomy"))

    static func plan(pipeline name: String = "mechanics", samplesPerLeaf: Int = 3, maxCandidates: Int? = nil) throws -> GenerationPlan {
        let pipeline = try Pipeline.load(directory: pipelines.appendingPathComponent(name))
        return try GenerationPlan(pipeline: pipeline, leaves: report.leaves, samplesPerLeaf: samplesPerLeaf,
                                  maxCandidatesPerLeaf: maxCandidates)
    }
}

/// A store in a fresh folder, removed afterwards.
final class TemporaryStore {
    let directory: URL
    let url: URL
    let store: SampleStore

    init() throws {
        directory = try TestPaths.temporaryDirectory("generation")
        url = directory.appendingPathComponent("synthlab.sqlite")
        store = try SampleStore(url: url)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func newRun(_ plan: GenerationPlan, teacher: any TextGenerator, seed: UInt64) throws -> Int64 {
        try store.createRun(RunConfiguration(taxonomyHash: plan.taxonomyHash, pipelineHash: plan.pipeline.contentHash,
                                             teacher: teacher.identity, seed: seed))
    }

    func runner(_ plan: GenerationPlan, teacher: any TextGenerator, runID: Int64, seed: UInt64,
                options: GenerationRunner.Options = .init()) throws -> GenerationRunner {
        try GenerationRunner(plan: plan, pipelinesRoot: SampleProject.pipelines, teacher: teacher, store: store, runID: runID,
                             seed: seed, options: options)
    }

    /// The samples of a straight run of `plan` in a store of its own: what an interrupted run must end with.
    static func uninterruptedDigest(_ plan: GenerationPlan, seed: UInt64) async throws -> [String] {
        let reference = try TemporaryStore()
        let teacher = ScriptedTeacher(reply: GroundedReplies.reply)
        let runID = try reference.newRun(plan, teacher: teacher, seed: seed)
        _ = try await reference.runner(plan, teacher: teacher, runID: runID, seed: seed).run()
        return try reference.sampleDigest(runID)
    }

    /// Every sample of a run as comparable text: leaf, status, question, answer, verdict decisions.
    func sampleDigest(_ runID: Int64) throws -> [String] {
        // Within a leaf, commit order is part of the result; across leaves it depends on timing.
        try store.samples(runID: runID, limit: 1_000_000).enumerated()
            .sorted { ($0.element.leaf, $0.offset) < ($1.element.leaf, $1.offset) }
            .map { "\($0.element.leaf)|\($0.element.status)|\($0.element.question)|\($0.element.answer)|\($0.element.rejectedBy ?? "")" }
    }
}
