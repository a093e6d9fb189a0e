import Foundation
import LabTensor
import Testing

// The pieces other architectures add to the block: rotate-half RoPE, GeGLU, attention with its
// own scale, soft-capping and a sliding window. Each fast kernel equals its naive twin, and each
// naive backward equals central differences of the naive forward.

@Suite("Architecture kernels: rotate-half RoPE, GeGLU, scaled, capped and windowed attention")
struct ArchitectureKernelTests {
    @Test("rotate-half RoPE: fast equals naive, pairs (i, i + d/2), backward equals finite differences", arguments: [32, 16])
    func ropeHalves(dimensions: Int) {
        let (T, H, hs) = (4, 2, 32)
        let positions = [0, 3, 9, 120]
        var data = TestData(seed: 31)
        let x = data.floats(T * H * hs), r = data.floats(T * H * hs)
        let table = RotaryTable(positions: positions, dimensions: dimensions, base: 10_000)
        var fast = x, naive = x
        ropeForward(&fast, table: table, rows: T, heads: H, headSize: hs, style: .halves)
        ropeForwardNaive(&naive, positions: positions, dimensions: dimensions, base: 10_000, rows: T, heads: H, headSize: hs, style: .halves)
        expectClose(fast, naive, tolerance: 1e-5, "rope halves forward")
        // Position 0 is the identity; elements past the rotated dimensions pass through.
        #expect(Array(fast[0..<hs]) == Array(x[0..<hs]))
        if dimensions < hs { #expect(fast[H * hs + hs - 1] == x[H * hs + hs - 1], "unrotated dimensions pass through") }
        // Pair (0, d/2) of row 1 rotates by position 3's first angle (frequency 1).
        let (a, b) = (x[H * hs], x[H * hs + dimensions / 2])
        #expect(abs(fast[H * hs] - (a * Float(cos(3.0)) - b * Float(sin(3.0)))) < 1e-5)
        var dFast = r, dNaive = r
        ropeBackward(&dFast, table: table, rows: T, heads: H, headSize: hs, style: .halves)
        ropeBackwardNaive(&dNaive, positions: positions, dimensions: dimensions, base: 10_000, rows: T, heads: H, headSize: hs, style: .halves)
        expectClose(dFast, dNaive, tolerance: 1e-5, "rope halves backward")
        let indices = sample(x.count, 20)
        expectGradient(dNaive, numericGradient(x, at: indices) { x in
            var y = x
            ropeForwardNaive(&y, positions: positions, dimensions: dimensions, base: 10_000, rows: T, heads: H, headSize: hs, style: .halves)
            return weightedSum(y, r)
        }, at: indices, "dx")
    }

    @Test("GeGLU: the engine's binary16 table within binary16 rounding of the exact form; backward equals finite differences")
    func geglu() {
        var data = TestData(seed: 32)
        let N = 200
        let gate = data.floats(N, scale: 6) + [-10.5, 10.5, 0], up = data.floats(N + 3, scale: 2), r = data.floats(N + 3)
        let n = gate.count
        var table = [Float](repeating: 0, count: n), exact = table, naive = table
        gegluForward(&table, gate: gate, up: up, count: n)
        gegluForwardExact(&exact, gate: gate, up: up, count: n)
        gegluForwardNaive(&naive, gate: gate, up: up, count: n)
        expectClose(exact, naive, tolerance: 1e-5, "exact vs naive")
        for i in 0..<n {
            // binary16 keeps 11 significant bits: input and output rounding, times |up| ≤ 2·3.
            let bound = 4e-3 * (abs(exact[i]) + abs(up[i]) * (abs(gate[i]) + 1))
            #expect(abs(table[i] - exact[i]) <= bound, "gelu table at \(gate[i]): \(table[i]) vs \(exact[i])")
        }
        #expect(table[N] == 0 && table[N + 1] == 10.5 * up[N + 1], "|gate| ≥ 10 passes through as llama.cpp does")
        var dg = [Float](repeating: 0, count: n), du = dg
        gegluBackward(dgate: &dg, dup: &du, dout: r, gate: gate, up: up, count: n)
        func loss(_ g: [Float], _ u: [Float]) -> Double {
            var y = [Float](repeating: 0, count: n)
            gegluForwardNaive(&y, gate: g, up: u, count: n)
            return weightedSum(y, r)
        }
        let indices = sample(N, 40)
        expectGradient(dg, numericGradient(gate, at: indices, step: 1e-3) { loss($0, up) }, at: indices, "dgate")
        expectGradient(du, numericGradient(up, at: indices, step: 1e-3) { loss(gate, $0) }, at: indices, "dup")
    }

    @Test("cached attention with scale, soft-cap and window equals the naive twin",
          arguments: [(0.3 as Float?, 5.0 as Float?, 4 as Int?), (nil, nil, 3), (0.2, nil, nil), (nil, 2.0, nil)])
    func cachedAttention(options: (Float?, Float?, Int?)) {
        let (scale, softcap, window) = options
        let (T, start, H, KVH) = (5, 4, 4, 2)
        for hs in [16, 64] {
            var data = TestData(seed: 33)
            let n = start + T
            let q = data.floats(T * H * hs, scale: 2), keys = data.floats(n * KVH * hs, scale: 2), values = data.floats(n * KVH * hs)
            var naive = [Float](repeating: 0, count: T * H * hs)
            attentionForwardNaive(&naive, q: q, keys: keys, values: values, rows: T, start: start, heads: H, kvHeads: KVH, headSize: hs,
                                  scale: scale, softcap: softcap, window: window)
            for kernel in [AttentionKernel.c, .swift] {
                var out = [Float](repeating: 0, count: T * H * hs), scratch = [Float](repeating: 0, count: n)
                attentionForward(&out, q: q, keys: keys, values: values, rows: T, start: start, heads: H, kvHeads: KVH, headSize: hs,
                                 headRange: 0..<H, scratch: &scratch, kernel: kernel, scale: scale, softcap: softcap, window: window)
                expectClose(out, naive, tolerance: 1e-5, "hs \(hs) \(kernel)")
            }
        }
    }

    @Test("training attention with scale, soft-cap and window: forward equals the engine's, backward equals finite differences",
          arguments: [(0.3 as Float?, 5.0 as Float?, 4 as Int?), (nil, nil, 3), (0.25, 3.0, nil)])
    func trainingAttention(options: (Float?, Float?, Int?)) {
        let (scale, softcap, window) = options
        let (T, H, KVH, hs) = (9, 4, 2, 16)
        var data = TestData(seed: 34)
        let q = data.floats(T * H * hs, scale: 2), k = data.floats(T * KVH * hs, scale: 2), v = data.floats(T * KVH * hs)
        let r = data.floats(T * H * hs)
        var out = [Float](repeating: 0, count: T * H * hs), naive = out
        var probabilities = [Float](repeating: 0, count: H * T * T)
        causalAttentionForward(&out, probabilities: &probabilities, q: q, k: k, v: v, rows: T, heads: H, kvHeads: KVH, headSize: hs,
                               scale: scale, softcap: softcap, window: window)
        attentionForwardNaive(&naive, q: q, keys: k, values: v, rows: T, start: 0, heads: H, kvHeads: KVH, headSize: hs,
                              scale: scale, softcap: softcap, window: window)
        expectClose(out, naive, tolerance: 1e-5, "forward")
        if let window {
            for h in 0..<H {
                for t in 0..<T {
                    let row = probabilities[(h * T + t) * T ..< (h * T + t + 1) * T]
                    #expect(row.prefix(max(0, t + 1 - window)).allSatisfy { $0 == 0 }, "nothing outside the window")
                }
            }
        }
        var dq = [Float](repeating: 0, count: T * H * hs), dk = [Float](repeating: 0, count: T * KVH * hs), dv = dk
        var scratch = [Float](repeating: 0, count: 2 * T * T)
        causalAttentionBackward(dq: &dq, dk: &dk, dv: &dv, dout: r, probabilities: probabilities, q: q, k: k, v: v,
                                rows: T, heads: H, kvHeads: KVH, headSize: hs, scratch: &scratch, scale: scale, softcap: softcap)
        var dqNaive = dq.map { _ in Float(0) }, dkNaive = dk.map { _ in Float(0) }, dvNaive = dkNaive
        causalAttentionBackwardNaive(dq: &dqNaive, dk: &dkNaive, dv: &dvNaive, dout: r, q: q, k: k, v: v,
                                     rows: T, heads: H, kvHeads: KVH, headSize: hs, scale: scale, softcap: softcap, window: window)
        expectClose(dq, dqNaive, tolerance: 1e-5, "dq")
        expectClose(dk, dkNaive, tolerance: 1e-5, "dk")
        expectClose(dv, dvNaive, tolerance: 1e-5, "dv")
        func loss(_ q: [Float], _ k: [Float], _ v: [Float]) -> Double {
            var y = [Float](repeating: 0, count: T * H * hs)
            attentionForwardNaive(&y, q: q, keys: k, values: v, rows: T, start: 0, heads: H, kvHeads: KVH, headSize: hs,
                                  scale: scale, softcap: softcap, window: window)
            return weightedSum(y, r)
        }
        let qi = sample(q.count), ki = sample(k.count)
        expectGradient(dqNaive, numericGradient(q, at: qi, step: 1e-3) { loss($0, k, v) }, at: qi, "dq")
        expectGradient(dkNaive, numericGradient(k, at: ki, step: 1e-3) { loss(q, $0, v) }, at: ki, "dk")
        expectGradient(dvNaive, numericGradient(v, at: ki, step: 1e-3) { loss(q, k, $0) }, at: ki, "dv")
    }
}
