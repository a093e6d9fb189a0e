public import LabCore
import Foundation
import LabTensor

/// The result of a perplexity run over a token stream.
public struct PerplexityResult: Sendable, Codable, Equatable {
    /// Tokens per chunk.
    public var contextLength: Int
    /// Chunks evaluated (each from an empty cache).
    public var chunkCount: Int
    /// Predictions scored over all chunks.
    public var scoredTokens: Int
    /// Mean negative log-likelihood of the scored predictions (nats).
    public var meanNegativeLogLikelihood: Double
    /// exp(mean negative log-likelihood).
    public var perplexity: Double
}

extension DecoderModel {
    /// Perplexity the way llama.cpp's `llama-perplexity` computes it: the tokens are cut into
    /// `tokens.count / context` chunks of `context` tokens, each run from an empty cache, and
    /// only the second half of each chunk is scored (logits at positions context/2 … context−2
    /// predicting the next token), so every scored prediction sees at least context/2 tokens.
    /// PPL = exp(mean NLL). Reports one progress step per chunk.
    public func perplexity(
        tokens: [Int32], context: Int, progress: any ProgressReporter = SilentProgress()
    ) throws -> PerplexityResult {
        guard context >= 4, context <= contextLength else {
            throw ModelError(field: "context", "\(context) tokens per chunk is outside 4…\(contextLength)")
        }
        let chunkCount = tokens.count / context
        guard chunkCount >= 1 else {
            throw ModelError(
                field: "tokens", "\(tokens.count) tokens are fewer than one chunk of \(context)",
                hint: "use a longer text or a smaller context"
            )
        }
        let task = "perplexity"
        progress.report(.started(task: task, total: chunkCount))
        let V = vocabularySize
        let first = context / 2
        var totalNLL = 0.0
        var scored = 0
        for chunk in 0..<chunkCount {
            let window = Array(tokens[(chunk * context)..<((chunk + 1) * context)])
            let state = try makeSequenceState(capacity: context)
            let logits = try forwardAllPositions(tokens: window, state: state)
            logits.withUnsafeBufferPointer { rows in
                for position in first..<(context - 1) {
                    let row = rows.baseAddress! + position * V
                    let target = Int(window[position + 1])
                    totalNLL += logSumExp(row, count: V) - Double(row[target])
                    scored += 1
                }
            }
            progress.report(.advanced(task: task, completed: chunk + 1, detail: "PPL \(formatPerplexity(exp(totalNLL / Double(scored))))"))
        }
        progress.report(.finished(task: task))
        let mean = totalNLL / Double(scored)
        return PerplexityResult(
            contextLength: context, chunkCount: chunkCount, scoredTokens: scored,
            meanNegativeLogLikelihood: mean, perplexity: exp(mean)
        )
    }
}

/// A perplexity with four decimals, as llama.cpp prints it.
public func formatPerplexity(_ value: Double) -> String {
    let scaled = (value * 10_000).rounded()
    guard scaled.isFinite, abs(scaled) < 1e15 else { return "\(value)" }
    let whole = Int(scaled) / 10_000, fraction = abs(Int(scaled) % 10_000)
    let digits = String(fraction)
    return "\(whole).\(String(repeating: "0", count: 4 - digits.count))\(digits)"
}

extension DecoderModel {
    /// The summed negative log-likelihood (nats) of every token after the first, each predicted
    /// from all tokens before it, in one window from an empty cache; nil for fewer than 2 tokens.
    /// Texts longer than the context are scored in consecutive windows (each from an empty cache).
    public func negativeLogLikelihood(tokens: [Int32]) throws -> (nll: Double, predictions: Int)? {
        guard tokens.count >= 2 else { return nil }
        let V = vocabularySize
        var total = 0.0, count = 0
        for start in stride(from: 0, to: tokens.count - 1, by: contextLength) {
            let window = Array(tokens[start..<min(tokens.count, start + contextLength)])
            guard window.count >= 2 else { break }
            let state = try makeSequenceState(capacity: window.count)
            let logits = try forwardAllPositions(tokens: window, state: state)
            logits.withUnsafeBufferPointer { rows in
                for position in 0..<(window.count - 1) {
                    let row = rows.baseAddress! + position * V
                    total += logSumExp(row, count: V) - Double(row[Int(window[position + 1])])
                    count += 1
                }
            }
        }
        return (total, count)
    }
}
