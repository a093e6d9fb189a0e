/// `DecoderModel`'s caches fork by copying the filled rows, so `count > 1` completions of a prompt
/// pay for one prefill plus a copy of (tokens × layers × 2 × KV width) floats.
extension KVCache: ForkableSequenceState {
    public func fork() throws -> any SequenceState {
        let copy = KVCache(capacity: capacity, layerCount: layerCount, kvDimension: kvDimension, owner: owner)
        let filled = count * kvDimension
        for layer in 0..<layerCount {
            copy.keys(layer: layer).update(from: keys(layer: layer), count: filled)
            copy.values(layer: layer).update(from: values(layer: layer), count: filled)
        }
        copy.advance(by: count)
        return copy
    }
}
