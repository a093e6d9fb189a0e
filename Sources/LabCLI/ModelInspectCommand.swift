import ArgumentParser
import Foundation
import LabCore
import LabGGUF

/// `synthlab model inspect`: what a GGUF file holds, read from its header without loading weights.
struct ModelInspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a GGUF file's architecture, metadata and tensors.",
        discussion: """
            Long arrays (vocabularies, merges) are summarised. --tensors lists every tensor with its \
            type, shape (ggml order: innermost first), size and offset.

            Examples:
              synthlab model inspect ~/.cache/synthlab/models/SmolLM2-135M-Instruct.Q4_1.gguf
              synthlab model inspect model.gguf --tensors
              synthlab model inspect model.gguf --json | jq '.metadata["llama.block_count"]'
            """
    )

    @Argument(help: "The GGUF file (default: the pulled default model).")
    var model: String?

    @Flag(help: "List every tensor.")
    var tensors = false

    @Flag(help: "Print everything as JSON (tensors included).")
    var json = false

    func run() async throws {
        let url = model.map { URL(fileURLWithPath: $0) } ?? SynthlabHome().defaultModel
        let file: GGUFFile
        // GGUFError's description already ends with its hint.
        do { file = try GGUFFile(url: url) } catch let error as GGUFError { throw CLIError(error.description) }
        print(json ? Self.json(file) : Self.text(file, listTensors: tensors), terminator: "")
    }

    /// The report for people: summary, metadata with long values clipped, optionally every tensor.
    static func text(_ file: GGUFFile, listTensors: Bool) -> String {
        var out = "file: \(file.path)\n"
        out += "size: \(ByteCountFormatter.string(fromByteCount: Int64(file.fileSize), countStyle: .file)) (\(file.fileSize) bytes), GGUF v\(file.version), "
        out += "\(file.metadata.count) metadata keys, \(file.tensors.count) tensors, data at byte \(file.dataOffset)\n"
        if let architecture = file.architecture { out += "architecture: \(architecture)\n" }
        let parameters = file.tensors.reduce(0) { $0 + $1.elementCount }
        out += "parameters: \(parameters)\n"
        let byType = Dictionary(grouping: file.tensors, by: \.type)
            .map { type, tensors in "\(type) ×\(tensors.count)" }.sorted()
        out += "tensor types: \(byType.joined(separator: ", "))\n"
        let tensorBytes = file.tensors.reduce(0) { $0 + $1.byteCount }
        out += "tensor data: \(ByteCountFormatter.string(fromByteCount: Int64(tensorBytes), countStyle: .file)) (\(tensorBytes) bytes)\n\nmetadata:\n"
        let width = file.metadata.map(\.key.count).max() ?? 0
        for (key, value) in file.metadata {
            out += "  \(key.padding(toLength: width, withPad: " ", startingAt: 0))  \(value.summary)\n"
        }
        if listTensors {
            out += "\ntensors:\n"
            let nameWidth = file.tensors.map(\.name.count).max() ?? 0
            for tensor in file.tensors {
                let shape = tensor.dimensions.map(String.init).joined(separator: " x ")
                out += "  \(tensor.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0))  \(tensor.type.description.padding(toLength: 5, withPad: " ", startingAt: 0))  \(shape.padding(toLength: 14, withPad: " ", startingAt: 0))  \(String(tensor.byteCount).leftPadded(10)) bytes  @\(file.dataOffset + tensor.offset)\n"
            }
        }
        return out
    }

    /// The report for scripts: everything, arrays over 64 items as `{count, type, first}`.
    static func json(_ file: GGUFFile) -> String {
        func jsonValue(_ value: GGUFValue) -> Any {
            switch value {
            case .string(let s): return s
            case .bool(let b): return b
            // A float32 printed through its own shortest form (1e-05, not 9.999999747378752e-06).
            case .float32(let v): return Double("\(v)") ?? Double(v)
            case .float64(let v): return v
            case .array(_, let items): return items.count > 64 ? ["count": items.count, "type": "\(value.type)", "first": items.prefix(8).map(jsonValue)] as [String: Any] : items.map(jsonValue)
            default: return value.intValue ?? 0
            }
        }
        let object: [String: Any] = [
            "path": file.path, "version": Int(file.version), "fileSize": file.fileSize, "dataOffset": file.dataOffset,
            "architecture": file.architecture ?? NSNull(),
            "metadata": Dictionary(file.metadata.map { ($0.key, jsonValue($0.value)) }, uniquingKeysWith: { a, _ in a }),
            "tensors": file.tensors.map { ["name": $0.name, "type": $0.type.description, "shape": $0.dimensions, "bytes": $0.byteCount, "offset": file.dataOffset + $0.offset] as [String: Any] },
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
