// The K-quant encoders (256-weight super-blocks) as llama-quantize runs them without an
// importance matrix: ggml's `quantize_row_q4_K_ref`, `…q5_K_ref` and `…q6_K_ref` with their
// helpers `make_qkx2_quants`, `make_qx_quants` and `nearest_int` (ggml-quants.c). Every float
// operation is written in ggml's order and without fused multiply-adds (ggml-base is compiled for
// baseline x86-64, so llama-quantize's arithmetic has none), which is what makes the bytes equal.

extension Quantize {
    /// ggml's `nearest_int`: round half to even through the 1.5·2²³ trick (|x| < 2²², as ggml asserts).
    @inline(__always)
    static func nearestInt(_ x: Float) -> Int32 {
        let shifted = x + 12_582_912
        return Int32(bitPattern: shifted.bitPattern & 0x007F_FFFF) - 0x0040_0000
    }

    /// Best scale and minimum of `n` values on 0…nmax levels under `weights`: a first guess from the
    /// range, then `nstep + 1` trial scales around it by weighted least squares.
    /// `L` receives the levels; returns (scale, −min).
    static func makeQKX2Quants(
        _ n: Int, _ nmax: Int, _ x: UnsafePointer<Float>, _ weights: UnsafePointer<Float>, _ L: UnsafeMutablePointer<UInt8>,
        _ Laux: UnsafeMutablePointer<UInt8>, rmin: Float, rdelta: Float, nstep: Int
    ) -> (scale: Float, negativeMin: Float) {
        var min = x[0], max = x[0]
        var sumW = weights[0]
        var sumX = sumW * x[0]
        for i in 1..<n {
            if x[i] < min { min = x[i] }
            if x[i] > max { max = x[i] }
            let w = weights[i]
            sumW += w
            sumX += w * x[i]
        }
        if min > 0 { min = 0 }
        if max == min {
            for i in 0..<n { L[i] = 0 }
            return (0, -min)
        }
        let levels = Float(nmax)
        var iscale = levels / (max - min)
        var scale = 1 / iscale
        var bestError: Float = 0
        for i in 0..<n {
            let l = nearestInt(iscale * (x[i] - min))
            L[i] = UInt8(Swift.max(0, Swift.min(Int32(nmax), l)))
            var diff = scale * Float(L[i]) + min - x[i]
            diff = diff * diff
            bestError += weights[i] * diff
        }
        for step in 0...nstep {
            iscale = (rmin + rdelta * Float(step) + levels) / (max - min)
            var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
            for i in 0..<n {
                let l = Swift.max(0, Swift.min(Int32(nmax), nearestInt(iscale * (x[i] - min))))
                Laux[i] = UInt8(l)
                let w = weights[i], level = Float(l)
                sumL += w * level
                sumL2 += w * level * level
                sumXL += w * level * x[i]
            }
            let D = sumW * sumL2 - sumL * sumL
            guard D > 0 else { continue }
            var thisScale = (sumW * sumXL - sumX * sumL) / D
            var thisMin = (sumL2 * sumX - sumL * sumXL) / D
            if thisMin > 0 {
                thisMin = 0
                thisScale = sumXL / sumL2
            }
            var error: Float = 0
            for i in 0..<n {
                var diff = thisScale * Float(Laux[i]) + thisMin - x[i]
                diff = diff * diff
                error += weights[i] * diff
            }
            if error < bestError {
                for i in 0..<n { L[i] = Laux[i] }
                bestError = error
                scale = thisScale
                min = thisMin
            }
        }
        return (scale, -min)
    }

    /// Symmetric scale of `n` values on −nmax…nmax−1 (stored +nmax in `L`), weighted by x²
    /// (ggml's rmse_type 1), trying 18 scales around the first guess.
    static func makeQXQuants(_ n: Int, _ nmax: Int, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>) -> Float {
        var max: Float = 0, amax: Float = 0
        for i in 0..<n {
            let ax = abs(x[i])
            if ax > amax {
                amax = ax
                max = x[i]
            }
        }
        if amax < 1e-15 {
            for i in 0..<n { L[i] = 0 }
            return 0
        }
        let low = Int32(-nmax), high = Int32(nmax - 1)
        var iscale = Float(-nmax) / max
        var sumLX: Float = 0, sumL2: Float = 0
        for i in 0..<n {
            let l = Swift.max(low, Swift.min(high, nearestInt(iscale * x[i])))
            L[i] = Int8(l + Int32(nmax))
            let w = x[i] * x[i], level = Float(l)
            sumLX += w * x[i] * level
            sumL2 += w * level * level
        }
        var scale = sumL2 != 0 ? sumLX / sumL2 : 0
        var best = scale * sumLX
        for step in -9...9 where step != 0 {
            iscale = -(Float(nmax) + 0.1 * Float(step)) / max
            sumLX = 0
            sumL2 = 0
            for i in 0..<n {
                let level = Float(Swift.max(low, Swift.min(high, nearestInt(iscale * x[i]))))
                let w = x[i] * x[i]
                sumLX += w * x[i] * level
                sumL2 += w * level * level
            }
            if sumL2 > 0 && sumLX * sumLX > best * sumL2 {
                for i in 0..<n {
                    L[i] = Int8(Swift.max(low, Swift.min(high, nearestInt(iscale * x[i]))) + Int32(nmax))
                }
                scale = sumLX / sumL2
                best = scale * sumLX
            }
        }
        return scale
    }

    /// Scale and minimum of sub-block j from the 12 packed 6-bit bytes (ggml's `get_scale_min_k4`).
    @inline(__always)
    static func scaleMinK4(_ j: Int, _ q: UnsafeMutableRawPointer) -> (UInt8, UInt8) {
        func byte(_ i: Int) -> UInt8 { q.load(fromByteOffset: i, as: UInt8.self) }
        if j < 4 { return (byte(j) & 63, byte(j + 4) & 63) }
        return ((byte(j + 4) & 0xF) | ((byte(j - 4) >> 6) << 4), (byte(j + 4) >> 4) | ((byte(j) >> 6) << 4))
    }

    /// Levels, 6-bit scales and minima of one Q4_K or Q5_K super-block (they differ in nmax and
    /// the search): writes d, dmin and the 12 scale bytes at `y`; returns the 256 levels.
    private static func kQuantLevels(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, nmax: Int, rmin: Float, nstep: Int
    ) -> [UInt8] {
        var L = [UInt8](repeating: 0, count: QK_K)
        var scales = [Float](repeating: 0, count: QK_K / 32), mins = scales
        var weights = [Float](repeating: 0, count: 32)
        var Laux = [UInt8](repeating: 0, count: 32)
        var maxScale: Float = 0, maxMin: Float = 0
        L.withUnsafeMutableBufferPointer { levels in
            for j in 0..<(QK_K / 32) {
                let block = x + 32 * j
                var sumX2: Float = 0
                for l in 0..<32 { sumX2 += block[l] * block[l] }
                let average = (sumX2 / 32).squareRoot()
                for l in 0..<32 { weights[l] = average + abs(block[l]) }
                let (scale, min) = weights.withUnsafeBufferPointer { w in
                    Laux.withUnsafeMutableBufferPointer { aux in
                        makeQKX2Quants(32, nmax, block, w.baseAddress!, levels.baseAddress! + 32 * j, aux.baseAddress!,
                                       rmin: rmin, rdelta: 0.1, nstep: nstep)
                    }
                }
                scales[j] = scale
                mins[j] = min
                if scale > maxScale { maxScale = scale }
                if min > maxMin { maxMin = min }
            }
        }
        let inverseScale: Float = maxScale > 0 ? 63 / maxScale : 0
        let inverseMin: Float = maxMin > 0 ? 63 / maxMin : 0
        let packed = y + 4
        for j in 0..<(QK_K / 32) {
            let ls = Swift.min(63, UInt8(truncatingIfNeeded: nearestInt(inverseScale * scales[j])))
            let lm = Swift.min(63, UInt8(truncatingIfNeeded: nearestInt(inverseMin * mins[j])))
            if j < 4 {
                packed.storeBytes(of: ls, toByteOffset: j, as: UInt8.self)
                packed.storeBytes(of: lm, toByteOffset: j + 4, as: UInt8.self)
            } else {
                packed.storeBytes(of: (ls & 0xF) | ((lm & 0xF) << 4), toByteOffset: j + 4, as: UInt8.self)
                packed.storeBytes(of: packed.load(fromByteOffset: j - 4, as: UInt8.self) | ((ls >> 4) << 6), toByteOffset: j - 4, as: UInt8.self)
                packed.storeBytes(of: packed.load(fromByteOffset: j, as: UInt8.self) | ((lm >> 4) << 6), toByteOffset: j, as: UInt8.self)
            }
        }
        storeHalf(maxScale / 63, y, 0)
        storeHalf(maxMin / 63, y, 2)
        let d0 = Float(Float16(bitPattern: y.load(fromByteOffset: 0, as: UInt16.self)))
        let m0 = Float(Float16(bitPattern: y.load(fromByteOffset: 2, as: UInt16.self)))
        for j in 0..<(QK_K / 32) {
            let (sc, m) = scaleMinK4(j, packed)
            let d = d0 * Float(sc)
            if d == 0 { continue }
            let dm = m0 * Float(m)
            for i in 0..<32 {
                let l = nearestInt((x[32 * j + i] + dm) / d)
                L[32 * j + i] = UInt8(Swift.max(0, Swift.min(Int32(nmax), l)))
            }
        }
        return L
    }

    /// block_q4_K: `{ f16 d; f16 dmin; u8 scales[12]; u8 qs[128]; }`, eight 32-weight sub-blocks
    /// with 6-bit scales and minima, 4-bit levels.
    static func q4_K(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
        let L = kQuantLevels(x, y, nmax: 15, rmin: -1, nstep: 20)
        let qs = y + 16
        for (chunk, j) in stride(from: 0, to: QK_K, by: 64).enumerated() {
            for l in 0..<32 {
                qs.storeBytes(of: L[j + l] | (L[j + l + 32] << 4), toByteOffset: 32 * chunk + l, as: UInt8.self)
            }
        }
    }

    /// block_q5_K: `{ f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]; }`: Q4_K's layout with
    /// a fifth bit per weight.
    static func q5_K(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
        let L = kQuantLevels(x, y, nmax: 31, rmin: -0.5, nstep: 15)
        let qh = y + 16, ql = y + 48
        for i in 0..<32 { qh.storeBytes(of: 0, toByteOffset: i, as: UInt8.self) }
        var m1: UInt8 = 1, m2: UInt8 = 2
        for (chunk, n) in stride(from: 0, to: QK_K, by: 64).enumerated() {
            for j in 0..<32 {
                var l1 = L[n + j], l2 = L[n + j + 32]
                var high = qh.load(fromByteOffset: j, as: UInt8.self)
                if l1 > 15 { l1 -= 16; high |= m1 }
                if l2 > 15 { l2 -= 16; high |= m2 }
                qh.storeBytes(of: high, toByteOffset: j, as: UInt8.self)
                ql.storeBytes(of: l1 | (l2 << 4), toByteOffset: 32 * chunk + j, as: UInt8.self)
            }
            m1 <<= 2
            m2 <<= 2
        }
    }

    /// block_q6_K: `{ u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d; }`, sixteen 16-weight sub-blocks
    /// with 8-bit scales, 6-bit levels.
    static func q6_K(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
        var L = [Int8](repeating: 0, count: QK_K)
        var scales = [Float](repeating: 0, count: QK_K / 16)
        var maxScale: Float = 0, maxAbsScale: Float = 0
        L.withUnsafeMutableBufferPointer { levels in
            for ib in 0..<(QK_K / 16) {
                let scale = makeQXQuants(16, 32, x + 16 * ib, levels.baseAddress! + 16 * ib)
                scales[ib] = scale
                if abs(scale) > maxAbsScale {
                    maxAbsScale = abs(scale)
                    maxScale = scale
                }
            }
        }
        let scaleBytes = y + 192, dOffset = 208
        if maxAbsScale < 1e-15 {
            for i in 0..<BlockLayout.q6_K { y.storeBytes(of: 0, toByteOffset: i, as: UInt8.self) }
            return
        }
        let iscale = -128 / maxScale
        storeHalf(1 / iscale, y, dOffset)
        for ib in 0..<(QK_K / 16) {
            scaleBytes.storeBytes(of: Int8(truncatingIfNeeded: Swift.min(127, nearestInt(iscale * scales[ib]))), toByteOffset: ib, as: Int8.self)
        }
        let d0 = Float(Float16(bitPattern: y.load(fromByteOffset: dOffset, as: UInt16.self)))
        for j in 0..<(QK_K / 16) {
            let d = d0 * Float(scaleBytes.load(fromByteOffset: j, as: Int8.self))
            if d == 0 { continue }
            for i in 0..<16 {
                let l = Swift.max(-32, Swift.min(31, nearestInt(x[16 * j + i] / d)))
                L[16 * j + i] = Int8(l + 32)
            }
        }
        let ql = y, qh = y + 128
        for (chunk, j) in stride(from: 0, to: QK_K, by: 128).enumerated() {
            for l in 0..<32 {
                let a = UInt8(L[j + l]), b = UInt8(L[j + l + 32]), c = UInt8(L[j + l + 64]), e = UInt8(L[j + l + 96])
                ql.storeBytes(of: (a & 0xF) | ((c & 0xF) << 4), toByteOffset: 64 * chunk + l, as: UInt8.self)
                ql.storeBytes(of: (b & 0xF) | ((e & 0xF) << 4), toByteOffset: 64 * chunk + l + 32, as: UInt8.self)
                qh.storeBytes(of: (a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6), toByteOffset: 32 * chunk + l, as: UInt8.self)
            }
        }
    }
}
