import CAttentionKernel
import Foundation
import LabTensor
import Synchronization
import Testing

@Suite("Dense kernels agree with their naive twins")
struct DenseKernelTests {
    @Test("sgemm matmul equals the naive triple loop", arguments: [(1, 32, 8), (7, 64, 48), (33, 96, 130)])
    func matmulMatchesNaive(shape: (Int, Int, Int)) {
        let (T, C, OC) = shape
        var data = TestData(seed: 1)
        let x = data.floats(T * C), w = data.floats(OC * C)
        var fast = [Float](repeating: 0, count: T * OC), naive = fast
        matmulForward(&fast, x, w, rows: T, inputs: C, outputs: OC)
        matmulForwardNaive(&naive, x, w, rows: T, inputs: C, outputs: OC)
        expectClose(fast, naive, tolerance: 1e-5, "matmul \(shape)")
    }

    @Test("matmul into a column slice with accumulation adds to the right columns")
    func matmulAccumulatesIntoSlice() {
        var data = TestData(seed: 2)
        let (T, C, OC) = (3, 32, 10)
        let x = data.floats(T * C), w = data.floats(OC * C)
        var product = [Float](repeating: 0, count: T * OC)
        matmulForwardNaive(&product, x, w, rows: T, inputs: C, outputs: OC)
        let initial = data.floats(T * 2 * OC)
        var wide = initial
        wide.withUnsafeMutableBufferPointer { buffer in
            matmulForward(buffer.baseAddress! + OC, x, w, rows: T, inputs: C, outputs: OC, outStride: 2 * OC, accumulate: true)
        }
        var expected = initial
        for t in 0..<T {
            for o in 0..<OC { expected[t * 2 * OC + OC + o] += product[t * OC + o] }
        }
        expectClose(wide, expected, tolerance: 1e-5, "accumulated slice")
    }

    @Test("RMSNorm equals the naive version", arguments: [(1, 16), (5, 576), (3, 37)])
    func rmsnormMatchesNaive(shape: (Int, Int)) {
        let (T, C) = shape
        var data = TestData(seed: 3)
        let x = data.floats(T * C, scale: 3), weight = data.floats(C)
        var fast = [Float](repeating: 0, count: T * C), naive = fast
        rmsnormForward(&fast, x, weight, rows: T, channels: C, epsilon: 1e-5)
        rmsnormForwardNaive(&naive, x, weight, rows: T, channels: C, epsilon: 1e-5)
        expectClose(fast, naive, tolerance: 1e-5, "rmsnorm \(shape)")
    }

    @Test("RoPE with a shared angle table equals per-element angles", arguments: [64, 32])
    func ropeMatchesNaive(rotated: Int) {
        var data = TestData(seed: 4)
        let (T, H, hs) = (4, 3, 64)
        let positions = [0, 1, 17, 4000]
        let x = data.floats(T * H * hs)
        var fast = x, naive = x
        let table = RotaryTable(positions: positions, dimensions: rotated, base: 100_000)
        ropeForward(&fast, table: table, rows: T, heads: H, headSize: hs)
        ropeForwardNaive(&naive, positions: positions, dimensions: rotated, base: 100_000, rows: T, heads: H, headSize: hs)
        expectClose(fast, naive, tolerance: 1e-5, "rope over \(rotated) dimensions")
        if rotated < hs {
            #expect(fast[rotated..<hs] == x[rotated..<hs], "dimensions past the rotated ones must pass through")
        }
    }

    @Test("RoPE at position zero leaves the vector unchanged")
    func ropeAtZeroIsIdentity() {
        var data = TestData(seed: 5)
        let x = data.floats(64)
        var rotated = x
        ropeForward(&rotated, table: RotaryTable(positions: [0], dimensions: 64, base: 10_000), rows: 1, heads: 1, headSize: 64)
        #expect(rotated == x)
    }

    @Test("softmax equals the naive version and sums to one")
    func softmaxMatchesNaive() {
        var data = TestData(seed: 6)
        let x = data.floats(300, scale: 20)
        var fast = x, naive = x
        softmaxForward(&fast, count: x.count)
        softmaxForwardNaive(&naive, count: x.count)
        expectClose(fast, naive, tolerance: 1e-6, "softmax")
        #expect(abs(fast.reduce(0, +) - 1) < 1e-5)
    }

    @Test("log-sum-exp equals the log of the naive sum")
    func logSumExpMatchesNaive() {
        var data = TestData(seed: 7)
        let x = data.floats(1000, scale: 30)
        let naive = log(x.reduce(0.0) { $0 + exp(Double($1)) })
        #expect(abs(logSumExp(x, count: x.count) - naive) < 1e-5)
    }

    @Test("the exponential is within 2 units in the last place of the true value, 0 below −87.33 and +∞ above 88.38")
    func exponentialAccuracy() {
        var worst = 0.0
        for i in 0...200_000 {
            let x = Float(-87.3 + Double(i) * (88.3 + 87.3) / 200_000)
            let exact = exp(Double(x)), got = Double(lab_exp(x))
            let ulp = Double(Float(exact).ulp)
            worst = max(worst, abs(got - exact) / ulp)
        }
        #expect(worst <= 2, "worst error \(worst) ulp")
        #expect(lab_exp(-88) == 0 && lab_exp(-1000) == 0 && lab_exp(89) == .infinity && lab_exp(0) == 1)
        #expect(lab_exp(.nan).isNaN)
    }

    @Test("softmax and SwiGLU give the bits of their scalar definition: eight lanes at a time equal one value at a time",
          arguments: [1, 7, 8, 29, 300])
    func vectorActivationsEqualScalar(count: Int) {
        var data = TestData(seed: 12)
        let x = data.floats(count, scale: 12), up = data.floats(count, scale: 2)
        var fast = x
        fast.withUnsafeMutableBufferPointer { lab_softmax($0.baseAddress!, Int32(count)) }
        // The definition, one value at a time: shift, lab_exp, sum in lanes j mod 8, fold, scale.
        let maximum = x.max()!
        var e = x.map { lab_exp($0 - maximum) }
        var lanes = [Float](repeating: 0, count: 8)
        for j in 0..<count { lanes[j % 8] += e[j] }
        let total = ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]))
        let inverse = 1 / total
        for j in 0..<count { e[j] *= inverse }
        #expect(fast == e, "softmax of \(count)")
        var naive = x
        naive.withUnsafeMutableBufferPointer { softmaxForwardNaive($0.baseAddress!, count: count) }
        expectClose(fast, naive, tolerance: 1e-6, "softmax against its Double twin")

        var swiglu = [Float](repeating: 0, count: count)
        swigluForward(&swiglu, gate: x, up: up, count: count)
        let scalar = (0..<count).map { x[$0] / (1 + lab_exp(-x[$0])) * up[$0] }
        #expect(swiglu == scalar, "SwiGLU of \(count)")
    }

    @Test("SwiGLU equals the naive version")
    func swigluMatchesNaive() {
        var data = TestData(seed: 8)
        let gate = data.floats(1536, scale: 8), up = data.floats(1536, scale: 2)
        var fast = [Float](repeating: 0, count: 1536), naive = fast
        swigluForward(&fast, gate: gate, up: up, count: 1536)
        swigluForwardNaive(&naive, gate: gate, up: up, count: 1536)
        expectClose(fast, naive, tolerance: 1e-6, "swiglu")
    }

    @Test(
        "causal grouped-query attention equals the naive version",
        arguments: [(1, 0, 9, 3, 64), (5, 0, 9, 3, 64), (3, 7, 4, 4, 64), (2, 10, 8, 1, 64), (1, 46, 9, 3, 64), (1, 300, 9, 3, 64), (40, 0, 9, 3, 64), (1, 40, 4, 2, 128), (1, 15, 4, 2, 128), (3, 5, 6, 3, 48)]
    )
    func attentionMatchesNaive(shape: (Int, Int, Int, Int, Int)) {
        // Head sizes that are multiples of 64 take the C kernel or its Swift twin, others the
        // generic Swift loop; every start covers keys in whole eights and in a remainder.
        let (T, start, H, KVH, hs) = shape
        var data = TestData(seed: 9)
        let q = data.floats(T * H * hs)
        let keys = data.floats((start + T) * KVH * hs, scale: 2), values = data.floats((start + T) * KVH * hs)
        var naive = [Float](repeating: .nan, count: T * H * hs)
        var results: [AttentionKernel: [Float]] = [:]
        for kernel in [AttentionKernel.c, .swift] {
            var fast = [Float](repeating: .nan, count: T * H * hs)
            var scratch = [Float](repeating: .nan, count: start + T)
            attentionForward(
                &fast, q: q, keys: keys, values: values, rows: T, start: start, heads: H, kvHeads: KVH, headSize: hs,
                headRange: 0..<H, scratch: &scratch, kernel: kernel
            )
            results[kernel] = fast
        }
        attentionForwardNaive(&naive, q: q, keys: keys, values: values, rows: T, start: start, heads: H, kvHeads: KVH, headSize: hs)
        for (kernel, fast) in results {
            expectClose(fast, naive, tolerance: 1e-5, "\(kernel) attention T=\(T) start=\(start) H=\(H) KVH=\(KVH) hs=\(hs)")
        }
        // The C kernel repeats the Swift twin's operations in the same order: equal bit for bit
        // (the int8 activations downstream would turn any difference into different logits).
        #expect(results[.c] == results[.swift], "C and Swift attention differ for T=\(T) start=\(start) hs=\(hs)")
    }

    @Test(
        "a prompt's attention, rows blocked four at a time, equals its rows attended one by one, bit for bit",
        arguments: [(4, 0, nil as Int?, 64), (37, 0, nil, 64), (13, 22, nil, 64), (29, 3, 8, 64), (9, 40, 5, 128), (6, 1, 1, 64)]
    )
    func blockedAttentionEqualsRowByRow(shape: (Int, Int, Int?, Int)) {
        let (T, start, window, hs) = shape
        let (H, KVH) = (6, 2)
        var data = TestData(seed: 41)
        let q = data.floats(T * H * hs, scale: 2)
        let keys = data.floats((start + T) * KVH * hs, scale: 2), values = data.floats((start + T) * KVH * hs)
        var blocked = [Float](repeating: .nan, count: T * H * hs), single = blocked
        var scratch = [Float](repeating: .nan, count: start + T)
        attentionForward(&blocked, q: q, keys: keys, values: values, rows: T, start: start, heads: H, kvHeads: KVH, headSize: hs,
                         headRange: 0..<H, scratch: &scratch, window: window)
        for t in 0..<T {
            q.withUnsafeBufferPointer { query in
                single.withUnsafeMutableBufferPointer { out in
                    attentionForward(out.baseAddress! + t * H * hs, q: query.baseAddress! + t * H * hs, keys: keys, values: values,
                                     rows: 1, start: start + t, heads: H, kvHeads: KVH, headSize: hs, headRange: 0..<H,
                                     scratch: &scratch, window: window)
                }
            }
        }
        #expect(blocked == single, "T=\(T) start=\(start) window=\(String(describing: window)) hs=\(hs)")
        var naive = [Float](repeating: 0, count: T * H * hs)
        attentionForwardNaive(&naive, q: q, keys: keys, values: values, rows: T, start: start, heads: H, kvHeads: KVH, headSize: hs,
                              window: window)
        expectClose(blocked, naive, tolerance: 1e-5, "blocked attention against the naive twin")
    }

    @Test(
        "attention over an F16 cache: blocked rows equal rows one by one, bit for bit, and both equal the naive twin on binary16 operands",
        arguments: [(1, 0, nil as Int?, 64), (1, 45, nil, 64), (1, 300, 7, 128), (4, 0, nil, 64), (37, 0, nil, 64), (13, 22, 5, 128)]
    )
    func f16CacheAttention(shape: (Int, Int, Int?, Int)) {
        let (T, start, window, hs) = shape
        let (H, KVH) = (6, 2)
        var data = TestData(seed: 43)
        let q = data.floats(T * H * hs, scale: 2)
        let n = (start + T) * KVH * hs
        let keys = data.floats(n, scale: 2), values = data.floats(n)
        var halfKeys = [Float16](repeating: 0, count: n), halfValues = halfKeys
        roundToF16(&halfKeys, keys, count: n)
        roundToF16(&halfValues, values, count: n)
        var blocked = [Float](repeating: .nan, count: T * H * hs), single = blocked
        var scratch = [Float](repeating: .nan, count: start + T)
        attentionForwardF16(&blocked, q: q, keys: halfKeys, values: halfValues, rows: T, start: start, heads: H, kvHeads: KVH,
                            headSize: hs, headRange: 0..<H, scratch: &scratch, window: window)
        for t in 0..<T {
            q.withUnsafeBufferPointer { query in
                single.withUnsafeMutableBufferPointer { out in
                    attentionForwardF16(out.baseAddress! + t * H * hs, q: query.baseAddress! + t * H * hs, keys: halfKeys,
                                        values: halfValues, rows: 1, start: start + t, heads: H, kvHeads: KVH, headSize: hs,
                                        headRange: 0..<H, scratch: &scratch, window: window)
                }
            }
        }
        #expect(blocked == single, "T=\(T) start=\(start) window=\(String(describing: window)) hs=\(hs)")
        // The naive twin on the binary16 keys, values and query (as the kernel rounds the query);
        // the kernel also rounds the softmax weights, so the tolerance is binary16's precision.
        let roundedQuery = q.map { Float(Float16($0)) }
        var naive = [Float](repeating: .nan, count: T * H * hs)
        attentionForwardNaive(&naive, q: roundedQuery, keys: halfKeys.map(Float.init), values: halfValues.map(Float.init), rows: T,
                              start: start, heads: H, kvHeads: KVH, headSize: hs, window: window)
        expectClose(blocked, naive, tolerance: 2e-3, "F16 cache against the naive twin on binary16 operands")
        var exact = [Float](repeating: .nan, count: T * H * hs)
        attentionForwardNaive(&exact, q: q, keys: keys, values: values, rows: T, start: start, heads: H, kvHeads: KVH, headSize: hs,
                              window: window)
        expectClose(blocked, exact, tolerance: 2e-2, "F16 cache against exact attention")
    }

    @Test("rounding to binary16 for the cache is to nearest, ties to even, with overflow, subnormals and signs")
    func roundToF16MatchesFloat16() {
        var data = TestData(seed: 44)
        // Random values over binary16's range, exact ties (an odd multiple of half a unit), the
        // largest finite value and beyond, subnormals, zeros and infinities; 8-wide and tail paths.
        var values = data.floats(997, scale: 70_000) + data.floats(301, scale: 1e-5)
        values += [65_504, 65_519.99, 65_520, 1e9, -1e9, .infinity, -.infinity, 0, -0.0, 5.96e-8, 2.98e-8, 2.99e-8, 1.0 + 1.0 / 2048,
                   1.0 + 3.0 / 2048, -(1.0 + 1.0 / 2048), 6.1e-5, 3.0e-5]
        var rounded = [Float16](repeating: .nan, count: values.count)
        roundToF16(&rounded, values, count: values.count)
        for (x, h) in zip(values, rounded) {
            #expect(h.bitPattern == Float16(x).bitPattern, "\(x) rounded to \(h), Float16(x) is \(Float16(x))")
        }
    }

    @Test("parallel ranges cover every index exactly once", arguments: [(0, 2), (1, 2), (10, 3), (577, 2), (5, 8)])
    func parallelRangesPartition(job: (Int, Int)) {
        let (count, threads) = job
        let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(count, 1))
        defer { hits.deallocate() }
        hits.initialize(repeating: 0)
        parallelRanges(count: count, threads: threads) { range in
            for i in range { hits[i] += 1 }
        }
        #expect(hits.prefix(count).allSatisfy { $0 == 1 }, "hits: \(Array(hits.prefix(count)))")
    }

    @Test(
        "parallel chunks cover every index exactly once, start on multiples of the tile height, and split the work",
        arguments: [(0, 2, 12, 16), (5, 2, 12, 16), (576, 2, 12, 16), (577, 2, 12, 16), (1536, 2, 16, 64), (100, 3, 1, 1), (64, 2, 16, 64)]
    )
    func parallelChunksPartition(job: (Int, Int, Int, Int)) {
        let (count, threads, multiple, minimum) = job
        let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(count, 1))
        defer { hits.deallocate() }
        hits.initialize(repeating: 0)
        let ranges = Mutex<[Range<Int>]>([])
        parallelChunks(count: count, threads: threads, multiple: multiple, minimumPerChunk: minimum) { range in
            ranges.withLock { $0.append(range) }
            for i in range { hits[i] += 1 }
        }
        #expect(hits.prefix(count).allSatisfy { $0 == 1 }, "hits: \(Array(hits.prefix(count)))")
        let seen = ranges.withLock { $0 }
        #expect(seen.allSatisfy { $0.lowerBound % multiple == 0 }, "\(seen)")
        // Enough work for every thread: four chunks each; too little for two: one call.
        if count >= threads * minimum * 4 && count >= threads * multiple * 4 {
            #expect(seen.count == threads * 4, "\(seen)")
        }
        if count > 0 && count < 2 * minimum { #expect(seen == [0..<count]) }
    }

    @Test("parallel ranges stay exact over many back-to-back jobs, nested jobs and jobs from several threads")
    func parallelRangesUnderLoad() async {
        // Back to back: the pool's workers must see every job, none twice.
        let total = UnsafeMutableBufferPointer<Int>.allocate(capacity: 64)
        defer { total.deallocate() }
        total.initialize(repeating: 0)
        for _ in 0..<2000 {
            parallelRanges(count: 64, threads: 2) { range in
                for i in range { total[i] += 1 }
            }
        }
        #expect(total.allSatisfy { $0 == 2000 })

        // A job started inside a job, and jobs from concurrent callers, run some other way
        // while the pool is busy, and still cover their items exactly once.
        let sums = await withTaskGroup(of: Int.self) { group in
            for caller in 0..<4 {
                group.addTask {
                    let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: 100)
                    defer { hits.deallocate() }
                    hits.initialize(repeating: 0)
                    for _ in 0..<200 {
                        parallelRanges(count: 10, threads: 2) { outer in
                            for o in outer {
                                parallelRanges(count: 10, threads: 2) { inner in
                                    for i in inner { hits[o * 10 + i] += 1 }
                                }
                            }
                        }
                    }
                    return hits.allSatisfy { $0 == 200 } ? caller : -1
                }
            }
            var seen = 0
            for await caller in group where caller >= 0 { seen += 1 }
            return seen
        }
        #expect(sums == 4)
    }
}
