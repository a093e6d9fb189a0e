import ArgumentParser
import LabCore

/// Sampling flags shared by commands that generate text; converts to `SamplingParameters`.
struct SamplingOptions: ParsableArguments {
    @Option(help: "0 decodes greedily; higher values sample more freely.")
    var temperature: Float = 0

    @Option(name: .customLong("top-k"), help: "Sample only from the K most likely tokens (0: off).")
    var topK: Int = 0

    @Option(name: .customLong("top-p"), help: "Sample only from the most likely tokens that make up probability P (1: off).")
    var topP: Float = 1

    @Option(name: .customLong("min-p"), help: "Drop tokens less likely than P times the most likely one (0: off).")
    var minP: Float = 0

    @Option(name: .customLong("repeat-penalty"), help: "Penalise tokens used in the last 64 (1: off; llama.cpp's repeat penalty).")
    var repeatPenalty: Float = 1

    @Option(name: .customLong("max-tokens"), help: "The longest reply, in tokens.")
    var maxTokens: Int = 256

    @Option(help: "Seed for sampling; the same seed and options give the same reply.")
    var seed: UInt64 = 0

    @Flag(name: .customLong("ignore-eos"), help: "Keep generating past the end-of-reply token (for benchmarks).")
    var ignoreEOS = false

    func validate() throws {
        guard temperature.isFinite, temperature >= 0 else { throw ValidationError("--temperature must be 0 or more, got \(temperature)") }
        guard topK >= 0 else { throw ValidationError("--top-k must be 0 or more, got \(topK)") }
        guard topP > 0, topP <= 1 else { throw ValidationError("--top-p must be in (0, 1], got \(topP)") }
        guard minP >= 0, minP <= 1 else { throw ValidationError("--min-p must be in [0, 1], got \(minP)") }
        guard repeatPenalty.isFinite, repeatPenalty > 0 else { throw ValidationError("--repeat-penalty must be above 0, got \(repeatPenalty)") }
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1, got \(maxTokens)") }
    }

    /// The options as library parameters.
    var parameters: SamplingParameters {
        SamplingParameters(
            temperature: temperature, topK: topK, topP: topP, minP: minP, repetitionPenalty: repeatPenalty,
            maxTokens: maxTokens, seed: seed, ignoreEndOfSequence: ignoreEOS
        )
    }
}
