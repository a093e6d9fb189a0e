import Foundation

/// One stage of the sampling chain: reshapes logits or drops candidates.
///
/// Stages are small values chained in llama.cpp's order (penalties, top-k, top-p, min-p,
/// temperature; `common/sampling.cpp`), then a `TokenChooser` picks the token.
public protocol SamplingStep: Sendable {
    /// Applies the stage. `history` is the sequence so far (prompt and generated tokens), oldest first.
    func apply(to candidates: inout TokenCandidates, history: ArraySlice<Int32>)
}

/// llama.cpp's repeat penalty: every distinct token among the last `window` tokens has a positive
/// logit divided by `penalty` and a negative one multiplied by it (`llama_sampler_penalties_apply`).
public struct RepetitionPenalty: SamplingStep {
    /// Greater than 1 discourages repeats; 1 does nothing.
    public var penalty: Float
    /// How many of the most recent tokens count.
    public var window: Int

    /// A penalty of `penalty` over the last `window` tokens.
    public init(penalty: Float, window: Int) {
        self.penalty = penalty
        self.window = window
    }

    public func apply(to candidates: inout TokenCandidates, history: ArraySlice<Int32>) {
        guard window > 0, penalty != 1 else { return }
        let recent = Set(history.suffix(window))
        guard !recent.isEmpty else { return }
        if candidates.isWholeVocabulary {
            for id in recent where id >= 0 && Int(id) < candidates.count {
                candidates.logits[Int(id)] = penalised(candidates.logits[Int(id)])
            }
        } else {
            for index in candidates.ids.indices where recent.contains(candidates.ids[index]) {
                candidates.logits[index] = penalised(candidates.logits[index])
            }
        }
    }

    private func penalised(_ logit: Float) -> Float {
        logit <= 0 ? logit * penalty : logit / penalty
    }
}

/// Keeps the `k` most likely tokens.
public struct TopK: SamplingStep {
    /// How many to keep; at least 1.
    public var k: Int

    /// Keeps the `k` best tokens.
    public init(_ k: Int) { self.k = k }

    public func apply(to candidates: inout TokenCandidates, history: ArraySlice<Int32>) {
        candidates.keepBest(max(1, k))
    }
}

/// Nucleus sampling: keeps the smallest set of most likely tokens whose probabilities sum to at
/// least `p` (Holtzman et al. 2019, https://arxiv.org/abs/1904.09751).
public struct TopP: SamplingStep {
    /// The probability mass to keep, in (0, 1].
    public var p: Float

    /// Keeps mass `p`.
    public init(_ p: Float) { self.p = p }

    /// How many best candidates are tried before falling back to a full sort.
    static let firstTry = 256

    public func apply(to candidates: inout TokenCandidates, history: ArraySlice<Int32>) {
        guard p < 1, candidates.count > 1 else { return }
        // The softmax denominator over all candidates; then usually the mass is reached within the
        // first few hundred, so only those are selected and sorted (exact either way).
        let maximum = Double(candidates.maximumLogit)
        guard maximum.isFinite else { return }
        let total = candidates.logits.reduce(0.0) { $0 + exp(Double($1) - maximum) }
        if !candidates.isSorted && candidates.count > Self.firstTry {
            var best = candidates
            best.keepBest(Self.firstTry)
            if let cut = Self.cutoff(best.logits, maximum: maximum, total: total, p: Double(p)) {
                best.keepPrefix(cut)
                candidates = best
                return
            }
        }
        candidates.sort()
        let cut = Self.cutoff(candidates.logits, maximum: maximum, total: total, p: Double(p)) ?? candidates.count
        candidates.keepPrefix(cut)
    }

    /// How many of the descending `logits` reach mass `p`, or nil if they all together don't.
    static func cutoff(_ logits: [Float], maximum: Double, total: Double, p: Double) -> Int? {
        var mass = 0.0
        for (index, logit) in logits.enumerated() {
            mass += exp(Double(logit) - maximum) / total
            if mass >= p { return index + 1 }
        }
        return nil
    }
}

/// Keeps tokens whose probability is at least `p` times the most likely token's
/// (llama.cpp's min-p, https://github.com/ggml-org/llama.cpp/pull/3841).
public struct MinP: SamplingStep {
    /// The fraction of the best probability a token needs, in [0, 1].
    public var p: Float

    /// Keeps tokens with at least `p` × the best probability.
    public init(_ p: Float) { self.p = p }

    public func apply(to candidates: inout TokenCandidates, history: ArraySlice<Int32>) {
        guard p > 0, candidates.count > 1 else { return }
        // p_i ≥ p · p_max  ⇔  logit_i ≥ logit_max + ln p (the softmax denominators cancel).
        candidates.keep(atLeast: candidates.maximumLogit + Float(log(Double(p))))
    }
}

/// Divides logits by the temperature: below 1 sharpens the distribution, above 1 flattens it.
public struct Temperature: SamplingStep {
    /// Greater than 0.
    public var temperature: Float

    /// Scales by 1 / `temperature`.
    public init(_ temperature: Float) { self.temperature = temperature }

    public func apply(to candidates: inout TokenCandidates, history: ArraySlice<Int32>) {
        guard temperature != 1 else { return }
        for index in candidates.logits.indices { candidates.logits[index] /= temperature }
    }
}
