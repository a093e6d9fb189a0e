/// `DecoderModel`'s caches fork by copying the filled rows, so `count > 1` completions of a prompt
/// pay for one prefill plus a copy of (tokens × layers × 2 × KV width) elements.
extension KVCache: ForkableSequenceState {
    public func fork() throws -> any SequenceState {
        let copy = KVCache(capacity: capacity, layerCount: layerCount, kvDimension: kvDimension, element: element, owner: owner)
        let filled = count * kvDimension * element.byteCount
        for layer in 0..<layerCount {
            copy.keys(layer: layer).copyMemory(from: keys(layer: layer), byteCount: filled)
            copy.values(layer: layer).copyMemory(from: values(layer: layer), byteCount: filled)
        }
        copy.advance(by: count)
        return copy
    }
}
