import ArgumentParser
import Foundation
import LabStore

/// `synthlab runs`: list, show and explain generation runs.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List generation runs, show one, or explain its funnel.",
        discussion: """
            Examples:
              synthlab runs list
              synthlab runs show latest
              synthlab runs funnel latest --json
              synthlab runs funnel 3 --db other.sqlite
            """,
        subcommands: [List.self, Show.self, Funnel.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every run with its status and sample counts.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print a JSON array.") var json = false

        func run() async throws {
            let runs = try store.open(readOnly: true).runs()
            if json {
                print(JSONText.encode(runs.map { ["id": $0.id, "created_at": $0.createdAt, "status": $0.status, "teacher": $0.teacher,
                                                  "accepted": $0.accepted, "rejected": $0.rejected] as [String: Any] }))
                return
            }
            guard !runs.isEmpty else {
                print("no runs yet (start one with `synthlab generate`)")
                return
            }
            var table = TextTable(["run", "created", "status", "accepted", "rejected", "teacher"])
            for run in runs {
                table.add([String(run.id), run.createdAt, run.status, String(run.accepted), String(run.rejected), String(run.teacher.prefix(40))])
            }
            print(table.render(), terminator: "")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A run's configuration, teacher usage, failures and funnel.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "A run id, or latest.") var run: RunReference = .latest
        @Flag(help: "Print a JSON object.") var json = false

        func run() async throws {
            let store = try store.open(readOnly: true)
            let id = try run.resolve(in: store)
            let detail = try store.runDetail(id)
            let funnel = try store.funnel(runID: id)
            let reviews = try store.reviewSummary(runID: id)
            let workers = try store.unitsByWorker(runID: id)
            let duplicates = try store.runDuplicateCounts(runID: id)
            if json {
                var object = FunnelOutput.runObject(detail)
                object["funnel"] = FunnelOutput.jsonObjects(funnel)
                object["run_duplicates"] = ["pairs": duplicates.pairs, "left_out": duplicates.leftOut]
                object["workers"] = workers.map { ["worker": $0.worker, "units": $0.units, "failed_units": $0.failed] as [String: Any] }
                object["reviews"] = [
                    "reviewed": reviews.reviewed, "reviewed_accepted": reviews.reviewedAccepted, "confirmed_accepted": reviews.confirmedAccepted,
                    "edited_accepted": reviews.editedAccepted, "reviewed_rejected": reviews.reviewedRejected, "rescued": reviews.rescued,
                    "precision": reviews.precision as Any, "rejections_by_reason": reviews.rejectionsByReason,
                ] as [String: Any]
                print(JSONText.encode(object))
                return
            }
            let c = detail.configuration
            print("run \(id): \(detail.summary.status), started \(detail.summary.createdAt)\(detail.finishedAt.map { ", ended \($0)" } ?? "")")
            print("  teacher   \(c.teacher)")
            print("  seed      \(c.seed)")
            // The local model is recorded with every run but is not the teacher of an endpoint run.
            let shown = c.settings.filter { $0.key != "leaves" && !($0.key == "model" && c.settings["endpoint"] != nil) }
            for (key, value) in shown.sorted(by: { $0.key < $1.key }) {
                print("  \(key.padding(toLength: max(9, key.count), withPad: " ", startingAt: 0)) \(value)")
            }
            print("  requests  \(detail.teacherRequests) (\(detail.promptTokens) prompt + \(detail.completionTokens) completion tokens)")
            print("  samples   \(detail.summary.accepted) accepted, \(detail.summary.rejected) rejected")
            if duplicates.pairs > 0 {
                print("  run-wide  \(duplicates.pairs) duplicate pair(s) across leaves, \(duplicates.leftOut) accepted sample(s) left out of exports")
            }
            if workers.contains(where: { $0.worker != "local" }) {
                print("  workers   " + workers.map { "\($0.worker) \($0.units) units" + ($0.failed > 0 ? " (\($0.failed) failed)" : "") }
                    .joined(separator: ", "))
            }
            if !detail.failures.isEmpty {
                print("  failed units: \(detail.failures.count)")
                for failure in detail.failures.prefix(10) { print("    \(failure.leaf) #\(failure.unit): \(failure.error)") }
            }
            print("  reviews   " + Self.reviewLine(reviews))
            print("")
            print(FunnelOutput.table(funnel), terminator: "")
        }

        /// What curators' reviews measured: the filters' precision and the rejected samples rescued.
        static func reviewLine(_ r: ReviewSummary) -> String {
            guard r.reviewed > 0 else { return "none yet (`synthlab review` to review samples)" }
            var parts = ["\(r.reviewed) reviewed"]
            if let precision = r.precision {
                parts.append(String(format: "precision of the filters' accepts %.2f (%d of %d reviewed accepts right as generated", precision,
                                    r.confirmedAccepted, r.reviewedAccepted) + (r.editedAccepted > 0 ? ", \(r.editedAccepted) right after an edit)" : ")"))
            }
            if r.reviewedRejected > 0 { parts.append("\(r.rescued) of \(r.reviewedRejected) reviewed rejections rescued by curators") }
            if !r.rejectionsByReason.isEmpty {
                parts.append("curator rejections: " + r.rejectionsByReason.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            }
            return parts.joined(separator: "; ")
        }
    }

    struct Funnel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Per leaf: candidates → parsed → rejected by each filter (top reasons) → accepted.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "A run id, or latest.") var run: RunReference = .latest
        @Flag(help: "Print a JSON array of per-leaf objects.") var json = false

        func run() async throws {
            let store = try store.open(readOnly: true)
            let funnel = try store.funnel(runID: try run.resolve(in: store))
            print(json ? JSONText.encode(FunnelOutput.jsonObjects(funnel)) : FunnelOutput.table(funnel), terminator: json ? "\n" : "")
        }
    }
}

/// The funnel as a table for people and as JSON for scripts.
enum FunnelOutput {
    static func jsonObjects(_ funnel: [LeafFunnel]) -> [[String: Any]] {
        funnel.map { leaf in
            [
                "leaf": leaf.leaf, "kind": leaf.kind, "status": leaf.status, "target": leaf.target,
                "candidates": leaf.candidates, "parsed": leaf.parsed, "accepted": leaf.accepted, "failed_units": leaf.failedUnits,
                "rejected": leaf.rejectedBy,
                "top_reasons": leaf.topReasons.map { ["reason": $0.reason, "count": $0.count] as [String: Any] },
            ]
        }
    }

    static func runObject(_ detail: RunDetail) -> [String: Any] {
        [
            "id": detail.summary.id, "status": detail.summary.status, "created_at": detail.summary.createdAt,
            "finished_at": detail.finishedAt as Any, "teacher": detail.configuration.teacher, "seed": detail.configuration.seed,
            "settings": detail.configuration.settings, "accepted": detail.summary.accepted, "rejected": detail.summary.rejected,
            "teacher_requests": detail.teacherRequests, "prompt_tokens": detail.promptTokens, "completion_tokens": detail.completionTokens,
            "failures": detail.failures.map { ["leaf": $0.leaf, "unit": $0.unit, "error": $0.error] as [String: Any] },
        ]
    }

    static func table(_ funnel: [LeafFunnel]) -> String {
        guard !funnel.isEmpty else { return "no leaves in this run\n" }
        let filters = Array(Set(funnel.flatMap(\.rejectedBy.keys))).sorted()
        var table = TextTable(["leaf", "status", "candidates", "parsed"] + filters.map { "-\($0)" } + ["accepted", "target"])
        for leaf in funnel {
            table.add([leaf.leaf, leaf.status, String(leaf.candidates), String(leaf.parsed)]
                      + filters.map { String(leaf.rejectedBy[$0] ?? 0) } + [String(leaf.accepted), String(leaf.target)])
        }
        let totalAccepted = funnel.reduce(0) { $0 + $1.accepted }
        let totalCandidates = funnel.reduce(0) { $0 + $1.candidates }
        var text = table.render()
        text += "total: \(totalAccepted) accepted of \(totalCandidates) candidates\n"
        let explained = funnel.filter { !$0.topReasons.isEmpty || $0.failedUnits > 0 }
        if !explained.isEmpty {
            text += "\nwhy candidates were rejected (most common first):\n"
            for leaf in explained {
                let reasons = leaf.topReasons.map { "\($0.reason) ×\($0.count)" }
                    + (leaf.failedUnits > 0 ? ["teacher failed on \(leaf.failedUnits) prompt(s): see `synthlab runs show`"] : [])
                text += "  \(leaf.leaf): " + reasons.joined(separator: "; ") + "\n"
            }
        }
        return text
    }
}

/// A plain left-aligned text table.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []

    init(_ header: [String]) { self.header = header }

    mutating func add(_ row: [String]) { rows.append(row) }

    func render() -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
