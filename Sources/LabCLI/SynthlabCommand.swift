public import ArgumentParser
import LabCore

/// The `synthlab` command: the composition root that wires concrete pieces together.
public struct SynthlabCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "synthlab",
        abstract: "LAB-style synthetic data generation and phased fine-tuning.",
        discussion: """
            Curate a taxonomy of qna.yaml leaves, generate training data from it with a teacher \
            model, and fine-tune a student in phases (knowledge, then skills).

            Examples:
              synthlab taxonomy check taxonomy/
              synthlab taxonomy tree
              synthlab model pull
              synthlab chat --prompt "What is a Form 10-K?"
              synthlab generate --samples-per-leaf 10
              synthlab verify --input candidates.jsonl --no-teacher
              synthlab runs funnel latest
              synthlab export latest --phase knowledge -o knowledge.jsonl
              synthlab train --run latest -o out/model
              synthlab eval --training latest
              synthlab serve --port 8000
            """,
        version: SynthlabVersion.current,
        subcommands: [
            TaxonomyCommand.self,
            ModelCommand.self,
            ChatCommand.self,
            GenerateCommand.self,
            WorkerCommand.self,
            StoreCommand.self,
            VerifyCommand.self,
            ServeCommand.self,
            ReviewCommand.self,
            RunsCommand.self,
            SamplesCommand.self,
            ExportCommand.self,
            TrainCommand.self,
            MergeCommand.self,
            DocumentsCommand.self,
            EvalCommand.self,
        ]
    )

    public init() {}
}

/// The version printed by `--version`.
public enum SynthlabVersion {
    public static let current = "0.1.0"
}

extension SynthlabCommand {
    /// Parses the process's arguments and runs the chosen command: `AsyncParsableCommand.main()`,
    /// callable from a `main.swift` (where the synchronous `main()` would be picked).
    public static func runAsRoot() async {
        // Without --threads the engine uses the cores that are idle when a model loads (asking a
        // busy core for a share of every step makes decoding several times slower than one thread).
        CoreAvailability.sampleIdleCores { idle, cores in
            StandardError.write("synthlab: \(cores - idle) of \(cores) cores are busy with other work; the engine uses \(idle) "
                                + "thread\(idle == 1 ? "" : "s") (--threads N sets it)\n")
        }
        await main()
    }
}
