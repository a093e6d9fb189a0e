import ArgumentParser
import Foundation
import LabGeneration
import LabStore

/// `synthlab worker`: join a run on a shared store and work on it alongside other workers.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Join a generation run on a shared store and work on it, on this machine, alongside other workers.",
        discussion: """
            A run started with `synthlab generate --store postgres://…` can be worked on by any \
            number of workers, on any machines that reach the database and hold the same taxonomy \
            and pipeline files (checked by content hash). Each worker takes leaves under a lease \
            it renews every third of --lease-seconds; a worker that dies (kill -9, network cut) \
            stops renewing, and another takes its leaves over from their last committed unit. \
            The run's samples are the same as one process would make with the same seed and \
            teacher: each leaf's units are committed in order, each exactly once.

            A worker exits when no leaf of the run is left open; the last one marks the run finished.

            Examples:
              synthlab worker --store postgres://synthlab@db.internal/synthlab
              synthlab worker --store postgres://synthlab@db.internal/synthlab --run 12 --endpoint http://gpu-3:8000/v1
              SYNTHLAB_STORE=postgres://synthlab@db.internal/synthlab synthlab worker --max-leaves 4
            """
    )

    @OptionGroup var store: StoreOptions
    @Option(help: ArgumentHelp("The run to work on: an id, or latest.", valueName: "run")) var run: RunReference = .latest
    @Option(help: ArgumentHelp("Where this machine keeps the run's taxonomy (default: the path the run was started with).", valueName: "dir"))
    var taxonomy: String?
    @Option(help: ArgumentHelp("The teacher GGUF model, when the run's path does not hold on this machine (same file, checked by hash).", valueName: "gguf"))
    var model: String?
    @Option(help: "Seconds a lease lasts without renewal: a dead worker's leaves are taken over after this long.") var leaseSeconds: Double = 30
    @Option(help: "Leaves this worker holds at once.") var maxLeaves = 2
    @Option(help: ArgumentHelp("This worker's name in the store (default: host:pid:random).", valueName: "name")) var name: String?
    @Option(help: "Prompts in flight at once (default: 8 with the local teacher; --max-in-flight with --endpoint).") var concurrency: Int?
    @OptionGroup(title: "Remote teacher") var remote: EndpointOptions
    @Option(help: "Threads for the local model's kernels (default: every core).") var threads: Int?
    @Option(help: "Seconds to wait for the run to appear (a worker started together with `generate`).") var waitSeconds: Double = 60
    @Flag(help: "Print the run's outcome as JSON.") var json = false

    func validate() throws {
        if leaseSeconds < 0.3 { throw ValidationError("--lease-seconds must be at least 0.3") }
        if maxLeaves < 1 { throw ValidationError("--max-leaves must be at least 1") }
        if let concurrency, concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
    }

    /// Returns once the run exists: workers are often started with the `generate` that creates it.
    private func waitForRun() async throws {
        let store = try self.store.open(readOnly: false)
        let deadline = Date().addingTimeInterval(waitSeconds)
        var said = false
        while true {
            let exists: Bool = switch run {
            case .latest: try store.latestRunID() != nil
            case .id(let id): try store.runExists(id)
            }
            if exists { return }
            if Date() >= deadline { return }  // `resolve` then says what is missing and what to do
            if !said {
                StandardError.write("synthlab: waiting up to \(Int(waitSeconds)) s for the run to start in \(self.store.location.shown)\n")
                said = true
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    /// host:pid:random — unique among a run's workers.
    static func defaultWorker(name: String? = nil, leaseSeconds: Double = 30, maxLeaves: Int = 2) -> GenerationRunner.WorkerOptions {
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let generated = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(random)"
        return GenerationRunner.WorkerOptions(name: name ?? generated, leaseSeconds: leaseSeconds, maxLeaves: maxLeaves)
    }

    func run() async throws {
        try await waitForRun()
        var generate = try GenerateCommand.parse([])
        generate.store = store
        generate.remote = remote
        generate.threads = threads
        generate.concurrency = concurrency
        generate.json = json
        generate.model = model
        if let taxonomy { generate.taxonomy = taxonomy }
        try await generate.execute(mode: .join(run), worker: Self.defaultWorker(name: name, leaseSeconds: leaseSeconds, maxLeaves: maxLeaves))
    }
}
