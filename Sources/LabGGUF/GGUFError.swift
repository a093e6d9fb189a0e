/// Why a GGUF file could not be read or written: what, and at which byte offset.
public struct GGUFError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case notFound
        case unreadable
        case badMagic
        case unsupportedVersion(UInt32)
        /// The file ends before a field is complete.
        case truncated
        /// A count or length that can't be right (more bytes than the file has, overflow).
        case implausible
        case unknownValueType(UInt32)
        case unknownTensorType(UInt32)
        case invalidString
        case badTensor
        case missingKey
        case wrongType
        case writeFailed
    }

    public var kind: Kind
    public var path: String
    /// Byte offset of the field, when the problem is inside the file.
    public var offset: Int?
    /// The field being read, e.g. `tensor_info[12].ne[1]` or `metadata["general.name"].value`.
    public var field: String
    public var detail: String

    public init(_ kind: Kind, path: String, offset: Int? = nil, field: String = "", detail: String) {
        self.kind = kind
        self.path = path
        self.offset = offset
        self.field = field
        self.detail = detail
    }

    public var description: String {
        var text = "\(path): "
        if let offset { text += "at byte \(offset)" + (field.isEmpty ? "" : " (\(field))") + ": " }
        else if !field.isEmpty { text += "\(field): " }
        text += detail
        let hint: String = switch kind {
        case .notFound: "check the path; `synthlab model pull` installs the default model"
        case .badMagic: "this is not a GGUF file; convert the model with llama.cpp's convert_hf_to_gguf.py"
        case .unsupportedVersion: "re-convert the model with a current llama.cpp (GGUF v2 or v3)"
        case .truncated, .implausible, .invalidString, .badTensor: "the file is damaged or incomplete; download it again"
        case .unknownTensorType: "re-quantize to a supported type (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K)"
        default: ""
        }
        return hint.isEmpty ? text : "\(text) (hint: \(hint))"
    }
}
