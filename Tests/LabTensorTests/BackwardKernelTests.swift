import Foundation
import LabTensor
import Testing

@Suite("Backward kernels: fast equals naive, naive equals finite differences")
struct BackwardKernelTests {
    @Test("matmul backward", arguments: [(1, 32, 8), (7, 64, 48), (33, 40, 130)])
    func matmul(shape: (Int, Int, Int)) {
        let (T, C, OC) = shape
        var data = TestData(seed: 11)
        let x = data.floats(T * C), w = data.floats(OC * C), r = data.floats(T * OC)
        let initialDx = data.floats(T * C), initialDw = data.floats(OC * C)
        var dx = initialDx, dw = initialDw, dxNaive = initialDx, dwNaive = initialDw
        matmulBackward(dx: &dx, dw: &dw, dout: r, x: x, w: w, rows: T, inputs: C, outputs: OC, accumulateInput: true)
        matmulBackwardNaive(dx: &dxNaive, dw: &dwNaive, dout: r, x: x, w: w, rows: T, inputs: C, outputs: OC, accumulateInput: true)
        expectClose(dx, dxNaive, tolerance: 1e-5, "dx")
        expectClose(dw, dwNaive, tolerance: 1e-5, "dw")

        func loss(_ x: [Float], _ w: [Float]) -> Double {
            var y = [Float](repeating: 0, count: T * OC)
            matmulForwardNaive(&y, x, w, rows: T, inputs: C, outputs: OC)
            return weightedSum(y, r)
        }
        var freshDx = [Float](repeating: 0, count: T * C), freshDw = [Float](repeating: 0, count: OC * C)
        matmulBackwardNaive(dx: &freshDx, dw: &freshDw, dout: r, x: x, w: w, rows: T, inputs: C, outputs: OC)
        let xi = sample(T * C), wi = sample(OC * C)
        expectGradient(freshDx, numericGradient(x, at: xi) { loss($0, w) }, at: xi, "dx")
        expectGradient(freshDw, numericGradient(w, at: wi) { loss(x, $0) }, at: wi, "dw")
    }

    @Test("RMSNorm backward", arguments: [(1, 16), (5, 64), (3, 37)])
    func rmsnorm(shape: (Int, Int)) {
        let (T, C) = shape
        var data = TestData(seed: 12)
        let x = data.floats(T * C), weight = data.floats(C).map { 1 + $0 / 2 }, r = data.floats(T * C)
        var dx = [Float](repeating: 0, count: T * C), dw = [Float](repeating: 0, count: C)
        var dxNaive = dx, dwNaive = dw
        rmsnormBackward(dx: &dx, dweight: &dw, dout: r, x: x, weight: weight, rows: T, channels: C, epsilon: 1e-5)
        rmsnormBackwardNaive(dx: &dxNaive, dweight: &dwNaive, dout: r, x: x, weight: weight, rows: T, channels: C, epsilon: 1e-5)
        expectClose(dx, dxNaive, tolerance: 1e-5, "dx")
        expectClose(dw, dwNaive, tolerance: 1e-5, "dweight")

        func loss(_ x: [Float], _ weight: [Float]) -> Double {
            var y = [Float](repeating: 0, count: T * C)
            rmsnormForwardNaive(&y, x, weight, rows: T, channels: C, epsilon: 1e-5)
            return weightedSum(y, r)
        }
        let xi = sample(T * C), wi = sample(C)
        expectGradient(dxNaive, numericGradient(x, at: xi, step: 1e-3) { loss($0, weight) }, at: xi, "dx")
        expectGradient(dwNaive, numericGradient(weight, at: wi, step: 1e-3) { loss(x, $0) }, at: wi, "dweight")
    }

    @Test("RoPE backward", arguments: [64, 32])
    func rope(dimensions: Int) {
        let (T, H, hs) = (5, 3, 64)
        let positions = [0, 1, 2, 7, 300]
        var data = TestData(seed: 13)
        let x = data.floats(T * H * hs), r = data.floats(T * H * hs)
        let table = RotaryTable(positions: positions, dimensions: dimensions, base: 100_000)
        var fast = r, naive = r
        ropeBackward(&fast, table: table, rows: T, heads: H, headSize: hs)
        ropeBackwardNaive(&naive, positions: positions, dimensions: dimensions, base: 100_000, rows: T, heads: H, headSize: hs)
        expectClose(fast, naive, tolerance: 1e-5, "rope backward")
        let indices = sample(T * H * hs, 20)
        let numeric = numericGradient(x, at: indices) { x in
            var y = x
            ropeForwardNaive(&y, positions: positions, dimensions: dimensions, base: 100_000, rows: T, heads: H, headSize: hs)
            return weightedSum(y, r)
        }
        expectGradient(naive, numeric, at: indices, "dx")
    }

    @Test("SwiGLU backward")
    func swiglu() {
        var data = TestData(seed: 14)
        let N = 97
        let gate = data.floats(N, scale: 4), up = data.floats(N, scale: 2), r = data.floats(N)
        var dg = [Float](repeating: 0, count: N), du = dg, dgNaive = dg, duNaive = dg
        swigluBackward(dgate: &dg, dup: &du, dout: r, gate: gate, up: up, count: N)
        swigluBackwardNaive(dgate: &dgNaive, dup: &duNaive, dout: r, gate: gate, up: up, count: N)
        expectClose(dg, dgNaive, tolerance: 1e-5, "dgate")
        expectClose(du, duNaive, tolerance: 1e-5, "dup")
        func loss(_ g: [Float], _ u: [Float]) -> Double {
            var y = [Float](repeating: 0, count: N)
            swigluForwardNaive(&y, gate: g, up: u, count: N)
            return weightedSum(y, r)
        }
        let indices = sample(N, 30)
        expectGradient(dgNaive, numericGradient(gate, at: indices, step: 1e-3) { loss($0, up) }, at: indices, "dgate")
        expectGradient(duNaive, numericGradient(up, at: indices, step: 1e-3) { loss(gate, $0) }, at: indices, "dup")
    }

    @Test("SwiGLU backward in place over its inputs gives the same gradients")
    func swigluInPlace() {
        var data = TestData(seed: 15)
        let N = 33
        let gate = data.floats(N, scale: 3), up = data.floats(N), r = data.floats(N)
        var dg = [Float](repeating: 0, count: N), du = dg
        swigluBackward(dgate: &dg, dup: &du, dout: r, gate: gate, up: up, count: N)
        var g = gate, u = up
        g.withUnsafeMutableBufferPointer { gp in
            u.withUnsafeMutableBufferPointer { up in
                swigluBackward(dgate: gp.baseAddress!, dup: up.baseAddress!, dout: r, gate: gp.baseAddress!, up: up.baseAddress!, count: N)
            }
        }
        #expect(g == dg && u == du)
    }

    @Test("causal attention forward equals the cached engine's attention", arguments: [(1, 4, 2), (9, 4, 2), (17, 3, 3), (6, 4, 1)])
    func attentionForward(shape: (Int, Int, Int)) {
        let (T, H, KVH) = shape
        let hs = 16
        var data = TestData(seed: 16)
        let q = data.floats(T * H * hs), k = data.floats(T * KVH * hs), v = data.floats(T * KVH * hs)
        var out = [Float](repeating: 0, count: T * H * hs), naive = out
        var probabilities = [Float](repeating: -1, count: H * T * T)
        causalAttentionForward(&out, probabilities: &probabilities, q: q, k: k, v: v, rows: T, heads: H, kvHeads: KVH, headSize: hs)
        attentionForwardNaive(&naive, q: q, keys: k, values: v, rows: T, start: 0, heads: H, kvHeads: KVH, headSize: hs)
        expectClose(out, naive, tolerance: 1e-5, "attention output")
        for h in 0..<H {
            for t in 0..<T {
                let row = probabilities[(h * T + t) * T ..< (h * T + t + 1) * T]
                #expect(abs(row.reduce(0, +) - 1) < 1e-5)
                #expect(row.dropFirst(t + 1).allSatisfy { $0 == 0 }, "no weight on future positions")
            }
        }
    }

    @Test("causal attention backward", arguments: [(1, 4, 2), (9, 4, 2), (17, 3, 3), (6, 4, 1)])
    func attentionBackward(shape: (Int, Int, Int)) {
        let (T, H, KVH) = shape
        let hs = 16
        var data = TestData(seed: 17)
        let q = data.floats(T * H * hs), k = data.floats(T * KVH * hs), v = data.floats(T * KVH * hs)
        let r = data.floats(T * H * hs)
        var out = [Float](repeating: 0, count: T * H * hs), probabilities = [Float](repeating: 0, count: H * T * T)
        causalAttentionForward(&out, probabilities: &probabilities, q: q, k: k, v: v, rows: T, heads: H, kvHeads: KVH, headSize: hs)
        var dq = [Float](repeating: 0, count: T * H * hs), dk = [Float](repeating: 0, count: T * KVH * hs), dv = dk
        var scratch = [Float](repeating: 0, count: T * T)
        causalAttentionBackward(dq: &dq, dk: &dk, dv: &dv, dout: r, probabilities: probabilities, q: q, k: k, v: v,
                                rows: T, heads: H, kvHeads: KVH, headSize: hs, scratch: &scratch)
        var dqNaive = dq.map { _ in Float(0) }, dkNaive = dk.map { _ in Float(0) }, dvNaive = dkNaive
        causalAttentionBackwardNaive(dq: &dqNaive, dk: &dkNaive, dv: &dvNaive, dout: r, q: q, k: k, v: v,
                                     rows: T, heads: H, kvHeads: KVH, headSize: hs)
        expectClose(dq, dqNaive, tolerance: 1e-5, "dq")
        expectClose(dk, dkNaive, tolerance: 1e-5, "dk")
        expectClose(dv, dvNaive, tolerance: 1e-5, "dv")

        func loss(_ q: [Float], _ k: [Float], _ v: [Float]) -> Double {
            var y = [Float](repeating: 0, count: T * H * hs)
            attentionForwardNaive(&y, q: q, keys: k, values: v, rows: T, start: 0, heads: H, kvHeads: KVH, headSize: hs)
            return weightedSum(y, r)
        }
        let qi = sample(q.count), ki = sample(k.count)
        expectGradient(dqNaive, numericGradient(q, at: qi) { loss($0, k, v) }, at: qi, "dq")
        expectGradient(dkNaive, numericGradient(k, at: ki) { loss(q, $0, v) }, at: ki, "dk")
        expectGradient(dvNaive, numericGradient(v, at: ki) { loss(q, k, $0) }, at: ki, "dv")
    }

    @Test("cross-entropy: loss in Double, gradient equals finite differences, masked rows add nothing")
    func crossEntropy() {
        let (T, V) = (4, 50)
        var data = TestData(seed: 18)
        let logits = data.floats(T * V, scale: 5)
        let targets: [Int32] = [3, -1, 49, 0]
        func exactLoss(_ logits: [Float]) -> Double {
            var total = 0.0
            for (t, target) in targets.enumerated() where target >= 0 {
                let row = logits[(t * V)..<((t + 1) * V)].map(Double.init)
                let m = row.max()!
                total += m + log(row.map { exp($0 - m) }.reduce(0, +)) - row[Int(target)]
            }
            return total
        }
        let scale: Float = 1 / 3
        var gradient = logits
        let result = crossEntropyForwardBackward(&gradient, targets: targets, vocabulary: V, scale: scale)
        #expect(result.count == 3)
        #expect(abs(result.nllSum - exactLoss(logits)) < 1e-4)
        let evaluation = crossEntropyLoss(logits, targets: targets, vocabulary: V)
        #expect(evaluation.count == 3 && abs(evaluation.nllSum - result.nllSum) < 1e-9)
        #expect(gradient[V..<(2 * V)].allSatisfy { $0 == 0 }, "the masked row has no gradient")
        let indices = sample(T * V, 40)
        let numeric = numericGradient(logits, at: indices, step: 1e-2) { Double(scale) * exactLoss($0) }
        expectGradient(gradient, numeric, at: indices, "dlogits")
    }

    @Test("embedding backward adds each row's gradient to its token, repeats included")
    func embedding() {
        let C = 8
        var table = [Float](repeating: 0, count: 5 * C)
        let dout = (0..<(3 * C)).map { Float($0) }
        embeddingBackward(&table, dout: dout, tokens: [4, 1, 4], channels: C)
        #expect(Array(table[(4 * C)..<(5 * C)]) == (0..<C).map { Float($0) + Float($0 + 2 * C) })
        #expect(Array(table[C..<(2 * C)]) == (0..<C).map { Float($0 + C) })
        #expect(table[0..<C].allSatisfy { $0 == 0 })
    }
}
