import ArgumentParser
import Foundation
import LabStore

/// `synthlab store`: moving a store between SQLite and PostgreSQL.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Copy a store between SQLite and PostgreSQL, or show its tables' counts and content hashes.",
        subcommands: [Copy.self, Hashes.self]
    )

    struct Copy: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "copy",
            abstract: "Copy every run, sample, review and training job from one store into an empty one.",
            discussion: """
                FROM and TO are SQLite files or postgres:// URLs, either way round. Ids are kept, so \
                lineage, reviews and training journals still point where they did. The copy is one \
                transaction on TO, committed only after every table's row count and content hash \
                (SHA-256 over its rows in key order) equal FROM's: a failed copy leaves TO as it was. \
                Copy a store while no run writes to it (a running run's later commits are not in the copy).

                Examples:
                  synthlab store copy synthlab.sqlite postgres://synthlab@db.internal/synthlab
                  synthlab store copy postgres://synthlab@db.internal/synthlab backup.sqlite --json
                """
        )

        @Argument(help: ArgumentHelp("The store to copy: a SQLite file or a postgres:// URL.", valueName: "from")) var from: String
        @Argument(help: ArgumentHelp("The empty store to fill (created when it is a new SQLite file).", valueName: "to")) var to: String
        @Flag(help: "Print each table's rows and content hash as JSON.") var json = false

        func run() throws {
            let source = try StoreLocation(from).open(readOnly: true)
            let destination = try StoreLocation(to).open(readOnly: false)
            let started = Date()
            let summaries: [StoreCopy.TableSummary]
            do {
                summaries = try StoreCopy.copy(from: source, to: destination) { table in
                    if !json { StandardError.write("synthlab: \(table.table): \(table.rows) rows, sha256 \(table.sha256.prefix(16))…\n") }
                }
            } catch {
                throw CLIError(error.description, hint: "nothing was written to \(StoreLocation(to).shown)")
            }
            if json {
                print(JSONText.encode(["from": StoreLocation(from).shown, "to": StoreLocation(to).shown, "verified": true,
                                       "tables": summaries.map { ["table": $0.table, "rows": $0.rows, "sha256": $0.sha256] as [String: Any] }]))
            } else {
                print("copied \(summaries.reduce(0) { $0 + $1.rows }) rows in \(summaries.count) tables from \(StoreLocation(from).shown) "
                      + "to \(StoreLocation(to).shown) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s; "
                      + "every table's count and content hash verified")
            }
        }
    }

    struct Hashes: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hashes",
            abstract: "Print each table's row count and content hash (to compare two stores after a copy).",
            discussion: """
                Examples:
                  synthlab store hashes --store postgres://synthlab@db.internal/synthlab
                  synthlab store hashes --db backup.sqlite --json
                """
        )

        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let summaries: [StoreCopy.TableSummary]
            do {
                summaries = try StoreCopy.summaries(of: try store.open(readOnly: true))
            } catch let error as StoreError {
                throw CLIError(error.description)
            }
            if json {
                print(JSONText.encode(summaries.map { ["table": $0.table, "rows": $0.rows, "sha256": $0.sha256] as [String: Any] }))
                return
            }
            var table = TextTable(["table", "rows", "sha256"])
            for summary in summaries { table.add([summary.table, String(summary.rows), summary.sha256]) }
            print(table.render(), terminator: "")
        }
    }
}
