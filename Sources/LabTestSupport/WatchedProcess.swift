public import Foundation
import LabCore
#if canImport(Glibc)
import Glibc
#endif

/// A `synthlab` process a test starts and later waits for with a deadline. Its stderr goes to a
/// file, so when it overruns the deadline the failure says what it was doing: the end of its
/// stderr and, where gdb is installed, every thread's stack, taken before it is killed.
public final class WatchedProcess: @unchecked Sendable {
    public let process: Process
    public let arguments: [String]
    private let errorLog: URL

    public init(synthlab arguments: [String], in directory: URL = TestPaths.repositoryRoot) throws {
        self.arguments = arguments
        errorLog = try TestPaths.temporaryDirectory("watched").appendingPathComponent("stderr.log")
        FileManager.default.createFile(atPath: errorLog.path, contents: nil)
        process = Process()
        process.executableURL = SynthlabBinary.url
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: errorLog)
        try process.run()
    }

    deinit { try? FileManager.default.removeItem(at: errorLog.deletingLastPathComponent()) }

    public var processIdentifier: Int32 { process.processIdentifier }

    /// Waits without holding a thread of the cooperative pool (other tests' async work keeps running).
    /// Returns nil when the process ended in time; otherwise it is killed and the report returned.
    public func wait(seconds: Double) async -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        guard process.isRunning else {
            process.waitUntilExit()
            return nil
        }
        let report = hangReport(seconds: seconds)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return report
    }

    /// The last lines of the process's stderr, for a failure message (a process that exited with
    /// an error status says why there).
    public func errorTail(lines: Int = 40) -> String {
        let errors = (try? String(contentsOf: errorLog, encoding: .utf8)) ?? ""
        return errors.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// How an ended process exited and the end of its stderr, for an expectation on its status.
    public var exitReport: String {
        "synthlab \(arguments.joined(separator: " ")) exited with \(process.terminationStatus); stderr, last lines:\n\(errorTail())"
    }

    /// The last lines of stderr and every thread's backtrace (gdb), for a process that overran.
    public func hangReport(seconds: Double) -> String {
        var report = "synthlab \(arguments.joined(separator: " ")) (pid \(process.processIdentifier)) still running after \(Int(seconds)) s.\n"
        report += "stderr, last lines:\n\(errorTail())\n"
        report += Self.stacks(of: process.processIdentifier)
        return report
    }

    /// Every thread's stack of a running process, or why there are none.
    public static func stacks(of pid: Int32) -> String {
        guard let gdb = ["/usr/bin/gdb", "/usr/local/bin/gdb"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            return "(no stacks: gdb is not installed; scripts/install-deps.sh --test installs it)\n"
        }
        let result = Subprocess.run(gdb, ["-p", "\(pid)", "-batch", "-nx", "-ex", "set pagination off", "-ex", "thread apply all bt 30"])
        let text = String(decoding: result.output, as: UTF8.self)
        let stacks = text.split(separator: "\n").filter { $0.hasPrefix("Thread ") || $0.hasPrefix("#") }.joined(separator: "\n")
        return stacks.isEmpty ? "(gdb gave no stacks: \(String(decoding: result.errors, as: UTF8.self).prefix(500)))\n" : "stacks:\n\(stacks)\n"
    }
}
