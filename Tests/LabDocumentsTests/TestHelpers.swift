import Foundation
import LabCore
import LabDocuments
import LabTestSupport

/// Integer draws on top of `SeededRandom`, for property-style tests.
struct SeededRandomForTests {
    var generator: SeededRandom

    init(seed: UInt64) { generator = SeededRandom(seed: seed) }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        Int.random(in: range, using: &generator)
    }

    mutating func pick<T>(_ items: [T]) -> T {
        items[int(0...(items.count - 1))]
    }
}

/// A throwaway project folder: `<root>/documents/...` plus helpers to write files into it.
struct ProjectFixture {
    let root: URL

    init(_ label: String) throws {
        root = try TestPaths.temporaryDirectory(label)
        try FileManager.default.createDirectory(at: documents, withIntermediateDirectories: true)
    }

    var documents: URL { root.appendingPathComponent("documents", isDirectory: true) }

    /// Writes `text` (UTF-8) at `path` relative to the project root, creating folders.
    func write(_ path: String, _ text: String) throws {
        try write(path, Data(text.utf8))
    }

    func write(_ path: String, _ data: Data) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }

    func resolver(allowFetch: Bool = false, cache: URL? = nil) -> DocumentResolver {
        DocumentResolver(
            projectRoot: root, documentsRoot: documents,
            cacheDirectory: cache ?? root.appendingPathComponent("cache"), allowFetch: allowFetch)
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}
