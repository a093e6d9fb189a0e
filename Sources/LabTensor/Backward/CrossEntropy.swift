import Foundation

// Next-token cross-entropy over rows of logits, and its gradient written over the logits.

/// For each row t with `targets[t] ≥ 0`: nll = logsumexp(logits_t) − logits_t[target]; rows with a
/// negative target (masked: prompt tokens, the last position) add nothing. Replaces `logits`
/// (T, V) by ∂(scale · Σ nll)/∂logits = scale · (softmax − onehot) on counted rows and 0 on the
/// others, so a (T, V) buffer is never allocated twice. Returns Σ nll (unscaled, in Double) and
/// the number of counted rows.
public func crossEntropyForwardBackward(
    _ logits: UnsafeMutablePointer<Float>, targets: [Int32], vocabulary V: Int, scale: Float
) -> (nllSum: Double, count: Int) {
    crossEntropyForwardBackward(logits, targets: targets, vocabulary: V) { _ in scale }
}

/// `crossEntropyForwardBackward` with a scale per row (row t's gradient is scale(t) · (softmax −
/// onehot)): a loss that weighs sequences differently, such as DPO's, whose weight of a sequence
/// depends on its own log-likelihood.
public func crossEntropyForwardBackward(
    _ logits: UnsafeMutablePointer<Float>, targets: [Int32], vocabulary V: Int, rowScale: (Int) -> Float
) -> (nllSum: Double, count: Int) {
    var total = 0.0
    var count = 0
    for (t, target) in targets.enumerated() {
        let row = logits + t * V
        guard target >= 0 else {
            row.update(repeating: 0, count: V)
            continue
        }
        let scale = rowScale(t)
        let normaliser = logSumExp(row, count: V)
        total += normaliser - Double(row[Int(target)])
        count += 1
        let shift = Float(normaliser)
        for j in 0..<V { row[j] = expf(row[j] - shift) * scale }
        row[Int(target)] -= scale
    }
    return (total, count)
}

/// nll of each row (0 for a masked row), without touching the logits.
public func crossEntropyRowLosses(_ logits: UnsafePointer<Float>, targets: [Int32], vocabulary V: Int) -> [Double] {
    targets.enumerated().map { t, target in
        target >= 0 ? logSumExp(logits + t * V, count: V) - Double(logits[t * V + Int(target)]) : 0
    }
}

/// Σ nll over the counted rows, without touching the logits (evaluation).
public func crossEntropyLoss(_ logits: UnsafePointer<Float>, targets: [Int32], vocabulary V: Int) -> (nllSum: Double, count: Int) {
    var total = 0.0
    var count = 0
    for (t, target) in targets.enumerated() where target >= 0 {
        total += logSumExp(logits + t * V, count: V) - Double(logits[t * V + Int(target)])
        count += 1
    }
    return (total, count)
}
