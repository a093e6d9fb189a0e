/// One sequence's keys and values for every layer: a `SequenceState` of `DecoderModel`.
///
/// Layout: for layer l, keys (capacity, KVH·hs) then values (capacity, KVH·hs), in one
/// allocation of 2 · layers · capacity · KVH·hs floats.
public final class KVCache: SequenceState {
    /// Tokens already processed.
    public private(set) var count = 0
    /// The most tokens this cache can hold.
    public let capacity: Int
    let layerCount: Int
    let kvDimension: Int
    let storage: UnsafeMutablePointer<Float>
    /// Identifies the model that made this cache, so another model's cache is refused.
    let owner: ObjectIdentifier

    init(capacity: Int, layerCount: Int, kvDimension: Int, owner: ObjectIdentifier) {
        self.capacity = capacity
        self.layerCount = layerCount
        self.kvDimension = kvDimension
        self.owner = owner
        // Left unwritten: a position is read only after the pass that writes it, and untouched
        // pages of a large cache cost no memory, so a cache grows in RSS with its use.
        storage = .allocate(capacity: 2 * layerCount * capacity * kvDimension)
    }

    deinit {
        storage.deallocate()
    }

    /// keys (capacity, KVH·hs) of `layer`.
    func keys(layer: Int) -> UnsafeMutablePointer<Float> {
        storage + (2 * layer) * capacity * kvDimension
    }

    /// values (capacity, KVH·hs) of `layer`.
    func values(layer: Int) -> UnsafeMutablePointer<Float> {
        storage + (2 * layer + 1) * capacity * kvDimension
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
