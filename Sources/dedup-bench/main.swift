// dedup-bench: the cost of the run-wide duplicate check (RunDuplicates) per candidate, on a store
// holding N accepted samples spread over 40 leaves (questions of 8–14 words drawn from a 5,000-word
// vocabulary, so nearly all distinct, as accepted samples are). It times units of one accepted
// sample (checked against the index, then indexed) against units of one rejected sample (no check),
// alternating, and prints the medians and their difference: the check's cost per candidate.
//
//   dedup-bench [--store FILE|postgres://…] [--accepted 100000] [--probes 1000]
import ArgumentParser
import Foundation
import LabCore
import LabStore
import LabStorePostgres

@main
struct DedupBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dedup-bench", abstract: "The run-wide duplicate check's cost per candidate on a store of N accepted samples.")

    @Option(help: ArgumentHelp("A SQLite file (replaced) or a postgres:// URL (an empty database).", valueName: "file|url"))
    var store = "/tmp/dedup-bench.sqlite"
    @Option(help: "Accepted samples in the index before timing.") var accepted = 100_000
    @Option(help: "Timed units of each kind.") var probes = 1_000

    func run() throws {
        let location = self.store, accepted = self.accepted, probes = self.probes
        let store: SampleStore
        if PostgresDatabase.accepts(location) {
            store = SampleStore(database: try PostgresDatabase(url: location))
        } else {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: location + suffix) }
            store = try SampleStore(url: URL(fileURLWithPath: location))
        }
        let runID = try store.createRun(RunConfiguration(taxonomyHash: "bench", pipelineHash: "bench", teacher: "bench:dedup", seed: 1))
        let leaves = try (0..<40).map { index in
            try store.addLeaf(runID: runID, taxonomyPath: "compositional_skills->bench->leaf_\(index)", kind: "freeform_skill",
                              contentHash: "bench", target: accepted, seeds: [(nil, "Seed \(index)?", "Seed answer.")])
        }
        var random = SeededRandom(seed: 11)
        let vocabulary = (0..<5_000).map { "w\($0)" }
        func question() -> String {
            (0..<(8 + Int(random.next() % 7))).map { _ in vocabulary[Int(random.next() % UInt64(vocabulary.count))] }.joined(separator: " ") + "?"
        }
        func sample(_ leaf: (leafID: Int64, seedIDs: [Int64]), accepted: Bool) -> NewSample {
            NewSample(leafID: leaf.leafID, responseID: nil, chunkID: nil, seedIDs: leaf.seedIDs, question: question(), answer: "An answer.",
                      context: nil, verdicts: accepted ? [] : [Verdict(filter: "leak", filterVersion: "1", decision: .reject, reason: "bench")])
        }
        let started = Date()
        let unitSize = 200
        for unit in 0..<((accepted + unitSize - 1) / unitSize) {
            let leaf = leaves[unit % leaves.count]
            let samples = (0..<min(unitSize, accepted - unit * unitSize)).map { _ in sample(leaf, accepted: true) }
            try store.completeUnit(runID: runID, unitKey: "fill-\(unit)", samples: samples, leafID: leaf.leafID, unitIndex: unit)
        }
        let filled = Date().timeIntervalSince(started)
        var checked: [Double] = [], unchecked: [Double] = []
        for probe in 0..<probes {
            let leaf = leaves[probe % leaves.count]
            for isAccepted in [true, false] {
                let begin = DispatchTime.now().uptimeNanoseconds
                try store.completeUnit(runID: runID, unitKey: "probe-\(probe)-\(isAccepted)", samples: [sample(leaf, accepted: isAccepted)],
                                       leafID: leaf.leafID, unitIndex: 0)
                let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e6
                if isAccepted { checked.append(milliseconds) } else { unchecked.append(milliseconds) }
            }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let pairs = try store.runDuplicateCounts(runID: runID).pairs
        print(String(format: "store %@: %d accepted samples indexed in %.1f s; unit of 1 accepted sample (checked + indexed) median %.3f ms, "
                     + "of 1 rejected (no check) %.3f ms: the run-wide check costs %.3f ms per candidate (%d probes, %d pairs found)",
                     location.hasPrefix("postgres") ? "PostgreSQL" : "SQLite", accepted, filled, median(checked), median(unchecked),
                     median(checked) - median(unchecked), probes, pairs))
    }
}
