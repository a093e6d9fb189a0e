import ArgumentParser
import Foundation
import LabCore
import LabCurriculum
import LabGeneration
import LabOpenAI
import LabPipeline
import LabStore
import LabTaxonomy

/// Builds what grades a student's answers (a taxonomy's leaves with a pipeline's verifiers) and the
/// optional judge, turning every way that can fail into a `CLIError` that says what to do.
enum TaskAccuracyLoading {
    /// A taxonomy's leaves and a pipeline, loaded for checking candidates.
    struct LoadedPipeline {
        var pipeline: Pipeline
        var directory: URL
        var leaves: [Leaf]

        func verification(teacher: CachedTeacher? = nil, withCommitChecks: Bool = false) throws -> CandidateVerification {
            do {
                return try CandidateVerification(pipeline: pipeline, pipelinesRoot: directory.deletingLastPathComponent(),
                                                 leaves: leaves, teacher: teacher, withCommitChecks: withCommitChecks)
            } catch {
                throw CLIError(error.description, hint: "fix the pipeline")
            }
        }
    }

    static func load(taxonomy: String, pipeline: String) throws -> LoadedPipeline {
        let taxonomyURL = URL(fileURLWithPath: (taxonomy as NSString).expandingTildeInPath)
        guard FileManager.default.fileExists(atPath: taxonomyURL.path) else {
            throw CLIError("no taxonomy folder at \(taxonomyURL.path)", hint: "pass --taxonomy DIR")
        }
        let leaves = TaxonomyChecker().check(taxonomyURL).leaves.map(\.leaf)
        let pipelineDirectory = GenerateCommand.pipelineDirectory(pipeline, taxonomy: taxonomyURL)
        do {
            return LoadedPipeline(pipeline: try Pipeline.load(directory: pipelineDirectory), directory: pipelineDirectory, leaves: leaves)
        } catch {
            throw CLIError(error.description, hint: "fix the pipeline, or name another with --pipeline")
        }
    }

    /// The judge for `settings`, if it names an endpoint; with no model named, the first one the
    /// endpoint lists. Called from synchronous commands on the main thread.
    static func judge(_ settings: TaskAccuracySettings) throws -> TaskJudge? {
        guard let url = settings.judgeEndpoint else { return nil }
        do {
            var endpoint = try OpenAIEndpoint(url: url, model: settings.judgeModel ?? "", apiKeyVariable: settings.judgeKeyVariable)
            if settings.judgeModel == nil {
                let probe = OpenAITeacher(endpoint: endpoint)
                let models = try waitForAsync { try await probe.models() }
                guard let first = models.first else {
                    throw CLIError("\(endpoint.url("/models")) lists no models", hint: "name the judge with --judge-model")
                }
                endpoint.model = first
            }
            return TaskJudge(generator: OpenAITeacher(endpoint: endpoint))
        } catch let error as OpenAIError {
            throw CLIError("the judge endpoint: \(error.description)")
        }
    }

    /// The plan a training job (or `eval --model`) measures task accuracy with: seeds of the run,
    /// the grader, the judge.
    static func plan(_ settings: TaskAccuracySettings, runID: Int64?, store: SampleStore, threads: Int?) throws -> TaskAccuracyPlan {
        let seeds = try runID.map { try store.seedExamples(runID: $0) } ?? []
        return TaskAccuracyPlan(grader: VerifierGrader(verification: try load(taxonomy: settings.taxonomy, pipeline: settings.pipeline).verification()),
                                judge: try judge(settings), seeds: seeds, settings: settings, threads: threads)
    }
}

/// `train`'s (and `eval`'s) task-accuracy flags.
struct TaskAccuracyOptions: ParsableArguments {
    @Flag(name: .customLong("task-eval"), inversion: .prefixedNo,
          help: "Ask the student the held-out and seed questions before training and after each phase, graded by the leaves' verifiers.")
    var enabled = true

    @Option(help: ArgumentHelp("The taxonomy whose leaves grade the answers (default: the generation run's).", valueName: "dir"))
    var taxonomy: String?

    @Option(help: ArgumentHelp("The pipeline whose verifiers grade the answers (default: the generation run's, else simple).", valueName: "name|dir"))
    var pipeline: String?

    @Option(name: .customLong("eval-seeds"), help: ArgumentHelp("Seed examples asked per leaf besides the held-out samples.", valueName: "n"))
    var seedsPerLeaf = 5

    @Option(name: .customLong("eval-max-tokens"), help: ArgumentHelp("Longest answer the student may write.", valueName: "n"))
    var maxTokens = 256

    @Option(name: .customLong("judge-endpoint"),
            help: ArgumentHelp("An OpenAI-compatible API root whose model also scores each answer 1-10 against the reference.", valueName: "url"))
    var judgeEndpoint: String?

    @Option(name: .customLong("judge-model"), help: ArgumentHelp("The judge's model name (default: the first the endpoint lists).", valueName: "name"))
    var judgeModel: String?

    @Option(name: .customLong("judge-api-key-env"), help: ArgumentHelp("The environment variable holding the judge's API key.", valueName: "var"))
    var judgeKeyVariable = "OPENAI_API_KEY"

    func validate() throws {
        guard seedsPerLeaf >= 0 else { throw ValidationError("--eval-seeds must be 0 or more") }
        guard maxTokens >= 1 else { throw ValidationError("--eval-max-tokens must be at least 1") }
        if !enabled, judgeEndpoint != nil { throw ValidationError("--judge-endpoint needs the task evaluation (drop --no-task-eval)") }
        if judgeEndpoint == nil, judgeModel != nil { throw ValidationError("--judge-model needs --judge-endpoint") }
    }

    /// The settings a job records; nil when turned off, or when the rows come from JSONL and no
    /// taxonomy was named (there are no leaves to grade with).
    func settings(runID: Int64?, store: SampleStore) throws -> TaskAccuracySettings? {
        guard enabled else { return nil }
        let recorded = try runID.map { try store.runConfiguration($0).settings } ?? [:]
        guard let taxonomy = taxonomy ?? recorded["taxonomy"] ?? (runID == nil ? nil : "taxonomy") else { return nil }
        return TaskAccuracySettings(taxonomy: URL(fileURLWithPath: (taxonomy as NSString).expandingTildeInPath).path,
                                    pipeline: pipeline ?? recorded["pipeline"] ?? "simple", seedsPerLeaf: seedsPerLeaf, maxTokens: maxTokens,
                                    judgeEndpoint: judgeEndpoint, judgeModel: judgeModel, judgeKeyVariable: judgeEndpoint == nil ? nil : judgeKeyVariable)
    }
}
