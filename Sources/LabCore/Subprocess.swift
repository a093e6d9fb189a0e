public import Foundation

/// Runs an external command (git, pip) and captures its output. Standard input is closed and
/// interactive prompts are disabled, so a command can never hang waiting for a person.
public enum Subprocess {
    /// Exit status used when the program could not be started at all (as shells do).
    public static let notStarted: Int32 = 127

    public struct Result: Sendable {
        public var status: Int32
        public var output: Data
        public var errors: Data

        public init(status: Int32, output: Data, errors: Data) {
            self.status = status
            self.output = output
            self.errors = errors
        }

        /// The tail of standard error, or a sentence about the exit status when it said nothing.
        public var errorSummary: String {
            let text = String(decoding: errors, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? "exited with status \(status)" : String(text.suffix(400))
        }

        public var outputText: String { String(decoding: output, as: UTF8.self) }
        public var errorText: String { String(decoding: errors, as: UTF8.self) }
    }

    /// Runs `program` (looked up on PATH) with `arguments`, optionally in `directory`.
    public static func run(_ program: String, _ arguments: [String], in directory: URL? = nil) -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        if let directory { process.currentDirectoryURL = directory }
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_TERMINAL_PROMPT"] = "0"
        process.environment = environment
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            return Result(status: notStarted, output: Data(), errors: Data("\(program) could not be started: \(error)".utf8))
        }
        // Drain both pipes at once: a child blocked on a full stderr pipe would never exit.
        let errorBox = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errorBox.set(errors.fileHandleForReading.readDataToEndOfFile())
            group.leave()
        }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        // `env` reports a missing program as 127 too.
        return Result(status: process.terminationStatus, output: outputData, errors: errorBox.get())
    }
}

private final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.lock(); data = value; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}
