/// Float → block encoding for the types synthlab writes (checkpoints, test models), following
/// ggml's reference `quantize_row_*_ref` rounding so files match what llama.cpp would write.
public enum Quantize {
    /// Types this encoder can produce.
    public static let supported: Set<GGMLType> = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1]

    /// Encodes `values` (a whole number of blocks) as `type`.
    public static func run(_ type: GGMLType, _ values: [Float]) -> [UInt8] {
        precondition(supported.contains(type) && values.count % type.blockSize == 0, "unsupported type or partial block")
        var out: [UInt8] = []
        out.reserveCapacity(type.byteCount(elements: values.count) ?? 0)
        func appendHalf(_ value: Float) { appendLE(Float16(value).bitPattern) }
        func appendLE<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
        }
        switch type {
        case .f32:
            for v in values { appendLE(v.bitPattern) }
        case .f16:
            for v in values { appendHalf(v) }
        case .bf16:
            // Round to nearest even on the dropped 16 bits, as ggml_fp32_to_bf16 does; NaN stays quiet NaN.
            for v in values {
                let bits = v.bitPattern
                let rounded: UInt32 = v.isNaN ? (bits >> 16) | 64 : (bits &+ (0x7FFF &+ ((bits >> 16) & 1))) >> 16
                appendLE(UInt16(truncatingIfNeeded: rounded))
            }
        case .q8_0:
            for start in stride(from: 0, to: values.count, by: QK) {
                let block = values[start..<start + QK]
                let amax = block.map(abs).max() ?? 0
                let d = amax / 127
                let inverse: Float = d != 0 ? 1 / d : 0
                appendHalf(d)
                for v in block { out.append(UInt8(bitPattern: Int8((v * inverse).rounded(.toNearestOrAwayFromZero)))) }
            }
        case .q4_0:
            for start in stride(from: 0, to: values.count, by: QK) {
                let block = Array(values[start..<start + QK])
                // The value of largest magnitude maps to −8, keeping its sign (ggml's choice).
                let extreme = block.max { abs($0) < abs($1) } ?? 0
                let d = extreme / -8
                let inverse: Float = d != 0 ? 1 / d : 0
                appendHalf(d)
                for j in 0..<QK / 2 {
                    let low = UInt8(min(15, Int8(block[j] * inverse + 8.5)))
                    let high = UInt8(min(15, Int8(block[j + QK / 2] * inverse + 8.5)))
                    out.append(low | (high << 4))
                }
            }
        case .q4_1:
            for start in stride(from: 0, to: values.count, by: QK) {
                let block = Array(values[start..<start + QK])
                let low = block.min() ?? 0, high = block.max() ?? 0
                let d = (high - low) / 15
                let inverse: Float = d != 0 ? 1 / d : 0
                appendHalf(d)
                appendHalf(low)
                for j in 0..<QK / 2 {
                    let a = UInt8(min(15, Int8((block[j] - low) * inverse + 0.5)))
                    let b = UInt8(min(15, Int8((block[j + QK / 2] - low) * inverse + 0.5)))
                    out.append(a | (b << 4))
                }
            }
        default:
            preconditionFailure("unsupported type \(type)")
        }
        return out
    }
}
