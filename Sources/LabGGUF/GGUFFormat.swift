// GGUF file layout (version 3; version 2 is identical, version 1 used 32-bit counts and is refused).
// Facts from ggml's gguf.h / docs/gguf.md; all integers little-endian.
//
//  1. magic          u32  "GGUF" (bytes 47 47 55 46)
//  2. version        u32  2 or 3
//  3. tensor_count   u64
//  4. kv_count       u64
//  5. kv_count × metadata pair:
//       key    string (u64 byte length + UTF-8 bytes, no terminator)
//       type   u32    (GGUFValueType)
//       value  by type; an array is: element type u32, count u64, then the elements
//  6. tensor_count × tensor info:
//       name   string
//       n_dims u32   (1…4)
//       ne     u64 × n_dims   (innermost dimension first: ne[0] is contiguous)
//       type   u32   (GGMLType)
//       offset u64   (from the start of the data section; a multiple of the alignment)
//  7. padding to `general.alignment` (default 32)
//  8. tensor data

/// The type tag of a metadata value.
public enum GGUFValueType: UInt32, Sendable, CaseIterable {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7
    case string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// Bytes of one value, or nil for variable-size types.
    var fixedSize: Int? {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64: 8
        case .string, .array: nil
        }
    }
}

/// ggml's tensor element types that synthlab reads, with ggml's numeric ids.
public enum GGMLType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8
    case q4_K = 12, q5_K = 13, q6_K = 14
    case bf16 = 30

    /// Elements per block (1 for plain floats).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: 1
        case .q4_0: QK4_0
        case .q4_1: QK4_1
        case .q5_0: QK5_0
        case .q5_1: QK5_1
        case .q8_0: QK8_0
        case .q4_K, .q5_K, .q6_K: QK_K
        }
    }

    /// Bytes per block.
    public var bytesPerBlock: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .q4_0: BlockLayout.q4_0
        case .q4_1: BlockLayout.q4_1
        case .q5_0: BlockLayout.q5_0
        case .q5_1: BlockLayout.q5_1
        case .q8_0: BlockLayout.q8_0
        case .q4_K: BlockLayout.q4_K
        case .q5_K: BlockLayout.q5_K
        case .q6_K: BlockLayout.q6_K
        }
    }

    /// Bytes needed for `count` elements, or nil when `count` is not a whole number of blocks.
    public func byteCount(elements count: Int) -> Int? {
        guard count % blockSize == 0 else { return nil }
        let (bytes, overflow) = (count / blockSize).multipliedReportingOverflow(by: bytesPerBlock)
        return overflow ? nil : bytes
    }

    /// The name ggml and llama.cpp print (`Q4_1`, `F16`).
    public var description: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .bf16: "BF16"
        case .q4_0: "Q4_0"
        case .q4_1: "Q4_1"
        case .q5_0: "Q5_0"
        case .q5_1: "Q5_1"
        case .q8_0: "Q8_0"
        case .q4_K: "Q4_K"
        case .q5_K: "Q5_K"
        case .q6_K: "Q6_K"
        }
    }
}

extension GGMLType {
    /// ggml type ids that exist upstream but that synthlab does not decode, with their names, so
    /// a file using one is reported as "unsupported Q2_K" rather than "corrupt" (ggml.h `ggml_type`).
    static let unsupportedNames: [UInt32: String] = [
        9: "Q8_1", 10: "Q2_K", 11: "Q3_K", 15: "Q8_K", 16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS",
        19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16",
        26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
    ]
}

/// Elements per block of Q4_0 (ggml `QK4_0`).
public let QK4_0 = 32
/// Elements per block of Q4_1 (ggml `QK4_1`).
public let QK4_1 = 32
/// Elements per block of Q5_0 (ggml `QK5_0`).
public let QK5_0 = 32
/// Elements per block of Q5_1 (ggml `QK5_1`).
public let QK5_1 = 32
/// Elements per block of Q8_0 (ggml `QK8_0`).
public let QK8_0 = 32
/// Elements per super-block of the K-quants (ggml's QK_K).
public let QK_K = 256

/// Byte sizes of the block structs, as ggml declares them; ggml `static_assert`s each size, and
/// `BlockFormats.idsAndSizesEqualGgufPys` checks them against gguf-py's `GGML_QUANT_SIZES`.
enum BlockLayout {
    /// `{ f16 d; u8 qs[16]; }`
    static let q4_0 = 2 + QK4_0 / 2
    /// `{ f16 d; f16 m; u8 qs[16]; }`
    static let q4_1 = 2 + 2 + QK4_1 / 2
    /// `{ f16 d; u8 qh[4]; u8 qs[16]; }`
    static let q5_0 = 2 + 4 + QK5_0 / 2
    /// `{ f16 d; f16 m; u8 qh[4]; u8 qs[16]; }`
    static let q5_1 = 2 + 2 + 4 + QK5_1 / 2
    /// `{ f16 d; i8 qs[32]; }`
    static let q8_0 = 2 + QK8_0
    /// `{ f16 d; f16 dmin; u8 scales[12]; u8 qs[128]; }`
    static let q4_K = 2 + 2 + 12 + QK_K / 2
    /// `{ f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]; }`
    static let q5_K = 2 + 2 + 12 + QK_K / 8 + QK_K / 2
    /// `{ u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d; }`
    static let q6_K = QK_K / 2 + QK_K / 4 + QK_K / 16 + 2
}
