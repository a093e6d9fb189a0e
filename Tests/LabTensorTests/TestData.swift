import LabCore
import LabTensor
import Testing

/// Random inputs for kernel tests, reproducible from a seed.
struct TestData {
    var random: SeededRandom

    init(seed: UInt64) {
        random = SeededRandom(seed: seed)
    }

    /// `count` floats uniform in [-scale, scale).
    mutating func floats(_ count: Int, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in (random.nextUnitFloat() * 2 - 1) * scale }
    }

    /// A (rows, columns) matrix in `format` with random blocks: scales in a realistic range,
    /// quants covering their whole range (random bytes, whose every pattern is a valid code).
    mutating func matrixBytes(_ format: WeightFormat, rows: Int, columns: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        func half(_ value: Float, at offset: Int, in block: inout [UInt8]) {
            let bits = Float16(value).bitPattern
            block[offset] = UInt8(bits & 0xFF)
            block[offset + 1] = UInt8(bits >> 8)
        }
        for _ in 0..<rows {
            switch format {
            case .f32:
                for value in floats(columns) {
                    withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
                }
            case .f16:
                for value in floats(columns) {
                    withUnsafeBytes(of: Float16(value).bitPattern.littleEndian) { bytes += $0 }
                }
            case .bf16:
                for value in floats(columns) {
                    withUnsafeBytes(of: UInt16(value.bitPattern >> 16).littleEndian) { bytes += $0 }
                }
            case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K:
                for _ in 0..<(columns / format.blockSize) {
                    var block = (0..<format.bytesPerBlock).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                    switch format {
                    case .q4_1, .q5_1:
                        half(random.nextUnitFloat() * 0.02, at: 0, in: &block)
                        half(-random.nextUnitFloat() * 0.1, at: 2, in: &block)
                    case .q4_K, .q5_K:
                        half(random.nextUnitFloat() * 0.002, at: 0, in: &block)
                        half(random.nextUnitFloat() * 0.002, at: 2, in: &block)
                    case .q6_K:
                        half((random.nextUnitFloat() * 2 - 1) * 0.001, at: 208, in: &block)
                    default:
                        half((random.nextUnitFloat() * 2 - 1) * 0.02, at: 0, in: &block)
                    }
                    bytes += block
                }
            }
        }
        return bytes
    }
}

/// Expects every element of `actual` within `tolerance` (absolute plus relative to the
/// expected magnitude) of `expected`, and reports the worst element when not.
func expectClose(
    _ actual: [Float], _ expected: [Float], tolerance: Float, _ what: String,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
    #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
    var worst = 0, worstError: Float = 0
    for i in 0..<min(actual.count, expected.count) {
        let error = abs(actual[i] - expected[i]) / (1 + abs(expected[i]))
        if !(error <= worstError) || error.isNaN {
            worst = i
            worstError = error.isNaN ? .infinity : error
        }
    }
    #expect(
        worstError <= tolerance,
        "\(what): element \(worst) is \(actual[worst]), expected \(expected[worst]) (relative error \(worstError) > \(tolerance))",
        sourceLocation: sourceLocation
    )
}
