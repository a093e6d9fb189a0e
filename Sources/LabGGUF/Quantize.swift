/// Float → block encoding for the types synthlab writes (checkpoints, test models), following
/// ggml's reference `quantize_row_*_ref` (ggml-quants.c) so files match what llama.cpp writes.
///
/// Non-finite inputs never trap: a NaN element encodes as the block's zero point, and a block
/// holding ±infinity gets an infinite scale, as ggml's arithmetic gives.
public enum Quantize {
    /// Types this encoder can produce.
    public static let supported: Set<GGMLType> = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q4_K, .q5_K, .q6_K]

    /// Encodes `values` (a whole number of blocks) as `type`; a programming error otherwise.
    public static func run(_ type: GGMLType, _ values: [Float]) -> [UInt8] {
        do {
            return try encode(type, values)
        } catch {
            preconditionFailure("\(error)")
        }
    }

    /// Encodes `values` as `type`, or throws when the type can't be written or `values` is not a
    /// whole number of blocks.
    public static func encode(_ type: GGMLType, _ values: [Float]) throws -> [UInt8] {
        try values.withUnsafeBufferPointer { try encode(type, $0) }
    }

    /// Encodes floats held in any contiguous buffer (a trainer's weights) without copying them first.
    public static func encode(_ type: GGMLType, _ values: UnsafeBufferPointer<Float>) throws -> [UInt8] {
        guard supported.contains(type) else {
            throw GGUFError(.writeFailed, path: "", field: "type",
                            detail: "cannot encode \(type); supported: \(supported.map(\.description).sorted().joined(separator: ", "))")
        }
        guard let byteCount = type.byteCount(elements: values.count) else {
            throw GGUFError(.writeFailed, path: "", field: "values",
                            detail: "\(values.count) values are not a whole number of \(type) blocks of \(type.blockSize)")
        }
        var out = [UInt8](repeating: 0, count: byteCount)
        out.withUnsafeMutableBytes { destination in
            guard let x = values.baseAddress, let y = destination.baseAddress else { return }
            encode(type, x, count: values.count, y)
        }
        return out
    }

    private static func encode(_ type: GGMLType, _ x: UnsafePointer<Float>, count: Int, _ y: UnsafeMutableRawPointer) {
        let blocks = count / type.blockSize
        switch type {
        case .f32:
            for i in 0..<count { y.storeBytes(of: x[i].bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
        case .f16:
            for i in 0..<count { storeHalf(x[i], y, 2 * i) }
        case .bf16:
            for i in 0..<count { y.storeBytes(of: bfloat16(x[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
        case .q8_0:
            for b in 0..<blocks { q8_0(x + b * QK8_0, y + b * BlockLayout.q8_0) }
        case .q4_0:
            for b in 0..<blocks { q4_0(x + b * QK4_0, y + b * BlockLayout.q4_0) }
        case .q4_1:
            for b in 0..<blocks { q4_1(x + b * QK4_1, y + b * BlockLayout.q4_1) }
        case .q5_0:
            for b in 0..<blocks { q5_0(x + b * QK5_0, y + b * BlockLayout.q5_0) }
        case .q5_1:
            for b in 0..<blocks { q5_1(x + b * QK5_1, y + b * BlockLayout.q5_1) }
        case .q4_K:
            for b in 0..<blocks { q4_K(x + b * QK_K, y + b * BlockLayout.q4_K) }
        case .q5_K:
            for b in 0..<blocks { q5_K(x + b * QK_K, y + b * BlockLayout.q5_K) }
        case .q6_K:
            for b in 0..<blocks { q6_K(x + b * QK_K, y + b * BlockLayout.q6_K) }
        }
    }

    @inline(__always)
    static func storeHalf(_ value: Float, _ y: UnsafeMutableRawPointer, _ offset: Int) {
        y.storeBytes(of: Float16(value).bitPattern.littleEndian, toByteOffset: offset, as: UInt16.self)
    }

    /// Round to nearest even on the dropped 16 bits, as `ggml_compute_fp32_to_bf16`; NaN stays a quiet NaN.
    @inline(__always)
    static func bfloat16(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 64 }
        // No overflow: the largest non-NaN pattern is 0xFF800000.
        return UInt16(truncatingIfNeeded: (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16)
    }

    /// `min(limit, (int)value)` as ggml computes a quant, but total: NaN and negatives give 0.
    @inline(__always)
    private static func truncated(_ value: Float, limit: UInt8) -> UInt8 {
        value >= Float(limit) ? limit : (value > 0 ? UInt8(value) : 0)
    }

    /// Elements of every block these helpers see: QK4_0 == QK4_1 == QK5_0 == QK5_1 == QK8_0 == 32.
    private static let QK = QK8_0

    /// The element of largest magnitude, keeping its sign (the first one on ties, as ggml).
    @inline(__always)
    private static func signedExtreme(_ x: UnsafePointer<Float>) -> Float {
        var amax: Float = 0, extreme: Float = 0
        for j in 0..<QK where amax < abs(x[j]) {
            amax = abs(x[j])
            extreme = x[j]
        }
        return extreme
    }

    @inline(__always)
    private static func range(_ x: UnsafePointer<Float>) -> (min: Float, max: Float) {
        var low = Float.greatestFiniteMagnitude, high = -Float.greatestFiniteMagnitude
        for j in 0..<QK {
            if x[j] < low { low = x[j] }
            if x[j] > high { high = x[j] }
        }
        return (low, high)
    }

    // block_q8_0: d = amax / 127, q = round(x / d)
    private static func q8_0(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
        var amax: Float = 0
        for j in 0..<QK { amax = max(amax, abs(x[j])) }
        let d = amax / 127
        let inverse: Float = d != 0 ? 1 / d : 0
        storeHalf(d, y, 0)
        for j in 0..<QK {
            let q = (x[j] * inverse).rounded(.toNearestOrAwayFromZero)
            let clamped: Int8 = q >= 127 ? 127 : (q <= -128 ? -128 : (q.isNaN ? 0 : Int8(q)))
            y.storeBytes(of: UInt8(bitPattern: clamped), toByteOffset: 2 + j, as: UInt8.self)
        }
    }

    // block_q4_0: the value of largest magnitude maps to −8 (keeping its sign), d = max / −8, q = x/d + 8
    private static func q4_0(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
        let d = signedExtreme(x) / -8
        let inverse: Float = d != 0 ? 1 / d : 0
        storeHalf(d, y, 0)
        for j in 0..<(QK / 2) {
            let low = truncated(x[j] * inverse + 8.5, limit: 15)
            let high = truncated(x[j + QK / 2] * inverse + 8.5, limit: 15)
            y.storeBytes(of: low | (high << 4), toByteOffset: 2 + j, as: UInt8.self)
        }
    }

    // block_q4_1: d = (max − min) / 15, m = min, q = (x − min)/d
    private static func q4_1(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
        let (low, high) = range(x)
        let d = (high - low) / 15
        let inverse: Float = d != 0 ? 1 / d : 0
        storeHalf(d, y, 0)
        storeHalf(low, y, 2)
        for j in 0..<(QK / 2) {
            let a = truncated((x[j] - low) * inverse + 0.5, limit: 15)
            let b = truncated((x[j + QK / 2] - low) * inverse + 0.5, limit: 15)
            y.storeBytes(of: a | (b << 4), toByteOffset: 4 + j, as: UInt8.self)
        }
    }

    /// Packs 32 five-bit quants: low nibbles as in Q4 (element j and j+16 share qs[j]), bit 4 of
    /// element j into bit j of the little-endian u32 `qh`.
    @inline(__always)
    private static func pack5(_ q: (Int) -> UInt8, _ y: UnsafeMutableRawPointer, qh: Int, qs: Int) {
        var high: UInt32 = 0
        for j in 0..<(QK / 2) {
            let a = q(j), b = q(j + QK / 2)
            y.storeBytes(of: (a & 0x0F) | ((b & 0x0F) << 4), toByteOffset: qs + j, as: UInt8.self)
            high |= UInt32(a >> 4) << UInt32(j)
            high |= UInt32(b >> 4) << UInt32(j + QK / 2)
        }
        y.storeBytes(of: high.littleEndian, toByteOffset: qh, as: UInt32.self)
    }

    // block_q5_0: d = max / −16, q = x/d + 16
    private static func q5_0(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
        let d = signedExtreme(x) / -16
        let inverse: Float = d != 0 ? 1 / d : 0
        storeHalf(d, y, 0)
        pack5({ truncated(x[$0] * inverse + 16.5, limit: 31) }, y, qh: 2, qs: 6)
    }

    // block_q5_1: d = (max − min) / 31, m = min, q = (x − min)/d
    private static func q5_1(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
        let (low, high) = range(x)
        let d = (high - low) / 31
        let inverse: Float = d != 0 ? 1 / d : 0
        storeHalf(d, y, 0)
        storeHalf(low, y, 2)
        pack5({ truncated((x[$0] - low) * inverse + 0.5, limit: 31) }, y, qh: 4, qs: 8)
    }
}
