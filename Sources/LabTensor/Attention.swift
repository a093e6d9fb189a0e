import CAttentionKernel
import Foundation

/// The implementation of a decode row's attention (one query row against the cache): the C
/// kernel, or its Swift SIMD twin that bench/kernels measures it against.
public enum AttentionKernel: Sendable {
    case c, swift
}

/// Causal grouped-query attention of one sequence's new rows against its key/value cache.
///
/// q (T, H·hs) holds the queries of positions start ..< start+T; keys and values (≥ start+T,
/// KVH·hs) hold every position of the sequence so far, including the new ones; out (T, H·hs).
/// Query head h reads key/value head h / (H/KVH) (Ainslie et al. 2023, GQA). Row t attends to
/// positions 0 ... start+t with weights softmax(scale · q·k) (scale defaults to 1/√hs). Only
/// heads in `headRange` are computed, so callers can split heads across threads; `scratch` holds
/// ≥ start+T floats and must not be shared between concurrent calls.
///
/// Architecture options: `softcap` c replaces each score s by c·tanh(s/c) before the softmax
/// (Gemma 2); `window` w lets position p see only positions p−w+1 … p (sliding-window layers,
/// llama.cpp's LLAMA_SWA_TYPE_STANDARD).
public func attentionForward(
    _ out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>,
    keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
    rows T: Int, start: Int, heads H: Int, kvHeads KVH: Int, headSize hs: Int,
    headRange: Range<Int>, scratch: UnsafeMutablePointer<Float>, kernel: AttentionKernel = .c,
    scale: Float? = nil, softcap: Float? = nil, window: Int? = nil
) {
    let group = H / KVH
    let kvStride = KVH * hs
    let scale = scale ?? 1 / Float(hs).squareRoot()
    if softcap == nil && kernel == .c && cAttentionCovers(headSize: hs, softcap: nil) {
        attendThroughC(rows: T, start: start, heads: H, kvHeads: KVH, headSize: hs, headRange: headRange, window: window) { h, kvOffset in
            lab_attend_rows(
                out + h * hs, q + h * hs, H * hs, keys + kvOffset, values + kvOffset, kvStride, Int32(T), Int32(start),
                Int32(window ?? 0), Int32(hs), scale
            ) == 0
        } row: { o, kvOffset, first, n in
            lab_attend_row(out + o, q + o, keys + first * kvStride + kvOffset, values + first * kvStride + kvOffset, Int32(n), kvStride,
                           Int32(hs), scale, scratch)
        }
        return
    }
    for t in 0..<T {
        let end = start + t + 1
        let first = window.map { max(0, end - $0) } ?? 0
        let n = end - first
        let keys = keys + first * kvStride, values = values + first * kvStride
        for h in headRange {
            let query = q + t * H * hs + h * hs
            let kvOffset = (h / group) * hs
            let o = out + t * H * hs + h * hs
            if softcap == nil && hs % 64 == 0 {
                attendRow64(o, query: query, keys: keys + kvOffset, values: values + kvOffset, positions: n, stride: kvStride, headSize: hs, scale: scale, scratch: scratch)
                continue
            }
            for j in 0..<n {
                scratch[j] = dot(query, keys + j * kvStride + kvOffset, count: hs) * scale
            }
            if let softcap {
                for j in 0..<n { scratch[j] = softcap * tanhf(scratch[j] / softcap) }
            }
            softmaxForward(scratch, count: n)
            o.update(repeating: 0, count: hs)
            for j in 0..<n {
                axpy(o, values + j * kvStride + kvOffset, alpha: scratch[j], count: hs)
            }
        }
    }
}

/// `attentionForward` over a cache that stores keys and values as binary16 (llama.cpp's default
/// cache type): half the bytes to stream per decode step and half the memory. The C kernels read
/// them directly and, as llama.cpp's products with an F16 cache do, round the query and the
/// softmax weights to binary16 too; blocked rows give the bits of rows one by one. Only for what
/// those kernels cover: `cAttentionCovers(headSize:softcap:)`.
public func attentionForwardF16(
    _ out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>,
    keys: UnsafePointer<Float16>, values: UnsafePointer<Float16>,
    rows T: Int, start: Int, heads H: Int, kvHeads KVH: Int, headSize hs: Int,
    headRange: Range<Int>, scratch: UnsafeMutablePointer<Float>, scale: Float? = nil, window: Int? = nil
) {
    precondition(cAttentionCovers(headSize: hs, softcap: nil), "an F16 cache needs a head size that is a multiple of 64")
    let kvStride = KVH * hs
    let scale = scale ?? 1 / Float(hs).squareRoot()
    attendThroughC(rows: T, start: start, heads: H, kvHeads: KVH, headSize: hs, headRange: headRange, window: window) { h, kvOffset in
        lab_attend_rows_f16(
            out + h * hs, q + h * hs, H * hs, keys + kvOffset, values + kvOffset, kvStride, Int32(T), Int32(start),
            Int32(window ?? 0), Int32(hs), scale
        ) == 0
    } row: { o, kvOffset, first, n in
        lab_attend_row_f16(out + o, q + o, keys + first * kvStride + kvOffset, values + first * kvStride + kvOffset, Int32(n), kvStride,
                           Int32(hs), scale, scratch)
    }
}

/// The C kernels' walk over heads and rows, for either cache element: four or more rows (a
/// prompt) go through `blocked(head, kvOffset)` head by head (the same bits as row by row; false
/// when its scratch could not be allocated, and then every row goes through `row`), else each
/// row through `row(offset, kvOffset, first, count)`: the row's query/output offset, its key/value
/// head's offset, the first position it sees and how many.
private func attendThroughC(
    rows T: Int, start: Int, heads H: Int, kvHeads KVH: Int, headSize hs: Int, headRange: Range<Int>, window: Int?,
    blocked: (_ head: Int, _ kvOffset: Int) -> Bool, row: (_ offset: Int, _ kvOffset: Int, _ first: Int, _ count: Int) -> Void
) {
    let group = H / KVH
    if T >= 4 {
        var done = true
        for h in headRange where done { done = blocked(h, (h / group) * hs) }
        if done { return }
    }
    for t in 0..<T {
        let end = start + t + 1
        let first = window.map { max(0, end - $0) } ?? 0
        for h in headRange {
            row(t * H * hs + h * hs, (h / group) * hs, first, end - first)
        }
    }
}

/// Whether the C attention kernels take these heads (64-wide slices, no score cap): where
/// `attentionForward` uses them, and what `attentionForwardF16` (an F16 cache) needs.
public func cAttentionCovers(headSize: Int, softcap: Float?) -> Bool {
    headSize % 64 == 0 && softcap == nil
}

/// dst[i] = src[i] rounded to binary16 (to nearest, ties to even): a write into an F16 cache.
public func roundToF16(_ dst: UnsafeMutablePointer<Float16>, _ src: UnsafePointer<Float>, count: Int) {
    lab_to_f16(dst, src, count)
}

/// One query row of one head against `positions` keys and values (rows `stride` apart), for a
/// head size that is a multiple of 64: the decode step's attention. Each 64-wide slice of the
/// query stays in registers across the keys, and each 64-wide slice of the output accumulates
/// in registers across the values, instead of a load and store of the output per position.
@inline(__always)
private func attendRow64(
    _ out: UnsafeMutablePointer<Float>, query: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
    positions n: Int, stride: Int, headSize hs: Int, scale: Float, scratch: UnsafeMutablePointer<Float>
) {
    scratch.update(repeating: 0, count: n)
    for c in Swift.stride(from: 0, to: hs, by: 64) {
        let q0 = load16(query + c), q1 = load16(query + c + 16), q2 = load16(query + c + 32), q3 = load16(query + c + 48)
        for j in 0..<n {
            let k = keys + j * stride + c
            // The same pairing and order as `dot`, so both paths round alike: the int8
            // activations after attention amplify a last-bit difference into visible logit noise.
            var a = q0 * load16(k), b = q1 * load16(k + 16)
            a.addProduct(q2, load16(k + 32))
            b.addProduct(q3, load16(k + 48))
            scratch[j] += (a + b).sum()
        }
    }
    for j in 0..<n { scratch[j] *= scale }
    softmaxForward(scratch, count: n)
    for c in Swift.stride(from: 0, to: hs, by: 64) {
        var o0 = SIMD16<Float>(), o1 = SIMD16<Float>(), o2 = SIMD16<Float>(), o3 = SIMD16<Float>()
        for j in 0..<n {
            let p = SIMD16<Float>(repeating: scratch[j])
            let v = values + j * stride + c
            o0.addProduct(p, load16(v))
            o1.addProduct(p, load16(v + 16))
            o2.addProduct(p, load16(v + 32))
            o3.addProduct(p, load16(v + 48))
        }
        store16(o0, out + c)
        store16(o1, out + c + 16)
        store16(o2, out + c + 32)
        store16(o3, out + c + 48)
    }
}

/// Double-precision twin of `attentionForward` over all heads.
public func attentionForwardNaive(
    _ out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>,
    keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
    rows T: Int, start: Int, heads H: Int, kvHeads KVH: Int, headSize hs: Int,
    scale: Float? = nil, softcap: Float? = nil, window: Int? = nil
) {
    let scale = scale.map(Double.init) ?? 1 / Double(hs).squareRoot()
    for t in 0..<T {
        let n = start + t + 1
        let first = window.map { max(0, n - $0) } ?? 0
        for h in 0..<H {
            let kv = h / (H / KVH)
            var scores = [Double](repeating: -.infinity, count: n)
            for j in first..<n {
                var s = 0.0
                for i in 0..<hs {
                    s += Double(q[t * H * hs + h * hs + i]) * Double(keys[j * KVH * hs + kv * hs + i])
                }
                scores[j] = s * scale
                if let softcap { scores[j] = Double(softcap) * tanh(scores[j] / Double(softcap)) }
            }
            let maximum = scores.max() ?? 0
            let weights = scores.map { exp($0 - maximum) }
            let total = weights.reduce(0, +)
            for i in 0..<hs {
                var sum = 0.0
                for j in first..<n {
                    sum += weights[j] / total * Double(values[j * KVH * hs + kv * hs + i])
                }
                out[t * H * hs + h * hs + i] = Float(sum)
            }
        }
    }
}
