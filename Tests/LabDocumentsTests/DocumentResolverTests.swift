import Foundation
import LabCore
import LabDocuments
import LabTestSupport
import Testing

/// A project folder with `documents/` and a few files, removed at the end of each test.
final class ProjectFixture {
    let root: URL
    var documents: URL { root.appendingPathComponent("documents") }

    init() throws {
        root = try TestPaths.temporaryDirectory("docs")
        try write("documents/finance/ratios.md", "# Ratios\n\nThe current ratio is current assets divided by current liabilities.\n")
        try write("documents/finance/form-10k.md", "# Form 10-K\n\nAn annual report.\n")
        try write("documents/finance/notes.txt", "Plain notes.\n")
        try write("documents/finance/deep/inner.md", "Inner document.\n")
        try write("outside/secret.md", "Not a document.\n")
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func write(_ relative: String, _ text: String) throws {
        try write(relative, Data(text.utf8))
    }

    func write(_ relative: String, _ data: Data) throws {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }

    func resolver(allowFetch: Bool = false, cache: URL? = nil) -> DocumentResolver {
        DocumentResolver(projectRoot: root, documentsRoot: documents,
                         cacheDirectory: cache ?? root.appendingPathComponent("cache"), allowFetch: allowFetch)
    }
}

@Suite struct LocalDocumentResolution {
    @Test func patternsResolveUnderTheRepoFolderSortedAndOnce() throws {
        let project = try ProjectFixture()
        let reference = DocumentReference(repo: "documents/finance", commit: "local", patterns: ["*.md", "ratios.md", "**/*.md"])
        let resolution = project.resolver().resolve(reference)
        #expect(resolution.problems.isEmpty, "\(resolution.problems)")
        #expect(resolution.documents.map(\.path) == [
            "documents/finance/deep/inner.md", "documents/finance/form-10k.md", "documents/finance/ratios.md",
        ])
        let ratios = try #require(resolution.documents.last)
        #expect(ratios.contentHash == ContentHash.sha256Hex(ratios.text))
        #expect(ratios.wordCount == 12)
    }

    @Test func aPatternThatMatchesNothingIsReportedAgainstThatPattern() throws {
        let project = try ProjectFixture()
        let resolution = project.resolver().resolve(
            DocumentReference(repo: "documents/finance", commit: "local", patterns: ["ratios.md", "missing-*.md"]))
        #expect(resolution.documents.count == 1)
        let problem = try #require(resolution.problems.first)
        #expect(problem.field == .pattern(1))
        #expect(problem.message == "pattern 'missing-*.md' matches no file under documents/finance")
    }

    @Test(arguments: [
        ("documents/../outside", DocumentProblem.Field.repo, "is outside the documents folder"),
        ("/etc", .repo, "absolute path '/etc' is not allowed"),
        ("documents/nope", .repo, "document folder 'documents/nope' does not exist"),
    ])
    func repoFoldersOutsideTheDocumentsRootOrMissingAreRefused(repo: String, field: DocumentProblem.Field, message: String) throws {
        let project = try ProjectFixture()
        let resolution = project.resolver().resolve(DocumentReference(repo: repo, commit: "local", patterns: ["*.md"]))
        #expect(resolution.documents.isEmpty)
        let problem = try #require(resolution.problems.first)
        #expect(problem.field == field)
        #expect(problem.message.contains(message), "\(problem.message)")
    }

    @Test(arguments: ["../../outside/secret.md", "/etc/passwd"])
    func patternsMayNotEscapeTheFolder(pattern: String) throws {
        let project = try ProjectFixture()
        let resolution = project.resolver().resolve(DocumentReference(repo: "documents/finance", commit: "local", patterns: [pattern]))
        #expect(resolution.documents.isEmpty)
        #expect(resolution.problems.first?.field == .pattern(0))
        #expect(resolution.problems.first?.message.contains("leaves the document folder") == true)
    }

    @Test func aSymlinkPointingOutsideTheDocumentsRootIsRefused() throws {
        let project = try ProjectFixture()
        try FileManager.default.createSymbolicLink(
            at: project.documents.appendingPathComponent("finance/leak.md"),
            withDestinationURL: project.root.appendingPathComponent("outside/secret.md"))
        let resolution = project.resolver().resolve(DocumentReference(repo: "documents/finance", commit: "local", patterns: ["leak.md"]))
        #expect(resolution.documents.isEmpty)
        #expect(resolution.problems.first?.message.contains("is a link to a file outside documents") == true)
    }

    @Test func aSymlinkLoopDoesNotHang() throws {
        let project = try ProjectFixture()
        try FileManager.default.createSymbolicLink(
            at: project.documents.appendingPathComponent("finance/loop"),
            withDestinationURL: project.documents.appendingPathComponent("finance"))
        let resolution = project.resolver().resolve(DocumentReference(repo: "documents/finance", commit: "local", patterns: ["**/*.md"]))
        #expect(resolution.documents.count == 3)
    }

    @Test func unreadableContentIsReportedPerFile() throws {
        let project = try ProjectFixture()
        try project.write("documents/finance/bad.md", Data([0x61, 0xFF, 0x62]))
        try project.write("documents/finance/empty.md", Data())
        try project.write("documents/finance/table.csv", "a,b\n")
        let resolution = project.resolver().resolve(
            DocumentReference(repo: "documents/finance", commit: "local", patterns: ["bad.md", "empty.md", "table.csv"]))
        #expect(resolution.documents.isEmpty)
        #expect(resolution.problems.map(\.message) == [
            "documents/finance/bad.md is not valid UTF-8 (first bad byte at offset 1)",
            "documents/finance/empty.md is empty",
            "documents/finance/table.csv has unsupported type '.csv'",
        ])
    }

    @Test(arguments: [
        ("documents", true), ("./documents/finance", true), ("https://github.com/o/r.git", false),
        ("git@github.com:o/r.git", false), ("file:///tmp/repo", false), ("ssh://git@host/r", false),
    ])
    func localAndGitReferencesAreTold(repo: String, isLocal: Bool) {
        #expect(DocumentReference(repo: repo, commit: "c", patterns: ["*"]).isLocal == isLocal)
    }
}

@Suite struct GitDocumentResolution {
    /// A real repository with two commits, reached through a file:// URL.
    private func makeRepository(in root: URL) throws -> (url: String, first: String, second: String) {
        let repo = root.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: repo.appendingPathComponent("docs"), withIntermediateDirectories: true)
        func git(_ arguments: String...) throws -> String {
            let result = Subprocess.run("git", ["-c", "user.name=t", "-c", "user.email=t@example.com"] + arguments, in: repo)
            try #require(result.status == 0, "git \(arguments): \(result.errorSummary)")
            return result.outputText.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        _ = try git("init", "--quiet", "-b", "main")
        try Data("# One\n\nFirst text.\n".utf8).write(to: repo.appendingPathComponent("docs/one.md"))
        _ = try git("add", ".")
        _ = try git("commit", "--quiet", "-m", "one")
        let first = try git("rev-parse", "HEAD")
        try Data("# Two\n\nSecond text.\n".utf8).write(to: repo.appendingPathComponent("docs/two.md"))
        _ = try git("add", ".")
        _ = try git("commit", "--quiet", "-m", "two")
        let second = try git("rev-parse", "HEAD")
        return ("file://" + repo.path, first, second)
    }

    @Test func documentsAreReadAtThePinnedCommit() throws {
        let root = try TestPaths.temporaryDirectory("git")
        defer { try? FileManager.default.removeItem(at: root) }
        let (url, first, second) = try makeRepository(in: root)
        let resolver = DocumentResolver(projectRoot: root, documentsRoot: root, cacheDirectory: root.appendingPathComponent("cache"), allowFetch: true)
        let atFirst = resolver.resolve(DocumentReference(repo: url, commit: first, patterns: ["docs/*.md"]))
        #expect(atFirst.problems.isEmpty, "\(atFirst.problems)")
        #expect(atFirst.documents.map(\.text) == ["# One\n\nFirst text.\n"])
        let atSecond = resolver.resolve(DocumentReference(repo: url, commit: second, patterns: ["docs/*.md"]))
        #expect(atSecond.documents.count == 2)
        #expect(atSecond.documents[1].path == "\(url)@\(second.prefix(12)):docs/two.md")
    }

    @Test func aMissingCommitIsReportedAgainstTheCommitField() throws {
        let root = try TestPaths.temporaryDirectory("git")
        defer { try? FileManager.default.removeItem(at: root) }
        let (url, _, _) = try makeRepository(in: root)
        let resolver = DocumentResolver(projectRoot: root, documentsRoot: root, cacheDirectory: root.appendingPathComponent("cache"), allowFetch: true)
        let bogus = String(repeating: "ab", count: 20)
        let resolution = resolver.resolve(DocumentReference(repo: url, commit: bogus, patterns: ["*.md"]))
        #expect(resolution.problems.first?.field == .commit)
        #expect(resolution.problems.first?.message == "commit \(bogus) not found in \(url)")
    }

    @Test func withoutFetchingAnUncachedRepositoryIsNotChecked() throws {
        let root = try TestPaths.temporaryDirectory("git")
        defer { try? FileManager.default.removeItem(at: root) }
        let (url, first, _) = try makeRepository(in: root)
        let resolver = DocumentResolver(projectRoot: root, documentsRoot: root, cacheDirectory: root.appendingPathComponent("cache"), allowFetch: false)
        let resolution = resolver.resolve(DocumentReference(repo: url, commit: first, patterns: ["*.md"]))
        #expect(resolution.documents.isEmpty)
        #expect(resolution.problems.first?.hint == "run with --fetch-documents to clone the repository")
    }
}
