// review-bench-store: makes a large store for bench/review through the store's own API (so the
// schema and indexes are exactly what `synthlab review` reads). Question and answer texts come from
// the labelled candidates of bench/quality, each copy numbered so text search has distinct rows;
// verdicts follow the simple pipeline's filters, with about 1 candidate in 8 accepted, as in real runs.
//
//   review-bench-store --db /tmp/review-bench.sqlite --samples 100000
import Foundation
import LabCore
import LabStore

@main
struct ReviewBenchStore {
    static let filters = ["parse", "format", "leak", "self_contained", "answers_question", "on_leaf", "numbers", "claims",
                          "arithmetic", "definitions", "safety", "dedup"]

    static func main() {
        do { try run() } catch {
            FileHandle.standardError.write(Data("review-bench-store: \(error)\n".utf8))
            exit(1)
        }
    }

    static func run() throws {
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        var path = "/tmp/review-bench.sqlite", count = 100_000, pool = "bench/quality"
        while let argument = arguments.next() {
            switch argument {
            case "--db": path = arguments.next() ?? path
            case "--samples": count = Int(arguments.next() ?? "") ?? count
            case "--texts": pool = arguments.next() ?? pool
            default:
                FileHandle.standardError.write(Data("usage: review-bench-store [--db FILE] [--samples N] [--texts bench/quality]\n".utf8))
                exit(2)
            }
        }
        let texts = try loadTexts(from: URL(fileURLWithPath: pool))
        guard !texts.isEmpty else { throw StoreError(.notFound, path: pool, detail: "no labelled candidates (*.jsonl) here") }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let store = try SampleStore(url: URL(fileURLWithPath: path))
        let runID = try store.createRun(RunConfiguration(taxonomyHash: "bench", pipelineHash: "bench", teacher: "bench:review", seed: 1,
                                                         settings: ["pipeline": "simple", "samples_per_leaf": "\(count / 8)"]))
        let leafPaths = Array(Set(texts.map(\.leaf))).sorted()
        var leafIDs: [String: (leaf: Int64, seeds: [Int64])] = [:]
        for leaf in leafPaths {
            let seeds = texts.filter { $0.leaf == leaf }.prefix(3).map { (context: $0.context, question: $0.question, answer: $0.answer) }
            let added = try store.addLeaf(runID: runID, taxonomyPath: leaf, kind: leaf.hasPrefix("knowledge") ? "knowledge" : "freeform_skill",
                                          contentHash: "bench", target: count / 8 / leafPaths.count, seeds: Array(seeds))
            leafIDs[leaf] = (added.leafID, added.seedIDs)
        }
        var random = SeededRandom(seed: 7)
        let unitSize = 200
        let started = Date()
        for unit in 0..<((count + unitSize - 1) / unitSize) {
            var samples: [NewSample] = []
            for index in (unit * unitSize)..<min(count, (unit + 1) * unitSize) {
                let text = texts[index % texts.count]
                let (leafID, seeds) = leafIDs[text.leaf]!
                samples.append(NewSample(leafID: leafID, responseID: nil, chunkID: nil, seedIDs: seeds, question: "\(text.question) [#\(index)]",
                                         answer: text.answer, context: text.context, verdicts: verdicts(&random)))
            }
            try store.completeUnit(runID: runID, unitKey: "bench-\(unit)", samples: samples, leafID: nil, unitIndex: unit)
        }
        try store.endRun(runID, status: .finished)
        print("wrote \(count) samples to \(path) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }

    /// The filters in order until the first rejection (1 in 8 candidates passes them all).
    static func verdicts(_ random: inout SeededRandom) -> [Verdict] {
        let rejectAt: Int? = Double.random(in: 0..<1, using: &random) < 0.125 ? nil : Int(Double.random(in: 0..<1, using: &random) * Double(filters.count))
        var verdicts: [Verdict] = []
        for (index, filter) in filters.enumerated() {
            let rejected = index == rejectAt
            let score = rejected ? Double.random(in: 0..<1, using: &random) * 0.5 : 0.5 + Double.random(in: 0..<1, using: &random) * 0.5
            verdicts.append(Verdict(filter: filter, filterVersion: "1", score: score, threshold: 0.5, decision: rejected ? .reject : .accept,
                                    reason: rejected ? "\(filter) found a problem" : "passed",
                                    evidence: rejected ? #"{"matched":"bench"}"# : nil))
            if rejected { break }
        }
        return verdicts
    }

    struct Text { var leaf: String; var question: String; var answer: String; var context: String? }

    static func loadTexts(from folder: URL) throws -> [Text] {
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "jsonl" }.sorted { $0.path < $1.path }
        return try files.flatMap { file in
            try String(contentsOf: file, encoding: .utf8).split(separator: "\n").compactMap { line -> Text? in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let leaf = object["leaf"] as? String, let question = object["question"] as? String, let answer = object["answer"] as? String
                else { return nil }
                return Text(leaf: leaf.replacingOccurrences(of: "/", with: "->"), question: question, answer: answer, context: object["context"] as? String)
            }
        }
    }
}
