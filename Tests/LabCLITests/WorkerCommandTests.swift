import Foundation
import LabCore
import LabHTTPTestSupport
import LabTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A run shared by workers on a PostgreSQL store, through the binary: several `synthlab` processes
/// against one test server and one scripted endpoint, some killed with SIGKILL, must end with
/// exactly the samples of one process on SQLite.
@Suite("synthlab worker: many processes on one PostgreSQL run", .serialized)
struct WorkerCommandTests {
    static let mechanics = TestPaths.repositoryRoot.appendingPathComponent("Tests/LabGenerationTests/Fixtures/pipelines/mechanics").path

    /// A teacher every process shares: a pure function of the request, after `latency` seconds.
    static func startTeacher(latency: Double) async throws -> (ScriptedHTTPServer, String) {
        let server = OpenAIStub.server(latency: latency, threads: 2) { prompt, seed, index in
            GroundedReplies.reply(prompt: prompt, parameters: SamplingParameters(temperature: 0.7, seed: seed), index: index)
        }
        return (server, try await server.start())
    }

    static func generateArguments(endpoint: String, store: String) -> [String] {
        ["generate", "--endpoint", endpoint, "--api-model", "stub-teacher", "--pipeline", mechanics, "--samples-per-leaf", "10",
         "--seed", "3", "--store", store]
    }

    /// Every sample of the newest run, per leaf in commit order: leaf, status, question, answer, first rejecting filter;
    /// then the run-wide duplicate pairs and how many accepted samples exports leave out for them.
    static func digest(_ store: String) throws -> [String] {
        let result = SynthlabBinary.run(["samples", "list", "--run", "latest", "--store", store, "--limit", "1000000", "--json"])
        try #require(result.status == 0, "\(result.errorSummary)")
        let rows = try #require(try JSONSerialization.jsonObject(with: result.output) as? [[String: Any]])
        let shown = SynthlabBinary.run(["runs", "show", "latest", "--store", store, "--json"])
        try #require(shown.status == 0, "\(shown.errorSummary)")
        let run = try #require(try JSONSerialization.jsonObject(with: shown.output) as? [String: Any])
        let duplicates = try #require(run["run_duplicates"] as? [String: Int])
        return rows.enumerated().sorted { ("\($0.element["leaf"]!)", $0.offset) < ("\($1.element["leaf"]!)", $1.offset) }
            .map { "\($0.element["leaf"]!)|\($0.element["status"]!)|\($0.element["question"]!)|\($0.element["answer"]!)|\($0.element["rejected_by"] ?? "")" }
            + ["run-wide duplicate pairs \(duplicates["pairs"] ?? -1), left out \(duplicates["left_out"] ?? -1)"]
    }

    static func launch(_ arguments: [String]) throws -> WatchedProcess {
        try WatchedProcess(synthlab: arguments)
    }

    /// The run's leases and leaf states, for a failure report.
    static func leaseReport(_ cluster: PostgresCluster, _ store: String) -> String {
        let database = String(store.split(separator: "/").last!)
        let leases = (try? cluster.psql("SELECT leaf_id, worker, expires_at - extract(epoch FROM clock_timestamp()) FROM leaf_leases", database: database)) ?? "?"
        let leaves = (try? cluster.psql("SELECT id, status FROM leaves ORDER BY id", database: database)) ?? "?"
        return "leases (leaf, worker, seconds left):\n\(leases)\nleaves:\n\(leaves)"
    }

    /// Returns once `generate` has recorded its run, so workers can join it.
    static func waitForRun(_ cluster: PostgresCluster, _ store: String) async throws {
        let deadline = Date().addingTimeInterval(30)
        while (try? cluster.psql("SELECT count(*) FROM leaves", database: String(store.split(separator: "/").last!)))?.hasPrefix("0") != false {
            try #require(Date() < deadline, "generate never recorded its run")
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The run as one process makes it on SQLite: what every shared run must end with. The teacher's
    /// answers depend on the request only, so one reference serves every test (any stub's port).
    nonisolated(unsafe) static var cachedReference: [String]?
    static let referenceLock = NSLock()

    static func reference(endpoint: String) throws -> [String] {
        referenceLock.lock()
        defer { referenceLock.unlock() }
        if let cachedReference { return cachedReference }
        let made = try makeReference(endpoint: endpoint)
        cachedReference = made
        return made
    }

    static func makeReference(endpoint: String) throws -> [String] {
        let folder = try TestPaths.temporaryDirectory("worker-reference")
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("runs.sqlite").path
        let result = SynthlabBinary.run(generateArguments(endpoint: endpoint, store: db))
        try #require(result.status == 0, "\(result.errorSummary)")
        return try digest(db)
    }

    @Test("4 workers on one run, two killed with SIGKILL at random points, end with the single-process samples", arguments: 0..<20)
    func killedWorkersLoseNothingAndDoubleNothing(trial: Int) async throws {
        let cluster = try PostgresCluster.shared()
        let (server, endpoint) = try await Self.startTeacher(latency: 0.03)
        defer { Task { await server.stop() } }
        let expected = try Self.reference(endpoint: endpoint)
        try #require(expected.count > 100, "the run is too small to kill mid-way")
        let store = try cluster.makeDatabase("workers")

        var random = SeededRandom(seed: UInt64(trial), stream: "workers")
        var processes = [try Self.launch(Self.generateArguments(endpoint: endpoint, store: store))]
        try await Self.waitForRun(cluster, store)
        for _ in 0..<3 {
            processes.append(try Self.launch(["worker", "--store", store, "--run", "1", "--lease-seconds", "1", "--max-leaves", "2"]))
        }
        // Two of the four die with SIGKILL at random moments in the first seconds of the run.
        var victims = Array(0..<4)
        for _ in 0..<2 {
            let victim = victims.remove(at: Int(random.next() % UInt64(victims.count)))
            try await Task.sleep(for: .milliseconds(Int(random.next() % 800)))
            kill(processes[victim].processIdentifier, SIGKILL)
        }
        var killed = 0
        for watched in processes {
            if let hang = await watched.wait(seconds: 120) {
                Issue.record("a worker did not finish within 2 minutes:\n\(hang)\n\(Self.leaseReport(cluster, store))")
                for other in processes { _ = await other.wait(seconds: 0) }
                return
            }
            let process = watched.process
            if process.terminationReason == .uncaughtSignal {
                killed += 1
            } else {
                #expect(process.terminationStatus == 0, "\(watched.exitReport)")
            }
        }
        let final = try Self.digest(store)
        #expect(final == expected, """
            \(killed) killed; missing: \(Set(expected).subtracting(final).sorted().prefix(3)) \
            extra: \(Set(final).subtracting(expected).sorted().prefix(3)); counts \(final.count) vs \(expected.count)
            """)
        let database = String(store.split(separator: "/").last!)
        #expect(try cluster.psql("SELECT status FROM runs WHERE id = 1", database: database).hasPrefix("finished"))
        #expect(try cluster.psql("SELECT count(*) FROM leaf_leases", database: database).hasPrefix("0"), "finished workers leave no leases")
        #expect(try cluster.psql("SELECT count(*) - count(DISTINCT (leaf_id, unit_index)) FROM completed_units", database: database)
            .hasPrefix("0"), "no unit is committed twice")
    }

    @Test("Workers whose connections the server drops reconnect and the run ends with the single-process samples")
    func droppedConnectionsAreSurvived() async throws {
        let cluster = try PostgresCluster.shared()
        let (server, endpoint) = try await Self.startTeacher(latency: 0.03)
        defer { Task { await server.stop() } }
        let expected = try Self.reference(endpoint: endpoint)
        let store = try cluster.makeDatabase("dropped")
        let database = String(store.split(separator: "/").last!)
        var processes = [try Self.launch(Self.generateArguments(endpoint: endpoint, store: store))]
        try await Self.waitForRun(cluster, store)
        for _ in 0..<2 { processes.append(try Self.launch(["worker", "--store", store, "--run", "latest", "--lease-seconds", "2"])) }
        // Cut every connection of the run's database a few times while it works.
        var cuts = 0
        for _ in 0..<6 {
            try await Task.sleep(for: .milliseconds(250))
            let cut = try cluster.psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '\(database)' AND pid <> pg_backend_pid()",
                                       database: "postgres")
            cuts += Int(cut.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        }
        #expect(cuts > 0, "no connection was cut; the test proves nothing")
        for watched in processes {
            if let hang = await watched.wait(seconds: 120) {
                Issue.record("a worker hung after its connection was cut:\n\(hang)\n\(Self.leaseReport(cluster, store))")
                for other in processes { _ = await other.wait(seconds: 0) }
                return
            }
            #expect(watched.process.terminationStatus == 0, "\(watched.exitReport)")
        }
        #expect(try Self.digest(store) == expected)
    }

    @Test("A worker on a store it cannot reach, or a run that does not exist, says what to do")
    func badStoresAreNamed() throws {
        let unreachable = SynthlabBinary.run(["worker", "--store", "postgres://postgres@127.0.0.1:1/synthlab"])
        #expect(unreachable.status != 0)
        #expect(unreachable.errorText.contains("127.0.0.1:1") && unreachable.errorText.contains("PostgreSQL server runs"), "\(unreachable.errorText)")
        #expect(!unreachable.errorText.contains("Fatal error"))
        let cluster = try PostgresCluster.shared()
        let empty = try cluster.makeDatabase("empty")
        let noRun = SynthlabBinary.run(["worker", "--store", empty, "--wait-seconds", "0.5"])
        #expect(noRun.status != 0)
        #expect(noRun.errorText.contains("no runs yet"), "\(noRun.errorText)")
    }
}
