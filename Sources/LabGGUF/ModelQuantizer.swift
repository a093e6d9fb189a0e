public import Foundation

/// Writes a GGUF model in another `QuantizationMix`, as `llama-quantize IN OUT TYPE` does without
/// an importance matrix: the same metadata (with `general.quantization_version` and
/// `general.file_type` set last, as llama.cpp's gguf writer moves them), the same tensor order
/// and types (`QuantizationPlan`), and the same encoder arithmetic, so the bytes are equal.
public enum ModelQuantizer {
    /// What was written.
    public struct Summary: Sendable, Encodable {
        public var tensors: Int
        public var quantized: Int
        public var bytesIn: Int
        public var bytesOut: Int
        /// Tensors per output type, e.g. ["Q4_K": 84, "Q6_K": 19, "F32": 61].
        public var types: [String: Int]
    }

    /// The plan for `file` under `mix`.
    public static func plan(_ file: GGUFFile, mix: QuantizationMix) throws -> QuantizationPlan {
        let architecture = file.architecture ?? ""
        guard let layers = file.int("\(architecture).block_count"), layers > 0 else {
            throw GGUFError(.invalidArgument, path: file.path, field: "\(architecture).block_count",
                            detail: "the model's block count is missing; cannot apply llama.cpp's per-layer rules")
        }
        return QuantizationPlan(tensors: file.tensors.map { ($0.name, $0.dimensions, $0.type) }, layerCount: layers, mix: mix)
    }

    /// Writes `file` as `mix` to `url` (atomically); `progress` gets (tensors done, total).
    public static func quantize(_ file: GGUFFile, mix: QuantizationMix, to url: URL,
                                progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> Summary {
        let plan = try plan(file, mix: mix)
        let alignment = file.int("general.alignment") ?? 32
        var writer = GGUFWriter(alignment: alignment)
        let moved: Set<String> = ["general.quantization_version", "general.file_type", "split.no", "split.count", "split.tensors.count"]
        for (key, value) in file.metadata where !moved.contains(key) {
            writer.set(key, value)
        }
        writer.set("general.quantization_version", .uint32(2))
        writer.set("general.file_type", .uint32(mix.fileType))
        let total = plan.entries.count
        let done = Counter()
        for entry in plan.entries {
            guard let info = file.tensorInfo(named: entry.name) else { continue }
            // The mapping outlives the writer: `file` is held until `write` below returns.
            let source = UnsafeSendable(file.data(of: info))
            if entry.from == entry.to {
                writer.addTensor(entry.name, dimensions: entry.dimensions, type: entry.to) {
                    defer { progress?(done.increment(), total) }
                    return Array(source.value)
                }
            } else {
                let elements = info.elementCount, rowLength = entry.dimensions[0], target = entry.to, stored = info.type
                writer.addTensor(entry.name, dimensions: entry.dimensions, type: target) {
                    defer { progress?(done.increment(), total) }
                    var values = [Float](repeating: 0, count: elements)
                    values.withUnsafeMutableBufferPointer { Dequantize.run(stored, from: source.value, count: elements, into: $0.baseAddress!) }
                    return try encodeRows(values, rowLength: rowLength, as: target)
                }
            }
        }
        try writer.write(to: url)
        var types: [String: Int] = [:]
        for entry in plan.entries { types[entry.to.description, default: 0] += 1 }
        let bytesOut = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        return Summary(tensors: total, quantized: plan.entries.filter { $0.from != $0.to }.count,
                       bytesIn: (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0,
                       bytesOut: bytesOut ?? 0, types: types)
    }

    /// Encodes whole rows in parallel; every row's bytes depend only on that row.
    static func encodeRows(_ values: [Float], rowLength: Int, as type: GGMLType) throws -> [UInt8] {
        guard let rowBytes = type.byteCount(elements: rowLength), values.count % rowLength == 0 else {
            throw GGUFError(.writeFailed, path: "", field: "type", detail: "rows of \(rowLength) values are not whole \(type) blocks")
        }
        let rows = values.count / rowLength
        var out = [UInt8](repeating: 0, count: rows * rowBytes)
        let parts = min(rows, max(1, ProcessInfo.processInfo.activeProcessorCount * 4))
        let failure = Counter()
        values.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBytes { y in
                let source = UnsafeSendable(x.baseAddress!), destination = UnsafeSendable(y.baseAddress!)
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    let range = (part * rows / parts)..<((part + 1) * rows / parts)
                    guard !range.isEmpty else { return }
                    let slice = UnsafeBufferPointer(start: source.value + range.lowerBound * rowLength, count: range.count * rowLength)
                    guard let encoded = try? Quantize.encode(type, slice) else { _ = failure.increment(); return }
                    encoded.withUnsafeBytes { (destination.value + range.lowerBound * rowBytes).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                }
            }
        }
        if failure.value > 0 {
            throw GGUFError(.writeFailed, path: "", field: "type", detail: "cannot encode \(type)")
        }
        return out
    }
}

/// A pointer handed to concurrent workers that write disjoint parts of it.
private struct UnsafeSendable<Pointer>: @unchecked Sendable {
    let value: Pointer
    init(_ value: Pointer) { self.value = value }
}

/// A thread-safe count.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() -> Int { lock.withLock { count += 1; return count } }
}
