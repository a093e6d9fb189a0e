import ArgumentParser
import Foundation
import LabCore
import LabGGUF

struct ModelQuantizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Write a GGUF model in another format, as llama-quantize does (same bytes, no importance matrix).",
        discussion: """
            Each tensor gets llama.cpp's type for the chosen mix: the _M and _S mixes keep more \
            bits in the attention values, feed-forward down projections and output head of the \
            layers where llama.cpp does, and rows that are not whole 256-weight blocks fall back \
            to Q5_0, Q5_1 or Q8_0 as llama-quantize does. Norms and other vectors stay F32. The \
            output equals llama-quantize's byte for byte (tests/bench check it), so a fine-tuned \
            checkpoint goes to llama.cpp or Ollama as users expect.

            Types: \(QuantizationMix.allCases.map(\.rawValue).joined(separator: ", ")).

            Examples:
              synthlab model quantize out/model/phase2.gguf out/model/phase2-q4_k_m.gguf --type q4_k_m
              synthlab model quantize model-f16.gguf model-q8_0.gguf --type Q8_0 --json
              synthlab model quantize model-f16.gguf model-q6_k.gguf --type q6_k --dry-run
            """
    )

    @Argument(help: "The GGUF model to read (F32, F16, BF16 or any format the engine reads).")
    var input: String

    @Argument(help: "Where to write the new model (replaced atomically).")
    var output: String

    @Option(help: "The target format.")
    var type: String

    @Flag(help: "Print the type each tensor would get, and write nothing.")
    var dryRun = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        guard QuantizationMix(name: type) != nil else {
            throw ValidationError("--type \(type) is not one of \(QuantizationMix.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        let mix = QuantizationMix(name: type)!
        let inputURL = URL(fileURLWithPath: (input as NSString).expandingTildeInPath)
        let outputURL = URL(fileURLWithPath: (output as NSString).expandingTildeInPath)
        guard inputURL.standardizedFileURL != outputURL.standardizedFileURL else {
            throw CLIError("the output \(output) is the input", hint: "write to another file")
        }
        let file: GGUFFile
        do {
            file = try GGUFFile(url: inputURL)
        } catch let error as GGUFError {
            throw CLIError(error.description)
        }
        if dryRun {
            let plan = try quantizationPlan(file, mix: mix)
            for entry in plan.entries {
                print("\(entry.name)\t\(entry.dimensions.map(String.init).joined(separator: "×"))\t\(entry.from) → \(entry.to)")
            }
            return
        }
        let progress = TerminalProgress(unit: "tensors")
        let task = "quantize \(mix.rawValue)"
        progress.report(.started(task: task, total: file.tensors.count))
        let summary: ModelQuantizer.Summary
        do {
            summary = try ModelQuantizer.quantize(file, mix: mix, to: outputURL) { done, _ in
                progress.report(.advanced(task: task, completed: done, detail: ""))
            }
        } catch let error as GGUFError {
            progress.report(.stopped(task: task, reason: error.description))
            // The GGUF error already names the file and says what to do.
            throw CLIError(error.description)
        }
        progress.report(.finished(task: task))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            let types = summary.types.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
            print("\(output): \(mix.rawValue.uppercased()), \(summary.tensors) tensors (\(types)), "
                  + "\(String(format: "%.1f", Double(summary.bytesIn) / 1e6)) → \(String(format: "%.1f", Double(summary.bytesOut) / 1e6)) MB")
        }
    }

    private func quantizationPlan(_ file: GGUFFile, mix: QuantizationMix) throws -> QuantizationPlan {
        do {
            return try ModelQuantizer.plan(file, mix: mix)
        } catch let error as GGUFError {
            throw CLIError(error.description)
        }
    }
}
