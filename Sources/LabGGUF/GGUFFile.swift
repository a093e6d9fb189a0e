public import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where a tensor is and what it holds.
public struct GGUFTensorInfo: Sendable, Hashable {
    /// Exactly as on disk, e.g. `blk.0.attn_q.weight`.
    public var name: String
    /// `ne`: innermost (contiguous) dimension first, as ggml stores it.
    public var dimensions: [Int]
    /// The element encoding.
    public var type: GGMLType
    /// From the start of the data section.
    public var offset: Int
    /// The number of elements (product of `dimensions`).
    public var elementCount: Int
    /// Bytes of data in the file.
    public var byteCount: Int

    /// Rows of a matrix (product of every dimension but the first).
    public var rowCount: Int { elementCount / max(1, dimensions.first ?? 1) }
    /// Elements in one row (the first dimension).
    public var rowLength: Int { dimensions.first ?? 0 }
}

/// A GGUF file in memory: metadata parsed up front, tensor data read in place.
///
/// Every field is bounds-checked: a truncated or corrupt file throws a `GGUFError` naming the byte
/// offset and the field, never crashes.
public final class GGUFFile: @unchecked Sendable {
    /// How the file's bytes are held in memory.
    public enum Residency: Sendable, Equatable {
        /// Mapped from the file (pages shared with the page cache and every process mapping it).
        case mapped
        /// Read into anonymous memory that asks for 2 MiB transparent huge pages. A decode step
        /// streams every weight once; with 4 KiB pages each page costs a TLB miss (two-level page
        /// walks in a VM) and the hardware prefetcher stops at every page boundary. Measured on the
        /// AMD EPYC VM of bench/engine (2 threads, F16 rows streamed by matrix as decode does, 139 MB):
        /// 5.1–5.7 ms per pass mapped in 4 KiB pages, 3.8–5.0 ms in huge pages. The cost: no sharing of
        /// the weights' pages between processes that load the same file, and the whole file is read
        /// at load. Falls back to `.mapped` for a file larger than half the available memory.
        case hugePages

        /// As `SYNTHLAB_WEIGHTS` spells it.
        public var name: String {
            switch self {
            case .mapped: "mapped"
            case .hugePages: "huge-pages"
            }
        }

        /// The residency for a model the engine runs: `SYNTHLAB_WEIGHTS=mapped` keeps the file mapped
        /// (several processes on one machine loading one large model share its pages that way);
        /// otherwise huge pages where the kernel offers them (transparent_hugepage not `never`).
        public static var forInference: Residency {
            if let asked = ProcessInfo.processInfo.environment["SYNTHLAB_WEIGHTS"], !asked.isEmpty {
                switch asked.lowercased() {
                case "mapped": return .mapped
                case "huge-pages", "hugepages": return .hugePages
                default:
                    FileHandle.standardError.write(Data("synthlab: SYNTHLAB_WEIGHTS=\(asked) is not 'mapped' or 'huge-pages'; using the default\n".utf8))
                }
            }
            return hugePagesOffered ? .hugePages : .mapped
        }

        /// Whether the kernel gives transparent huge pages to memory that asks for them.
        public static var hugePagesOffered: Bool {
            #if os(Linux)
            let setting = (try? String(contentsOfFile: "/sys/kernel/mm/transparent_hugepage/enabled", encoding: .utf8)) ?? ""
            return !setting.isEmpty && !setting.contains("[never]")
            #else
            return false
            #endif
        }
    }

    // @unchecked: the mapping is read-only and immutable after init; munmap happens only in deinit.
    /// The path the file was opened from.
    public let path: String
    /// The GGUF version, 2 or 3.
    public let version: UInt32
    /// Metadata in file order.
    public let metadata: [(key: String, value: GGUFValue)]
    /// The tensor table, in file order.
    public let tensors: [GGUFTensorInfo]
    /// Alignment of tensor data: `general.alignment`, default 32.
    public let alignment: Int
    /// Byte offset where tensor data begins.
    public let dataOffset: Int
    /// The file's size in bytes.
    public let fileSize: Int

    /// How the bytes are held: `.hugePages` only when the copy was made.
    public let residency: Residency

    private let base: UnsafeRawPointer
    /// What to munmap: the file mapping, or the anonymous region holding the copy.
    private let region: UnsafeMutableRawPointer
    private let mappedLength: Int
    private let index: [String: Int]
    private let tensorIndex: [String: Int]

    /// Maps (or, for `.hugePages`, reads) and parses the file at `url`.
    public init(url: URL, residency: Residency = .mapped) throws {
        path = url.path
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw GGUFError(errno == ENOENT ? .notFound : .unreadable, path: url.path, detail: "cannot open: \(reason)")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw GGUFError(.unreadable, path: url.path, detail: "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw GGUFError(.unreadable, path: url.path, detail: "not a regular file")
        }
        fileSize = Int(info.st_size)
        guard fileSize >= 24 else {
            throw GGUFError(fileSize >= 4 ? .truncated : .badMagic, path: url.path, offset: 0, field: "header",
                            detail: "file has only \(fileSize) bytes; a GGUF header needs 24")
        }
        if residency == .hugePages, let copy = try Self.readIntoHugePages(fd: fd, size: fileSize, path: url.path) {
            (region, mappedLength, base) = copy
            self.residency = .hugePages
        } else {
            guard let mapping = mmap(nil, fileSize, PROT_READ, MAP_PRIVATE, fd, 0), mapping != MAP_FAILED else {
                throw GGUFError(.unreadable, path: url.path, detail: "cannot map into memory: \(String(cString: strerror(errno)))")
            }
            region = mapping
            mappedLength = fileSize
            base = UnsafeRawPointer(mapping)
            self.residency = .mapped
        }
        do {
            var cursor = Cursor(base: base, count: fileSize, path: url.path)
            let header = try Self.parse(&cursor)
            version = header.version
            metadata = header.metadata
            tensors = header.tensors
            alignment = header.alignment
            dataOffset = header.dataOffset
        } catch {
            munmap(region, mappedLength)
            throw error
        }
        index = Dictionary(metadata.enumerated().map { ($1.key, $0) }, uniquingKeysWith: { first, _ in first })
        tensorIndex = Dictionary(tensors.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    deinit {
        munmap(region, mappedLength)
    }

    /// MemAvailable of /proc/meminfo in bytes, or nil where it can't be read.
    private static func availableMemory() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
              let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        return kilobytes * 1024
    }

    /// The file read into an anonymous region aligned to 2 MiB that asks for huge pages, made
    /// read-only once filled: (region, its length, where the file starts). Nil when the region
    /// can't be had (the caller maps the file instead); throws when the file can't be read.
    private static func readIntoHugePages(fd: Int32, size: Int, path: String) throws -> (UnsafeMutableRawPointer, Int, UnsafeRawPointer)? {
        #if os(Linux)
        // A copy needs the file's size in memory the page cache can't give back: leave a model
        // that would take most of what is available mapped (the OOM killer is worse than 4 KiB pages).
        if let available = availableMemory(), size > available / 2 { return nil }
        let huge = 2 << 20
        let length = (size + huge - 1) / huge * huge + huge
        guard let raw = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), raw != MAP_FAILED else { return nil }
        let start = (Int(bitPattern: raw) + huge - 1) / huge * huge
        let aligned = UnsafeMutableRawPointer(bitPattern: start)!
        // Huge pages for the whole 2 MiB spans of the file only: a huge page for the last partial
        // span would add up to 2 MiB of untouched memory to the process's footprint.
        if size >= huge { _ = madvise(aligned, size / huge * huge, MADV_HUGEPAGE) }
        var done = 0
        while done < size {
            let count = pread(fd, aligned + done, min(size - done, 1 << 30), off_t(done))
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let reason = count < 0 ? String(cString: strerror(errno)) : "the file ended early"
                munmap(raw, length)
                throw GGUFError(.unreadable, path: path, offset: done, detail: "cannot read: \(reason)")
            }
            done += count
        }
        _ = mprotect(aligned, (size + 4095) / 4096 * 4096, PROT_READ)
        return (raw, length, UnsafeRawPointer(aligned))
        #else
        return nil
        #endif
    }

    // MARK: Metadata

    /// The metadata value under `key`, or nil.
    public subscript(key: String) -> GGUFValue? {
        index[key].map { metadata[$0].value }
    }

    /// A string value; nil when absent or not a string.
    public func string(_ key: String) -> String? { self[key]?.stringValue }
    /// An integer of any width as `Int`; nil when absent, not an integer or out of range.
    public func int(_ key: String) -> Int? { self[key]?.intValue }
    /// A float or integer as `Double`; nil when absent or not a number.
    public func float(_ key: String) -> Double? { self[key]?.doubleValue }
    /// A bool value; nil when absent or not a bool.
    public func bool(_ key: String) -> Bool? {
        if case .bool(let value)? = self[key] { return value }
        return nil
    }
    /// An array of strings; nil when absent, not an array, or any element is not a string.
    public func stringArray(_ key: String) -> [String]? { Self.every(self[key]) { $0.stringValue } }
    /// An array of integers; nil when absent, not an array, or any element is not an integer.
    public func intArray(_ key: String) -> [Int]? { Self.every(self[key]) { $0.intValue } }
    /// An array of numbers as `Float`; nil when absent, not an array, or any element is not a number.
    public func floatArray(_ key: String) -> [Float]? { Self.every(self[key]) { $0.doubleValue.map(Float.init) } }

    /// Converts every element of an array value, or gives nil if one does not convert: a
    /// `token_type` array of strings must not read as an empty or shortened integer list.
    private static func every<T>(_ value: GGUFValue?, _ convert: (GGUFValue) -> T?) -> [T]? {
        guard let items = value?.arrayValue else { return nil }
        var result: [T] = []
        result.reserveCapacity(items.count)
        for item in items {
            guard let converted = convert(item) else { return nil }
            result.append(converted)
        }
        return result
    }

    /// A value that must be present, with an error naming the key otherwise.
    public func require<T>(_ key: String, _ read: (String) -> T?) throws -> T {
        guard self[key] != nil else { throw GGUFError(.missingKey, path: path, field: key, detail: "metadata key is missing") }
        guard let value = read(key) else {
            throw GGUFError(.wrongType, path: path, field: key, detail: "metadata value has type \(self[key]?.type ?? .uint8), which is not usable here")
        }
        return value
    }

    /// `general.architecture`, e.g. `llama`.
    public var architecture: String? { string("general.architecture") }

    // MARK: Tensors

    /// The tensor called `name` (exactly as on disk, e.g. `blk.0.attn_q.weight`), or nil.
    public func tensorInfo(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// The raw bytes of a tensor inside the mapping; valid while this file object lives.
    public func data(of tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        // Infos from this file were checked at open; this catches an info from another file.
        precondition(tensor.offset >= 0 && tensor.byteCount >= 0 && dataOffset + tensor.offset + tensor.byteCount <= fileSize,
                     "tensor '\(tensor.name)' does not lie inside \(path)")
        return UnsafeRawBufferPointer(start: base + dataOffset + tensor.offset, count: tensor.byteCount)
    }

    /// Lets the kernel drop this tensor's pages from the process's resident memory (they are
    /// read from the file again if touched): a pass that reads each tensor once (a merge) then
    /// holds about one tensor of each file, not every page it has read.
    public func releasePages(of tensor: GGUFTensorInfo) {
        // A copy in anonymous memory has no file behind it: released pages would read back as zeros.
        guard residency == .mapped else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (dataOffset + tensor.offset) / page * page
        let end = dataOffset + tensor.offset + tensor.byteCount
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
    }

    /// A tensor's elements as Float (dequantized); allocates `elementCount` floats.
    public func floats(of tensor: GGUFTensorInfo) -> [Float] {
        [Float](unsafeUninitializedCapacity: tensor.elementCount) { buffer, initialized in
            // Every dimension is positive (checked at open), so the buffer is never empty.
            if let destination = buffer.baseAddress {
                Dequantize.run(tensor.type, from: data(of: tensor), count: tensor.elementCount, into: destination)
                initialized = tensor.elementCount
            }
        }
    }

    // MARK: Parsing

    private struct Header {
        var version: UInt32
        var metadata: [(key: String, value: GGUFValue)]
        var tensors: [GGUFTensorInfo]
        var alignment: Int
        var dataOffset: Int
    }

    private static func parse(_ cursor: inout Cursor) throws -> Header {
        let magic: UInt32 = try cursor.read("magic")
        guard magic == 0x4655_4747 else {
            throw cursor.error(.badMagic, at: 0, "magic", "expected the bytes 'GGUF', found 0x\(String(magic, radix: 16))")
        }
        let version: UInt32 = try cursor.read("version")
        guard version == 2 || version == 3 else {
            if version.byteSwapped == 2 || version.byteSwapped == 3 {
                throw cursor.error(.unsupportedVersion(version), at: 4, "version", "this is a big-endian GGUF file; only little-endian files are read")
            }
            throw cursor.error(.unsupportedVersion(version), at: 4, "version", "GGUF version \(version) is not supported (2 and 3 are)")
        }
        let tensorCount = try cursor.readCount("tensor_count", minimumElementSize: 4 + 8 + 4 + 8 + 4 + 8)
        let keyCount = try cursor.readCount("kv_count", minimumElementSize: 8 + 1 + 4)

        var metadata: [(key: String, value: GGUFValue)] = []
        metadata.reserveCapacity(keyCount)
        var keys: Set<String> = []
        for entry in 0..<keyCount {
            let keyOffset = cursor.offset
            let key = try cursor.readString("metadata[\(entry)].key")
            guard keys.insert(key).inserted else {
                throw cursor.error(.implausible, at: keyOffset, "metadata[\(entry)].key", "key \"\(key)\" appears twice")
            }
            let typeOffset = cursor.offset
            let rawType: UInt32 = try cursor.read("metadata[\"\(key)\"].type")
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw cursor.error(.unknownValueType(rawType), at: typeOffset, "metadata[\"\(key)\"].type", "unknown metadata value type \(rawType)")
            }
            metadata.append((key, try cursor.readValue(type, field: "metadata[\"\(key)\"]", depth: 0)))
        }

        var alignment = 32
        if let entry = metadata.first(where: { $0.key == "general.alignment" }) {
            guard let value = entry.value.intValue, value > 0, value & (value - 1) == 0, value <= 1 << 20 else {
                throw cursor.error(.implausible, at: nil, "general.alignment", "alignment must be a power of two, found \(entry.value.summary)")
            }
            alignment = value
        }

        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(tensorCount)
        var names: Set<String> = []
        for number in 0..<tensorCount {
            let nameOffset = cursor.offset
            let name = try cursor.readString("tensor_info[\(number)].name")
            guard name.utf8.count <= GGUFWriter.maximumNameLength else {
                throw cursor.error(.badTensor, at: nameOffset, "tensor_info[\(number)].name",
                                   "name of \(name.utf8.count) bytes is longer than ggml's limit of \(GGUFWriter.maximumNameLength)")
            }
            guard names.insert(name).inserted else {
                throw cursor.error(.badTensor, at: nameOffset, "tensor_info[\(number)].name", "a second tensor named '\(name)'")
            }
            let label = "tensor_info[\(number)] '\(name)'"
            let dimsOffset = cursor.offset
            let dimensionCount: UInt32 = try cursor.read("\(label).n_dims")
            guard (1...4).contains(dimensionCount) else {
                throw cursor.error(.implausible, at: dimsOffset, "\(label).n_dims", "\(dimensionCount) dimensions (ggml allows 1 to 4)")
            }
            var dimensions: [Int] = []
            var elements = 1
            for axis in 0..<Int(dimensionCount) {
                let at = cursor.offset
                let raw: UInt64 = try cursor.read("\(label).ne[\(axis)]")
                guard let size = Int(exactly: raw), size > 0 else {
                    throw cursor.error(.implausible, at: at, "\(label).ne[\(axis)]", "dimension \(raw) is not a positive size")
                }
                let (product, overflow) = elements.multipliedReportingOverflow(by: size)
                guard !overflow else { throw cursor.error(.implausible, at: at, "\(label).ne", "element count overflows") }
                elements = product
                dimensions.append(size)
            }
            let typeOffset = cursor.offset
            let rawType: UInt32 = try cursor.read("\(label).type")
            guard let type = GGMLType(rawValue: rawType) else {
                let detail = GGMLType.unsupportedNames[rawType].map { "tensor type \($0) (id \(rawType)) is not supported by synthlab" }
                    ?? "unknown ggml tensor type id \(rawType)"
                throw cursor.error(.unknownTensorType(rawType), at: typeOffset, "\(label).type", detail)
            }
            guard dimensions[0] % type.blockSize == 0, let bytes = type.byteCount(elements: elements) else {
                throw cursor.error(.badTensor, at: dimsOffset, "\(label).ne[0]", "row length \(dimensions[0]) is not a multiple of the \(type) block size \(type.blockSize)")
            }
            let offsetField = cursor.offset
            let rawOffset: UInt64 = try cursor.read("\(label).offset")
            guard let offset = Int(exactly: rawOffset), offset % alignment == 0 else {
                throw cursor.error(.badTensor, at: offsetField, "\(label).offset", "data offset \(rawOffset) is not a multiple of the alignment \(alignment)")
            }
            tensors.append(GGUFTensorInfo(name: name, dimensions: dimensions, type: type, offset: offset, elementCount: elements, byteCount: bytes))
        }

        let dataOffset = (cursor.offset + alignment - 1) / alignment * alignment
        let available = cursor.count - dataOffset
        var previousEnd = 0
        var previousName = ""
        for tensor in tensors.sorted(by: { $0.offset < $1.offset }) {
            guard tensor.offset >= previousEnd else {
                throw cursor.error(.badTensor, at: dataOffset + tensor.offset, "tensor '\(tensor.name)'", "data overlaps tensor '\(previousName)'")
            }
            let (end, overflow) = tensor.offset.addingReportingOverflow(tensor.byteCount)
            guard !overflow, end <= available else {
                throw cursor.error(.truncated, at: dataOffset + tensor.offset, "tensor '\(tensor.name)'",
                                   "data needs \(tensor.byteCount) bytes but the file ends \(max(0, available - tensor.offset)) bytes after its start")
            }
            previousEnd = end
            previousName = tensor.name
        }
        return Header(version: version, metadata: metadata, tensors: tensors, alignment: alignment, dataOffset: dataOffset)
    }
}

/// A bounds-checked reading position in the mapped file.
struct Cursor {
    let base: UnsafeRawPointer
    let count: Int
    let path: String
    var offset = 0

    init(base: UnsafeRawPointer, count: Int, path: String) {
        self.base = base
        self.count = count
        self.path = path
    }

    func error(_ kind: GGUFError.Kind, at offset: Int?, _ field: String, _ detail: String) -> GGUFError {
        GGUFError(kind, path: path, offset: offset, field: field, detail: detail)
    }

    mutating func read<T: FixedWidthInteger>(_ field: @autoclosure () -> String) throws -> T {
        let size = MemoryLayout<T>.size
        guard count - offset >= size else {
            throw error(.truncated, at: offset, field(), "file ends inside this \(size)-byte field")
        }
        let value = T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += size
        return value
    }

    /// A u64 count, refused when even the smallest elements couldn't fit in the rest of the file.
    mutating func readCount(_ field: String, minimumElementSize: Int) throws -> Int {
        let at = offset
        let raw: UInt64 = try read(field)
        guard let value = Int(exactly: raw), value <= (count - offset) / max(1, minimumElementSize) else {
            throw error(.implausible, at: at, field, "count \(raw) is larger than the file could hold")
        }
        return value
    }

    mutating func readString(_ field: @autoclosure () -> String) throws -> String {
        let at = offset
        let raw: UInt64 = try read(field())
        guard let length = Int(exactly: raw), length <= count - offset else {
            throw error(.truncated, at: at, field(), "string of \(raw) bytes runs past the end of the file")
        }
        let bytes = UnsafeRawBufferPointer(start: base + offset, count: length)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw error(.invalidString, at: offset, field(), "string is not valid UTF-8")
        }
        offset += length
        return text
    }

    mutating func readValue(_ type: GGUFValueType, field: String, depth: Int) throws -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try read(field))
        case .int8: return .int8(try read(field))
        case .uint16: return .uint16(try read(field))
        case .int16: return .int16(try read(field))
        case .uint32: return .uint32(try read(field))
        case .int32: return .int32(try read(field))
        case .uint64: return .uint64(try read(field))
        case .int64: return .int64(try read(field))
        case .float32: return .float32(Float(bitPattern: try read(field)))
        case .float64: return .float64(Double(bitPattern: try read(field)))
        case .bool:
            let at = offset
            let raw: UInt8 = try read(field)
            guard raw <= 1 else { throw error(.implausible, at: at, field, "boolean byte is \(raw), not 0 or 1") }
            return .bool(raw == 1)
        case .string: return .string(try readString(field))
        case .array:
            guard depth < 8 else { throw error(.implausible, at: offset, field, "arrays nested too deeply") }
            let typeAt = offset
            let rawType: UInt32 = try read("\(field).element_type")
            guard let elementType = GGUFValueType(rawValue: rawType) else {
                throw error(.unknownValueType(rawType), at: typeAt, "\(field).element_type", "unknown array element type \(rawType)")
            }
            let length = try readCount("\(field).count", minimumElementSize: elementType.fixedSize ?? 8)
            var items: [GGUFValue] = []
            items.reserveCapacity(length)
            for item in 0..<length {
                items.append(try readValue(elementType, field: "\(field)[\(item)]", depth: depth + 1))
            }
            return .array(elementType: elementType, items)
        }
    }
}
