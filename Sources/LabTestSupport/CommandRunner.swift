public import Foundation
public import LabCore

/// Runs the built `synthlab` executable the way a user would, capturing output and exit status.
public enum SynthlabBinary {
    /// The executable built next to the test bundle (`.build/<triple>/<config>/synthlab`).
    public static var url: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("synthlab")
    }

    /// Runs `synthlab arguments…` in `directory` (default: the repository root).
    public static func run(_ arguments: [String], in directory: URL = TestPaths.repositoryRoot,
                           environment: [String: String] = [:]) -> Subprocess.Result {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            return Subprocess.Result(status: Subprocess.notStarted, output: Data(),
                                     errors: Data("could not start \(url.path): \(error); build it first (swift build)".utf8))
        }
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Subprocess.Result(status: process.terminationStatus, output: outputData, errors: errorData)
    }
}
