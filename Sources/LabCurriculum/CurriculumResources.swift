public import Foundation

/// Data files that ship with synthlab (SwiftPM's resource bundle next to the executable).
public enum CurriculumResources {
    /// The bundled file at `relativePath` inside the bundle, or nil when it is missing — callers
    /// say how to point at a copy instead.
    public static func url(_ relativePath: String) -> URL? {
        var directories: [URL] = []
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() { directories.append(executable.deletingLastPathComponent()) }
        directories.append(Bundle.main.bundleURL)
        for directory in directories {
            let url = directory.appendingPathComponent("synthlab_LabCurriculum.resources").appendingPathComponent(relativePath)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        return nil
    }
}
