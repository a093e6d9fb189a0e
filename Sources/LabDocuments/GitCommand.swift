import Foundation

/// Runs the `git` command with a fixed, non-interactive environment.
struct GitCommand: Sendable {
    /// The `git` executable.
    let executable: URL
    /// The environment git runs with.
    let environment: [String: String]

    /// What one git invocation produced.
    struct Output {
        var status: Int32
        var standardOutput: Data
        var standardError: String

        var succeeded: Bool { status == 0 }

        /// The last non-empty line of stderr, which is where git puts the reason it failed.
        var reason: String {
            let lines = standardError.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            return lines.last { !$0.isEmpty } ?? "git exited with status \(status)"
        }
    }

    /// Finds `git` on `PATH`; nil when it is not installed.
    init?(environment: [String: String]) {
        let searchPath = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let found = searchPath.split(separator: ":").lazy
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent("git") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
        guard let found else { return nil }
        executable = found
        var environment = environment
        // Never wait for a password or a host-key prompt: a checker must not hang.
        environment["GIT_TERMINAL_PROMPT"] = "0"
        if environment["GIT_SSH_COMMAND"] == nil { environment["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes" }
        // Stable, English messages: we quote git's reason back to the user.
        environment["LC_ALL"] = "C"
        self.environment = environment
    }

    /// Runs `git arguments…`; throws only when the process cannot be started.
    func run(_ arguments: [String]) throws -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Drain stderr on another thread so a chatty git cannot block on a full pipe while we
        // read stdout.
        let collected = ErrorCollector()
        let errorHandle = errors.fileHandleForReading
        let reader = Thread { collected.store(errorHandle.readDataToEndOfFile()) }
        reader.start()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let standardError = collected.wait()
        return Output(
            status: process.terminationStatus, standardOutput: data,
            standardError: String(decoding: standardError, as: UTF8.self))
    }
}

/// Hands the stderr bytes from the reader thread to the caller.
private final class ErrorCollector: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()

    func store(_ data: Data) {
        self.data = data
        done.signal()
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}
