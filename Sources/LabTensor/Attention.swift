import Foundation

/// Causal grouped-query attention of one sequence's new rows against its key/value cache.
///
/// q (T, H·hs) holds the queries of positions start ..< start+T; keys and values (≥ start+T,
/// KVH·hs) hold every position of the sequence so far, including the new ones; out (T, H·hs).
/// Query head h reads key/value head h / (H/KVH) (Ainslie et al. 2023, GQA). Row t attends to
/// positions 0 ... start+t with weights softmax(q·k / √hs). Only heads in `headRange` are
/// computed, so callers can split heads across threads; `scratch` holds ≥ start+T floats and
/// must not be shared between concurrent calls.
public func attentionForward(
    _ out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>,
    keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
    rows T: Int, start: Int, heads H: Int, kvHeads KVH: Int, headSize hs: Int,
    headRange: Range<Int>, scratch: UnsafeMutablePointer<Float>
) {
    let group = H / KVH
    let kvStride = KVH * hs
    let scale = 1 / Float(hs).squareRoot()
    for t in 0..<T {
        let n = start + t + 1
        for h in headRange {
            let query = q + t * H * hs + h * hs
            let kvOffset = (h / group) * hs
            for j in 0..<n {
                scratch[j] = dot(query, keys + j * kvStride + kvOffset, count: hs) * scale
            }
            softmaxForward(scratch, count: n)
            let o = out + t * H * hs + h * hs
            o.update(repeating: 0, count: hs)
            for j in 0..<n {
                axpy(o, values + j * kvStride + kvOffset, alpha: scratch[j], count: hs)
            }
        }
    }
}

/// Double-precision twin of `attentionForward` over all heads.
public func attentionForwardNaive(
    _ out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>,
    keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
    rows T: Int, start: Int, heads H: Int, kvHeads KVH: Int, headSize hs: Int
) {
    for t in 0..<T {
        let n = start + t + 1
        for h in 0..<H {
            let kv = h / (H / KVH)
            var scores = [Double](repeating: 0, count: n)
            for j in 0..<n {
                var s = 0.0
                for i in 0..<hs {
                    s += Double(q[t * H * hs + h * hs + i]) * Double(keys[j * KVH * hs + kv * hs + i])
                }
                scores[j] = s / Double(hs).squareRoot()
            }
            let maximum = scores.max() ?? 0
            let weights = scores.map { exp($0 - maximum) }
            let total = weights.reduce(0, +)
            for i in 0..<hs {
                var sum = 0.0
                for j in 0..<n {
                    sum += weights[j] / total * Double(values[j * KVH * hs + kv * hs + i])
                }
                out[t * H * hs + h * hs + i] = Float(sum)
            }
        }
    }
}
