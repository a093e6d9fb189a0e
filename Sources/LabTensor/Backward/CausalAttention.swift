import COpenBLAS
import Foundation

// Causal grouped-query attention over a whole sequence at once, as training needs it: the
// forward keeps the attention probabilities for the backward. Matrices go through sgemm per
// head; the strided head slices are read in place (lda = the row width), never copied.

/// Forward over one sequence of T positions. q (T, H·hs) and k, v (T, KVH·hs) are already
/// rotated; out (T, H·hs). `probabilities` (H, T, T) receives softmax(q·kᵀ/√hs) with the
/// causal mask (zeros above the diagonal), which `causalAttentionBackward` reads.
///
/// Architecture options, as the engine's `attentionForward`: `scale` replaces 1/√hs, `softcap` c
/// maps each score s to c·tanh(s/c) before the softmax, `window` w lets position t see only
/// positions t−w+1 … t (their probabilities are exact zeros, so the backward needs no mask).
public func causalAttentionForward(
    _ out: UnsafeMutablePointer<Float>, probabilities: UnsafeMutablePointer<Float>,
    q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
    rows T: Int, heads H: Int, kvHeads KVH: Int, headSize hs: Int,
    scale: Float? = nil, softcap: Float? = nil, window: Int? = nil
) {
    guard T > 0 else { return }
    let group = H / KVH
    let (qStride, kvStride) = (Int32(H * hs), Int32(KVH * hs))
    let scale = scale ?? 1 / Float(hs).squareRoot()
    for h in 0..<H {
        let p = probabilities + h * T * T
        let kvOffset = (h / group) * hs
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(T), Int32(T), Int32(hs),
            scale, q + h * hs, qStride, k + kvOffset, kvStride, 0, p, Int32(T)
        )
        for t in 0..<T {
            let row = p + t * T
            let first = window.map { max(0, t + 1 - $0) } ?? 0
            if let softcap {
                for j in first...t { row[j] = softcap * tanhf(row[j] / softcap) }
            }
            row.update(repeating: 0, count: first)
            softmaxForward(row + first, count: t + 1 - first)
            (row + t + 1).update(repeating: 0, count: T - t - 1)
        }
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(T), Int32(hs), Int32(T),
            1, p, Int32(T), v + kvOffset, kvStride, 0, out + h * hs, qStride
        )
    }
}

/// Backward of `causalAttentionForward`: from dout (T, H·hs) writes dq (T, H·hs) and adds to
/// dk, dv (T, KVH·hs), which the caller zeroes (query heads of one group share them).
/// With S = q·kᵀ/√hs, P = softmax(S), O = P·v:
/// dv += Pᵀ·dO, dP = dO·vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)), dq = dS·k/√hs, dk += dSᵀ·q/√hs.
/// `scratch` holds T·T floats, 2·T·T with a `softcap` (whose derivative 1 − tanh² needs the
/// scores, recomputed here rather than stored). The options must be those of the forward.
public func causalAttentionBackward(
    dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
    dout: UnsafePointer<Float>, probabilities: UnsafePointer<Float>,
    q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
    rows T: Int, heads H: Int, kvHeads KVH: Int, headSize hs: Int, scratch: UnsafeMutablePointer<Float>,
    scale: Float? = nil, softcap: Float? = nil
) {
    guard T > 0 else { return }
    let group = H / KVH
    let (qStride, kvStride) = (Int32(H * hs), Int32(KVH * hs))
    let scale = scale ?? 1 / Float(hs).squareRoot()
    let dS = scratch, scores = scratch + T * T
    for h in 0..<H {
        let p = probabilities + h * T * T
        let kvOffset = (h / group) * hs
        let dO = dout + h * hs
        cblas_sgemm(
            CblasRowMajor, CblasTrans, CblasNoTrans, Int32(T), Int32(hs), Int32(T),
            1, p, Int32(T), dO, qStride, 1, dv + kvOffset, kvStride
        )
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(T), Int32(T), Int32(hs),
            1, dO, qStride, v + kvOffset, kvStride, 0, dS, Int32(T)
        )
        for t in 0..<T {
            let pr = p + t * T, dr = dS + t * T
            let n = t + 1
            let weighted = dot(dr, pr, count: n)
            for j in 0..<n { dr[j] = pr[j] * (dr[j] - weighted) }
            (dr + n).update(repeating: 0, count: T - n)
        }
        if let softcap {
            // dS/ds of S = c·tanh(s/c) is 1 − tanh²(s/c).
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(T), Int32(T), Int32(hs),
                scale, q + h * hs, qStride, k + kvOffset, kvStride, 0, scores, Int32(T)
            )
            for t in 0..<T {
                for j in 0...t {
                    let capped = tanhf(scores[t * T + j] / softcap)
                    dS[t * T + j] *= 1 - capped * capped
                }
            }
        }
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(T), Int32(hs), Int32(T),
            scale, dS, Int32(T), k + kvOffset, kvStride, 0, dq + h * hs, qStride
        )
        cblas_sgemm(
            CblasRowMajor, CblasTrans, CblasNoTrans, Int32(T), Int32(hs), Int32(T),
            scale, dS, Int32(T), q + h * hs, qStride, 1, dk + kvOffset, kvStride
        )
    }
}

/// Double-precision twin of `causalAttentionBackward` that recomputes the probabilities itself.
public func causalAttentionBackwardNaive(
    dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
    dout: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
    rows T: Int, heads H: Int, kvHeads KVH: Int, headSize hs: Int,
    scale: Float? = nil, softcap: Float? = nil, window: Int? = nil
) {
    let (qw, kvw) = (H * hs, KVH * hs)
    let scale = scale.map(Double.init) ?? 1 / Double(hs).squareRoot()
    let first = { (t: Int) in window.map { max(0, t + 1 - $0) } ?? 0 }
    var dqAcc = [Double](repeating: 0, count: T * qw)
    var dkAcc = (0..<(T * kvw)).map { Double(dk[$0]) }
    var dvAcc = (0..<(T * kvw)).map { Double(dv[$0]) }
    for h in 0..<H {
        let g = h / (H / KVH)
        for t in 0..<T {
            var s = [Double](repeating: -.infinity, count: t + 1)
            var capFactor = [Double](repeating: 1, count: t + 1)
            for j in first(t)...t {
                var sum = 0.0
                for i in 0..<hs { sum += Double(q[t * qw + h * hs + i]) * Double(k[j * kvw + g * hs + i]) }
                s[j] = sum * scale
                if let softcap {
                    let c = Double(softcap), th = tanh(s[j] / c)
                    s[j] = c * th
                    capFactor[j] = 1 - th * th
                }
            }
            let m = s.max() ?? 0
            let e = s.map { exp($0 - m) }
            let total = e.reduce(0, +)
            let p = e.map { $0 / total }
            var dp = [Double](repeating: 0, count: t + 1)
            for j in 0...t {
                for i in 0..<hs {
                    dp[j] += Double(dout[t * qw + h * hs + i]) * Double(v[j * kvw + g * hs + i])
                    dvAcc[j * kvw + g * hs + i] += p[j] * Double(dout[t * qw + h * hs + i])
                }
            }
            let weighted = zip(dp, p).map(*).reduce(0, +)
            for j in 0...t {
                let ds = p[j] * (dp[j] - weighted) * capFactor[j] * scale
                for i in 0..<hs {
                    dqAcc[t * qw + h * hs + i] += ds * Double(k[j * kvw + g * hs + i])
                    dkAcc[j * kvw + g * hs + i] += ds * Double(q[t * qw + h * hs + i])
                }
            }
        }
    }
    for i in 0..<(T * qw) { dq[i] = Float(dqAcc[i]) }
    for i in 0..<(T * kvw) {
        dk[i] = Float(dkAcc[i])
        dv[i] = Float(dvAcc[i])
    }
}
