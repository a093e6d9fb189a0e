import Foundation

/// A zero-initialised heap array of Float with a stable address, for weights, gradients,
/// optimiser moments and activations: the kernels take raw pointers, and a Swift Array would
/// need a closure (and an exclusivity check) around every use.
final class FloatBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
        pointer.initialize(repeating: 0, count: max(1, count))
    }

    /// Zeroed by the allocator (`calloc`): large buffers come as fresh zero pages that take no
    /// memory until written, so a buffer that is mostly never written stays small.
    init(lazilyZeroedCount count: Int) {
        self.count = count
        guard let raw = calloc(max(1, count), MemoryLayout<Float>.stride) else { fatalError("out of memory for \(count) floats") }
        pointer = raw.bindMemory(to: Float.self, capacity: max(1, count))
    }

    deinit { pointer.deallocate() }

    func zero() { pointer.update(repeating: 0, count: count) }

    var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    func copy(from other: FloatBuffer) {
        precondition(other.count == count)
        pointer.update(from: other.pointer, count: count)
    }
}
