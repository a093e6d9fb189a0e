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

    @Test func inGitChangedUntrackedAndDocumentChangesAreFound() throws {
        let fixture = try TaxonomyFixture()
        try git(fixture, "init", "--quiet", "-b", "main")
        try git(fixture, "add", ".")
        try git(fixture, "commit", "--quiet", "-m", "start")
        let top = try #require(ChangedLeaves.gitTopLevel(of: fixture.taxonomy))
        #expect(ChangedLeaves.defaultBase(in: top).count == 40, "merge-base with main is a commit id")

        var report = fixture.checker().check(fixture.taxonomy)
        var files = try ChangedLeaves.gitChangedFiles(topLevel: top, base: "HEAD")
        #expect(ChangedLeaves.changedFolders(report.leaves, root: report.root, projectRoot: fixture.project, changedFiles: files).isEmpty)

        try fixture.write("taxonomy/compositional_skills/finance/percent/qna.yaml", Sample.skill() + "# edited\n")
        try fixture.write("taxonomy/compositional_skills/finance/new/qna.yaml", Sample.skill(version: 2))
        report = fixture.checker().check(fixture.taxonomy)
        files = try ChangedLeaves.gitChangedFiles(topLevel: top, base: "HEAD")
        #expect(ChangedLeaves.changedFolders(report.leaves, root: report.root, projectRoot: fixture.project, changedFiles: files)
            == ["compositional_skills/finance/percent", "compositional_skills/finance/new"])

        try git(fixture, "add", ".")
        try git(fixture, "commit", "--quiet", "-m", "more")
        try fixture.write("documents/finance/ratios.md", "# Ratios\n\nRevised text.\n")
        report = fixture.checker().check(fixture.taxonomy)
        files = try ChangedLeaves.gitChangedFiles(topLevel: top, base: "HEAD")
        #expect(ChangedLeaves.changedFolders(report.leaves, root: report.root, projectRoot: fixture.project, changedFiles: files)
            == ["knowledge/finance/ratios"])
    }

    @Test func anUnknownBaseIsAClearError() throws {
        let fixture = try TaxonomyFixture()
        try git(fixture, "init", "--quiet", "-b", "main")
        try git(fixture, "add", ".")
        try git(fixture, "commit", "--quiet", "-m", "start")
        #expect(throws: ChangedLeaves.Failure.self) { try ChangedLeaves.gitChangedFiles(topLevel: fixture.project, base: "no-such-branch") }
    }

    @Test func withoutGitAStateFileRecordsWhatWasSeen() throws {
        let fixture = try TaxonomyFixture()
        #expect(ChangedLeaves.gitTopLevel(of: fixture.taxonomy) == nil)
        let state = fixture.project.appendingPathComponent("state.json")
        var report = fixture.checker().check(fixture.taxonomy)
        let first = try ChangedLeaves.stateChanges(report.leaves, stateFile: state)
        #expect(first.basis == .stateFile(state, existed: false))
        #expect(first.changedFolders.count == 3)
        try ChangedLeaves.recordState(report.leaves, to: state)
        #expect(try ChangedLeaves.stateChanges(report.leaves, stateFile: state).changedFolders.isEmpty)

        try fixture.write("documents/finance/ratios.md", "# Ratios\n\nNew wording.\n")
        report = fixture.checker().check(fixture.taxonomy)
        #expect(try ChangedLeaves.stateChanges(report.leaves, stateFile: state).changedFolders == ["knowledge/finance/ratios"])

        try Data("not json".utf8).write(to: state)
        #expect(throws: ChangedLeaves.Failure.self) { try ChangedLeaves.stateChanges(report.leaves, stateFile: state) }
    }
}
