import Foundation
import LabDocuments
import LabTestSupport
import Testing

@Suite struct LocalDocumentResolution {
    @Test(arguments: [
        ("documents/finance", true), ("./documents", true), ("https://github.com/x/y", false),
        ("file:///tmp/repo", false), ("git@github.com:x/y.git", false), ("ssh://git@host/x", false),
        ("docs@2024/finance", true), ("a:b", true),
    ])
    func localReferencesAreFoldersAndEverythingElseIsGit(_ row: (repo: String, isLocal: Bool)) {
        #expect(DocumentReference(repo: row.repo, commit: "local", patterns: ["*"]).isLocal == row.isLocal)
    }

    @Test func everyMatchedFileLoadsOnceInPathOrder() throws {
        let project = try ProjectFixture("local-order")
        defer { project.remove() }
        try project.write("documents/finance/b.md", "# B\nbee")
        try project.write("documents/finance/a.md", "# A\nay")
        try project.write("documents/finance/sub/c.txt", "see")
        try project.write("documents/finance/.hidden.md", "hidden")
        let reference = DocumentReference(
            repo: "documents/finance", commit: "local", patterns: ["*.md", "a.md", "**/*.txt", "**/*.md"])
        let resolution = project.resolver().resolve(reference)
        #expect(resolution.problems == [])
        #expect(resolution.documents.map(\.path)
            == ["documents/finance/a.md", "documents/finance/b.md", "documents/finance/sub/c.txt"])
        #expect(resolution.documents.first?.text == "# A\nay")
        #expect(resolution.documents.first?.wordCount == 3)
    }

    @Test func aPatternMatchingNothingNamesTheFolderSearchedAndWhatIsThere() throws {
        let project = try ProjectFixture("local-nomatch")
        defer { project.remove() }
        try project.write("documents/finance/form-10k.md", "text")
        let resolution = project.resolver().resolve(
            DocumentReference(repo: "documents/finance", commit: "local", patterns: ["form-10k.md", "*.pdf"]))
        #expect(resolution.documents.count == 1)
        let problem = try #require(resolution.problems.first)
        #expect(resolution.problems.count == 1)
        #expect(problem.field == .pattern(1))
        #expect(problem.message == "pattern '*.pdf' matches no file under documents/finance")
        #expect(problem.hint.contains("form-10k.md"))
        #expect(problem.documentPath == ".document.patterns[1]")
    }

    @Test func aPatternNamingAFolderSuggestsMatchingItsFiles() throws {
        let project = try ProjectFixture("local-folder")
        defer { project.remove() }
        try project.write("documents/finance/reports/q1.md", "text")
        let resolution = project.resolver().resolve(
            DocumentReference(repo: "documents/finance", commit: "local", patterns: ["reports"]))
        #expect(resolution.problems.first?.hint.contains("'reports/*.md'") == true)
    }

    static let badRepos: [(repo: String, phrase: String)] = [
        ("documents/../taxonomy", "outside the documents root"),
        ("../elsewhere", "outside the documents root"),
        ("/etc", "absolute path"),
        ("~/docs", "absolute path"),
        ("documents/missing", "does not exist"),
        ("", "repo is empty"),
        ("documents/file.md", "is a file, not a folder"),
    ]

    @Test(arguments: badRepos)
    func repoFoldersOutsideTheDocumentsRootOrMissingAreRepoProblems(_ row: (repo: String, phrase: String)) throws {
        let project = try ProjectFixture("local-badrepo")
        defer { project.remove() }
        try project.write("documents/file.md", "text")
        try project.write("taxonomy/secret.md", "text")
        let resolution = project.resolver().resolve(DocumentReference(repo: row.repo, commit: "local", patterns: ["*.md"]))
        #expect(resolution.documents.isEmpty)
        #expect(resolution.problems.count == 1)
        #expect(resolution.problems.first?.field == .repo)
        #expect(resolution.problems.first?.message.contains(row.phrase) == true, "\(resolution.problems)")
    }

    @Test func aSymlinkedRepoFolderLeavingTheRootIsRefused() throws {
        let project = try ProjectFixture("local-symlink-repo")
        defer { project.remove() }
        try project.write("outside/x.md", "secret")
        try FileManager.default.createSymbolicLink(
            atPath: project.documents.appendingPathComponent("escape").path,
            withDestinationPath: project.root.appendingPathComponent("outside").path)
        let resolution = project.resolver().resolve(DocumentReference(repo: "documents/escape", commit: "local", patterns: ["*.md"]))
        #expect(resolution.documents.isEmpty)
        #expect(resolution.problems.first?.field == .repo)
        #expect(resolution.problems.first?.message.contains("goes through a symlink") == true)
    }

    @Test func symlinksInsideTheFolderAreReadOnlyWhenTheyStayInsideTheRoot() throws {
        let project = try ProjectFixture("local-symlink-file")
        defer { project.remove() }
        try project.write("documents/finance/real.md", "real text")
        try project.write("documents/shared/common.md", "shared text")
        try project.write("outside/secret.md", "secret")
        let folder = project.documents.appendingPathComponent("finance")
        try FileManager.default.createSymbolicLink(
            atPath: folder.appendingPathComponent("inside.md").path,
            withDestinationPath: project.documents.appendingPathComponent("shared/common.md").path)
        try FileManager.default.createSymbolicLink(
            atPath: folder.appendingPathComponent("leak.md").path,
            withDestinationPath: project.root.appendingPathComponent("outside/secret.md").path)
        try FileManager.default.createSymbolicLink(
            atPath: folder.appendingPathComponent("leakdir").path,
            withDestinationPath: project.root.appendingPathComponent("outside").path)
        let resolution = project.resolver().resolve(
            DocumentReference(repo: "documents/finance", commit: "local", patterns: ["*.md", "leakdir/*.md"]))
        #expect(resolution.documents.map(\.path) == ["documents/finance/inside.md", "documents/finance/real.md"])
        #expect(!resolution.documents.contains { $0.text == "secret" })
        #expect(resolution.problems.map(\.field) == [.pattern(0), .pattern(1)])
        #expect(resolution.problems.allSatisfy { $0.message.contains("outside the documents root") }, "\(resolution.problems)")
    }

    @Test func filesThatFailToLoadAreProblemsOfThePatternThatMatchedThem() throws {
        let project = try ProjectFixture("local-loadfail")
        defer { project.remove() }
        try project.write("documents/d/good.md", "fine")
        try project.write("documents/d/empty.md", "")
        try project.write("documents/d/chart.png", Data([0x89, 0x50, 0x4E, 0x47, 0x00]))
        let resolution = project.resolver().resolve(
            DocumentReference(repo: "documents/d", commit: "local", patterns: ["good.md", "*"]))
        #expect(resolution.documents.map(\.path) == ["documents/d/good.md"])
        #expect(resolution.problems.map(\.field) == [.pattern(1), .pattern(1)])
        #expect(resolution.problems.contains { $0.message.hasPrefix("documents/d/chart.png: unsupported document type") })
        #expect(resolution.problems.contains { $0.message == "documents/d/empty.md: the document is empty" })
    }

    @Test func anInvalidPatternIsAProblemOfThatPatternOnly() throws {
        let project = try ProjectFixture("local-invalid-pattern")
        defer { project.remove() }
        try project.write("documents/d/a.md", "fine")
        let resolution = project.resolver().resolve(
            DocumentReference(repo: "documents/d", commit: "local", patterns: ["../x.md", "a.md"]))
        #expect(resolution.documents.count == 1)
        #expect(resolution.problems.map(\.field) == [.pattern(0)])
        #expect(resolution.problems.first?.message.contains("'..'") == true)
    }

    @Test func aMissingDocumentsRootIsReported() throws {
        let project = try ProjectFixture("local-noroot")
        defer { project.remove() }
        try FileManager.default.removeItem(at: project.documents)
        let resolution = project.resolver().resolve(DocumentReference(repo: "documents/x", commit: "local", patterns: ["*.md"]))
        #expect(resolution.problems.first?.message.contains("documents root documents does not exist") == true, "\(resolution.problems)")
    }
}

@Suite struct LocalResolutionEdgeCases {
    @Test func symlinkLoopsDoNotHang() throws {
        let project = try ProjectFixture("local-loop")
        defer { project.remove() }
        try project.write("documents/d/a.md", "text")
        let folder = project.documents.appendingPathComponent("d")
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("again").path, withDestinationPath: folder.path)
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("self").path,
                                                   withDestinationPath: folder.appendingPathComponent("self").path)
        let resolution = project.resolver().resolve(DocumentReference(repo: "documents/d", commit: "local", patterns: ["**/*.md"]))
        #expect(resolution.documents.map(\.path) == ["documents/d/a.md"])
        #expect(resolution.problems == [])
    }

    @Test func oneResolverServesManyReferencesToDifferentFolders() throws {
        let project = try ProjectFixture("local-many")
        defer { project.remove() }
        for folder in 0..<5 {
            for file in 0..<3 { try project.write("documents/f\(folder)/doc\(file).md", "folder \(folder) file \(file)") }
        }
        let resolver = project.resolver()
        for round in 0..<2 {
            for folder in 0..<5 {
                let resolution = resolver.resolve(DocumentReference(repo: "documents/f\(folder)", commit: "local", patterns: ["doc[02].md"]))
                #expect(resolution.documents.map(\.text) == ["folder \(folder) file 0", "folder \(folder) file 2"], "round \(round)")
            }
        }
    }

    @Test func theProjectsOwnSampleDocumentsResolveAndChunkCleanly() throws {
        let root = TestPaths.repositoryRoot
        let resolver = DocumentResolver(
            projectRoot: root, documentsRoot: root.appendingPathComponent("documents"),
            cacheDirectory: root.appendingPathComponent(".build/unused-cache"), allowFetch: false)
        let resolution = resolver.resolve(DocumentReference(repo: "documents/finance", commit: "local", patterns: ["*.md"]))
        #expect(resolution.problems == [])
        try #require(!resolution.documents.isEmpty)
        let chunker = try DocumentChunker()
        for document in resolution.documents {
            let chunks = chunker.chunks(of: document)
            #expect(!chunks.isEmpty, "\(document.path) gave no chunks")
            checkInvariants(chunks, of: document, chunker: chunker)
            // A 2,000-word document at ~1.3 tokens per word needs several 500-token chunks.
            #expect(chunks.count >= document.wordCount * 13 / 10 / DocumentChunker.defaultMaxTokens, "\(document.path)")
            #expect(chunks.dropFirst().allSatisfy { !$0.headingPath.isEmpty }, "\(document.path): chunks lost their headings")
        }
    }
}
