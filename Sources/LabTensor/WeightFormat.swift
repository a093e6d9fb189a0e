import CQuantKernels
public import LabGGUF

// The weight formats the engine reads, with ggml's block layouts (ggml-common.h; see
// LabGGUF's Dequantize for each layout). The Swift SIMD decoders below cover the formats the
// Float twin of the products is measured on (Q4_1, Q8_0, F32, F16).
//
//   Q4_1  32 weights in 20 bytes: f16 d, f16 m, u8 qs[16];
//         w[j] = d·q[j] + m, q[j] = low nibble of qs[j] for j < 16, high nibble of qs[j-16] otherwise.
//   Q8_0  32 weights in 34 bytes: f16 d, i8 qs[32]; w[j] = d·qs[j].
//   F16   IEEE 754 binary16, F32 binary32, one weight each.

/// How a weight matrix is stored in memory: the GGUF tensor types the engine multiplies by.
public enum WeightFormat: String, Sendable, CaseIterable {
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case q4_0 = "Q4_0"
    case q4_1 = "Q4_1"
    case q5_0 = "Q5_0"
    case q5_1 = "Q5_1"
    case q8_0 = "Q8_0"
    case q4_K = "Q4_K"
    case q5_K = "Q5_K"
    case q6_K = "Q6_K"

    /// The GGUF tensor type of this format (block layouts and the reference decoder live there).
    public var ggmlType: GGMLType {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        case .q4_0: .q4_0
        case .q4_1: .q4_1
        case .q5_0: .q5_0
        case .q5_1: .q5_1
        case .q8_0: .q8_0
        case .q4_K: .q4_K
        case .q5_K: .q5_K
        case .q6_K: .q6_K
        }
    }

    /// Weights per block; a row's length must be a multiple of it.
    public var blockSize: Int { ggmlType.blockSize }

    /// Bytes per block.
    public var bytesPerBlock: Int { ggmlType.bytesPerBlock }

    /// Bytes taken by a row of `columns` weights (a multiple of `blockSize`).
    public func rowBytes(columns: Int) -> Int {
        columns / blockSize * bytesPerBlock
    }

    /// How the products round the activations that meet these weights: as llama.cpp does for
    /// the format (its `vec_dot_type`), so results follow its numerics.
    public var activationRounding: ActivationRounding {
        switch self {
        case .f32: .none
        case .f16: .binary16
        case .bf16: .bfloat16
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0: .int8Blocks32
        case .q4_K, .q5_K, .q6_K: .int8Blocks256
        }
    }

    /// Whether products with these weights take int8-quantized activations (`QuantizedMatrix.multiply`).
    public var quantizesActivations: Bool {
        switch activationRounding {
        case .int8Blocks32, .int8Blocks256: true
        case .none, .binary16, .bfloat16: false
        }
    }

    /// The format's number in the C kernels (`LAB_FORMAT_*`).
    var kernelCode: Int32 {
        switch self {
        case .q4_0: LAB_FORMAT_Q4_0
        case .q4_1: LAB_FORMAT_Q4_1
        case .q5_0: LAB_FORMAT_Q5_0
        case .q5_1: LAB_FORMAT_Q5_1
        case .q8_0: LAB_FORMAT_Q8_0
        case .q4_K: LAB_FORMAT_Q4_K
        case .q5_K: LAB_FORMAT_Q5_K
        case .q6_K: LAB_FORMAT_Q6_K
        case .f32: LAB_FORMAT_F32
        case .f16: LAB_FORMAT_F16
        case .bf16: LAB_FORMAT_BF16
        }
    }
}

extension WeightFormat {
    /// out = x rounded as this format's products round Float activations (binary16 for F16,
    /// bfloat16 for BF16, a copy otherwise).
    public func roundActivations(_ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>) {
        lab_round_activations(kernelCode, x, count, out)
    }
}

/// How activations are rounded before they meet a format's weights (llama.cpp's `vec_dot_type`).
public enum ActivationRounding: Sendable {
    /// Float as they are (F32 weights).
    case none
    /// To IEEE binary16 (F16 weights).
    case binary16
    /// To bfloat16 (BF16 weights).
    case bfloat16
    /// To int8 per 32 values with a binary16 scale, as llama.cpp's Q8_0/Q8_1 (the 32-weight formats).
    case int8Blocks32
    /// To int8 per 256 values with a Float scale and group sums, as llama.cpp's Q8_K (the K-quants).
    case int8Blocks256
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

/// Scalar, obviously-correct decoding of `count` weights of a row (LabGGUF's reference decoder,
/// checked against gguf-py's); the reference in tests.
public func dequantizeRowNaive(_ format: WeightFormat, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    let bytes = UnsafeRawBufferPointer(start: src, count: format.rowBytes(columns: count))
    Dequantize.run(format.ggmlType, from: bytes, count: count, into: dst)
}
