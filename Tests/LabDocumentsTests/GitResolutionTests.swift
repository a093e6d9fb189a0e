import Foundation
import LabDocuments
import LabTestSupport
import Testing

struct GitSetupFailed: Error, CustomStringConvertible {
    var description: String
}

/// A real git repository made in a temporary folder with the `git` command, read through `file://`.
struct TemporaryGitRepository {
    let folder: URL
    var url: String { "file://" + folder.path }

    init(in parent: URL) throws {
        folder = parent.appendingPathComponent("origin", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try git("init", "--quiet")
    }

    @discardableResult
    func git(_ arguments: String...) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", folder.path, "-c", "user.name=Test", "-c", "user.email=test@example.com",
                             "-c", "commit.gpgsign=false"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw GitSetupFailed(description: "git \(arguments.joined(separator: " ")) failed: \(text)")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Writes the files and commits them; returns the commit id.
    func commit(_ files: [String: String], message: String) throws -> String {
        for (path, text) in files {
            let url = folder.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        try git("add", "-A")
        try git("commit", "--quiet", "-m", message)
        return try git("rev-parse", "HEAD")
    }
}

@Suite struct GitDocumentResolution {
    @Test func filesAreReadFromACommitThroughACachedBareClone() throws {
        let project = try ProjectFixture("git-commit")
        defer { project.remove() }
        let origin = try TemporaryGitRepository(in: project.root)
        let first = try origin.commit(["reports/q1.md": "# Q1\r\nRevenue rose.", "notes.txt": "plain notes", "image.bin": "x"], message: "one")
        _ = try origin.commit(["reports/q1.md": "# Q1\nRevised."], message: "two")

        let cache = project.root.appendingPathComponent("cache")
        let resolver = project.resolver(allowFetch: true, cache: cache)
        let reference = DocumentReference(repo: origin.url, commit: first, patterns: ["**/*.md", "*.txt"])
        let resolution = resolver.resolve(reference)
        #expect(resolution.problems == [])
        #expect(resolution.documents.map(\.path) == ["\(origin.url)@\(first):notes.txt", "\(origin.url)@\(first):reports/q1.md"])
        #expect(resolution.documents.last?.text == "# Q1\nRevenue rose.")
        #expect(FileManager.default.fileExists(atPath: resolver.cacheFolder(for: origin.url).appendingPathComponent("HEAD").path))
        #expect(resolver.cacheFolder(for: origin.url).lastPathComponent.count == 64)

        // Offline, the cache alone answers.
        let offline = project.resolver(allowFetch: false, cache: cache).resolve(reference)
        #expect(offline.problems == [])
        #expect(offline.documents == resolution.documents)
    }

    @Test func aCommitMissingFromTheCacheIsFetched() throws {
        let project = try ProjectFixture("git-fetch")
        defer { project.remove() }
        let origin = try TemporaryGitRepository(in: project.root)
        let first = try origin.commit(["a.md": "first"], message: "one")
        let cache = project.root.appendingPathComponent("cache")
        let resolver = project.resolver(allowFetch: true, cache: cache)
        #expect(resolver.resolve(DocumentReference(repo: origin.url, commit: first, patterns: ["a.md"])).problems == [])

        let second = try origin.commit(["a.md": "second"], message: "two")
        let reference = DocumentReference(repo: origin.url, commit: second, patterns: ["a.md"])
        let offline = project.resolver(allowFetch: false, cache: cache).resolve(reference)
        #expect(offline.problems.map(\.field) == [.commit])
        #expect(offline.problems.first?.hint.contains("--fetch-documents") == true)

        let online = resolver.resolve(reference)
        #expect(online.problems == [])
        #expect(online.documents.map(\.text) == ["second"])
    }

    @Test func aCommitThatDoesNotExistIsACommitProblem() throws {
        let project = try ProjectFixture("git-nocommit")
        defer { project.remove() }
        let origin = try TemporaryGitRepository(in: project.root)
        _ = try origin.commit(["a.md": "text"], message: "one")
        let missing = String(repeating: "0123456789", count: 4)
        let resolution = project.resolver(allowFetch: true).resolve(
            DocumentReference(repo: origin.url, commit: missing, patterns: ["a.md"]))
        #expect(resolution.documents.isEmpty)
        #expect(resolution.problems.map(\.field) == [.commit])
        #expect(resolution.problems.first?.message == "commit \(missing) not found in \(origin.url)")
    }

    @Test func withoutFetchingAnUncachedRepositoryIsNotCheckedAndSaysHowToFetch() throws {
        let project = try ProjectFixture("git-nocache")
        defer { project.remove() }
        let origin = try TemporaryGitRepository(in: project.root)
        let commit = try origin.commit(["a.md": "text"], message: "one")
        let resolution = project.resolver(allowFetch: false).resolve(
            DocumentReference(repo: origin.url, commit: commit, patterns: ["a.md"]))
        #expect(resolution.documents.isEmpty)
        let problem = try #require(resolution.problems.first)
        #expect(problem.field == .repo)
        #expect(problem.severity == .warning)
        #expect(problem.message.hasPrefix("not checked: documents not cached"))
        #expect(problem.hint.contains("--fetch-documents"))
    }

    @Test func patternsMatchingNothingOrUnreadableFilesAreProblemsPerPattern() throws {
        let project = try ProjectFixture("git-patterns")
        defer { project.remove() }
        let origin = try TemporaryGitRepository(in: project.root)
        let commit = try origin.commit(["a.md": "text", "data.csv": "1,2"], message: "one")
        let resolution = project.resolver(allowFetch: true).resolve(
            DocumentReference(repo: origin.url, commit: commit, patterns: ["a.md", "*.pdf", "*.csv"]))
        #expect(resolution.documents.map(\.text) == ["text"])
        #expect(resolution.problems.map(\.field) == [.pattern(1), .pattern(2)])
        #expect(resolution.problems.first?.message == "pattern '*.pdf' matches no file in \(origin.url) at commit \(commit)")
        #expect(resolution.problems.last?.message.contains("unsupported document type") == true)
    }

    @Test func aRepositoryThatCannotBeClonedIsARepoProblemWithGitsReason() throws {
        let project = try ProjectFixture("git-noclone")
        defer { project.remove() }
        let url = "file://" + project.root.appendingPathComponent("nowhere").path
        let resolution = project.resolver(allowFetch: true).resolve(
            DocumentReference(repo: url, commit: "abc123", patterns: ["*.md"]))
        #expect(resolution.problems.map(\.field) == [.repo])
        #expect(resolution.problems.first?.message.hasPrefix("cannot clone \(url): ") == true)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: project.root.appendingPathComponent("cache").path)
        #expect(leftovers.isEmpty, "a failed clone must leave no cache folder behind")
    }

    @Test func withoutGitInstalledTheProblemSaysToInstallIt() throws {
        let project = try ProjectFixture("git-missing")
        defer { project.remove() }
        let resolver = DocumentResolver(
            projectRoot: project.root, documentsRoot: project.documents,
            cacheDirectory: project.root.appendingPathComponent("cache"), allowFetch: true,
            environment: ["PATH": project.root.path])
        let resolution = resolver.resolve(DocumentReference(repo: "https://example.com/docs.git", commit: "abc", patterns: ["*.md"]))
        #expect(resolution.problems.map(\.field) == [.repo])
        #expect(resolution.problems.first?.message.contains("git is not installed") == true)
        #expect(resolution.problems.first?.hint.contains("install git") == true)
    }

    @Test func symlinksAndBadBytesInTheRepositoryAreProblemsNotContent() throws {
        let project = try ProjectFixture("git-symlink")
        defer { project.remove() }
        let origin = try TemporaryGitRepository(in: project.root)
        try FileManager.default.createSymbolicLink(
            atPath: origin.folder.appendingPathComponent("link.md").path, withDestinationPath: "/etc/passwd")
        try Data([0x61, 0x62, 0x0A, 0x63, 0xFF]).write(to: origin.folder.appendingPathComponent("latin1.md"))
        let commit = try origin.commit(["real.md": "real"], message: "one")
        let resolution = project.resolver(allowFetch: true).resolve(
            DocumentReference(repo: origin.url, commit: commit, patterns: ["*.md"]))
        #expect(resolution.documents.map(\.text) == ["real"])
        let messages = resolution.problems.map(\.message)
        #expect(messages.count == 2, "\(messages)")
        #expect(messages.contains("\(origin.url)@\(commit):link.md is a symlink in the repository; symlinks are not followed"))
        #expect(messages.contains("\(origin.url)@\(commit):latin1.md:2:2: invalid UTF-8 at byte offset 4"))
        #expect(resolution.problems.allSatisfy { $0.field == .pattern(0) })
    }
}
