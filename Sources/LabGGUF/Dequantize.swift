/// Block decoding for every supported tensor type, following ggml's reference
/// `dequantize_row_*` definitions (ggml-quants.c). Shapes: `count` elements in, `count` floats out.
public enum Dequantize {
    /// Decodes `count` elements (a whole number of blocks) of `type` from `source` into `destination`.
    public static func run(_ type: GGMLType, from source: UnsafeRawBufferPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        precondition(count % type.blockSize == 0 && source.count >= (type.byteCount(elements: count) ?? .max),
                     "caller must pass whole blocks")
        guard let src = source.baseAddress else { return }
        let blocks = count / type.blockSize
        switch type {
        case .f32:
            for i in 0..<count { destination[i] = Float(bitPattern: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian) }
        case .f16:
            for i in 0..<count { destination[i] = half(src, 2 * i) }
        case .bf16:
            for i in 0..<count {
                destination[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) << 16)
            }
        case .q8_0:
            for b in 0..<blocks { q8_0(src + b * BlockLayout.q8_0, destination + b * QK8_0) }
        case .q4_0:
            for b in 0..<blocks { q4(src + b * BlockLayout.q4_0, destination + b * QK4_0, hasMin: false) }
        case .q4_1:
            for b in 0..<blocks { q4(src + b * BlockLayout.q4_1, destination + b * QK4_1, hasMin: true) }
        case .q5_0:
            for b in 0..<blocks { q5(src + b * BlockLayout.q5_0, destination + b * QK5_0, hasMin: false) }
        case .q5_1:
            for b in 0..<blocks { q5(src + b * BlockLayout.q5_1, destination + b * QK5_1, hasMin: true) }
        case .q4_K:
            for b in 0..<blocks { q4_K(src + b * BlockLayout.q4_K, destination + b * QK_K) }
        case .q5_K:
            for b in 0..<blocks { q5_K(src + b * BlockLayout.q5_K, destination + b * QK_K) }
        case .q6_K:
            for b in 0..<blocks { q6_K(src + b * BlockLayout.q6_K, destination + b * QK_K) }
        }
    }

    /// IEEE half at a byte offset.
    @inline(__always)
    static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian))
    }

    // block_q8_0 { f16 d; i8 qs[32] }: w = d·q
    @inline(__always)
    static func q8_0(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(block, 0)
        for j in 0..<QK8_0 { y[j] = d * Float(Int8(bitPattern: block.load(fromByteOffset: 2 + j, as: UInt8.self))) }
    }

    // Q4_0 and Q4_1 (like Q5_0 and Q5_1) share one width, QK4_0 == QK4_1 == 32.
    // block_q4_0 { f16 d; u8 qs[16] }: w = d·(q − 8);  block_q4_1 { f16 d; f16 m; u8 qs[16] }: w = d·q + m.
    // Element j < 16 is the low nibble of qs[j], element j ≥ 16 the high nibble of qs[j − 16].
    @inline(__always)
    static func q4(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, hasMin: Bool) {
        let d = half(block, 0)
        let qs = block + (hasMin ? 4 : 2)
        if hasMin {
            let m = half(block, 2)
            for j in 0..<QK4_0 / 2 {
                let byte = qs.load(fromByteOffset: j, as: UInt8.self)
                y[j] = d * Float(byte & 0x0F) + m
                y[j + QK4_0 / 2] = d * Float(byte >> 4) + m
            }
            return
        }
        // (q − 8)·d as ggml writes it, not d·q − 8d: equal values, but a zero keeps d's sign
        // (−0.0 for negative d), so a requantized file is byte for byte llama-quantize's.
        for j in 0..<QK4_0 / 2 {
            let byte = qs.load(fromByteOffset: j, as: UInt8.self)
            y[j] = Float(Int32(byte & 0x0F) - 8) * d
            y[j + QK4_0 / 2] = Float(Int32(byte >> 4) - 8) * d
        }
    }

    // block_q5_0 { f16 d; u8 qh[4]; u8 qs[16] }: w = d·(q − 16);  block_q5_1 { f16 d; f16 m; u8 qh[4]; u8 qs[16] }: w = d·q + m.
    // Bit j of the 32-bit qh is the fifth bit of element j.
    @inline(__always)
    static func q5(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, hasMin: Bool) {
        let d = half(block, 0)
        let m: Float = hasMin ? half(block, 2) : 0
        let qhOffset = hasMin ? 4 : 2
        let qh = block.loadUnaligned(fromByteOffset: qhOffset, as: UInt32.self).littleEndian
        let qs = block + qhOffset + 4
        for j in 0..<QK5_0 / 2 {
            let byte = qs.load(fromByteOffset: j, as: UInt8.self)
            let high0 = UInt8(truncatingIfNeeded: (qh >> UInt32(j)) << 4) & 0x10
            let high1 = UInt8(truncatingIfNeeded: qh >> UInt32(j + 12)) & 0x10
            let q0 = (byte & 0x0F) | high0, q1 = (byte >> 4) | high1
            if hasMin {
                y[j] = d * Float(q0) + m
                y[j + QK5_0 / 2] = d * Float(q1) + m
            } else {
                // (q − 16)·d as ggml writes it (see q4: the sign of a zero).
                y[j] = Float(Int32(q0) - 16) * d
                y[j + QK5_0 / 2] = Float(Int32(q1) - 16) * d
            }
        }
    }

    /// The 6-bit scale and min of sub-block `j` packed in the 12 `scales` bytes of Q4_K / Q5_K.
    @inline(__always)
    static func scaleMin(_ j: Int, _ q: UnsafeRawPointer) -> (Float, Float) {
        func b(_ i: Int) -> UInt8 { q.load(fromByteOffset: i, as: UInt8.self) }
        if j < 4 {
            return (Float(b(j) & 63), Float(b(j + 4) & 63))
        }
        return (Float((b(j + 4) & 0x0F) | ((b(j - 4) >> 6) << 4)), Float((b(j + 4) >> 4) | ((b(j) >> 6) << 4)))
    }

    // block_q4_K { f16 d; f16 dmin; u8 scales[12]; u8 qs[128] }: 8 sub-blocks of 32, w = d·sc·q − dmin·m.
    static func q4_K(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(block, 0), dmin = half(block, 2)
        let scales = block + 4
        var qs = block + 16
        var out = y
        for pair in 0..<4 {
            let (sc1, m1) = scaleMin(2 * pair, scales)
            let (sc2, m2) = scaleMin(2 * pair + 1, scales)
            let d1 = d * sc1, min1 = dmin * m1, d2 = d * sc2, min2 = dmin * m2
            for l in 0..<32 {
                let byte = qs.load(fromByteOffset: l, as: UInt8.self)
                out[l] = d1 * Float(byte & 0x0F) - min1
                out[l + 32] = d2 * Float(byte >> 4) - min2
            }
            qs += 32
            out += 64
        }
    }

    // block_q5_K { f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128] }: as Q4_K with a fifth bit from qh.
    static func q5_K(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(block, 0), dmin = half(block, 2)
        let scales = block + 4
        let qh = block + 16
        var ql = block + 48
        var out = y
        var u1: UInt8 = 1, u2: UInt8 = 2
        for pair in 0..<4 {
            let (sc1, m1) = scaleMin(2 * pair, scales)
            let (sc2, m2) = scaleMin(2 * pair + 1, scales)
            let d1 = d * sc1, min1 = dmin * m1, d2 = d * sc2, min2 = dmin * m2
            for l in 0..<32 {
                let low = ql.load(fromByteOffset: l, as: UInt8.self)
                let high = qh.load(fromByteOffset: l, as: UInt8.self)
                out[l] = d1 * Float((low & 0x0F) + (high & u1 != 0 ? 16 : 0)) - min1
                out[l + 32] = d2 * Float((low >> 4) + (high & u2 != 0 ? 16 : 0)) - min2
            }
            ql += 32
            out += 64
            u1 <<= 2
            u2 <<= 2
        }
    }

    // block_q6_K { u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d }: 16 sub-blocks of 16, w = d·sc·(q − 32).
    static func q6_K(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(block, 208)
        var ql = block
        var qh = block + 128
        var sc = block + 192
        var out = y
        for _ in 0..<2 {
            for l in 0..<32 {
                let s = l / 16
                let low0 = ql.load(fromByteOffset: l, as: UInt8.self)
                let low1 = ql.load(fromByteOffset: l + 32, as: UInt8.self)
                let high = qh.load(fromByteOffset: l, as: UInt8.self)
                let q1 = Int((low0 & 0x0F) | ((high & 3) << 4)) - 32
                let q2 = Int((low1 & 0x0F) | (((high >> 2) & 3) << 4)) - 32
                let q3 = Int((low0 >> 4) | (((high >> 4) & 3) << 4)) - 32
                let q4 = Int((low1 >> 4) | (((high >> 6) & 3) << 4)) - 32
                func scale(_ i: Int) -> Float { Float(Int8(bitPattern: sc.load(fromByteOffset: i, as: UInt8.self))) }
                out[l] = d * scale(s) * Float(q1)
                out[l + 32] = d * scale(s + 2) * Float(q2)
                out[l + 64] = d * scale(s + 4) * Float(q3)
                out[l + 96] = d * scale(s + 6) * Float(q4)
            }
            out += 128
            ql += 64
            qh += 32
            sc += 8
        }
    }
}
