// Block layouts of the weight formats the kernels read, as ggml defines them
// (ggml-common.h, block_q4_1 / block_q8_0). All fields little-endian.
//
//   Q4_1  32 weights in 20 bytes: f16 d, f16 m, u8 qs[16];
//         w[j] = d·q[j] + m, q[j] = low nibble of qs[j] for j < 16, high nibble of qs[j-16] otherwise.
//   Q8_0  32 weights in 34 bytes: f16 d, i8 qs[32]; w[j] = d·qs[j].
//   F16   IEEE 754 binary16, F32 binary32, one weight each.

/// Weights per Q4_1 block.
public let QK4_1 = 32
/// Weights per Q8_0 block.
public let QK8_0 = 32

/// How a weight matrix is stored in memory.
public enum WeightFormat: String, Sendable, CaseIterable {
    case f32 = "F32"
    case f16 = "F16"
    case q8_0 = "Q8_0"
    case q4_1 = "Q4_1"

    /// Weights per block; a row's length must be a multiple of it.
    public var blockSize: Int {
        switch self {
        case .f32, .f16: 1
        case .q8_0: QK8_0
        case .q4_1: QK4_1
        }
    }

    /// Bytes per block.
    public var bytesPerBlock: Int {
        switch self {
        case .f32: 4
        case .f16: 2
        case .q8_0: 2 + QK8_0  // f16 d + 32 × i8
        case .q4_1: 2 + 2 + QK4_1 / 2  // f16 d + f16 m + 16 × two nibbles
        }
    }

    /// Bytes taken by a row of `columns` weights (a multiple of `blockSize`).
    public func rowBytes(columns: Int) -> Int {
        columns / blockSize * bytesPerBlock
    }
}

/// IEEE 754 binary16 bits to Float: one instruction through `Float16` where the platform has
/// it (F16C on x86-64-v3), else the bit manipulation of `halfToFloatPortable`.
@inline(__always)
public func halfToFloat(_ h: UInt16) -> Float {
    #if os(macOS) && arch(x86_64)
    halfToFloatPortable(h)
    #else
    Float(Float16(bitPattern: h))
    #endif
}

/// IEEE 754 binary16 bits to Float, written out so it runs the same on every platform.
@inline(__always)
public func halfToFloatPortable(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = UInt32(h >> 10) & 0x1F
    let mantissa = UInt32(h & 0x03FF)
    if exponent == 0 {
        // zero or subnormal: mantissa · 2^-24
        let magnitude = Float(mantissa) * (1 / 16_777_216)
        return sign == 0 ? magnitude : -magnitude
    }
    if exponent == 31 {
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    }
    return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
}

/// Decodes 32 consecutive weights starting at a block boundary.
///
/// The Float products read each block once (`load`) and then fold it into one accumulator per
/// input row (`accumulate`) with the same operations for every row, so an output row's bits
/// never depend on how many input rows share the call.
protocol BlockDecoder {
    /// A block as read from memory, in the form `accumulate` takes.
    associatedtype Block
    /// Bytes holding 32 weights.
    static var bytesPer32: Int { get }
    /// Whether `accumulate` reads `xSum` (formats with an offset), so callers compute it.
    static var usesInputSums: Bool { get }
    /// The 32 weights as two SIMD16 halves.
    static func decode(_ p: UnsafeRawPointer) -> (SIMD16<Float>, SIMD16<Float>)
    static func load(_ p: UnsafeRawPointer) -> Block
    /// acc + Σ w·x over the block's 32 weights, as one SIMD16 partial sum plus a scalar, where
    /// `xSum` = Σ x over the block.
    static func accumulate(_ block: Block, _ x: UnsafePointer<Float>, xSum: Float, into acc: inout SIMD16<Float>, scalar: inout Float)
}

/// 32 weights decoded to Float: the block of formats without a scale to factor out.
struct DecodedBlock {
    var low, high: SIMD16<Float>
}

extension BlockDecoder where Block == DecodedBlock {
    static var usesInputSums: Bool { false }

    @inline(__always)
    static func load(_ p: UnsafeRawPointer) -> DecodedBlock {
        let (low, high) = decode(p)
        return DecodedBlock(low: low, high: high)
    }

    @inline(__always)
    static func accumulate(_ block: DecodedBlock, _ x: UnsafePointer<Float>, xSum: Float, into acc: inout SIMD16<Float>, scalar: inout Float) {
        acc.addProduct(block.low, load16(x))
        acc.addProduct(block.high, load16(x + 16))
    }
}

/// 32 quantized weights as small integers in Float, with the block's scale and offset kept
/// apart so they are applied once per block instead of once per weight.
struct ScaledBlock {
    var low, high: SIMD16<Float>
    var scale, offset: Float
}

enum Q4_1Decoder: BlockDecoder {
    static var bytesPer32: Int { 20 }
    static var usesInputSums: Bool { true }

    @inline(__always)
    static func decode(_ p: UnsafeRawPointer) -> (SIMD16<Float>, SIMD16<Float>) {
        let block = load(p)
        let d = SIMD16<Float>(repeating: block.scale), m = SIMD16<Float>(repeating: block.offset)
        return (block.low * d + m, block.high * d + m)
    }

    @inline(__always)
    static func load(_ p: UnsafeRawPointer) -> ScaledBlock {
        let qs = p.loadUnaligned(fromByteOffset: 4, as: SIMD16<UInt8>.self)
        // Lane by lane: the optimiser turns this into vector widen + convert instructions,
        // while the stdlib's generic SIMD conversion initialisers stay out-of-line calls.
        var low = SIMD16<Float>(), high = SIMD16<Float>()
        for i in 0..<16 {
            low[i] = Float(qs[i] & 0x0F)
            high[i] = Float(qs[i] >> 4)
        }
        return ScaledBlock(
            low: low, high: high,
            scale: halfToFloat(p.loadUnaligned(as: UInt16.self)),
            offset: halfToFloat(p.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        )
    }

    // Σ (d·q + m)·x = d·Σ q·x + m·Σ x: the offset costs one scalar product per block.
    @inline(__always)
    static func accumulate(_ block: ScaledBlock, _ x: UnsafePointer<Float>, xSum: Float, into acc: inout SIMD16<Float>, scalar: inout Float) {
        var partial = block.low * load16(x)
        partial.addProduct(block.high, load16(x + 16))
        acc.addProduct(SIMD16<Float>(repeating: block.scale), partial)
        scalar += block.offset * xSum
    }
}

enum Q8_0Decoder: BlockDecoder {
    static var bytesPer32: Int { 34 }
    static var usesInputSums: Bool { false }

    @inline(__always)
    static func decode(_ p: UnsafeRawPointer) -> (SIMD16<Float>, SIMD16<Float>) {
        let block = load(p)
        let d = SIMD16<Float>(repeating: block.scale)
        return (block.low * d, block.high * d)
    }

    @inline(__always)
    static func load(_ p: UnsafeRawPointer) -> ScaledBlock {
        let q0 = p.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self)
        let q1 = p.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self)
        var low = SIMD16<Float>(), high = SIMD16<Float>()
        for i in 0..<16 {  // lane by lane, as in Q4_1Decoder
            low[i] = Float(q0[i])
            high[i] = Float(q1[i])
        }
        return ScaledBlock(low: low, high: high, scale: halfToFloat(p.loadUnaligned(as: UInt16.self)), offset: 0)
    }

    @inline(__always)
    static func accumulate(_ block: ScaledBlock, _ x: UnsafePointer<Float>, xSum: Float, into acc: inout SIMD16<Float>, scalar: inout Float) {
        var partial = block.low * load16(x)
        partial.addProduct(block.high, load16(x + 16))
        acc.addProduct(SIMD16<Float>(repeating: block.scale), partial)
    }
}

enum F32Decoder: BlockDecoder {
    typealias Block = DecodedBlock
    static var bytesPer32: Int { 128 }
    @inline(__always)
    static func decode(_ p: UnsafeRawPointer) -> (SIMD16<Float>, SIMD16<Float>) {
        (p.loadUnaligned(as: SIMD16<Float>.self), p.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self))
    }
}

enum F16Decoder: BlockDecoder {
    typealias Block = DecodedBlock
    static var bytesPer32: Int { 64 }
    @inline(__always)
    static func decode(_ p: UnsafeRawPointer) -> (SIMD16<Float>, SIMD16<Float>) {
        var a = SIMD16<Float>(), b = SIMD16<Float>()
        for i in 0..<16 {
            a[i] = halfToFloat(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            b[i] = halfToFloat(p.loadUnaligned(fromByteOffset: 32 + 2 * i, as: UInt16.self))
        }
        return (a, b)
    }
}

/// Scalar, obviously-correct decoding of `count` weights of a row; the reference in tests.
public func dequantizeRowNaive(_ format: WeightFormat, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    switch format {
    case .f32:
        for j in 0..<count {
            dst[j] = src.loadUnaligned(fromByteOffset: 4 * j, as: Float.self)
        }
    case .f16:
        for j in 0..<count {
            dst[j] = halfToFloat(src.loadUnaligned(fromByteOffset: 2 * j, as: UInt16.self))
        }
    case .q8_0:
        for b in 0..<(count / QK8_0) {
            let block = src + b * format.bytesPerBlock
            let d = halfToFloat(block.loadUnaligned(as: UInt16.self))
            for j in 0..<QK8_0 {
                dst[b * QK8_0 + j] = d * Float(block.loadUnaligned(fromByteOffset: 2 + j, as: Int8.self))
            }
        }
    case .q4_1:
        for b in 0..<(count / QK4_1) {
            let block = src + b * format.bytesPerBlock
            let d = halfToFloat(block.loadUnaligned(as: UInt16.self))
            let m = halfToFloat(block.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            for j in 0..<(QK4_1 / 2) {
                let byte = block.loadUnaligned(fromByteOffset: 4 + j, as: UInt8.self)
                dst[b * QK4_1 + j] = d * Float(byte & 0x0F) + m
                dst[b * QK4_1 + j + QK4_1 / 2] = d * Float(byte >> 4) + m
            }
        }
    }
}
