import ArgumentParser
import Foundation
import LabCore
import LabGGUF
import LabMerge

/// `synthlab merge`: mergekit's merge methods over GGUF models.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge GGUF models of one architecture with a mergekit config (linear, task_arithmetic, ties, dare_ties, dare_linear, slerp).",
        discussion: """
            Reads mergekit's YAML — merge_method, base_model, models with per-model parameters \
            (weight, density), global parameters (normalize, lambda, t, rescale) including \
            conditions on tensor names (filter: self_attn / mlp) and gradients over the layers, \
            and dtype — where every model is a GGUF file (paths relative to the config's folder). \
            The inputs may be in any block format the engine reads (F32, F16, BF16, Q8_0, Q4_0, \
            Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K); the arithmetic is float32, one tensor at a time, \
            so memory stays near one tensor per model. The output carries the base model's \
            tokenizer, chat template and hyper-parameters; it is written to a temporary file and \
            renamed into place when complete.

            Example config (the Llama-3-SEC recipe: the CPT model merged back into the instruct model):
              merge_method: ties
              base_model: SmolLM2-135M-Instruct.Q4_1.gguf
              models:
                - model: out/cpt/phase1.gguf
                  parameters: {weight: 1.0, density: 0.5}
              parameters: {normalize: true}
              dtype: float32

            Examples:
              synthlab merge --config merge.yaml -o out/merged.gguf
              synthlab merge --config merge.yaml -o out/merged-q8.gguf --precision q8_0
              synthlab merge --config dare.yaml -o out/dare.gguf --seed 7 --json
            """
    )

    @Option(help: ArgumentHelp("The mergekit YAML config.", valueName: "file"))
    var config: String

    @Option(name: .shortAndLong, help: ArgumentHelp("The merged GGUF file to write.", valueName: "file"))
    var output: String

    @Option(help: ArgumentHelp("Precision of the output's matrices: f32, f16 or q8_0 (1-D tensors stay f32).", valueName: "type"))
    var precision = "f32"

    @Option(help: "Seed of DARE's random drops (the same seed gives the same file).")
    var seed: UInt64 = 42

    @Flag(help: "Print a JSON summary on stdout.")
    var json = false

    func validate() throws {
        guard CheckpointPrecision(rawValue: precision) != nil else { throw ValidationError("--precision must be f32, f16 or q8_0") }
    }

    func run() throws {
        let started = Date()
        let configURL = URL(fileURLWithPath: (config as NSString).expandingTildeInPath)
        let outputURL = URL(fileURLWithPath: (output as NSString).expandingTildeInPath)
        let merger: ModelMerger
        do {
            let parsed = try MergeConfig.load(configURL)
            for note in parsed.notes { StandardError.write("synthlab: note: \(note)\n") }
            merger = try ModelMerger(config: parsed, precision: CheckpointPrecision(rawValue: precision) ?? .f32, seed: seed)
        } catch let error as MergeError {
            throw CLIError(error.description)
        }
        let directory = outputURL.deletingLastPathComponent()
        guard FileManager.default.fileExists(atPath: directory.path) else {
            throw CLIError("the output folder \(directory.path) does not exist", hint: "create it first")
        }
        let progress = TerminalProgress(unit: "tensors")
        progress.report(.started(task: "merge", total: merger.tensorCount))
        do {
            try merger.write(to: outputURL) { done, _, name in
                progress.report(.advanced(task: "merge", completed: done, detail: name))
            }
        } catch let error as MergeError {
            progress.report(.stopped(task: "merge", reason: "failed"))
            throw CLIError(error.description)
        }
        progress.report(.finished(task: "merge"))
        let seconds = Date().timeIntervalSince(started)
        let size = (try? FileManager.default.attributesOfItem(atPath: outputURL.path)[.size] as? Int) ?? 0
        if json {
            print(JSONText.compact([
                "output": outputURL.path, "method": merger.config.method.rawValue, "models": merger.config.models.map(\.path),
                "base_model": merger.config.basePath ?? NSNull(), "tensors": merger.tensorCount, "precision": precision,
                "bytes": size, "seconds": seconds,
            ]))
        } else {
            print("merged \(merger.config.models.count) models (\(merger.config.method.rawValue)) into \(outputURL.path): "
                  + "\(merger.tensorCount) tensors, \(size / 1_000_000) MB, \(String(format: "%.1f", seconds)) s")
        }
    }
}
