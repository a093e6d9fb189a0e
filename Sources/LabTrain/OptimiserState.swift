public import Foundation

/// AdamW's state on disk, so a killed job resumes exactly: a small header then both moment
/// buffers as raw little-endian Float. Written atomically beside the checkpoint.
extension AdamW {
    private static let magic: UInt32 = 0x5341_444D  // "MDAS": synthlab AdamW moments
    private static let version: UInt32 = 1

    public func write(to url: URL) throws {
        var data = Data()
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        append(Self.magic)
        append(Self.version)
        append(UInt64(step))
        append(UInt64(firstMoment.count))
        data.append(UnsafeBufferPointer(start: firstMoment.pointer, count: firstMoment.count))
        data.append(UnsafeBufferPointer(start: secondMoment.pointer, count: secondMoment.count))
        try data.write(to: url, options: .atomic)
    }

    /// Restores the state saved by `write(to:)`; throws when the file is not one, or is for a
    /// model of another size.
    public func read(from url: URL) throws {
        let data = try Data(contentsOf: url, options: .mappedIfSafe)
        let header = 4 + 4 + 8 + 8
        func fail(_ why: String) -> CocoaError {
            CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: url.path, NSLocalizedDescriptionKey: "\(url.path): \(why)"])
        }
        guard data.count >= header else { throw fail("too short for an optimiser state") }
        func integer<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            data.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        }
        guard integer(0, UInt32.self) == Self.magic, integer(4, UInt32.self) == Self.version else {
            throw fail("not a synthlab optimiser state (bad magic or version)")
        }
        let step = Int(integer(8, UInt64.self)), count = Int(integer(16, UInt64.self))
        guard count == firstMoment.count else { throw fail("holds \(count) parameters, the model has \(firstMoment.count)") }
        guard data.count == header + 2 * count * 4 else { throw fail("is truncated (\(data.count) bytes, expected \(header + 2 * count * 4))") }
        data.withUnsafeBytes { raw in
            let floats = raw.baseAddress!.advanced(by: header).assumingMemoryBound(to: Float.self)
            restore(step: step, first: UnsafeBufferPointer(start: floats, count: count),
                    second: UnsafeBufferPointer(start: floats + count, count: count))
        }
    }
}
