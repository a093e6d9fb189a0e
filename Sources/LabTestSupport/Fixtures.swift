public import Foundation
public import LabCore

/// Locations of on-disk things tests need.
public enum TestPaths {
    /// The repository root (the folder holding Package.swift), found from this source file.
    public static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url
            }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// The default model, installed by `make model` (which `make test` runs first).
    /// Tests that need it fail loudly when it is missing rather than skipping.
    public static func defaultModel() throws -> URL {
        let url = SynthlabHome().defaultModel
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw MissingFixture(description: "\(url.path) is missing: run `make model` (or `synthlab model pull`) first")
        }
        return url
    }

    /// A fresh empty temporary directory, removed by the caller (or left for inspection on failure).
    public static func temporaryDirectory(_ label: String = "test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("synthlab-\(label)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

public struct MissingFixture: Error, CustomStringConvertible {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}
