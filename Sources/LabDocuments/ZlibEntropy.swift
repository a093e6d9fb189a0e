import CZlib

/// The zlib entropy of a text: how many bits per byte zlib needs for it (Carlini et al. 2021's
/// reference for "surprising to the model but not to a compressor"). Level 6 with the zlib
/// header, as Python's `zlib.compress(data)` does, so the sizes match it.
public enum ZlibEntropy {
    /// Bytes of the zlib stream of `text` (nil when zlib fails, which it does not for valid input).
    public static func compressedSize(_ text: String) -> Int? {
        let input = Array(text.utf8)
        var capacity = compressBound(uLong(input.count))
        var output = [UInt8](repeating: 0, count: Int(capacity))
        let status = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                compress2(destination.baseAddress, &capacity, source.baseAddress, uLong(input.count), 6)
            }
        }
        return status == Z_OK ? Int(capacity) : nil
    }

    /// 8 · compressed bytes / bytes (nil for an empty text).
    public static func bitsPerByte(_ text: String) -> Double? {
        let bytes = text.utf8.count
        guard bytes > 0, let size = compressedSize(text) else { return nil }
        return 8 * Double(size) / Double(bytes)
    }
}
