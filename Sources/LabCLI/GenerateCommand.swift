import ArgumentParser
import Foundation
import LabCore
import LabDocuments
import LabGGUF
import LabGeneration
import LabLLM
import LabOpenAI
import LabPipeline
import LabStore
import LabTaxonomy
import LabTokenizer
#if canImport(Glibc)
import Glibc
#endif

/// `synthlab generate`: turn the taxonomy into accepted training samples.
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate training samples from the taxonomy with a teacher model, resumably.",
        discussion: """
            Each leaf's prompts are filled from its own seed examples (and, for knowledge, its \
            document chunks), chosen by --seed, so a rerun asks the same questions and finds \
            earlier answers in the database's cache. Every candidate is stored with each filter's \
            verdict. A leaf stops at its target (--samples-per-leaf), when its candidate budget is \
            spent, or when new candidates are mostly duplicates (saturated).

            The run's id is printed first. After a crash, kill or Ctrl-C, --resume RUN carries on \
            where it stopped: nothing committed is lost or repeated.

            Examples:
              synthlab generate
              synthlab generate --samples-per-leaf 20 --seed 7 --db runs.sqlite
              synthlab generate --leaf 'knowledge/finance/*' --dry-run
              synthlab generate --changed --pipeline full --model ~/models/granite-7b.Q4_K.gguf
              synthlab generate --resume latest
              synthlab generate --endpoint http://127.0.0.1:8000/v1 --max-in-flight 32
              OPENAI_API_KEY=... synthlab generate --endpoint https://api.example.com/v1 --api-model big-model --requests-per-minute 500
            """
    )

    @Option(help: ArgumentHelp("The taxonomy folder.", valueName: "dir")) var taxonomy = "taxonomy"
    @Option(help: ArgumentHelp("A pipeline name under pipelines/ (simple, full) or a pipeline folder.", valueName: "name|dir"))
    var pipeline = "simple"
    @Option(help: ArgumentHelp("The teacher GGUF model (default: the one `synthlab model pull` installs).", valueName: "gguf"))
    var model: String?
    @Option(help: "Accepted samples to aim for per leaf.") var samplesPerLeaf = 5
    @Option(help: "Most candidates a leaf may use (default: 10 × --samples-per-leaf, at least 20).") var maxCandidatesPerLeaf: Int?
    @Option(help: "The run's random seed: which seeds and chunks each prompt uses, and the teacher's sampling.") var seed: UInt64 = 42
    @Option(help: ArgumentHelp("Only leaves matching this glob, as a folder ('knowledge/finance/*') or taxonomy path.", valueName: "glob"))
    var leaf: String?
    @Flag(help: "Only leaves changed since origin/main (git) or the last recorded state (see `taxonomy check --changed`).")
    var changed = false
    @OptionGroup var store: StoreOptions
    @Option(help: ArgumentHelp("Continue this run (an id, or latest) with the settings it was started with.", valueName: "run"))
    var resume: RunReference?
    @Flag(help: "Print the plan (leaves, prompts, teacher calls, tokens) and exit without asking the teacher.") var dryRun = false
    @Option(help: "Prompts in flight at once (default: 8 with the local teacher, which decodes them together; --max-in-flight with --endpoint).")
    var concurrency: Int?
    @OptionGroup(title: "Remote teacher") var remote: EndpointOptions
    @Option(help: "Threads for the local model's kernels (default: every core).") var threads: Int?
    @Flag(help: "Print the run's outcome and funnel as JSON.") var json = false

    func validate() throws {
        if samplesPerLeaf < 1 { throw ValidationError("--samples-per-leaf must be at least 1") }
        if let maxCandidatesPerLeaf, maxCandidatesPerLeaf < 1 { throw ValidationError("--max-candidates-per-leaf must be at least 1") }
        if let concurrency, concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
        if remote.endpoint != nil && model != nil { throw ValidationError("--model and --endpoint name two teachers; give one") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if resume != nil && dryRun { throw ValidationError("--dry-run plans a new run; it can't be combined with --resume") }
    }

    /// The settings a run records, so `--resume` can rebuild exactly the same plan.
    struct Settings {
        var taxonomy: String
        var pipeline: String
        var model: String
        var samplesPerLeaf: Int
        var maxCandidatesPerLeaf: Int?
        var leaves: [String]?
        /// A remote teacher: its API root, model and the *name* of its key's variable (never the key).
        var endpoint: String?
        var apiModel: String?
        var apiKeyVariable: String?

        var dictionary: [String: String] {
            var values = ["taxonomy": taxonomy, "pipeline": pipeline, "model": model, "samples_per_leaf": String(samplesPerLeaf)]
            if let endpoint { values["endpoint"] = endpoint }
            if let apiModel { values["api_model"] = apiModel }
            if let apiKeyVariable { values["api_key_env"] = apiKeyVariable }
            if let maxCandidatesPerLeaf { values["max_candidates_per_leaf"] = String(maxCandidatesPerLeaf) }
            if let leaves { values["leaves"] = leaves.joined(separator: "\n") }
            return values
        }

        init(taxonomy: String, pipeline: String, model: String, samplesPerLeaf: Int, maxCandidatesPerLeaf: Int?, leaves: [String]?) {
            self.taxonomy = taxonomy
            self.pipeline = pipeline
            self.model = model
            self.samplesPerLeaf = samplesPerLeaf
            self.maxCandidatesPerLeaf = maxCandidatesPerLeaf
            self.leaves = leaves
        }

        init?(_ values: [String: String]) {
            guard let taxonomy = values["taxonomy"], let pipeline = values["pipeline"], let model = values["model"],
                  let samples = values["samples_per_leaf"].flatMap(Int.init) else { return nil }
            self.init(taxonomy: taxonomy, pipeline: pipeline, model: model, samplesPerLeaf: samples,
                      maxCandidatesPerLeaf: values["max_candidates_per_leaf"].flatMap(Int.init),
                      leaves: values["leaves"].map { $0.split(separator: "\n").map(String.init) })
            endpoint = values["endpoint"]
            apiModel = values["api_model"]
            apiKeyVariable = values["api_key_env"]
        }
    }

    /// Whether this process starts a run, resumes one, or joins one as a worker among others.
    enum Mode {
        case start
        case resume(RunReference)
        case join(RunReference)
    }

    func run() async throws {
        // On a server store the run is shareable from the start: this process is its first worker.
        try await execute(mode: resume.map { .resume($0) } ?? .start, worker: store.isShared ? WorkerCommand.defaultWorker() : nil)
    }

    func execute(mode: Mode, worker: GenerationRunner.WorkerOptions?) async throws {
        let store = dryRun ? nil : try self.store.open(readOnly: false)
        var settings: Settings
        var runSeed = seed
        var resumedRun: Int64?
        var joining = false
        let reference: RunReference?
        switch mode {
        case .start: reference = nil
        case .resume(let run): reference = run
        case .join(let run): reference = run; joining = true
        }
        if let resume = reference, let store {
            let id = try resume.resolve(in: store)
            let configuration = try store.runConfiguration(id)
            guard let stored = Settings(configuration.settings) else {
                throw CLIError("run \(id) was not started by `synthlab generate`", hint: "start a new run instead")
            }
            settings = stored
            // A worker on another machine may keep the taxonomy elsewhere; its content hash must still match.
            if joining && taxonomy != "taxonomy" { settings.taxonomy = taxonomy }
            // Likewise its copy of the model, or its own endpoint serving the same model (checked below).
            if joining, let model { settings.model = (model as NSString).expandingTildeInPath }
            let ownEndpoints = try remote.specs()
            if joining, settings.endpoint != nil, !ownEndpoints.isEmpty { settings.endpoint = ownEndpoints.map(\.line).joined(separator: "\n") }
            runSeed = configuration.seed
            resumedRun = id
        } else {
            settings = Settings(taxonomy: taxonomy, pipeline: pipeline,
                                model: model.map { ($0 as NSString).expandingTildeInPath } ?? SynthlabHome().defaultModel.path,
                                samplesPerLeaf: samplesPerLeaf, maxCandidatesPerLeaf: maxCandidatesPerLeaf, leaves: nil)
            let specs = try remote.specs()
            settings.endpoint = specs.isEmpty ? nil : specs.map(\.line).joined(separator: "\n")
        }

        // 1. The taxonomy: refuse to start on any error, listing them all.
        let taxonomyURL = URL(fileURLWithPath: settings.taxonomy)
        let checker = TaxonomyChecker()
        let report = checker.check(taxonomyURL)
        let errors = report.diagnostics.filter { $0.severity == .error }
        if !errors.isEmpty {
            for diagnostic in errors { StandardError.write(diagnostic.description + "\n") }
            throw CLIError("the taxonomy has \(errors.count) error\(errors.count == 1 ? "" : "s"); no run was started",
                           hint: "fix them (`synthlab taxonomy check \(settings.taxonomy)` lists them too), then run again")
        }
        let leaves = try selectLeaves(report, settings: &settings, resuming: resumedRun != nil)

        // 2. The pipeline and the plan: every problem before any teacher call.
        let pipelineDirectory = Self.pipelineDirectory(settings.pipeline, taxonomy: taxonomyURL)
        let plan: GenerationPlan
        do {
            let loaded = try Pipeline.load(directory: pipelineDirectory)
            plan = try GenerationPlan(pipeline: loaded, leaves: leaves, samplesPerLeaf: settings.samplesPerLeaf,
                                      maxCandidatesPerLeaf: settings.maxCandidatesPerLeaf)
        } catch let error as PipelineError {
            throw CLIError(error.description, hint: "fix the pipeline; no teacher was asked anything")
        } catch let error as GenerationError {
            throw CLIError(error.description)
        }
        if dryRun {
            printPlan(plan, settings: settings)
            return
        }
        guard let store else { return }

        // 3. The teacher.
        let teacher: any TextGenerator
        var pool: EndpointPool?
        if let endpoint = settings.endpoint {
            var options = remote
            options.endpoint = endpoint
            options.endpointsFile = nil
            if resumedRun != nil {
                options.apiModel = settings.apiModel
                options.apiKeyVariable = settings.apiKeyVariable ?? options.apiKeyVariable
            }
            let remoteTeacher = try await options.makePool()
            let first = remoteTeacher.members[0]
            settings.apiModel = first.endpoint.model
            settings.apiKeyVariable = options.apiKeyVariable
            let where_ = remoteTeacher.members.count == 1 ? first.endpoint.baseURL.absoluteString : "\(remoteTeacher.members.count) endpoints"
            StandardError.write("synthlab: teacher \(first.endpoint.model) at \(where_)"
                                + (first.hasAPIKey ? " (key from $\(options.apiKeyVariable))" : "") + "\n")
            teacher = remoteTeacher
            pool = remoteTeacher
        } else {
            teacher = try loadTeacher(settings.model == SynthlabHome().defaultModel.path ? nil : settings.model)
        }

        // 4. The run: new, or resumed after checking nothing changed under it.
        let runID: Int64
        if let resumedRun {
            let configuration = try store.runConfiguration(resumedRun)
            if configuration.taxonomyHash != plan.taxonomyHash {
                throw CLIError("cannot resume run \(resumedRun): the taxonomy or its documents changed since it started",
                               hint: "start a new run; answers the teacher already gave are reused from the cache")
            }
            if configuration.pipelineHash != plan.pipeline.contentHash {
                throw CLIError("cannot resume run \(resumedRun): the pipeline '\(settings.pipeline)' changed since it started",
                               hint: "restore the pipeline files, or start a new run")
            }
            if configuration.teacher != teacher.identity {
                throw CLIError("cannot resume run \(resumedRun): the teacher is not the one the run started with",
                               hint: settings.endpoint == nil ? "pass the run's model, \(settings.model)" : "the endpoint must serve model \(settings.apiModel ?? "?")")
            }
            runID = resumedRun
            if joining, try store.runs().first(where: { $0.id == runID })?.status == RunStatus.finished.rawValue {
                StandardError.write("synthlab: run \(runID) is finished; nothing to do\n")
                return
            }
            try store.setRunStatus(runID, .running)
            StandardError.write(joining ? "synthlab: worker \(worker?.name ?? "") joined run \(runID)\n" : "synthlab: resuming run \(runID)\n")
        } else {
            runID = try store.createRun(RunConfiguration(taxonomyHash: plan.taxonomyHash, pipelineHash: plan.pipeline.contentHash,
                                                         teacher: teacher.identity, seed: runSeed, settings: settings.dictionary))
            StandardError.write("synthlab: run \(runID) started (after an interruption: synthlab generate --resume \(runID))\n")
            if let worker {
                StandardError.write("synthlab: working on it as \(worker.name); more workers: synthlab worker --store \(self.store.location.shown) --run \(runID)\n")
            }
        }
        if !json { print("run \(runID)") }

        // 5. Run until done, or until Ctrl-C.
        let runner: GenerationRunner
        do {
            runner = try GenerationRunner(plan: plan, pipelinesRoot: pipelineDirectory.deletingLastPathComponent(), teacher: teacher,
                                          store: store, runID: runID, seed: runSeed,
                                          options: .init(maxInFlight: inFlight(remote: settings.endpoint != nil), worker: worker),
                                          progress: TerminalProgress(unit: "samples"),
                                          noveltyScorer: NoveltyModels.factory(threads: threads))
        } catch {
            throw CLIError(error.description, hint: "fix the pipeline; no teacher was asked anything")
        }
        let task = Task { try await runner.run() }
        let interrupt = InterruptHandler { task.cancel() }
        defer { interrupt.restore() }
        let outcome: GenerationRunner.Outcome
        do {
            outcome = try await task.value
        } catch let error as GenerationError {
            throw CLIError(error.description)
        }
        let funnel = try store.funnel(runID: runID)
        let shares = try store.unitsByWorker(runID: runID)
        let endpointShares = pool.map { $0.members.count > 1 ? $0.shares : [] } ?? []
        let duplicates = try store.runDuplicateCounts(runID: runID)
        if json {
            print(JSONText.encode([
                "run": runID, "accepted": outcome.accepted, "candidates": outcome.candidates, "teacher_calls": outcome.teacherCalls,
                "cached_calls": outcome.cachedCalls, "failed_units": outcome.failedUnits, "funnel": FunnelOutput.jsonObjects(funnel),
                "wall_seconds": outcome.wallSeconds, "teacher_busy_seconds": outcome.teacherBusySeconds,
                "units_committed_here": outcome.unitsCommitted, "commit_seconds_here": outcome.commitSeconds,
                "run_duplicates": ["pairs": duplicates.pairs, "left_out": duplicates.leftOut],
                "workers": shares.map { ["worker": $0.worker, "units": $0.units, "failed_units": $0.failed] as [String: Any] },
                "endpoints": endpointShares.map { ["url": $0.url, "answered": $0.answered, "failed": $0.failed, "healthy": $0.healthy,
                                                   "last_error": $0.lastError ?? NSNull()] as [String: Any] },
            ]))
        } else {
            if duplicates.pairs > 0 {
                print("run-wide duplicates: \(duplicates.pairs) pair(s) of accepted samples across leaves; \(duplicates.leftOut) left out of "
                      + "exports and training (the leaf first by path keeps its copy)")
            }
            if !endpointShares.isEmpty {
                let total = max(1, endpointShares.reduce(0) { $0 + $1.answered })
                print("teacher calls by endpoint (this process): " + endpointShares.map { share in
                    "\(share.url) \(share.answered) (\(100 * share.answered / total)%)" + (share.failed > 0 ? ", \(share.failed) failed" : "")
                        + (share.healthy ? "" : ", down: \(share.lastError ?? "")")
                }.joined(separator: "; "))
            }
            if shares.count > 1 || worker != nil {
                print("units committed by worker: " + shares.map { "\($0.worker) \($0.units)" + ($0.failed > 0 ? " (\($0.failed) failed)" : "") }
                    .joined(separator: ", "))
            }
            print(FunnelOutput.table(funnel), terminator: "")
            print("run \(runID): \(outcome.accepted) accepted of \(outcome.candidates) candidates; "
                  + "\(outcome.teacherCalls) teacher calls, \(outcome.cachedCalls) from the cache")
            if outcome.wallSeconds > 0 {
                let overhead = max(0, outcome.wallSeconds - outcome.teacherBusySeconds)
                print(String(format: "time: %.1f s, teacher busy %.1f s; synthlab's own overhead %.2f s (%.2f%%)",
                             outcome.wallSeconds, outcome.teacherBusySeconds, overhead, 100 * overhead / outcome.wallSeconds))
            }
        }
    }

    /// The leaves to run: all valid ones, narrowed by --leaf and --changed; a resumed run uses
    /// exactly the leaves it started with.
    private func selectLeaves(_ report: TaxonomyReport, settings: inout Settings, resuming: Bool) throws -> [CheckedLeaf] {
        if resuming, let recorded = settings.leaves {
            let wanted = Set(recorded)
            let found = report.leaves.filter { wanted.contains($0.leaf.taxonomyPath) }
            if found.count != wanted.count {
                throw CLIError("cannot resume: leaves of the run are gone from \(settings.taxonomy)",
                               hint: "restore them, or start a new run")
            }
            return found
        }
        var selected = report.leaves
        if let leaf {
            selected = selected.filter { Self.matches(leaf, $0.leaf) }
            if selected.isEmpty {
                throw CLIError("no leaf matches --leaf '\(leaf)'", hint: "`synthlab taxonomy tree` lists the leaves; globs use * and ?")
            }
        }
        if changed {
            let result: ChangedLeaves.Result
            do {
                result = try ChangedLeaves.find(in: report, base: nil, stateFile: nil)
            } catch {
                throw CLIError(error.message, hint: error.hint)
            }
            selected = selected.filter { result.changedFolders.contains($0.leaf.relativePath) }
            StandardError.write("synthlab: \(selected.count) changed leaf/leaves\n")
        }
        guard !selected.isEmpty else {
            throw CLIError("no leaves to generate for", hint: changed ? "nothing changed; drop --changed to run every leaf" : "add leaves to the taxonomy")
        }
        settings.leaves = selected.map(\.leaf.taxonomyPath).sorted()
        return selected
    }

    static func matches(_ pattern: String, _ leaf: Leaf) -> Bool {
        let folderPattern = pattern.replacingOccurrences(of: "->", with: "/")
        return fnmatch(folderPattern, leaf.relativePath, 0) == 0 || fnmatch(folderPattern + "/*", leaf.relativePath, 0) == 0
    }

    /// `--pipeline`: a folder holding pipeline.yaml, else a name under `pipelines/` next to the taxonomy.
    static func pipelineDirectory(_ value: String, taxonomy: URL) -> URL {
        let direct = URL(fileURLWithPath: (value as NSString).expandingTildeInPath)
        if FileManager.default.fileExists(atPath: direct.appendingPathComponent("pipeline.yaml").path) { return direct }
        return taxonomy.standardizedFileURL.deletingLastPathComponent().appendingPathComponent("pipelines").appendingPathComponent(value)
    }

    private func loadTeacher(_ path: String?) throws -> LocalTeacher {
        try TeacherLoading.load(path, threads: threads, configuration: .init(maxBatchSize: max(16, inFlight(remote: false) * 3)))
    }

    /// Units in flight: --concurrency, else 8 for the local teacher and the client's limit for an endpoint.
    private func inFlight(remote isRemote: Bool) -> Int {
        concurrency ?? (isRemote ? remote.maxInFlight : 8)
    }

    private func printPlan(_ plan: GenerationPlan, settings: Settings) {
        let estimate = PlanEstimate(plan)
        if json {
            let data = (try? JSONEncoder().encode(estimate)) ?? Data()
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("plan: pipeline '\(plan.pipeline.name)', \(plan.leaves.count) leaves, \(settings.samplesPerLeaf) accepted samples each")
        var table = TextTable(["leaf", "flow", "inputs", "prompts", "budget", "teacher calls", "max tokens"])
        for leaf in estimate.leaves {
            table.add([leaf.leaf, leaf.flow, String(leaf.distinctInputs), String(leaf.expectedUnits), String(leaf.unitBudget),
                       String(leaf.teacherCalls), String(leaf.completionTokens)])
        }
        print(table.render(), terminator: "")
        print("total: about \(estimate.teacherCalls) teacher calls and at most \(estimate.completionTokens) completion tokens "
              + "(assuming \(Int(estimate.assumedAcceptance * 100))% of candidates are accepted)")
    }
}

/// Turns the first Ctrl-C into a clean stop (the handler runs) and a second into an immediate exit.
final class InterruptHandler: @unchecked Sendable {
    private let source: any DispatchSourceSignal
    private var count = 0

    init(message: String = "stopping after the units in flight (Ctrl-C again to quit at once)", _ onInterrupt: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [unowned self] in
            self.count += 1
            if self.count > 1 { exit(130) }
            StandardError.write("\nsynthlab: \(message)\n")
            onInterrupt()
        }
        source.resume()
    }

    func restore() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
