import Foundation
public import LabCore
import LabTokenizer

/// Measures aggregate decoding speed through the `BatchScheduler`: `sequences` requests at once,
/// each a seeded random prompt followed by `generatedTokens` greedy tokens (end-of-sequence
/// ignored), like llama.cpp's `llama-batched-bench` text-generation figure.
public enum BatchBenchmark {
    /// What one run measured.
    public struct Result: Sendable, Hashable {
        /// Sequences decoded together.
        public var sequences: Int
        /// Tokens generated per sequence.
        public var generatedTokens: Int
        /// Tokens fed back in decode steps per second, over all sequences.
        public var decodeTokensPerSecond: Double
        /// Prompt tokens processed per second.
        public var prefillTokensPerSecond: Double
        /// Generated tokens over wall time from submission to the last token (prefill included).
        public var endToEndTokensPerSecond: Double
        /// The most sequences decoded in one step (equals `sequences` unless a limit intervened).
        public var widestStep: Int
    }

    /// Runs the benchmark on `teacher`'s scheduler (a fresh teacher, so its counters start at zero).
    public static func run(teacher: LocalTeacher, sequences: Int, promptTokens: Int, generatedTokens: Int) async throws -> Result {
        let scheduler = teacher.scheduler
        let vocabularySize = UInt64(scheduler.model.vocabularySize)
        let before = scheduler.statistics
        let tokenizer = teacher.tokenizer
        let started = ContinuousClock.now
        let requests = (0..<sequences).map { index in
            var random = SeededRandom(seed: 42, stream: "benchmark prompt \(index)")
            let prompt = (0..<promptTokens).map { _ in Int32(random.next() % vocabularySize) }
            return BatchRequest(
                prompt: prompt, parameters: SamplingParameters(maxTokens: generatedTokens, ignoreEndOfSequence: true)
            ) { StreamingDecoder(tokenizer: tokenizer) }
        }
        // Queued together, so the sequences decode side by side even if the tasks reading their
        // streams start late on a busy machine.
        let streams = scheduler.submitTogether(requests)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for stream in streams {
                group.addTask { for try await _ in stream {} }
            }
            try await group.waitForAll()
        }
        let wall = (ContinuousClock.now - started).seconds
        let after = scheduler.statistics
        let decodeSeconds = after.decodeSeconds - before.decodeSeconds
        let prefillSeconds = after.prefillSeconds - before.prefillSeconds
        return Result(
            sequences: sequences, generatedTokens: generatedTokens,
            decodeTokensPerSecond: decodeSeconds > 0 ? Double(after.decodedTokens - before.decodedTokens) / decodeSeconds : 0,
            prefillTokensPerSecond: prefillSeconds > 0 ? Double(after.prefillTokens - before.prefillTokens) / prefillSeconds : 0,
            endToEndTokensPerSecond: Double(sequences * generatedTokens) / wall,
            widestStep: after.widestStep
        )
    }
}
