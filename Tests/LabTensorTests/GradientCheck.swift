import Foundation
import Testing

// Finite-difference helpers shared by the backward-kernel tests.

/// Central differences of a scalar function of `values` at the chosen indices, in Double.
func numericGradient(_ values: [Float], at indices: [Int], step h: Float = 1e-2, _ loss: ([Float]) -> Double) -> [Double] {
    indices.map { i in
        var plus = values, minus = values
        plus[i] += h
        minus[i] -= h
        return (loss(plus) - loss(minus)) / Double(2 * h)
    }
}

/// Every analytic gradient element at `indices` within tolerance of the numeric one.
func expectGradient(
    _ analytic: [Float], _ numeric: [Double], at indices: [Int], tolerance: Double = 2e-3, _ what: String,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
    for (k, i) in indices.enumerated() {
        let error = abs(Double(analytic[i]) - numeric[k]) / (1 + abs(numeric[k]))
        #expect(error < tolerance, "\(what)[\(i)]: analytic \(analytic[i]), numeric \(numeric[k])", sourceLocation: sourceLocation)
    }
}

/// Σ r ⊙ y in Double: a scalar whose gradient with respect to y is r.
func weightedSum(_ y: [Float], _ r: [Float]) -> Double {
    zip(y, r).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}

func sample(_ count: Int, _ n: Int = 12) -> [Int] {
    (0..<min(n, count)).map { ($0 * 7919) % count }
}

