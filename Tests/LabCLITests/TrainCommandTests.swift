import Foundation
import LabCore
import LabStore
import LabTestSupport
import Testing

/// A tiny model and InstructLab-format JSONL rows (two knowledge leaves, two skill leaves) in a
/// temporary folder, for driving `synthlab train` through the binary.
private struct TrainProject {
    let root: URL
    var base: String { root.appendingPathComponent("tiny.gguf").path }
    var jsonl: String { root.appendingPathComponent("rows.jsonl").path }
    var db: String { root.appendingPathComponent("train.sqlite").path }

    init(rowsPerLeaf: Int = 6) throws {
        root = try TestPaths.temporaryDirectory("train-cli")
        try TinyDecoderModel.write(to: root.appendingPathComponent("tiny.gguf"), seed: 11)
        var lines: [String] = []
        for (leaf, unmask) in [("knowledge/a", true), ("knowledge/b", true), ("skills/c", false), ("skills/d", false)] {
            for i in 0..<rowsPerLeaf {
                let row: [String: Any] = [
                    "id": "\(leaf)/\(i)", "unmask": unmask, "metadata": "{\"leaf\": \"\(leaf)\"}",
                    "messages": [["role": "user", "content": "Question \(i) about \(leaf)?"],
                                 ["role": "assistant", "content": "Answer \(i): \(leaf) is item \(i * 3 % 7)."]],
                ]
                lines.append(String(decoding: try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys]), as: UTF8.self))
            }
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: jsonl, atomically: true, encoding: .utf8)
    }

    func trainArguments(_ output: String, _ extra: [String] = []) -> [String] {
        ["train", "--db", db, "--jsonl", jsonl, "--base", base, "-o", root.appendingPathComponent(output).path,
         "--batch-size", "2", "--lr", "1e-3", "--threads", "1"] + extra
    }

    func run(_ arguments: [String]) -> Subprocess.Result { SynthlabBinary.run(arguments, in: root) }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

@Suite("synthlab train and eval through the binary", .serialized)
struct TrainCommandTests {
    @Test("train writes both phases' models and the evaluation; eval shows it and scores another model")
    func trainAndEval() throws {
        let project = try TrainProject()
        defer { project.remove() }
        let result = project.run(project.trainArguments("out", ["--epochs", "2", "--json"]))
        try #require(result.status == 0, "\(result.errorSummary)")
        let json = try #require(try JSONSerialization.jsonObject(with: result.output) as? [String: Any])
        let checkpoints = try #require(json["checkpoints"] as? [String])
        #expect(checkpoints.map { URL(fileURLWithPath: $0).lastPathComponent } == ["phase1.gguf", "phase2.gguf"])
        #expect(checkpoints.allSatisfy { FileManager.default.fileExists(atPath: $0) })
        let stages = try #require(json["evaluations"] as? [[String: Any]])
        #expect(stages.compactMap { $0["stage"] as? String } == ["base", "after knowledge", "after skills"])
        #expect(result.errorText.contains("knowledge phase: "), "progress on stderr")

        let table = project.run(["eval", "--db", project.db, "--training", "latest"])
        #expect(table.status == 0 && table.outputText.contains("general text") && table.outputText.contains("after skills"))
        let scored = project.run(["eval", "--db", project.db, "--training", "latest", "--model", project.base, "--json"])
        #expect(scored.status == 0, "\(scored.errorSummary)")
        let evaluations = try #require((try JSONSerialization.jsonObject(with: scored.output) as? [String: Any])?["evaluations"] as? [[String: Any]])
        let base = try #require(evaluations.first?["results"] as? [[String: Any]])
        let rescored = try #require(evaluations.last?["results"] as? [[String: Any]])
        #expect(evaluations.last?["stage"] as? String == "tiny.gguf")
        for (a, b) in zip(base, rescored) {
            #expect(abs((a["loss"] as? Double ?? 0) - (b["loss"] as? Double ?? 1)) < 1e-6, "the base model scores as it did before training")
        }
    }

    @Test("kill -9 mid-training, then --resume, ends with the same model bytes as an uninterrupted run",
          arguments: [(0, [String]()), (1, []), (2, ["--method", "osft", "--unfreeze-rank-ratio", "0.5"]),
                      (3, ["--lora-rank", "4", "--qlora"])])
    func killAndResume(trial: Int, method: [String]) throws {
        let project = try TrainProject()
        defer { project.remove() }
        // No general benchmark, so the kill lands in training (resuming during evaluation is TaskAccuracyTests').
        let settings = ["--epochs", "30", "--save-every", "1", "--general-mc", "none"] + method
        let started = Date()
        let straight = project.run(project.trainArguments("straight", settings))
        try #require(straight.status == 0, "\(straight.errorSummary)")
        let duration = Date().timeIntervalSince(started)

        let process = Process()
        process.executableURL = SynthlabBinary.url
        process.arguments = project.trainArguments("killed", settings)
        process.currentDirectoryURL = project.root
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Once the job has recorded its first one to three step checkpoints (chosen by the trial),
        // so the kill lands in training whatever the machine's load: a kill time taken from the
        // uninterrupted run's duration missed the training once, when that run had been slowed by
        // the tests around it and this one was not. A checkpoint is recorded in the journal after
        // its files are written, so the files of the next one say it is: wait for target + 1.
        var random = SeededRandom(seed: UInt64(trial), stream: "train-kill")
        let target = 1 + Int(random.next() % 3)
        let resume = project.root.appendingPathComponent("killed/.resume").path
        var seen = Set<String>()
        let deadline = Date().addingTimeInterval(max(120, duration * 4))
        while process.isRunning, seen.count <= target, Date() < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: resume)) ?? []
            for name in names where name.contains("-step") {
                seen.insert(String(name.prefix { $0 != "." }))
            }
            Thread.sleep(forTimeInterval: 0.002)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let final = project.root.appendingPathComponent("killed/phase2.gguf").path
        try #require(process.terminationReason == .uncaughtSignal && !FileManager.default.fileExists(atPath: final),
                     "the job ended before the kill; the trial proves nothing")
        let resumed = project.run(["train", "--db", project.db, "--resume", "latest", "--threads", "1"])
        #expect(resumed.status == 0, "\(resumed.errorSummary)")
        #expect(resumed.errorText.contains("resuming"))
        let expected = try Data(contentsOf: project.root.appendingPathComponent("straight/phase2.gguf"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: final)) == expected)
        let integrity = Subprocess.run("sqlite3", [project.db, "PRAGMA integrity_check"])
        #expect(integrity.outputText.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
    }

    @Test("kill -9 in a DPO phase, then --resume, ends with the same model bytes as an uninterrupted run")
    func killDuringDPO() throws {
        let project = try TrainProject()
        defer { project.remove() }
        // A run whose skill questions each have an accepted answer and one rejected for its arithmetic.
        let store = try SampleStore(url: URL(fileURLWithPath: project.db))
        let run = try store.createRun(RunConfiguration(taxonomyHash: "t", pipelineHash: "p", teacher: "scripted", seed: 1))
        let (leaf, seeds) = try store.addLeaf(runID: run, taxonomyPath: "skills->growth", kind: "freeform_skill", contentHash: "h", target: 8,
                                              seeds: [(nil, "Growth from 2 to 3?", "50%.")])
        var samples: [NewSample] = []
        for i in 0..<8 {
            let question = "Revenue went from \(i + 2) to \(2 * i + 5). What is the growth?"
            samples.append(NewSample(leafID: leaf, responseID: nil, chunkID: nil, seedIDs: seeds, question: question,
                                     answer: "It grew by item \(i) percent, as computed.", context: nil,
                                     verdicts: [Verdict(filter: "arithmetic", filterVersion: "1", decision: .accept, reason: "ok")]))
            samples.append(NewSample(leafID: leaf, responseID: nil, chunkID: nil, seedIDs: seeds, question: question,
                                     answer: "It shrank a lot.", context: nil,
                                     verdicts: [Verdict(filter: "arithmetic", filterVersion: "1", decision: .reject, reason: "wrong")]))
        }
        try store.completeUnit(runID: run, unitKey: "u0", samples: samples)
        let arguments = { (output: String) in
            ["train", "--db", project.db, "--run", "latest", "--base", project.base, "-o", project.root.appendingPathComponent(output).path,
             "--phases", "dpo", "--epochs", "150", "--batch-size", "2", "--lr", "1e-3", "--save-every", "1", "--general-mc", "none",
             "--no-task-eval", "--threads", "1"]
        }
        let straight = project.run(arguments("straight"))
        try #require(straight.status == 0, "\(straight.errorSummary)")
        #expect(straight.errorText.contains("dpo phase: 6 rows"), "8 pairs, 2 of them with a held-out answer")

        let process = Process()
        process.executableURL = SynthlabBinary.url
        process.arguments = arguments("killed")
        process.currentDirectoryURL = project.root
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Kill once the phase has saved a resume point (whatever the machine's speed), mid-step.
        let resumeDirectory = project.root.appendingPathComponent("killed/.resume").path
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, process.isRunning,
              !((try? FileManager.default.contentsOfDirectory(atPath: resumeDirectory)) ?? []).contains(where: { $0.hasSuffix(".adam") }) {
            Thread.sleep(forTimeInterval: 0.05)
        }
        Thread.sleep(forTimeInterval: 0.3)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let final = project.root.appendingPathComponent("killed/phase1.gguf").path
        try #require(process.terminationReason == .uncaughtSignal && !FileManager.default.fileExists(atPath: final),
                     "the job ended before the kill; the trial proves nothing")
        let resumed = project.run(["train", "--db", project.db, "--resume", "latest", "--threads", "1"])
        #expect(resumed.status == 0, "\(resumed.errorSummary)")
        #expect(resumed.errorText.contains("resuming in the dpo phase"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: final)) == Data(contentsOf: project.root.appendingPathComponent("straight/phase1.gguf")))
    }

    @Test("bad input is refused with what, where and the fix")
    func badInput() throws {
        let project = try TrainProject()
        defer { project.remove() }
        let missingBase = project.run(["train", "--db", project.db, "--jsonl", project.jsonl, "--base", "/nope.gguf", "-o", "x"])
        #expect(missingBase.status != 0 && missingBase.errorText.contains("no base model at /nope.gguf"))

        let broken = project.root.appendingPathComponent("broken.jsonl").path
        try "{\"messages\": [{\"role\": \"user\", \"content\": \"q\"}, {\"role\": \"assistant\", \"content\": \"a\"}]}\nnot json\n"
            .write(toFile: broken, atomically: true, encoding: .utf8)
        let badRow = project.run(["train", "--db", project.db, "--jsonl", broken, "--base", project.base, "-o", "x"])
        #expect(badRow.status != 0 && badRow.errorText.contains("\(broken):2: not a JSON object"))

        let badPhase = project.run(project.trainArguments("x", ["--phases", "knowledge,magic"]))
        #expect(badPhase.status != 0 && badPhase.errorText.contains("unknown phase 'magic'"))

        let corrupt = project.root.appendingPathComponent("corrupt.gguf").path
        try Data("GGUF not really".utf8).write(to: URL(fileURLWithPath: corrupt))
        let badModel = project.run(["train", "--db", project.db, "--jsonl", project.jsonl, "--base", corrupt, "-o", "x"])
        #expect(badModel.status != 0 && badModel.errorText.contains(corrupt))

        let noRuns = project.run(["train", "--db", project.root.appendingPathComponent("empty.sqlite").path, "--base", project.base, "-o", "x"])
        #expect(noRuns.status != 0 && noRuns.errorText.contains("no runs"))
    }
}
