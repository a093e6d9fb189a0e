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
        // Both pipes are drained at once: reading one to its end first would deadlock as soon as
        // the other holds more than a pipe buffer (64 KiB) of output.
        let collected = OutputCollector()
        let reader = Thread { collected.set(output.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let outputData = collected.wait()
        return Subprocess.Result(status: process.terminationStatus, output: outputData, errors: errorData)
    }
}

/// Hands the output read on another thread back to the caller.
private final class OutputCollector: @unchecked Sendable {
    private let condition = NSCondition()
    private var data: Data?

    func set(_ value: Data) {
        condition.lock()
        data = value
        condition.signal()
        condition.unlock()
    }

    func wait() -> Data {
        condition.lock()
        defer { condition.unlock() }
        while data == nil { condition.wait() }
        return data ?? Data()
    }
}
