import LabTensor

/// How a `KVCache` stores keys and values.
public enum KVCacheElement: String, Sendable, CaseIterable {
    /// binary32: exactly the Float the forward pass computed (the structural tests compare paths this way).
    case f32
    /// binary16, rounded to nearest (llama.cpp's default cache type): half the memory and half the
    /// bytes a decode step's attention streams.
    case f16

    var byteCount: Int {
        switch self {
        case .f32: MemoryLayout<Float>.stride
        case .f16: MemoryLayout<Float16>.stride
        }
    }
}

/// One sequence's keys and values for every layer: a `SequenceState` of `DecoderModel`.
///
/// Layout: for layer l, keys (capacity, KVH·hs) then values (capacity, KVH·hs), in one
/// allocation of 2 · layers · capacity · KVH·hs elements of `element`.
public final class KVCache: SequenceState {
    /// Tokens already processed.
    public private(set) var count = 0
    /// The most tokens this cache can hold.
    public let capacity: Int
    /// The stored type of every key and value.
    public let element: KVCacheElement
    let layerCount: Int
    let kvDimension: Int
    let storage: UnsafeMutableRawPointer
    /// Identifies the model that made this cache, so another model's cache is refused.
    let owner: ObjectIdentifier

    init(capacity: Int, layerCount: Int, kvDimension: Int, element: KVCacheElement, owner: ObjectIdentifier) {
        self.capacity = capacity
        self.layerCount = layerCount
        self.kvDimension = kvDimension
        self.element = element
        self.owner = owner
        // Left unwritten: a position is read only after the pass that writes it, and untouched
        // pages of a large cache cost no memory, so a cache grows in RSS with its use.
        storage = .allocate(byteCount: 2 * layerCount * capacity * kvDimension * element.byteCount, alignment: 64)
    }

    deinit {
        storage.deallocate()
    }

    /// Bytes of one layer's keys (or values).
    private var planeBytes: Int { capacity * kvDimension * element.byteCount }

    /// keys (capacity, KVH·hs) of `layer`.
    func keys(layer: Int) -> UnsafeMutableRawPointer {
        storage + (2 * layer) * planeBytes
    }

    /// values (capacity, KVH·hs) of `layer`.
    func values(layer: Int) -> UnsafeMutableRawPointer {
        storage + (2 * layer + 1) * planeBytes
    }

    /// Stores `rows` positions' keys and values (each row KVH·hs Floats) of `layer` from position
    /// `position` on, rounded to the cache's element type.
    func write(layer: Int, position: Int, rows: Int, keys newKeys: UnsafePointer<Float>, values newValues: UnsafePointer<Float>) {
        let offset = position * kvDimension, n = rows * kvDimension
        switch element {
        case .f32:
            (keys(layer: layer).assumingMemoryBound(to: Float.self) + offset).update(from: newKeys, count: n)
            (values(layer: layer).assumingMemoryBound(to: Float.self) + offset).update(from: newValues, count: n)
        case .f16:
            roundToF16(keys(layer: layer).assumingMemoryBound(to: Float16.self) + offset, newKeys, count: n)
            roundToF16(values(layer: layer).assumingMemoryBound(to: Float16.self) + offset, newValues, count: n)
        }
    }

    /// Forgets everything after the first `count` tokens.
    public func truncate(to count: Int) {
        self.count = min(max(0, count), self.count)
    }

    /// Records that `n` more tokens were written.
    func advance(by n: Int) {
        count += n
    }
}
