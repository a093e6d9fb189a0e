import ArgumentParser
import Foundation
import LabCore
import LabLLM
import LabTensor

struct ModelBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure prompt processing and single-stream decoding speed of a model.",
        discussion: """
            Like llama.cpp's llama-bench pp/tg tests: prompt processing runs --prompt-tokens \
            seeded random tokens through one forward pass from an empty cache; decoding generates \
            --gen-tokens tokens one at a time (greedy) from an empty cache. Both report tokens/s. \
            bench/engine/run.sh compares the result with llama.cpp on the same file.

            With --parallel N it instead measures continuous batching like llama.cpp's \
            llama-batched-bench: N requests of --prompt-tokens random tokens each generate \
            --gen-tokens tokens together through the batch scheduler; it reports the aggregate \
            decode rate over all sequences (bench/engine/aggregate.sh runs N = 1, 8, 16).

            Examples:
              synthlab model bench ~/.cache/synthlab/models/SmolLM2-135M-Instruct.Q4_1.gguf
              synthlab model bench model.gguf --prompt-tokens 64 --gen-tokens 32 --threads 1
              synthlab model bench model.gguf --json
              synthlab model bench model.gguf --kv-cache f32
              synthlab model bench model.gguf --parallel 16 --prompt-tokens 128 --gen-tokens 128 --json
            """
    )

    @Argument(help: "The GGUF file.")
    var model: String

    @Option(help: "Tokens in the prompt-processing test.")
    var promptTokens = 512

    @Option(help: "Tokens generated in the decoding test.")
    var genTokens = 128

    @Option(help: "Threads for the forward pass (default: every active core).")
    var threads: Int?

    @Option(help: "Measure aggregate decoding of this many concurrent sequences instead.")
    var parallel: Int?

    @Flag(name: .customLong("float-activations"),
          help: "Keep activations in Float (the Swift SIMD kernels) instead of int8 with the integer kernels, to compare the two.")
    var floatActivations = false

    @Flag(name: .customLong("swift-attention"),
          help: "Run the decode rows' attention in the Swift SIMD twin instead of the C kernel, to compare the two.")
    var swiftAttention = false

    @Option(help: "How the cache stores keys and values: f16 (as llama.cpp by default) or f32 (default: f16 unless --float-activations or --swift-attention).")
    var kvCache: KVCacheOption?

    @Option(help: "The most rows one forward pass takes, as llama.cpp's --ubatch-size (default 256).")
    var ubatch: Int?

    @Option(help: "Passes over at least this many rows use dequantized tiles and sgemm instead of the integer kernels (default: the engine's).")
    var sgemmRows: Int?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        guard promptTokens >= 1 else { throw ValidationError("--prompt-tokens must be at least 1") }
        guard genTokens >= 1 else { throw ValidationError("--gen-tokens must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let parallel, parallel < 1 { throw ValidationError("--parallel must be at least 1, got \(parallel)") }
        if let sgemmRows, sgemmRows < 1 { throw ValidationError("--sgemm-rows must be at least 1, got \(sgemmRows)") }
        if let ubatch, ubatch < 1 { throw ValidationError("--ubatch must be at least 1, got \(ubatch)") }
    }

    func run() async throws {
        if let parallel {
            try await runParallel(sequences: parallel)
            return
        }
        let llama = try loadDecoderModel(URL(fileURLWithPath: model), threads: threads, floatActivations: floatActivations, sgemmRows: sgemmRows, swiftAttention: swiftAttention, kvCache: kvCache?.element, microBatchRows: ubatch)
        guard promptTokens <= llama.contextLength, genTokens + 1 <= llama.contextLength else {
            throw CLIError("the tests need more tokens than the model's context of \(llama.contextLength)", hint: "lower --prompt-tokens or --gen-tokens")
        }
        var random = SeededRandom(seed: 42)
        let prompt = (0..<promptTokens).map { _ in Int32(random.next() % UInt64(llama.vocabularySize)) }

        // Warm-up: touch every weight page once so neither test pays for the first read.
        _ = try llama.forward(tokens: [Array(prompt.prefix(16))], states: [llama.makeSequenceState(capacity: 16)])

        let promptState = try llama.makeSequenceState(capacity: promptTokens)
        let promptStart = Date()
        _ = try llama.forward(tokens: [prompt], states: [promptState])
        let promptSeconds = Date().timeIntervalSince(promptStart)

        let decodeState = try llama.makeSequenceState(capacity: genTokens + 1)
        var next = prompt[0]
        let decodeStart = Date()
        for _ in 0..<genTokens {
            let logits = try llama.forward(tokens: [[next]], states: [decodeState])[0]
            next = Int32(logits.indices.max { logits[$0] < logits[$1] } ?? 0)
        }
        let decodeSeconds = Date().timeIntervalSince(decodeStart)

        let promptRate = Double(promptTokens) / promptSeconds
        let decodeRate = Double(genTokens) / decodeSeconds
        if json {
            print(
                #"{"threads":\#(llama.threadCount),"kernel":"\#(IntegerKernel.best.name)","weights":"\#(llama.weightsResidency.name)","kv_cache":"\#(llama.kvCacheElement.rawValue)","prompt_tokens":\#(promptTokens),"#
                    + #""prompt_tokens_per_second":\#(promptRate),"gen_tokens":\#(genTokens),"gen_tokens_per_second":\#(decodeRate)}"#
            )
        } else {
            print("threads \(llama.threadCount), kernels \(IntegerKernel.best.name), weights \(llama.weightsResidency.name), \(llama.kvCacheElement.rawValue) cache")
            print("pp\(promptTokens): \(String(format: "%.1f", promptRate)) tokens/s")
            print("tg\(genTokens): \(String(format: "%.1f", decodeRate)) tokens/s")
        }
    }
}

extension ModelBenchCommand {
    /// `--parallel N`: aggregate decode speed through the batch scheduler (see `BatchBenchmark`).
    func runParallel(sequences: Int) async throws {
        let url = URL(fileURLWithPath: model)
        let llama = try loadDecoderModel(url, threads: threads, floatActivations: floatActivations, sgemmRows: sgemmRows, swiftAttention: swiftAttention, kvCache: kvCache?.element, microBatchRows: ubatch)
        guard promptTokens + genTokens <= llama.contextLength else {
            throw CLIError("--prompt-tokens + --gen-tokens exceed the model's context of \(llama.contextLength)", hint: "lower either")
        }
        let teacher = LocalTeacher(
            model: llama, tokenizer: try loadTokenizer(url), identity: url.lastPathComponent,
            configuration: .init(maxBatchSize: max(16, sequences), maxCachedTokens: sequences * (promptTokens + genTokens))
        )
        let result = try await BatchBenchmark.run(teacher: teacher, sequences: sequences, promptTokens: promptTokens, generatedTokens: genTokens)
        if json {
            print(
                #"{"threads":\#(llama.threadCount),"kernel":"\#(IntegerKernel.best.name)","weights":"\#(llama.weightsResidency.name)","parallel":\#(sequences),"prompt_tokens":\#(promptTokens),"gen_tokens":\#(genTokens),"#
                    + #""decode_tokens_per_second":\#(result.decodeTokensPerSecond),"prefill_tokens_per_second":\#(result.prefillTokensPerSecond),"#
                    + #""end_to_end_tokens_per_second":\#(result.endToEndTokensPerSecond),"widest_step":\#(result.widestStep)}"#
            )
        } else {
            print("threads \(llama.threadCount), \(sequences) sequences decoded together (widest step \(result.widestStep))")
            print("aggregate decode: \(String(format: "%.1f", result.decodeTokensPerSecond)) tokens/s")
            print("prefill: \(String(format: "%.1f", result.prefillTokensPerSecond)) tokens/s")
            print("end to end: \(String(format: "%.1f", result.endToEndTokensPerSecond)) generated tokens/s")
        }
    }
}
