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
    /// quants covering their whole range.
    mutating func matrixBytes(_ format: WeightFormat, rows: Int, columns: Int) -> [UInt8] {
        var bytes: [UInt8] = []
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
            case .q8_0:
                for _ in 0..<(columns / QK8_0) {
                    withUnsafeBytes(of: Float16(random.nextUnitFloat() * 0.02).bitPattern.littleEndian) { bytes += $0 }
                    for _ in 0..<QK8_0 { bytes.append(UInt8(truncatingIfNeeded: random.next())) }
                }
            case .q4_1:
                for _ in 0..<(columns / QK4_1) {
                    withUnsafeBytes(of: Float16(random.nextUnitFloat() * 0.02).bitPattern.littleEndian) { bytes += $0 }
                    withUnsafeBytes(of: Float16(-random.nextUnitFloat() * 0.1).bitPattern.littleEndian) { bytes += $0 }
                    for _ in 0..<(QK4_1 / 2) { bytes.append(UInt8(truncatingIfNeeded: random.next())) }
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
