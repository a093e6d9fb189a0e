import Foundation
import LabCore
@testable import LabCurriculum
import LabGGUF
import LabGeneration
import LabStore
import LabTestSupport
import LabTokenizer
import LabTrain
import Testing

/// Two documents, a general text and a tiny model in one temporary folder.
private struct CPTFixture {
    let directory: URL
    let base: URL
    let documents: URL
    let general: URL

    init() throws {
        directory = try TestPaths.temporaryDirectory("cpt")
        base = directory.appendingPathComponent("base.gguf")
        try TinyDecoderModel.write(to: base, seed: 4)
        documents = directory.appendingPathComponent("docs")
        try FileManager.default.createDirectory(at: documents, withIntermediateDirectories: true)
        for name in ["ratios.md", "filings.md"] {
            let paragraphs = (0..<12).map { i in
                name == "ratios.md"
                    ? "## Part \(i)\n\nThe current ratio section \(i) explains how item \(i) is measured and why it matters to readers."
                    : "## Filing \(i)\n\nFiling rules, filing dates, filing forms, filing fees and filing \(i) filing filing filing."
            }
            try paragraphs.joined(separator: "\n\n").write(to: documents.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        try "A README the corpus must skip.".write(to: documents.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
        general = directory.appendingPathComponent("general.txt")
        try (0..<40).map { "Paragraph \($0) of general text tells of rivers, bread and weather in a small town by the sea." }
            .joined(separator: "\n\n").write(to: general, atomically: true, encoding: .utf8)
    }

    func settings(replayRatio: Double = 0.5, novelty: CPTSettings.NoveltySelection? = nil) throws -> CPTSettings {
        let (files, hash) = try CPTSettings.documentFiles([documents.path])
        return CPTSettings(documents: files, documentsSHA256: hash, replayRatio: replayRatio, heldOutFraction: 0.25, chunkTokens: 40,
                           generalTextPath: general.path, novelty: novelty)
    }

    func tokenizer() throws -> Tokenizer { try Tokenizer(TokenizerVocabulary(gguf: GGUFFile(url: base))) }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

@Suite("CPT corpus: documents packed, chunks held out, general text mixed in")
struct CPTCorpusTests {
    @Test("held-out chunks never reach training; sequences stay within one document and the length; every token is scored")
    func corpus() throws {
        let fixture = try CPTFixture()
        defer { fixture.remove() }
        let settings = try fixture.settings()
        #expect(settings.documents.map { URL(fileURLWithPath: $0).lastPathComponent } == ["filings.md", "ratios.md"])
        let corpus = try CPTCorpus(settings: settings, tokenizer: try fixture.tokenizer(), maximumLength: 120, seed: 7)
        let documentSequences = corpus.training.filter { !$0.isReplay }
        let trainedChunks = Set(documentSequences.flatMap(\.sources))
        let heldOut = Set(corpus.heldOutChunkIDs.map(\.id))
        #expect(!heldOut.isEmpty && trainedChunks.isDisjoint(with: heldOut))
        for document in settings.documents {
            // 25 % of each document's chunks, at least one.
            let chunks = trainedChunks.union(heldOut).filter { $0.hasPrefix("doc:\(document)#") }.count
            let held = heldOut.filter { $0.hasPrefix("doc:\(document)#") }.count
            #expect(held == max(1, Int((Double(chunks) * 0.25).rounded())), "\(document): \(held) of \(chunks)")
        }
        for sequence in corpus.training {
            #expect(sequence.sequence.tokens.count <= 120)
            #expect(sequence.sequence.scoredCount == sequence.sequence.tokens.count - 1)
            let documents = Set(sequence.sources.map { $0.split(separator: "#").first.map(String.init) ?? "" })
            #expect(documents.count == 1, "a sequence spans \(documents)")
        }
        #expect(documentSequences.contains { $0.sources.count > 1 }, "short chunks are packed together")
        // The replay budget: half the document tokens, overshooting by at most one packed sequence.
        let budget = Double(corpus.documentTokens) * 0.5
        #expect(Double(corpus.replayTokens) >= budget * 0.9 && Double(corpus.replayTokens) <= budget + 120)
        #expect(corpus.training.contains { $0.isReplay })
        // The same settings and seed give the same corpus.
        let again = try CPTCorpus(settings: settings, tokenizer: try fixture.tokenizer(), maximumLength: 120, seed: 7)
        #expect(again.training.map(\.sequence) == corpus.training.map(\.sequence) && again.heldOut == corpus.heldOut)
        let noReplay = try CPTCorpus(settings: try fixture.settings(replayRatio: 0), tokenizer: try fixture.tokenizer(), maximumLength: 120, seed: 7)
        #expect(noReplay.replayTokens == 0 && !noReplay.training.contains { $0.isReplay })
    }

    @Test("a chunk longer than a sequence is cut into windows of its own")
    func longChunk() {
        let packed = CPTCorpus.pack([("a", Array(0..<10)), ("b", Array(0..<25)), ("c", Array(0..<3))], prefix: [], separator: [], maximumLength: 12)
        // b's last token alone is no training sequence (nothing to predict from), so it is dropped.
        #expect(packed.map(\.tokens.count) == [10, 12, 12, 3])
        #expect(packed.map(\.sources) == [["a"], ["b"], ["b"], ["c"]])
        let joined = CPTCorpus.pack([("a", [1, 2, 3]), ("b", [4, 5]), ("c", [6, 7, 8, 9])], prefix: [], separator: [], maximumLength: 6)
        #expect(joined.map(\.tokens) == [[1, 2, 3, 4, 5], [6, 7, 8, 9]])
    }

    @Test("novelty selection leaves out chunks below the threshold and journals them")
    func noveltySelection() throws {
        let fixture = try CPTFixture()
        defer { fixture.remove() }
        let settings = try fixture.settings(novelty: .init(measure: .zlibRatio, threshold: 0.5, reference: nil))
        // A stand-in scorer: chunks about filings are "seen" (ratio 0.1), the rest novel (0.9).
        let corpus = try CPTCorpus(settings: settings, tokenizer: try fixture.tokenizer(), maximumLength: 120, seed: 7) { text in
            let ratio = text.lowercased().contains("filing") ? 0.1 : 0.9
            return NoveltyScore(bytes: text.utf8.count, targetTokens: 1, targetLoss: 1, targetBitsPerByte: ratio, referenceTokens: nil,
                                referenceLoss: nil, referenceBitsPerByte: nil, zlibBitsPerByte: 1)
        }
        #expect(!corpus.notNovel.isEmpty && corpus.notNovel.allSatisfy { $0.document.hasSuffix("filings.md") && $0.score < 0.5 })
        #expect(!corpus.training.filter { !$0.isReplay }.flatMap(\.sources).contains { $0.contains("filings.md") })
        #expect(corpus.heldOutChunkIDs.contains { $0.document.hasSuffix("filings.md") }, "held-out chunks are all kept")
        let rows = corpus.rows(training: true)
        #expect(rows.filter { $0.role == "not_novel" }.count == corpus.notNovel.count)
    }

    @Test("a folder without documents and a missing path are clear errors")
    func errors() throws {
        let fixture = try CPTFixture()
        defer { fixture.remove() }
        let empty = fixture.directory.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        #expect(throws: CPTError.self) { _ = try CPTSettings.documentFiles([empty.path]) }
        do { _ = try CPTSettings.documentFiles([fixture.directory.appendingPathComponent("nope").path]) } catch {
            #expect("\(error)".contains("no such file or folder"))
        }
    }
}

@Suite("CPT jobs", .serialized)
struct CPTJobTests {
    private func recipe(_ fixture: CPTFixture, replayRatio: Double = 0.5, saveEvery: Int = 0) throws -> TrainingRecipe {
        TrainingRecipe(
            baseModel: fixture.base.path, baseModelSHA256: try ContentHash.sha256Hex(fileAt: fixture.base), generationRunID: nil, jsonlFiles: [],
            curriculum: CurriculumSettings(phases: [.cpt]),
            training: TrainingSettings(epochs: 3, learningRate: 2e-3, batchSize: 2, microBatchTokens: 256),
            maximumSequenceLength: 120, precision: .f32, saveEvery: saveEvery, evaluationWindow: 64, cpt: try fixture.settings(replayRatio: replayRatio))
    }

    @Test("a cpt-only job needs no samples, lowers the held-out document loss and journals its rows")
    func cptOnly() throws {
        let fixture = try CPTFixture()
        defer { fixture.remove() }
        let store = try SampleStore(url: fixture.directory.appendingPathComponent("store.sqlite"))
        let summary = try TrainingJob(store: store, recipe: try recipe(fixture), examples: [],
                                      outputDirectory: fixture.directory.appendingPathComponent("out")).run()
        #expect(summary.evaluations.map(\.stage) == ["base", "after cpt"])
        let before = try #require(summary.evaluations[0].results.first { $0.kind == .document })
        let after = try #require(summary.evaluations[1].results.first { $0.kind == .document })
        #expect(before.set == CPTCorpus.evaluationName && after.loss < before.loss, "held-out document loss \(before.loss) → \(after.loss)")
        #expect(summary.evaluations[0].results.contains { $0.kind == .general })
        let rows = try store.trainingRows(summary.trainingID)
        #expect(rows.contains { $0.phase == "cpt" && $0.role == "replay" } && rows.contains { $0.phase == "cpt" && $0.role == "document" })
        #expect(rows.contains { $0.phase == "held_out" && $0.role == "evaluation" })
    }

    @Test("a cpt job stopped mid-phase resumes to the same weights", arguments: [2, 5])
    func resumes(stopAfter: Int) throws {
        let fixture = try CPTFixture()
        defer { fixture.remove() }
        let store = try SampleStore(url: fixture.directory.appendingPathComponent("store.sqlite"))
        let straight = fixture.directory.appendingPathComponent("straight")
        _ = try TrainingJob(store: store, recipe: try recipe(fixture), examples: [], outputDirectory: straight).run()
        let stopped = fixture.directory.appendingPathComponent("stopped")
        let saving = try recipe(fixture, saveEvery: 1)
        var steps = 0
        #expect(throws: TrainingJobError.self) {
            try TrainingJob(store: store, recipe: saving, examples: [], outputDirectory: stopped, shouldStop: { steps >= stopAfter }) { event in
                if case .step = event { steps += 1 }
            }.run()
        }
        let id = try #require(try store.latestTrainingID())
        _ = try TrainingJob(store: store, recipe: saving, examples: [], outputDirectory: stopped).run(resuming: id)
        let a = try GGUFFile(url: straight.appendingPathComponent("phase1.gguf")), b = try GGUFFile(url: stopped.appendingPathComponent("phase1.gguf"))
        #expect(a.tensors.flatMap { a.floats(of: $0) } == b.tensors.flatMap { b.floats(of: $0) })
    }

    @Test("a resume against changed documents is refused")
    func changedDocuments() throws {
        let fixture = try CPTFixture()
        defer { fixture.remove() }
        let store = try SampleStore(url: fixture.directory.appendingPathComponent("store.sqlite"))
        let saving = try recipe(fixture, saveEvery: 1)
        var steps = 0
        let output = fixture.directory.appendingPathComponent("out")
        #expect(throws: TrainingJobError.self) {
            try TrainingJob(store: store, recipe: saving, examples: [], outputDirectory: output, shouldStop: { steps >= 1 }) { event in
                if case .step = event { steps += 1 }
            }.run()
        }
        try "Changed.".write(to: fixture.documents.appendingPathComponent("ratios.md"), atomically: true, encoding: .utf8)
        let id = try #require(try store.latestTrainingID())
        do {
            _ = try TrainingJob(store: store, recipe: saving, examples: [], outputDirectory: output).run(resuming: id)
            Issue.record("resumed against changed documents")
        } catch {
            #expect("\(error)".contains("the CPT documents changed"))
        }
    }
}
