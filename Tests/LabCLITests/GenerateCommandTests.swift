import Foundation
import LabCore
import LabTestSupport
import Testing

/// A copy of the project's taxonomy, documents and pipelines in a temporary folder, with a tiny
/// random model, so runs through the real binary are fast and may change files freely.
private final class ProjectCopy {
    let root: URL
    let model: URL
    var db: String { root.appendingPathComponent("runs.sqlite").path }

    init() throws {
        root = try TestPaths.temporaryDirectory("generate-cli")
        for folder in ["taxonomy", "documents", "pipelines"] {
            try FileManager.default.copyItem(at: TestPaths.repositoryRoot.appendingPathComponent(folder),
                                             to: root.appendingPathComponent(folder))
        }
        model = root.appendingPathComponent("tiny.gguf")
        // Byte-level tokens make prompts long; a wide context keeps them all inside it.
        try TinyDecoderModel.write(to: model, config: .init(contextLength: 4096), seed: 3)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func run(_ arguments: [String]) -> Subprocess.Result {
        SynthlabBinary.run(arguments, in: root)
    }

    /// `generate` with the tiny model and small budgets.
    func generateArguments(_ extra: [String] = [], budget: Int = 6) -> [String] {
        ["generate", "--model", model.path, "--db", db, "--samples-per-leaf", "2", "--max-candidates-per-leaf", String(budget), "--seed", "5"] + extra
    }

    /// Every sample of the newest run per leaf in commit order: leaf, status, question, answer.
    func digest() throws -> [String] {
        let result = run(["samples", "list", "--run", "latest", "--db", db, "--limit", "100000", "--json"])
        try #require(result.status == 0, "\(result.errorSummary)")
        let rows = try #require(try JSONSerialization.jsonObject(with: result.output) as? [[String: Any]])
        return rows.enumerated().sorted { ("\($0.element["leaf"]!)", $0.offset) < ("\($1.element["leaf"]!)", $1.offset) }
            .map { "\($0.element["leaf"]!)|\($0.element["status"]!)|\($0.element["question"]!)|\($0.element["answer"]!)" }
    }
}

@Suite("synthlab generate, runs, samples, export", .serialized)
struct GenerateCommandTests {
    @Test("A run prints its id and funnel, and runs/samples/export read it back")
    func aRunAndItsInspection() throws {
        let project = try ProjectCopy()
        let result = project.run(project.generateArguments())
        #expect(result.status == 0, "\(result.errorSummary)")
        #expect(result.outputText.hasPrefix("run 1\n"))
        #expect(result.outputText.contains("knowledge->finance->financial_ratios"))
        #expect(result.errorText.contains("run 1 started"))

        let funnel = project.run(["runs", "funnel", "latest", "--db", project.db, "--json"])
        #expect(funnel.status == 0, "\(funnel.errorSummary)")
        let leaves = try #require(try JSONSerialization.jsonObject(with: funnel.output) as? [[String: Any]])
        #expect(leaves.count == 9)
        for leaf in leaves {
            #expect(leaf["leaf"] is String && leaf["candidates"] is Int && leaf["accepted"] is Int && leaf["rejected"] is [String: Int])
            #expect((leaf["candidates"] as? Int ?? 0) > 0)
        }
        let list = project.run(["runs", "list", "--db", project.db])
        #expect(list.status == 0 && list.outputText.contains("finished"), "\(list.errorSummary)")
        let show = project.run(["runs", "show", "1", "--db", project.db, "--json"])
        let detail = try #require(try JSONSerialization.jsonObject(with: show.output) as? [String: Any])
        #expect(detail["status"] as? String == "finished" && (detail["teacher_requests"] as? Int ?? 0) > 0)

        // A knowledge sample: its question is the teacher's reply (computed and glossary-written parts have none).
        let samples = project.run(["samples", "list", "--db", project.db, "--json", "--limit", "1", "--leaf", "knowledge->*"])
        let first = try #require((try JSONSerialization.jsonObject(with: samples.output) as? [[String: Any]])?.first)
        let sample = project.run(["samples", "show", "\(first["id"] as? Int ?? 0)", "--db", project.db])
        #expect(sample.status == 0 && sample.outputText.contains("verdicts:") && sample.outputText.contains("teacher's reply:"),
                "\(sample.outputText)")

        // The tiny random model writes nonsense: whatever it got accepted is exported, or the
        // export says there is nothing and why.
        let accepted = leaves.reduce(0) { $0 + ($1["accepted"] as? Int ?? 0) }
        let output = project.root.appendingPathComponent("all.jsonl").path
        let export = project.run(["export", "latest", "--db", project.db, "--phase", "all", "-o", output])
        #expect(export.status == (accepted > 0 ? 0 : 1), "\(export.errorSummary)")
        let lines = (try? String(contentsOfFile: output, encoding: .utf8))?.split(separator: "\n") ?? []
        #expect(lines.count == accepted)
    }

    @Test("A rerun with the same seed is answered entirely from the cache")
    func aRerunUsesTheCache() throws {
        let project = try ProjectCopy()
        #expect(project.run(project.generateArguments()).status == 0)
        let first = try project.digest()
        let again = project.run(project.generateArguments(["--json"]))
        #expect(again.status == 0, "\(again.errorSummary)")
        let outcome = try #require(try JSONSerialization.jsonObject(with: again.output) as? [String: Any])
        #expect(outcome["run"] as? Int == 2 && outcome["teacher_calls"] as? Int == 0)
        #expect(try project.digest() == first)
    }

    @Test("kill -9 at random moments, then --resume, gives exactly the samples of an uninterrupted run", arguments: 0..<3)
    func killAndResume(trial: Int) throws {
        // A budget that keeps the run going for several seconds, so the kill lands mid-run.
        let reference = try ProjectCopy()
        #expect(reference.run(reference.generateArguments(budget: 16)).status == 0)
        let expected = try reference.digest()

        let project = try ProjectCopy()
        let process = Process()
        process.executableURL = SynthlabBinary.url
        process.arguments = project.generateArguments(budget: 16)
        process.currentDirectoryURL = project.root
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var random = SeededRandom(seed: UInt64(trial), stream: "kill")
        Thread.sleep(forTimeInterval: 0.8 + Double(random.next() % 2000) / 1000)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try #require(process.terminationReason == .uncaughtSignal, "the run ended before the kill; the trial proves nothing")
        let interrupted = try project.digest()
        #expect(interrupted.count < expected.count, "killed mid-run, yet every sample was there")

        let integrity = Subprocess.run("sqlite3", [project.db, "PRAGMA integrity_check"])
        #expect(integrity.outputText.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "\(integrity.errorSummary)")
        let resumed = project.run(["generate", "--resume", "latest", "--db", project.db])
        #expect(resumed.status == 0, "\(resumed.errorSummary)")
        let final = try project.digest()
        #expect(final == expected, """
            interrupted with \(interrupted.count) of \(expected.count) samples; after resume, \
            missing: \(Set(expected).subtracting(final).sorted()) extra: \(Set(final).subtracting(expected).sorted())
            """)
    }

    @Test("A taxonomy with errors is refused before any run starts, with every error listed")
    func aBrokenTaxonomyIsRefused() throws {
        let project = try ProjectCopy()
        let leaf = project.root.appendingPathComponent("taxonomy/compositional_skills/finance/arithmetic/cagr/qna.yaml")
        try Data("version: 3\ncreated_by: me\nseed_examples: [oops\n".utf8).write(to: leaf)
        let broken = project.root.appendingPathComponent("taxonomy/knowledge/finance/financial_ratios/qna.yaml")
        let text = try String(contentsOf: broken, encoding: .utf8).replacingOccurrences(of: "domain:", with: "domian:")
        try Data(text.utf8).write(to: broken)
        let result = project.run(project.generateArguments())
        #expect(result.status == 1)
        #expect(result.errorText.contains("arithmetic/cagr/qna.yaml:") && result.errorText.contains("financial_ratios/qna.yaml:"),
                "\(result.errorText)")
        #expect(result.errorText.contains("no run was started"))
        #expect(!FileManager.default.fileExists(atPath: project.db) || project.run(["runs", "list", "--db", project.db]).outputText.contains("no runs"))
    }

    @Test("A pipeline with errors names file and line before the model is even loaded")
    func aBrokenPipelineIsRefused() throws {
        let project = try ProjectCopy()
        let file = project.root.appendingPathComponent("pipelines/simple/pipeline.yaml")
        let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "- block: format", with: "- block: formatt")
        try Data(text.utf8).write(to: file)
        let result = project.run(["generate", "--model", "/no/such/model.gguf", "--db", project.db])
        #expect(result.status == 1)
        #expect(result.errorText.contains("pipelines/simple/pipeline.yaml:") && result.errorText.contains("unknown block 'formatt'"),
                "\(result.errorText)")
    }

    @Test("--dry-run prints the plan without a model or a database")
    func dryRun() throws {
        let project = try ProjectCopy()
        let result = project.run(["generate", "--dry-run", "--model", "/no/such/model.gguf", "--db", project.db, "--leaf", "knowledge/*"])
        #expect(result.status == 0, "\(result.errorSummary)")
        #expect(result.outputText.contains("3 leaves") && result.outputText.contains("teacher calls"))
        #expect(!FileManager.default.fileExists(atPath: project.db))
    }

    @Test("Resuming after the taxonomy changed is refused with a way forward")
    func resumeAfterAChangeIsRefused() throws {
        let project = try ProjectCopy()
        #expect(project.run(project.generateArguments(["--leaf", "compositional_skills/finance/arithmetic/*"])).status == 0)
        let leaf = project.root.appendingPathComponent("taxonomy/compositional_skills/finance/arithmetic/cagr/qna.yaml")
        try Data((try String(contentsOf: leaf, encoding: .utf8) + "# edited\n").utf8).write(to: leaf)
        let result = project.run(["generate", "--resume", "1", "--db", project.db])
        #expect(result.status == 1)
        #expect(result.errorText.contains("cannot resume run 1: the taxonomy or its documents changed"), "\(result.errorText)")
    }

    @Test("Commands on a missing database or run say what to do")
    func missingThings() throws {
        let project = try ProjectCopy()
        let noDatabase = project.run(["runs", "list", "--db", project.db])
        #expect(noDatabase.status != 0 && noDatabase.errorText.contains("no database at"), "\(noDatabase.errorText)")
        #expect(project.run(project.generateArguments(["--leaf", "foundational_skills/*"])).status == 0)
        let noRun = project.run(["runs", "show", "7", "--db", project.db])
        #expect(noRun.status != 0 && noRun.errorText.contains("no run 7"), "\(noRun.errorText)")
        let badLeaf = project.run(project.generateArguments(["--leaf", "nothing/*"]))
        #expect(badLeaf.status != 0 && badLeaf.errorText.contains("no leaf matches"))
    }
}
