import Foundation
import LabCore
import LabTaxonomy
import LabTestSupport
import Testing

/// A temporary project: `taxonomy/` with leaves and `documents/`.
final class TaxonomyFixture {
    let project: URL
    var taxonomy: URL { project.appendingPathComponent("taxonomy") }

    init() throws {
        project = try TestPaths.temporaryDirectory("taxonomy")
        try write("documents/finance/ratios.md", "# Ratios\n\nCurrent ratio is current assets over current liabilities.\n")
        try write("taxonomy/knowledge/finance/ratios/qna.yaml", Sample.knowledge())
        try write("taxonomy/compositional_skills/finance/percent/qna.yaml", Sample.skill())
        try write("taxonomy/compositional_skills/finance/tables/qna.yaml", Sample.skill(context: true))
    }

    deinit { try? FileManager.default.removeItem(at: project) }

    func write(_ relative: String, _ text: String) throws {
        let url = project.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func checker() -> TaxonomyChecker {
        TaxonomyChecker(cacheDirectory: project.appendingPathComponent("cache"), workingDirectory: project)
    }
}

@Suite struct TaxonomyWalking {
    @Test func aTreeIsCheckedWithDocumentsResolved() throws {
        let fixture = try TaxonomyFixture()
        let report = fixture.checker().check(fixture.taxonomy)
        #expect(report.errorCount == 0, "\(report.diagnostics)")
        #expect(report.filesChecked == 3)
        #expect(report.leaves.map(\.leaf.taxonomyPath) == [
            "compositional_skills->finance->percent", "compositional_skills->finance->tables", "knowledge->finance->ratios",
        ])
        #expect(report.leaves[2].documents.map(\.path) == ["documents/finance/ratios.md"])
        #expect(report.leaves[0].leaf.filePath == "taxonomy/compositional_skills/finance/percent/qna.yaml")
    }

    @Test func aSubTreeOrOneFileKeepsTheIdentityFromTheRoot() throws {
        let fixture = try TaxonomyFixture()
        let sub = fixture.checker().check(fixture.taxonomy.appendingPathComponent("knowledge/finance"))
        #expect(sub.leaves.map(\.leaf.taxonomyPath) == ["knowledge->finance->ratios"])
        let file = fixture.checker().check(fixture.taxonomy.appendingPathComponent("compositional_skills/finance/tables/qna.yaml"))
        #expect(file.leaves.map(\.leaf.taxonomyPath) == ["compositional_skills->finance->tables"])
        #expect(file.root.standardizedFileURL == fixture.taxonomy.standardizedFileURL)
    }

    @Test func missingDocumentsPointAtThePattern() throws {
        let fixture = try TaxonomyFixture()
        try fixture.write("taxonomy/knowledge/finance/ratios/qna.yaml",
                          Sample.knowledge().replacingOccurrences(of: "- ratios.md", with: "- ratio.md"))
        let report = fixture.checker().check(fixture.taxonomy)
        let error = try #require(report.diagnostics.first { $0.severity == .error })
        #expect(error.documentPath == ".document.patterns[0]")
        #expect(error.message == "pattern 'ratio.md' matches no file under documents/finance")
        #expect((error.location.line, error.location.column) == (50, 7))
    }

    @Test(arguments: ["../outside", "/etc"])
    func documentsOutsideTheDocumentsFolderAreRefused(repo: String) throws {
        let fixture = try TaxonomyFixture()
        try fixture.write("outside/x.md", "secret\n")
        try fixture.write("taxonomy/knowledge/finance/ratios/qna.yaml",
                          Sample.knowledge().replacingOccurrences(of: "repo: documents/finance", with: "repo: \(repo)"))
        let report = fixture.checker().check(fixture.taxonomy)
        let error = try #require(report.diagnostics.first { $0.severity == .error })
        #expect(error.documentPath == ".document.repo")
        #expect(error.location.line == 47)
    }

    @Test func misnamedFilesAreWarnedAboutAndLinkLoopsDoNotHang() throws {
        let fixture = try TaxonomyFixture()
        try fixture.write("taxonomy/compositional_skills/finance/oops/qna.yml", Sample.skill())
        try FileManager.default.createSymbolicLink(
            at: fixture.taxonomy.appendingPathComponent("compositional_skills/finance/loop"),
            withDestinationURL: fixture.taxonomy.appendingPathComponent("compositional_skills"))
        let report = fixture.checker().check(fixture.taxonomy)
        #expect(report.filesChecked == 3)
        #expect(report.diagnostics.contains { $0.rule == "misnamed-file" && $0.location.path.hasSuffix("oops/qna.yml") })
        #expect(report.diagnostics.contains { $0.rule == "link-loop" })
        #expect(report.errorCount == 0)
    }

    @Test func aFolderLinkedTwiceIsCheckedOnceAndALinkToItselfIsALoop() throws {
        let fixture = try TaxonomyFixture()
        let skills = fixture.taxonomy.appendingPathComponent("compositional_skills")
        try FileManager.default.createSymbolicLink(at: skills.appendingPathComponent("alias"),
                                                   withDestinationURL: skills.appendingPathComponent("finance"))
        try FileManager.default.createSymbolicLink(at: skills.appendingPathComponent("finance/tables/self"),
                                                   withDestinationURL: skills.appendingPathComponent("finance/tables"))
        let report = fixture.checker().check(fixture.taxonomy)
        #expect(report.filesChecked == 3, "each leaf once: \(report.leafFolders)")
        #expect(report.diagnostics.filter { $0.rule == "link-duplicate" }.count == 1)
        #expect(report.diagnostics.contains { $0.rule == "link-loop" && $0.location.path.hasSuffix("tables/self") })
    }

    @Test func aFileOverTenMegabytesIsRefusedWithoutReadingIt() throws {
        let fixture = try TaxonomyFixture()
        let big = String(repeating: "# padding\n", count: QNAFile.maximumByteCount / 10 + 1)
        try fixture.write("taxonomy/compositional_skills/finance/percent/qna.yaml", big)
        let report = fixture.checker().check(fixture.taxonomy)
        let error = try #require(report.diagnostics.first { $0.severity == .error })
        #expect(error.rule == "file-size")
        #expect(error.location.path == "taxonomy/compositional_skills/finance/percent/qna.yaml")
        #expect(report.errorCount == 1)
    }

    @Test func aPathThatDoesNotExistIsAnError() throws {
        let fixture = try TaxonomyFixture()
        let report = fixture.checker().check(fixture.project.appendingPathComponent("nope"))
        #expect(report.diagnostics.map(\.rule) == ["missing-path"])
    }
}

@Suite struct ChangedLeafDetection {
    private func git(_ fixture: TaxonomyFixture, _ arguments: String...) throws {
        let result = Subprocess.run("git", ["-c", "user.name=t", "-c", "user.email=t@example.com"] + arguments, in: fixture.project)
        try #require(result.status == 0, "git \(arguments): \(result.errorSummary)")
    }

    private func changed(_ fixture: TaxonomyFixture, base: String? = nil, state: URL? = nil) throws -> ChangedLeaves.Result {
        try ChangedLeaves.find(in: fixture.checker().check(fixture.taxonomy), base: base, stateFile: state)
    }

    @Test func inGitChangedUntrackedAndDocumentChangesAreFound() throws {
        let fixture = try TaxonomyFixture()
        try git(fixture, "init", "--quiet", "-b", "main")
        try git(fixture, "add", ".")
        try git(fixture, "commit", "--quiet", "-m", "start")
        let top = try #require(ChangedLeaves.gitTopLevel(of: fixture.taxonomy))
        #expect(ChangedLeaves.defaultBase(in: top)?.count == 40, "merge-base with main is a commit id")
        #expect(try changed(fixture).changedFolders.isEmpty)

        try fixture.write("taxonomy/compositional_skills/finance/percent/qna.yaml", Sample.skill() + "# edited\n")
        try fixture.write("taxonomy/compositional_skills/finance/new/qna.yaml", Sample.skill(version: 2))
        try fixture.write("taxonomy/compositional_skills/finance/broken/qna.yaml", "version: 3\n")
        try fixture.write("taxonomy/compositional_skills/finance/tables/notes.txt", "a note beside the leaf\n")
        let result = try changed(fixture)
        #expect(result.changedFolders == [
            "compositional_skills/finance/percent", "compositional_skills/finance/new",
            "compositional_skills/finance/broken", "compositional_skills/finance/tables",
        ])
        #expect(result.basis == .git(base: try #require(ChangedLeaves.defaultBase(in: top))))

        try git(fixture, "add", ".")
        try git(fixture, "commit", "--quiet", "-m", "more")
        #expect(try changed(fixture).changedFolders.isEmpty)
        try fixture.write("documents/finance/ratios.md", "# Ratios\n\nRevised text.\n")
        #expect(try changed(fixture, base: "HEAD").changedFolders == ["knowledge/finance/ratios"])
        #expect(try changed(fixture, base: "HEAD~1").changedFolders.count == 5, "vs the first commit: 3 edited or new leaves, tables, ratios")
    }

    @Test func theDefaultBaseIsTheMergeBaseWithMain() throws {
        let fixture = try TaxonomyFixture()
        try git(fixture, "init", "--quiet", "-b", "main")
        try git(fixture, "add", ".")
        try git(fixture, "commit", "--quiet", "-m", "start")
        try git(fixture, "checkout", "--quiet", "-b", "feature")
        try fixture.write("taxonomy/compositional_skills/finance/percent/qna.yaml", Sample.skill() + "# committed on the branch\n")
        try git(fixture, "commit", "--quiet", "-am", "branch work")
        #expect(try changed(fixture).changedFolders == ["compositional_skills/finance/percent"], "committed branch work counts")
    }

    @Test func aRepositoryWithoutCommitsCountsEveryLeafAsNew() throws {
        let fixture = try TaxonomyFixture()
        try git(fixture, "init", "--quiet", "-b", "main")
        let result = try changed(fixture)
        #expect(result.changedFolders.count == 3)
    }

    @Test func anUnknownBaseIsAClearError() throws {
        let fixture = try TaxonomyFixture()
        try git(fixture, "init", "--quiet", "-b", "main")
        try git(fixture, "add", ".")
        try git(fixture, "commit", "--quiet", "-m", "start")
        #expect(throws: ChangedLeaves.Failure.self) { try changed(fixture, base: "no-such-branch") }
    }

    @Test func withoutGitAStateFileRecordsWhatWasSeen() throws {
        let fixture = try TaxonomyFixture()
        #expect(ChangedLeaves.gitTopLevel(of: fixture.taxonomy) == nil)
        let state = ChangedLeaves.defaultStateFile(root: fixture.taxonomy)
        let first = try changed(fixture)
        #expect(first.basis == .stateFile(state, existed: false))
        #expect(first.changedFolders.count == 3)
        try ChangedLeaves.recordState(fixture.checker().check(fixture.taxonomy), to: state)
        let recorded = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: state))
        #expect(recorded["compositional_skills->finance->percent"] == ContentHash.sha256Hex(Sample.skill()))
        #expect(recorded.count == 3)
        #expect(try changed(fixture).changedFolders.isEmpty)

        try fixture.write("documents/finance/ratios.md", "# Ratios\n\nNew wording.\n")
        try fixture.write("taxonomy/compositional_skills/finance/new/qna.yaml", Sample.skill(version: 2))
        #expect(try changed(fixture).changedFolders == ["knowledge/finance/ratios", "compositional_skills/finance/new"])
        #expect(throws: ChangedLeaves.Failure.self) { try changed(fixture, base: "main") }

        try Data("not json".utf8).write(to: state)
        #expect(throws: ChangedLeaves.Failure.self) { try changed(fixture) }
    }

    @Test func anExplicitStateFileIsUsedEvenInsideGit() throws {
        let fixture = try TaxonomyFixture()
        try git(fixture, "init", "--quiet", "-b", "main")
        let state = fixture.project.appendingPathComponent("elsewhere.json")
        try ChangedLeaves.recordState(fixture.checker().check(fixture.taxonomy), to: state)
        let result = try changed(fixture, state: state)
        #expect(result.basis == .stateFile(state, existed: true))
        #expect(result.changedFolders.isEmpty)
    }
}
