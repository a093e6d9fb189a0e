import Foundation
import LabCore
import LabStore
import LabStorePostgres
import LabTestSupport
import Testing

/// The store backends the common tests run on: the same queries must give the same answers on each.
enum StoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

/// A store in a fresh temporary folder (SQLite) or a fresh database of the test server (PostgreSQL).
final class StoreFixture {
    let directory: URL
    let store: SampleStore
    var url: URL { directory.appendingPathComponent("synthlab.sqlite") }

    init(_ backend: StoreBackend = .sqlite) throws {
        directory = try TestPaths.temporaryDirectory("store")
        switch backend {
        case .sqlite: store = try SampleStore(url: directory.appendingPathComponent("synthlab.sqlite"))
        case .postgres: store = SampleStore(database: try PostgresDatabase(url: try PostgresCluster.shared().makeDatabase("store")))
        }
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// A run with one knowledge leaf of two seeds, a document and a chunk.
    func seeded() throws -> (run: Int64, leaf: Int64, seeds: [Int64]) {
        let run = try store.createRun(RunConfiguration(taxonomyHash: "t", pipelineHash: "p", teacher: "scripted", seed: 7))
        let (leaf, seeds) = try store.addLeaf(runID: run, taxonomyPath: "knowledge->finance->ratios", kind: "knowledge",
                                              contentHash: "h", target: 10,
                                              seeds: [("ctx", "What is a ratio?", "A quotient."), ("ctx", "Why average?", "Because.")])
        let document = try store.addDocument(path: "documents/finance/ratios.md", text: "Ratios text", contentHash: "doc")
        try store.addChunk(id: "chunk-1", documentID: document, position: 0, startOffset: 0, endOffset: 11, text: "Ratios text")
        return (run, leaf, seeds)
    }
}

@Suite struct SampleStoreBehaviour {
    @Test func aNewStoreUsesWALAndIsSound() throws {
        let fixture = try StoreFixture()
        #expect(try fixture.store.integrityProblems().isEmpty)
        #expect(FileManager.default.fileExists(atPath: fixture.url.path + "-wal"))
        #expect(try fixture.store.latestRunID() == nil)
        let (run, _, _) = try fixture.seeded()
        #expect(try fixture.store.latestRunID() == run)
        #expect(try fixture.store.runConfiguration(run).seed == 7)
    }

    @Test(arguments: StoreBackend.allCases)
    func teacherAnswersAreCachedByContentAddress(backend: StoreBackend) throws {
        let fixture = try StoreFixture(backend)
        let request = GenerationRequest(input: .chat([ChatMessage(.user, "Q?")]), parameters: SamplingParameters(temperature: 0.7, seed: 1), count: 2)
        let key = try RequestKey.make(teacher: "local:abc", request: request)
        #expect(key == (try RequestKey.make(teacher: "local:abc", request: request)))
        var reseeded = request
        reseeded.parameters.seed = 2
        #expect(key != (try RequestKey.make(teacher: "local:abc", request: reseeded)))
        #expect(key != (try RequestKey.make(teacher: "http://other", request: request)))

        #expect(try fixture.store.cachedResult(forKey: key) == nil)
        let result = GenerationResult(completions: [Completion(text: "A1", finishReason: .stop, completionTokens: 3),
                                                    Completion(text: "A2", finishReason: .length, completionTokens: 9)],
                                      promptTokens: 12, latency: 0.5)
        let ids = try fixture.store.recordResult(key: key, teacher: "local:abc", request: request, result: result)
        #expect(ids.count == 2)
        #expect(try fixture.store.recordResult(key: key, teacher: "local:abc", request: request, result: result) == ids)
        let cached = try #require(try fixture.store.cachedResult(forKey: key))
        #expect(cached.responseIDs == ids)
        #expect(cached.result == result)
    }

    @Test(arguments: StoreBackend.allCases)
    func aUnitIsStoredOnceWithItsSamplesAndVerdicts(backend: StoreBackend) throws {
        let fixture = try StoreFixture(backend)
        let (run, leaf, seeds) = try fixture.seeded()
        let samples = [
            NewSample(leafID: leaf, responseID: nil, chunkID: "chunk-1", seedIDs: seeds, question: "Q1?", answer: "A1", context: nil,
                      verdicts: [Verdict(filter: "grounding", filterVersion: "1", score: 0.9, threshold: 0.5, decision: .accept, reason: "supported")]),
            NewSample(leafID: leaf, responseID: nil, chunkID: "chunk-1", seedIDs: [seeds[0]], question: "Q2?", answer: "", context: nil,
                      verdicts: [Verdict(filter: "format", filterVersion: "1", decision: .reject, reason: "empty answer")]),
        ]
        #expect(try fixture.store.isUnitCompleted(runID: run, unitKey: "u1") == false)
        #expect(try fixture.store.completeUnit(runID: run, unitKey: "u1", samples: samples))
        #expect(try fixture.store.completeUnit(runID: run, unitKey: "u1", samples: samples) == false)
        #expect(try fixture.store.isUnitCompleted(runID: run, unitKey: "u1"))
        let funnel = try fixture.store.funnel(runID: run)
        #expect(funnel.count == 1)
        #expect(funnel[0].candidates == 2 && funnel[0].accepted == 1)
        #expect(funnel[0].rejectedBy == ["format": 1])
        #expect(funnel[0].topReasons.map(\.reason) == ["empty answer"])
        #expect(try fixture.store.runs().map(\.accepted) == [1])
    }

    @Test(arguments: StoreBackend.allCases)
    func lineageAnswersWhereASampleCameFromAndWhyItWasJudged(backend: StoreBackend) throws {
        let fixture = try StoreFixture(backend)
        let (run, leaf, seeds) = try fixture.seeded()
        let request = GenerationRequest(input: .prompt("Make a question"))
        let key = try RequestKey.make(teacher: "scripted", request: request)
        let responses = try fixture.store.recordResult(key: key, teacher: "scripted", request: request,
            result: GenerationResult(completions: [Completion(text: "[QUESTION] Q? [ANSWER] A [END]", finishReason: .stop, completionTokens: 8)], promptTokens: 4, latency: 0.1))
        try fixture.store.completeUnit(runID: run, unitKey: "u", samples: [
            NewSample(leafID: leaf, responseID: responses[0], chunkID: "chunk-1", seedIDs: seeds, question: "Q?", answer: "A", context: nil,
                      verdicts: [Verdict(filter: "dedup", filterVersion: "1", score: 0.8, threshold: 0.7, decision: .reject, reason: "near duplicate of seed 0", evidence: "{\"seed\":0}")]),
        ])
        let lineage = try fixture.store.lineage(ofSample: 1)
        #expect(lineage.status == "rejected")
        #expect(lineage.leafPath == "knowledge->finance->ratios")
        #expect(lineage.seedQuestions == ["What is a ratio?", "Why average?"])
        #expect(lineage.documentPath == "documents/finance/ratios.md")
        #expect(lineage.teacher == "scripted")
        #expect(lineage.responseText == "[QUESTION] Q? [ANSWER] A [END]")
        #expect(lineage.requestInput?.contains("Make a question") == true)
        #expect(lineage.verdicts.first?.reason == "near duplicate of seed 0")
        #expect(throws: StoreError.self) { try fixture.store.lineage(ofSample: 99) }
    }

    @Test(arguments: StoreBackend.allCases)
    func aFailingUnitLeavesNothingBehind(backend: StoreBackend) throws {
        let fixture = try StoreFixture(backend)
        let (run, leaf, _) = try fixture.seeded()
        let bad = NewSample(leafID: leaf, responseID: nil, chunkID: nil, seedIDs: [9_999], question: "Q", answer: "A", context: nil, verdicts: [])
        let good = NewSample(leafID: leaf, responseID: nil, chunkID: nil, seedIDs: [], question: "Q0", answer: "A0", context: nil, verdicts: [])
        #expect(throws: StoreError.self) { try fixture.store.completeUnit(runID: run, unitKey: "u", samples: [good, bad]) }
        #expect(try fixture.store.isUnitCompleted(runID: run, unitKey: "u") == false)
        #expect(try fixture.store.funnel(runID: run)[0].candidates == 0)
        #expect(try fixture.store.integrityProblems().isEmpty)
    }

    @Test func reopeningKeepsEverythingAndLeavesAreRecordedOnce() throws {
        let fixture = try StoreFixture()
        let (run, leaf, seeds) = try fixture.seeded()
        let reopened = try SampleStore(url: fixture.url)
        let again = try reopened.addLeaf(runID: run, taxonomyPath: "knowledge->finance->ratios", kind: "knowledge", contentHash: "h", target: 10, seeds: [])
        #expect(again.leafID == leaf && again.seedIDs == seeds)
    }
}

@Suite struct SampleStoreBadInput {
    @Test func aFileThatIsNotADatabaseIsNamed() throws {
        let directory = try TestPaths.temporaryDirectory("store")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("notes.sqlite")
        try Data(repeating: 0x41, count: 4096).write(to: url)
        do {
            _ = try SampleStore(url: url)
            Issue.record("opened a non-database")
        } catch {
            #expect(error.kind == .notADatabase, "\(error)")
            #expect(error.description.contains("hint:"))
        }
    }

    @Test func aMissingFolderCannotBeOpened() {
        #expect(throws: StoreError.self) { try SampleStore(url: URL(fileURLWithPath: "/no/such/folder/db.sqlite")) }
    }

    @Test func aReadOnlyStoreReadsButRefusesWritesWithAClearError() throws {
        let fixture = try StoreFixture()
        let (run, _, _) = try fixture.seeded()
        let readOnly = try SampleStore(url: fixture.url, readOnly: true)
        #expect(try readOnly.latestRunID() == run)
        do {
            _ = try readOnly.createRun(RunConfiguration(taxonomyHash: "", pipelineHash: "", teacher: "", seed: 0))
            Issue.record("wrote to a read-only store")
        } catch {
            #expect(error.kind == .readOnly, "\(error)")
            #expect(error.description.contains("hint: the database is read-only"))
        }
        #expect(try fixture.store.latestRunID() == run)
    }

    @Test func aDatabaseFromANewerSynthlabIsRefused() throws {
        let fixture = try StoreFixture()
        _ = try fixture.seeded()
        let result = Subprocess.run("sqlite3", [fixture.url.path, "INSERT INTO grdb_migrations (identifier) VALUES ('v9-future')"])
        try #require(result.status == 0, "sqlite3: \(result.errorSummary)")
        do {
            _ = try SampleStore(url: fixture.url)
            Issue.record("opened a newer database")
        } catch {
            #expect(error.kind == .newerSchema, "\(error)")
        }
    }
}
