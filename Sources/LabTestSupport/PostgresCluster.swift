public import Foundation
import LabCore
#if canImport(Glibc)
import Glibc
#endif

/// A private PostgreSQL server for the tests (`scripts/postgres-cluster.sh`): initdb in a temporary
/// folder, a free port, 127.0.0.1 only; started once per test process and stopped at exit. Each
/// test takes a database of its own (`makeDatabase()`), so tests never see each other's rows.
///
/// Without the server installed, `shared()` throws with what to install: the PostgreSQL tests fail,
/// they are never silently skipped.
public final class PostgresCluster: @unchecked Sendable {
    public let directory: URL
    /// The server's base URL (database `synthlab`).
    public let url: String
    public let port: Int

    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    nonisolated(unsafe) private static var started: Result<PostgresCluster, Unavailable>?
    private static let lock = NSLock()

    /// The test process's cluster, started on first use.
    public static func shared() throws -> PostgresCluster {
        try lock.withLock {
            if started == nil {
                started = Result { try PostgresCluster() }.mapError { $0 as? Unavailable ?? Unavailable(description: "\($0)") }
                if case .success = started {
                    // Stop the server when the test process ends (the folder goes with it).
                    atexit { if case .success(let cluster) = PostgresCluster.started { cluster.stop() } }
                }
            }
            return try started!.get()
        }
    }

    private init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("synthlab-pg-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
        let script = TestPaths.repositoryRoot.appendingPathComponent("scripts/postgres-cluster.sh").path
        let result = Self.shell([script, "start", directory.path])
        guard result.status == 0 else {
            throw Unavailable(description: """
                could not start a PostgreSQL test server: \(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) \
                (hint: install it with `scripts/install-deps.sh --test`, i.e. apt-get install postgresql)
                """)
        }
        url = result.output.split(separator: "\n").last.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
        port = Int(url.split(separator: ":").last?.split(separator: "/").first ?? "") ?? 0
    }

    func stop() {
        let script = TestPaths.repositoryRoot.appendingPathComponent("scripts/postgres-cluster.sh").path
        _ = Self.shell([script, "stop", directory.path])
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs SQL as the server's superuser through psql; the output's rows, one per line.
    @discardableResult
    public func psql(_ sql: String, database: String = "synthlab") throws -> String {
        let result = Self.shell(["psql", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", database, "-qAt", "-c", sql])
        guard result.status == 0 else { throw Unavailable(description: "psql failed: \(result.output)") }
        return result.output
    }

    /// Runs a command with posix_spawn and waitpid, its output (stdout and stderr) through a file.
    /// Not `Process`: tests call this from the concurrency pool, where Foundation's wait for a child
    /// can starve when every pool thread is blocked (seen as a hang with 2 cores).
    static func shell(_ arguments: [String]) -> (status: Int32, output: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("synthlab-pg-cmd-\(UInt64.random(in: 0...UInt64.max)).log")
        defer { try? FileManager.default.removeItem(at: log) }
        let quoted = arguments.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let argv = ["/bin/sh", "-c", "exec \(quoted) >'\(log.path)' 2>&1 </dev/null"]
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/bin/sh", nil, nil, &cArguments, environ) == 0 else { return (127, "could not start \(arguments[0])") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        let exited = status & 0x7f == 0
        return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), output)
    }

    /// A new empty database of its own for one test, and its URL.
    public func makeDatabase(_ label: String = "test") throws -> String {
        let name = "\(label.lowercased().filter { $0.isLetter || $0.isNumber })_\(UInt32.random(in: 0...UInt32.max))"
        try psql("CREATE DATABASE \(name)", database: "postgres")
        return "postgres://postgres@127.0.0.1:\(port)/\(name)"
    }
}
