import ArgumentParser
import Foundation
import LabStore

/// `--db FILE`, shared by every command that reads or writes the store.
struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The SQLite database of runs and samples.", valueName: "file"))
    var db = "synthlab.sqlite"

    var url: URL { URL(fileURLWithPath: (db as NSString).expandingTildeInPath) }

    /// Opens the store; `readOnly` for commands that only look (a missing file is then an error).
    func open(readOnly: Bool) throws -> SampleStore {
        if readOnly && !FileManager.default.fileExists(atPath: url.path) {
            throw CLIError("no database at \(db)", hint: "run `synthlab generate` first, or pass the right file with --db")
        }
        do {
            return try SampleStore(url: url, readOnly: readOnly)
        } catch {
            throw CLIError(error.description)
        }
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
