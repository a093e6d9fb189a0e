import ArgumentParser
import Foundation
import LabCore
import LabReview
import LabStore

/// `synthlab review`: the curator's web page over the store.
struct ReviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Review samples in the browser: lineage, verdicts, accept, reject or edit.",
        discussion: """
            Serves a web page over the store (no model is loaded): the runs with a per-leaf funnel, \
            each run's samples filtered by leaf, status, rejecting filter, curator decision and text, \
            and each sample with its context, seeds, prompt, teacher reply and verdicts. Decisions \
            are stored with the reviewer's name and time; `synthlab export` and `synthlab train` \
            follow them (a curator-rejected sample leaves the training rows, a curator-accepted one \
            joins them, an edit is exported as edited). Keys on the page: j/k next/previous, a \
            accept, r reject, e edit, ? help.

            The server binds 127.0.0.1. Any other --host needs --token-env NAME: the variable's \
            value is the access token, sent as `Authorization: Bearer …` or typed into the login form.
            The page works while `synthlab generate` writes to the same store.

            Examples:
              synthlab review                                   # http://127.0.0.1:8080
              synthlab review --db runs.sqlite --port 0         # any free port, printed first
              synthlab review --read-only --reviewer alice
              REVIEW_TOKEN=s3cret synthlab review --host 0.0.0.0 --token-env REVIEW_TOKEN
              synthlab review --export-labels labels.jsonl      # reviewed samples as a labelled set
            """
    )

    @OptionGroup var store: StoreOptions
    @Option(help: "The address to listen on; anything but loopback needs --token-env.") var host = "127.0.0.1"
    @Option(help: "The port to listen on (0: any free port).") var port = 8080
    @Flag(help: "Show samples only: no forms, every POST refused; the store is opened read-only.") var readOnly = false
    @Option(help: "The name decisions are stored under (default: the OS user).") var reviewer: String?
    @Option(help: ArgumentHelp("An environment variable holding the access token.", valueName: "NAME")) var tokenEnv: String?
    @Option(help: ArgumentHelp("Write the reviewed samples as a labelled set (bench/quality format) and exit.", valueName: "file"))
    var exportLabels: String?
    @Option(help: "With --export-labels: only this run (an id or latest; default every run).") var run: RunReference?

    func validate() throws {
        if !(0...65_535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
        if let reviewer, reviewer.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--reviewer must not be empty") }
    }

    func run() async throws {
        if let exportLabels {
            try writeLabels(to: exportLabels)
            return
        }
        var token: String?
        if let tokenEnv {
            guard let value = ProcessInfo.processInfo.environment[tokenEnv], !value.isEmpty else {
                throw CLIError("$\(tokenEnv) is not set or empty", hint: "export it with the token reviewers must give, or drop --token-env")
            }
            token = value
        }
        if !ReviewServer.isLoopback(host) && token == nil {
            throw CLIError("refusing to serve the review page on \(host) without an access token",
                           hint: "set one: REVIEW_TOKEN=… synthlab review --host \(host) --token-env REVIEW_TOKEN (or keep the default 127.0.0.1)")
        }
        // Reviewing never starts a store: a missing file is a wrong folder or --db, not an empty store.
        if !store.location.exists {
            throw CLIError("no database at \(store.location.shown)", hint: "run `synthlab generate` first, or pass the right file with --db")
        }
        let store = try store.open(readOnly: readOnly)
        let name = reviewer ?? Self.osUser()
        let server: ReviewServer
        do {
            server = try ReviewServer(store: store, configuration: .init(host: host, port: port, readOnly: readOnly, reviewer: name, token: token))
        } catch {
            throw CLIError("\(error)")
        }
        do {
            try await server.run { port in
                // The first line on stdout is the page's address, for scripts that use port 0.
                let shownHost = host.contains(":") ? "[\(host)]" : host
                StandardOutput.write("http://\(shownHost):\(port)/\n")
                StandardError.write("synthlab: reviewing \(store.path) as \(name)\(readOnly ? " (read-only)" : ""); Ctrl-C stops\n")
            }
        } catch {
            throw CLIError("the review server stopped: \(error)", hint: "is port \(port) already in use? pick another with --port (0: any free one)")
        }
    }

    private func writeLabels(to path: String) throws {
        let store = try store.open(readOnly: true)
        let runID = try run.map { try $0.resolve(in: store) }
        let lines = LabelExport.lines(try store.reviewedSamples(runID: runID))
        if lines.isEmpty { throw CLIError("no reviewed samples\(runID.map { " in run \($0)" } ?? "")", hint: "review some with `synthlab review` first") }
        do {
            try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CLIError("could not write \(path): \(error.localizedDescription)", hint: "check the folder exists and has space")
        }
        StandardError.write("synthlab: wrote \(lines.count) labelled samples to \(path)\n")
    }

    static func osUser() -> String {
        let environment = ProcessInfo.processInfo.environment
        return environment["USER"] ?? environment["LOGNAME"] ?? NSUserName()
    }
}
