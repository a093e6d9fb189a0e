import ArgumentParser
import Foundation
import LabStore

/// `--store URL|FILE` (or `--db FILE`, or `$SYNTHLAB_STORE`), shared by every command that reads
/// or writes the store.
struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The store: a SQLite file, or postgres://user@host:5432/database for a store that workers on many machines share (default: $SYNTHLAB_STORE, else synthlab.sqlite).",
                               valueName: "url|file"))
    var store: String?

    @Option(help: ArgumentHelp("The SQLite database of runs and samples (the same as --store FILE).", valueName: "file"))
    var db: String?

    func validate() throws {
        if store != nil && db != nil { throw ValidationError("--store and --db both name the store; give one") }
    }

    /// What the options name: --store, --db, $SYNTHLAB_STORE, then synthlab.sqlite in this folder.
    var location: StoreLocation {
        StoreLocation(store ?? db ?? ProcessInfo.processInfo.environment["SYNTHLAB_STORE"].flatMap { $0.isEmpty ? nil : $0 } ?? "synthlab.sqlite")
    }

    /// Whether the store is shared with other processes by design (a server), so `generate` works
    /// on it as one worker among others.
    var isShared: Bool { location.isServer }

    /// Opens the store; `readOnly` for commands that only look (a missing SQLite file is then an error).
    func open(readOnly: Bool) throws -> SampleStore {
        try location.open(readOnly: readOnly)
    }
}

/// A run id on the command line: a number, or `latest` for the newest run.
enum RunReference: ExpressibleByArgument, Equatable {
    case latest
    case id(Int64)

    init?(argument: String) {
        if argument == "latest" {
            self = .latest
        } else if let id = Int64(argument), id > 0 {
            self = .id(id)
        } else {
            return nil
        }
    }

    static var defaultCompletionKind: CompletionKind { .default }

    /// The run's id in `store`, or a clear error when there is none.
    func resolve(in store: SampleStore) throws -> Int64 {
        switch self {
        case .latest:
            guard let id = try store.latestRunID() else {
                throw CLIError("the database has no runs yet", hint: "start one with `synthlab generate`")
            }
            return id
        case .id(let id):
            guard try store.runExists(id) else {
                throw CLIError("no run \(id) in \(store.path)", hint: "`synthlab runs list` shows the runs")
            }
            return id
        }
    }
}

/// JSON text for scripts: sorted keys, no escaped slashes.
enum JSONText {
    /// One line of JSON (for JSON Lines output), keys sorted.
    static func compact(_ object: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("null".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func encode(_ object: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data("null".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
