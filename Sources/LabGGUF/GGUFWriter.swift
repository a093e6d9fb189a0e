public import Foundation

/// Writes GGUF version 3 files: metadata of every type, tensors in any supported encoding, aligned.
///
/// The file is written to a temporary name beside the target and renamed into place, so a crash or a
/// full disk never leaves a half-written model under the real name.
public struct GGUFWriter {
    public var alignment: Int
    private var metadata: [(String, GGUFValue)] = []
    private var tensors: [(name: String, dimensions: [Int], type: GGMLType, bytes: [UInt8])] = []

    public init(alignment: Int = 32) {
        self.alignment = alignment
    }

    /// Adds or replaces a metadata value.
    public mutating func set(_ key: String, _ value: GGUFValue) {
        metadata.removeAll { $0.0 == key }
        metadata.append((key, value))
    }

    /// Adds a tensor from floats, encoding it as `type`. `dimensions` are ggml's `ne` (innermost first).
    public mutating func addTensor(_ name: String, dimensions: [Int], type: GGMLType, values: [Float]) {
        precondition(dimensions.reduce(1, *) == values.count, "\(name): \(values.count) values for shape \(dimensions)")
        tensors.append((name, dimensions, type, Quantize.run(type, values)))
    }

    /// Adds a tensor whose bytes are already encoded as `type`.
    public mutating func addTensor(_ name: String, dimensions: [Int], type: GGMLType, encoded bytes: [UInt8]) {
        precondition(type.byteCount(elements: dimensions.reduce(1, *)) == bytes.count, "\(name): byte count does not match shape")
        tensors.append((name, dimensions, type, bytes))
    }

    /// The complete file contents.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) } }
        func appendString(_ text: String) {
            append(UInt64(text.utf8.count))
            out.append(contentsOf: text.utf8)
        }
        func appendValue(_ value: GGUFValue) {
            switch value {
            case .uint8(let v): append(v)
            case .int8(let v): append(v)
            case .uint16(let v): append(v)
            case .int16(let v): append(v)
            case .uint32(let v): append(v)
            case .int32(let v): append(v)
            case .uint64(let v): append(v)
            case .int64(let v): append(v)
            case .float32(let v): append(v.bitPattern)
            case .float64(let v): append(v.bitPattern)
            case .bool(let v): append(UInt8(v ? 1 : 0))
            case .string(let s): appendString(s)
            case .array(let type, let items):
                append(type.rawValue)
                append(UInt64(items.count))
                items.forEach(appendValue)
            }
        }
        var entries = metadata
        if alignment != 32, !entries.contains(where: { $0.0 == "general.alignment" }) {
            entries.append(("general.alignment", .uint32(UInt32(alignment))))
        }
        append(UInt32(0x4655_4747))
        append(UInt32(3))
        append(UInt64(tensors.count))
        append(UInt64(entries.count))
        for (key, value) in entries {
            appendString(key)
            append(value.type.rawValue)
            appendValue(value)
        }
        var offset = 0
        var offsets: [Int] = []
        for tensor in tensors {
            offsets.append(offset)
            offset += (tensor.bytes.count + alignment - 1) / alignment * alignment
        }
        for (tensor, tensorOffset) in zip(tensors, offsets) {
            appendString(tensor.name)
            append(UInt32(tensor.dimensions.count))
            tensor.dimensions.forEach { append(UInt64($0)) }
            append(tensor.type.rawValue)
            append(UInt64(tensorOffset))
        }
        out.append(contentsOf: repeatElement(0, count: (alignment - out.count % alignment) % alignment))
        for tensor in tensors {
            out.append(contentsOf: tensor.bytes)
            out.append(contentsOf: repeatElement(0, count: (alignment - tensor.bytes.count % alignment) % alignment))
        }
        return out
    }

    /// Writes the file atomically.
    public func write(to url: URL) throws {
        let bytes = serialized()
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial")
        do {
            try Data(bytes).write(to: temporary)
            _ = try? FileManager.default.removeItem(at: url)
            try FileManager.default.moveItem(at: temporary, to: url)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw GGUFError(.writeFailed, path: url.path, detail: "could not write \(bytes.count) bytes: \(error.localizedDescription)")
        }
    }
}
