/// How a written model stores its matrices (trainer checkpoints, merges); 1-D tensors (norms)
/// are always F32, as llama.cpp writes them.
public enum CheckpointPrecision: String, Sendable, CaseIterable, Codable {
    case f32, f16, q8_0

    /// The block format of the matrices.
    public var tensorType: GGMLType {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .q8_0: .q8_0
        }
    }

    /// `general.file_type` as llama.cpp numbers it (LLAMA_FTYPE_*).
    public var fileType: UInt32 {
        switch self {
        case .f32: 0
        case .f16: 1
        case .q8_0: 7
        }
    }

    /// The type a tensor of this shape is written in: matrices whose rows are whole blocks take
    /// the precision's type, everything else stays F32.
    public func tensorType(dimensions: [Int]) -> GGMLType {
        dimensions.count >= 2 && dimensions[0] % tensorType.blockSize == 0 ? tensorType : .f32
    }
}
