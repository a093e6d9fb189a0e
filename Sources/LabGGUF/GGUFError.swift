/// Why a GGUF file could not be read or written: what, and at which byte offset.
///
/// Printed as `path: at byte 1234 (tensor_info[3] 'blk.0.attn_q.weight'.offset): what (hint: …)`.
public struct GGUFError: Error, Sendable, CustomStringConvertible {
    /// The class of failure, for callers and tests that branch on it.
    public enum Kind: Sendable, Equatable {
        /// The path does not exist.
        case notFound
        /// The path exists but can't be opened, mapped or is not a regular file.
        case unreadable
        /// The first four bytes are not `GGUF`.
        case badMagic
        /// A GGUF version other than 2 and 3 (or a big-endian file).
        case unsupportedVersion(UInt32)
        /// The file ends before a field is complete.
        case truncated
        /// A count or length that can't be right (more bytes than the file has, overflow).
        case implausible
        /// A metadata value type id outside 0–12.
        case unknownValueType(UInt32)
        /// A ggml type id this library can't decode (unknown, or known but unsupported).
        case unknownTensorType(UInt32)
        /// A string that is not valid UTF-8.
        case invalidString
        /// A tensor whose shape, offset or name breaks the format's rules (overlap, alignment, duplicate).
        case badTensor
        /// A required metadata key is absent.
        case missingKey
        /// A metadata key holds a type that can't be used where it was asked for.
        case wrongType
        /// Writing or renaming the output failed.
        case writeFailed
        /// The writer or an encoder was given values that don't fit together (shape vs count, name too long).
        case invalidArgument
    }

    /// The class of failure.
    public var kind: Kind
    /// The file concerned; empty for in-memory encoding.
    public var path: String
    /// Byte offset of the field, when the problem is inside the file.
    public var offset: Int?
    /// The field being read, e.g. `tensor_info[12].ne[1]` or `metadata["general.name"].value`.
    public var field: String
    /// What is wrong.
    public var detail: String

    /// Makes an error.
    public init(_ kind: Kind, path: String, offset: Int? = nil, field: String = "", detail: String) {
        self.kind = kind
        self.path = path
        self.offset = offset
        self.field = field
        self.detail = detail
    }

    /// `path: at byte N (field): detail (hint: …)`.
    public var description: String {
        var text = path.isEmpty ? "" : "\(path): "
        if let offset { text += "at byte \(offset)" + (field.isEmpty ? "" : " (\(field))") + ": " }
        else if !field.isEmpty { text += "\(field): " }
        text += detail
        let hint: String = switch kind {
        case .notFound: "check the path; `synthlab model pull` installs the default model"
        case .badMagic: "this is not a GGUF file; convert the model with llama.cpp's convert_hf_to_gguf.py"
        case .unsupportedVersion: "re-convert the model with a current llama.cpp (GGUF v2 or v3)"
        case .truncated, .implausible, .invalidString, .badTensor: "the file is damaged or incomplete; download it again"
        case .unknownTensorType: "re-quantize to a supported type (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K)"
        case .unreadable: "check that the path is a readable regular file"
        case .missingKey, .wrongType: "the file does not follow llama.cpp's metadata conventions; re-convert it with a current llama.cpp"
        case .writeFailed: "check that the folder exists, is writable and has free space"
        case .unknownValueType: "the file may come from a newer GGUF writer, or be damaged"
        case .invalidArgument: ""
        }
        return hint.isEmpty ? text : "\(text) (hint: \(hint))"
    }
}
