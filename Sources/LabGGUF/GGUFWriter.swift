public import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes GGUF version 3 files: metadata of every type, tensors in any encodable type, aligned
/// (layout in GGUFFormat.swift).
///
/// The file is streamed to a temporary name beside the target, flushed to disk and renamed over it
/// in one step (`rename(2)`), so a crash or a full disk never leaves a half-written model under the
/// real name and readers see either the old file or the new one.
///
/// `addTensor` does not throw, so building a model reads as a list; a tensor that breaks the
/// format's rules (name too long or repeated, bad shape, values not matching the shape) is
/// remembered and `write(to:)` / `serialized()` throw for it, naming the tensor.
///
/// A tensor may also be added as a producer (`addTensor(_:dimensions:type:producer:)`) that makes
/// its values only when the file is written, one tensor at a time: a file far larger than memory
/// (a merge of several models) is written holding about one tensor.
public struct GGUFWriter: Sendable {
    /// A tensor's bytes: encoded already, or made when the file is written.
    private enum Payload: Sendable {
        case encoded([UInt8])
        case deferred(@Sendable () throws -> [Float])
        /// Bytes already in the tensor's type, made when the file is written (a quantizer's output,
        /// or a tensor copied unchanged from another file).
        case deferredBytes(@Sendable () throws -> [UInt8])
    }

    /// Longest tensor name ggml accepts (`GGML_MAX_NAME` = 64 with the terminator).
    public static let maximumNameLength = 63
    /// Most dimensions a tensor may have (`GGML_MAX_DIMS`).
    public static let maximumDimensions = 4

    /// Alignment of the data section and of every tensor's data; a power of two. Recorded as
    /// `general.alignment` when it is not the default 32.
    public var alignment: Int
    private var metadata: [(String, GGUFValue)] = []
    private var tensors: [(name: String, dimensions: [Int], type: GGMLType, payload: Payload)] = []
    private var problems: [GGUFError] = []

    /// A writer with no metadata and no tensors.
    public init(alignment: Int = 32) {
        self.alignment = alignment
    }

    /// Adds or replaces a metadata value (a replaced key keeps its position).
    public mutating func set(_ key: String, _ value: GGUFValue) {
        if let index = metadata.firstIndex(where: { $0.0 == key }) {
            metadata[index].1 = value
        } else {
            metadata.append((key, value))
        }
    }

    /// Adds a tensor from floats, encoding it as `type`. `dimensions` are ggml's `ne` (innermost first).
    public mutating func addTensor(_ name: String, dimensions: [Int], type: GGMLType, values: [Float]) {
        values.withUnsafeBufferPointer { addTensor(name, dimensions: dimensions, type: type, values: $0) }
    }

    /// Adds a tensor from floats in any contiguous buffer (e.g. a trainer's weights), encoding it
    /// as `type` right away, so the buffer need not outlive the call.
    public mutating func addTensor(_ name: String, dimensions: [Int], type: GGMLType, values: UnsafeBufferPointer<Float>) {
        guard check(name, dimensions, type) else { return }
        let elements = dimensions.reduce(1, *)
        guard elements == values.count else {
            return problem(name, "\(values.count) values given for shape \(dimensions) (\(elements) elements)")
        }
        do {
            tensors.append((name, dimensions, type, .encoded(try Quantize.encode(type, values))))
        } catch let error as GGUFError {
            problem(name, error.detail)
        } catch {
            problem(name, "\(error)")
        }
    }

    /// Adds a tensor whose bytes are already encoded as `type`.
    public mutating func addTensor(_ name: String, dimensions: [Int], type: GGMLType, encoded bytes: [UInt8]) {
        guard check(name, dimensions, type) else { return }
        let expected = type.byteCount(elements: dimensions.reduce(1, *))
        guard expected == bytes.count else {
            return problem(name, "\(bytes.count) bytes given; shape \(dimensions) as \(type) takes \(expected.map(String.init) ?? "an impossible number of")")
        }
        tensors.append((name, dimensions, type, .encoded(bytes)))
    }

    /// Adds a tensor whose float values `producer` makes when the file is written (after the
    /// header, in the order tensors were added), encoded as `type`. An error the producer throws,
    /// or a count that does not match the shape, fails the write and leaves no file.
    /// Adds a tensor whose encoded bytes `producer` makes when the file is written, so a large
    /// model is never held whole in memory; a wrong byte count fails the write naming the tensor.
    public mutating func addTensor(_ name: String, dimensions: [Int], type: GGMLType, bytes producer: @escaping @Sendable () throws -> [UInt8]) {
        guard check(name, dimensions, type) else { return }
        tensors.append((name, dimensions, type, .deferredBytes(producer)))
    }

    public mutating func addTensor(_ name: String, dimensions: [Int], type: GGMLType, producer: @escaping @Sendable () throws -> [Float]) {
        guard check(name, dimensions, type) else { return }
        guard Quantize.supported.contains(type) else {
            return problem(name, "cannot encode \(type); supported: \(Quantize.supported.map(\.description).sorted().joined(separator: ", "))")
        }
        tensors.append((name, dimensions, type, .deferred(producer)))
    }

    private mutating func check(_ name: String, _ dimensions: [Int], _ type: GGMLType) -> Bool {
        if name.isEmpty || name.utf8.count > Self.maximumNameLength {
            problem(name, "a tensor name must have 1 to \(Self.maximumNameLength) bytes, this has \(name.utf8.count)")
        } else if tensors.contains(where: { $0.name == name }) {
            problem(name, "a tensor of this name was already added")
        } else if !(1...Self.maximumDimensions).contains(dimensions.count) || dimensions.contains(where: { $0 <= 0 }) {
            problem(name, "shape \(dimensions) must have 1 to \(Self.maximumDimensions) positive dimensions")
        } else if dimensions[0] % type.blockSize != 0 {
            problem(name, "row length \(dimensions[0]) is not a multiple of the \(type) block size \(type.blockSize)")
        } else if dimensions.reduce(into: (1, false), { acc, d in
            let (product, overflow) = acc.0.multipliedReportingOverflow(by: d)
            acc = (product, acc.1 || overflow)
        }).1 {
            problem(name, "shape \(dimensions) has more elements than fit in an Int")
        } else {
            return true
        }
        return false
    }

    private mutating func problem(_ name: String, _ detail: String) {
        problems.append(GGUFError(.invalidArgument, path: "", field: "tensor '\(name)'", detail: detail))
    }

    // MARK: Output

    /// The complete file contents in memory (for tests and small files; `write(to:)` streams).
    public func serialized() throws -> [UInt8] {
        var out: [UInt8] = []
        try emit { out.append(contentsOf: $0) }
        return out
    }

    /// Writes the file atomically: a temporary file beside `url`, flushed, then renamed over it.
    public func write(to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial")
        func failure(_ detail: String) -> GGUFError {
            GGUFError(.writeFailed, path: url.path, detail: detail)
        }
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else {
            throw failure("cannot create a temporary file in \(directory.path): \(String(cString: strerror(errno)))")
        }
        var closed = false
        defer {
            if !closed { close(descriptor) }
        }
        do {
            try emit { chunk in
                var done = 0
                while done < chunk.count, let base = chunk.baseAddress {
                    let written = systemWrite(descriptor, base + done, chunk.count - done)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw failure("writing failed: \(String(cString: strerror(errno)))")
                    }
                    done += written
                }
            }
            guard fsync(descriptor) == 0 else { throw failure("flushing to disk failed: \(String(cString: strerror(errno)))") }
            closed = true
            guard close(descriptor) == 0 else { throw failure("closing failed: \(String(cString: strerror(errno)))") }
            guard rename(temporary.path, url.path) == 0 else {
                throw failure("cannot move the finished file into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(temporary.path)
            if var gguf = error as? GGUFError {
                if gguf.path.isEmpty { gguf.path = url.path }
                throw gguf
            }
            throw error
        }
    }

    /// Produces the file in pieces: header and tables in one buffer, then each tensor's bytes.
    private func emit(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        if let first = problems.first { throw first }
        guard alignment > 0, alignment & (alignment - 1) == 0 else {
            throw GGUFError(.invalidArgument, path: "", field: "alignment", detail: "alignment \(alignment) is not a power of two")
        }
        var entries = metadata
        if alignment != 32, !entries.contains(where: { $0.0 == "general.alignment" }) {
            entries.append(("general.alignment", .uint32(UInt32(alignment))))
        }
        for (key, value) in entries { try Self.checkArrays(value, key: key) }

        var header: [UInt8] = []
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { header.append(contentsOf: $0) } }
        func appendString(_ text: String) {
            append(UInt64(text.utf8.count))
            header.append(contentsOf: text.utf8)
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
        for tensor in tensors {
            appendString(tensor.name)
            append(UInt32(tensor.dimensions.count))
            tensor.dimensions.forEach { append(UInt64($0)) }
            append(tensor.type.rawValue)
            append(UInt64(offset))
            // Checked at add: the shape fits an Int and its row length is whole blocks.
            offset += padded(tensor.type.byteCount(elements: tensor.dimensions.reduce(1, *)) ?? 0)
        }
        header.append(contentsOf: repeatElement(0, count: padded(header.count) - header.count))
        try header.withUnsafeBytes(sink)
        let zeros = [UInt8](repeating: 0, count: alignment)
        for tensor in tensors {
            let bytes: [UInt8]
            switch tensor.payload {
            case .encoded(let encoded):
                bytes = encoded
            case .deferredBytes(let producer):
                bytes = try producer()
                let expected = tensor.type.byteCount(elements: tensor.dimensions.reduce(1, *)) ?? -1
                guard bytes.count == expected else {
                    throw GGUFError(.writeFailed, path: "", field: "tensor '\(tensor.name)'",
                                    detail: "\(bytes.count) bytes made; shape \(tensor.dimensions) as \(tensor.type) takes \(expected)")
                }
            case .deferred(let producer):
                let values = try producer()
                let elements = tensor.dimensions.reduce(1, *)
                guard values.count == elements else {
                    throw GGUFError(.invalidArgument, path: "", field: "tensor '\(tensor.name)'",
                                    detail: "\(values.count) values made for shape \(tensor.dimensions) (\(elements) elements)")
                }
                bytes = try Quantize.encode(tensor.type, values)
            }
            try bytes.withUnsafeBytes(sink)
            try zeros.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[..<(padded(bytes.count) - bytes.count)])) }
        }
    }

    private func padded(_ count: Int) -> Int {
        (count + alignment - 1) / alignment * alignment
    }

    /// Every element of an array must have the declared element type, or the file would be unreadable.
    private static func checkArrays(_ value: GGUFValue, key: String) throws {
        guard case .array(let elementType, let items) = value else { return }
        for (index, item) in items.enumerated() {
            guard item.type == elementType else {
                throw GGUFError(.invalidArgument, path: "", field: "metadata[\"\(key)\"][\(index)]",
                                detail: "element of type \(item.type) in an array declared as \(elementType)")
            }
            try checkArrays(item, key: key)
        }
    }
}

/// `write(2)`, named apart from `GGUFWriter.write(to:)`.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(descriptor, bytes, count)
    #else
    Darwin.write(descriptor, bytes, count)
    #endif
}
