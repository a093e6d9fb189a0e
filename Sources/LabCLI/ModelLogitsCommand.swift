import ArgumentParser
import Foundation
import LabCore
import LabLLM

struct ModelLogitsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Run token ids through a model: the logits at every position, and a greedy continuation.",
        discussion: """
            For checking the engine against another one (bench/architectures/run.sh compares these \
            with llama.cpp's on every architecture). The ids are run in one pass from an empty \
            cache; --logits-out writes their logits as little-endian float32, (tokens × vocabulary) \
            row-major; --generate N then appends N greedy tokens (highest logit, lowest id on ties) \
            one at a time and prints them. Activations stay in Float unless --activations int8.

            Examples:
              synthlab model logits model.gguf --tokens 1,415,2936,9060 --logits-out logits.f32
              synthlab model logits model.gguf --tokens 1,415,2936 --generate 32 --json
            """
    )

    @Argument(help: "The GGUF file.")
    var model: String

    @Option(help: "Comma-separated token ids.")
    var tokens: String

    @Option(help: "Greedy tokens to generate after the prompt.")
    var generate = 0

    @Option(help: "Write the prompt's logits here (float32, tokens × vocabulary).")
    var logitsOut: String?

    @Option(help: "Threads for the forward pass (default: every active core).")
    var threads: Int?

    @Option(help: "Activation precision: float (exact) or int8 (the generation path).")
    var activations: ActivationPrecision = .float

    @Option(help: "How the cache stores keys and values: f16 or f32 (default: f16 with int8 activations, else f32).")
    var kvCache: KVCacheOption?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        guard generate >= 0 else { throw ValidationError("--generate must be at least 0, got \(generate)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    struct Output: Encodable {
        var architecture: String
        var vocabulary: Int
        var tokens: [Int32]
        var generated: [Int32]
    }

    func run() async throws {
        let parts = tokens.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let ids = try parts.map { part -> Int32 in
            guard let id = Int32(part) else { throw ValidationError("--tokens: '\(part)' is not a token id") }
            return id
        }
        guard !ids.isEmpty else { throw ValidationError("--tokens is empty; give at least one id") }
        let engine = try loadDecoderModel(URL(fileURLWithPath: model), threads: threads, floatActivations: activations == .float, kvCache: kvCache?.element)
        let state: any SequenceState
        let logits: [Float]
        do {
            state = try engine.makeSequenceState(capacity: min(engine.contextLength, ids.count + generate))
            logits = try engine.forwardAllPositions(tokens: ids, state: state)
        } catch let error as ModelError {
            throw CLIError("\(model): \(error.message)", hint: error.hint)
        }
        if let logitsOut {
            let data = logits.withUnsafeBufferPointer { Data(buffer: $0) }
            do {
                try data.write(to: URL(fileURLWithPath: logitsOut), options: .atomic)
            } catch {
                throw CLIError("\(logitsOut): cannot write the logits: \(error.localizedDescription)", hint: "check the folder exists and has space")
            }
        }
        let V = engine.vocabularySize
        var generated: [Int32] = []
        var last = Array(logits[((ids.count - 1) * V)...])
        for _ in 0..<generate {
            let next = Int32(greedyIndex(last))
            generated.append(next)
            guard generated.count < generate else { break }
            last = try engine.forward(tokens: [[next]], states: [state])[0]
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let output = Output(architecture: engine.config.architecture, vocabulary: V, tokens: ids, generated: generated)
            print(String(decoding: try encoder.encode(output), as: UTF8.self))
        } else {
            print("\(engine.config.architecture): \(ids.count) tokens, vocabulary \(V)")
            if !generated.isEmpty { print("greedy: " + generated.map(String.init).joined(separator: ",")) }
        }
    }

    /// The index of the largest logit, the lowest on ties (as an argmax over the row).
    private func greedyIndex(_ row: [Float]) -> Int {
        var best = 0
        for i in row.indices where row[i] > row[best] { best = i }
        return best
    }
}
