import ArgumentParser
import Foundation
import LabCore
import LabGGUF
import LabLLM

struct ModelPerplexityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Measure a model's perplexity on a text file, the way llama.cpp's llama-perplexity does.",
        discussion: """
            The text is tokenized with the model's own tokenizer and cut into chunks of --ctx tokens; \
            each chunk runs from an empty cache and only its second half is scored, so every \
            prediction sees at least ctx/2 tokens of context. The last line is `PPL = x.xxxx`.

            The activations stay in Float by default, so the figure measures the model and not \
            the engine's rounding: generation rounds activations to int8 per 32-value block (as \
            llama.cpp does), and that rounding moves the perplexity by a few tenths of a percent \
            with no change to the model (any change in summation order does it). \
            --activations int8 measures that generation path instead.

            Examples:
              synthlab model perplexity ~/.cache/synthlab/models/SmolLM2-135M-Instruct.Q4_1.gguf wiki.txt
              synthlab model perplexity model.gguf notes.txt --ctx 512 --threads 4
              synthlab model perplexity model.gguf notes.txt --json
              synthlab model perplexity model.gguf notes.txt --activations int8
            """
    )

    @Argument(help: "The GGUF file.")
    var model: String

    @Argument(help: "A UTF-8 text file to score.")
    var file: String

    @Option(name: .customLong("ctx"), help: "Tokens per chunk.")
    var context = 256

    @Option(help: "Threads for the forward pass (default: every active core).")
    var threads: Int?

    @Option(help: "Activation precision: float (exact) or int8 (the generation path).")
    var activations: ActivationPrecision = .float

    @Option(help: "How the cache stores keys and values: f16 or f32 (default: f16 with int8 activations, else f32).")
    var kvCache: KVCacheOption?

    @Option(help: "The most rows one forward pass takes, as llama.cpp's --ubatch-size (default 256).")
    var ubatch: Int?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        guard context >= 4 else { throw ValidationError("--ctx must be at least 4, got \(context)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let ubatch, ubatch < 1 { throw ValidationError("--ubatch must be at least 1, got \(ubatch)") }
    }

    func run() async throws {
        let url = URL(fileURLWithPath: model)
        let tokenizer = try loadTokenizer(url)
        let llama = try loadDecoderModel(url, threads: threads, floatActivations: activations == .float, kvCache: kvCache?.element, microBatchRows: ubatch)
        let text: String
        do {
            text = try String(contentsOf: URL(fileURLWithPath: file), encoding: .utf8)
        } catch {
            throw CLIError("\(file): cannot read as UTF-8 text: \(error.localizedDescription)", hint: "check the path and the file's encoding")
        }
        let tokens = tokenizer.encode(text, addSpecial: true, parseSpecial: false)
        let result: PerplexityResult
        do {
            result = try llama.perplexity(tokens: tokens, context: context, progress: TerminalProgress(unit: "chunks"))
        } catch let error as ModelError {
            throw CLIError("\(file): \(error.message) (\(tokens.count) tokens)", hint: error.hint.isEmpty ? "use a longer text or a smaller --ctx" : error.hint)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print("\(tokens.count) tokens, \(result.chunkCount) chunks of \(context), \(result.scoredTokens) predictions scored")
            print("PPL = \(formatPerplexity(result.perplexity))")
        }
    }
}

/// How the forward pass rounds the activations that meet quantized weights.
enum ActivationPrecision: String, ExpressibleByArgument, CaseIterable {
    case float, int8
}

/// `--kv-cache`: how the engine's cache stores keys and values (`KVCacheElement`).
enum KVCacheOption: String, ExpressibleByArgument, CaseIterable {
    case f16, f32

    var element: KVCacheElement {
        switch self {
        case .f16: .f16
        case .f32: .f32
        }
    }
}

/// Loads a Llama model, turning the GGUF reader's and the engine's errors into CLI errors.
func loadDecoderModel(
    _ url: URL, threads: Int?, floatActivations: Bool = false, sgemmRows: Int? = nil, swiftAttention: Bool = false,
    kvCache: KVCacheElement? = nil, microBatchRows: Int? = nil
) throws -> DecoderModel {
    do {
        return try DecoderModel(
            file: GGUFFile(url: url, residency: .forInference), threads: threads, sgemmRowThreshold: sgemmRows, quantizesActivations: !floatActivations,
            swiftAttention: swiftAttention, kvCache: kvCache, microBatchRows: microBatchRows
        )
    } catch let error as GGUFError {
        throw CLIError(error.description)
    } catch let error as ModelError {
        throw CLIError(error.description)
    }
}
