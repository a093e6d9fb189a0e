import Foundation
import LabTestSupport
import Testing

/// A JSON fixture of this test bundle (`Fixtures/NAME`), decoded.
func referenceFixture<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
    guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
        throw MissingFixture(description: "Fixtures/\(name) is not in the test bundle")
    }
    return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
}

/// Expects `actual` within `tolerance` (relative) of the `peer`'s figure, naming both.
func expectRelative(_ actual: Double, _ expected: Double, _ what: String, peer: String, tolerance: Double = 1e-3,
                    sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let error = abs(actual - expected) / abs(expected)
    #expect(error <= tolerance, "\(what): \(actual), \(peer) \(expected) (relative \(error))", sourceLocation: sourceLocation)
}
