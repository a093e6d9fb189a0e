import Foundation
import LabCore

/// Resolves a git `document` reference from a bare clone cached under
/// `<cache>/<sha256 of the repo URL>`: clone when uncached, fetch when the commit is missing,
/// then `git ls-tree` + glob matching + reading the matched blobs.
struct GitDocumentSource {
    let cacheDirectory: URL
    let allowFetch: Bool
    let environment: [String: String]

    /// One file of the commit's tree, as `git ls-tree -r -l` lists it.
    struct TreeEntry {
        var mode: String
        var type: String
        var object: String
        var size: Int?
        var path: String
    }

    /// The cache folder for `repo`.
    func cacheFolder(for repo: String) -> URL {
        cacheDirectory.appendingPathComponent(ContentHash.sha256Hex(repo), isDirectory: true)
    }

    func resolve(_ reference: DocumentReference) -> DocumentResolution {
        var resolution = DocumentResolution()
        let repo = reference.repo
        let commit = reference.commit
        func fail(_ field: DocumentProblem.Field, _ message: String, _ hint: String, _ severity: Severity = .error) -> DocumentResolution {
            resolution.problems.append(.init(field: field, message: message, hint: hint, severity: severity))
            return resolution
        }
        if repo.hasPrefix("-") {
            return fail(.repo, "repo '\(repo)' is not a git URL", "give an https://, ssh://, file:// or git@host:path URL")
        }
        if commit.isEmpty || commit.hasPrefix("-") || commit.contains(where: \.isWhitespace) {
            return fail(.commit, "commit '\(commit)' is not a commit id", "give the full commit id, e.g. from `git rev-parse HEAD` in the documents repository")
        }
        guard let git = GitCommand(environment: environment) else {
            return fail(
                .repo, "git is not installed (no `git` on PATH); it is needed to read documents from \(repo)",
                "install git (e.g. `apt-get install git`), or copy the documents under documents/ and use a local repo path")
        }
        let cache = cacheFolder(for: repo)
        var freshlyCloned = false
        if !FileManager.default.fileExists(atPath: cache.appendingPathComponent("HEAD").path) {
            guard allowFetch else {
                return fail(
                    .repo, "not checked: documents not cached (\(repo))",
                    "run with --fetch-documents to clone it into \(cache.path)", .warning)
            }
            if let failure = clone(repo, into: cache, git: git) {
                return fail(.repo, "cannot clone \(repo): \(failure)", "check the URL, your network and your access to the repository")
            }
            freshlyCloned = true
        }
        var sha = resolveCommit(commit, in: cache, git: git)
        if sha == nil && allowFetch {
            fetch(repo, commit: commit, into: cache, git: git, refs: !freshlyCloned)
            sha = resolveCommit(commit, in: cache, git: git)
        }
        guard let sha else {
            let hint = allowFetch
                ? "check the commit id; it must be pushed to \(repo) (`git log` there lists the commits)"
                : "run with --fetch-documents to update the cached copy, or check the commit id"
            return fail(.commit, "commit \(commit) not found in \(repo)", hint)
        }
        let entries: [TreeEntry]
        switch listTree(sha, in: cache, git: git) {
        case .success(let listed): entries = listed
        case .failure(let failure): return fail(.commit, "cannot list the files of commit \(commit) in \(repo): \(failure.text)", "check that the cache at \(cache.path) is intact; delete it to clone afresh")
        }

        var firstPattern: [String: Int] = [:]
        for (index, source) in reference.patterns.enumerated() {
            let pattern: GlobPattern
            do {
                pattern = try GlobPattern(source)
            } catch {
                resolution.problems.append(.init(field: .pattern(index), message: error.message, hint: error.hint))
                continue
            }
            let matched = entries.filter { pattern.matches($0.path) }
            if matched.isEmpty {
                let sample = entries.map(\.path).prefix(5).joined(separator: ", ")
                resolution.problems.append(.init(
                    field: .pattern(index),
                    message: "pattern '\(source)' matches no file in \(repo) at commit \(commit)",
                    hint: entries.isEmpty
                        ? "the commit has no files"
                        : "patterns are relative to the repository root, which holds: \(sample)\(entries.count > 5 ? ", …" : "")"))
            }
            for entry in matched where firstPattern[entry.path] == nil { firstPattern[entry.path] = index }
        }

        for entry in entries where firstPattern[entry.path] != nil {
            let index = firstPattern[entry.path] ?? 0
            let displayPath = "\(repo)@\(commit):\(entry.path)"
            switch load(entry, displayPath: displayPath, in: cache, git: git) {
            case .document(let document): resolution.documents.append(document)
            case .problem(let problem):
                resolution.problems.append(.init(field: .pattern(index), message: problem.message, hint: problem.hint))
            }
        }
        resolution.documents.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        return resolution
    }

    /// Clones into a temporary folder and renames it into place, so an interrupted clone never
    /// leaves a half-made cache. Returns git's reason on failure.
    private func clone(_ repo: String, into cache: URL, git: GitCommand) -> String? {
        let manager = FileManager.default
        let staging = cacheDirectory.appendingPathComponent(".clone-\(UUID().uuidString)", isDirectory: true)
        do {
            try manager.createDirectory(at: cacheDirectory, withIntermediateDirectories: true)
        } catch {
            return "cannot create the cache folder \(cacheDirectory.path): \(error.localizedDescription)"
        }
        let output: GitCommand.Output
        do {
            output = try git.run(["clone", "--bare", "--quiet", "--", repo, staging.path])
        } catch {
            return "cannot run \(git.executable.path): \(error.localizedDescription)"
        }
        guard output.succeeded else {
            try? manager.removeItem(at: staging)
            return output.reason
        }
        do {
            try manager.moveItem(at: staging, to: cache)
        } catch {
            // Another process may have cloned the same repository meanwhile; its copy is as good.
            try? manager.removeItem(at: staging)
            if !manager.fileExists(atPath: cache.appendingPathComponent("HEAD").path) {
                return "cannot move the clone into \(cache.path): \(error.localizedDescription)"
            }
        }
        return nil
    }

    /// Updates the cache: all branches and tags, then (servers permitting) the commit itself.
    private func fetch(_ repo: String, commit: String, into cache: URL, git: GitCommand, refs: Bool) {
        if refs {
            _ = try? git.run([
                "-C", cache.path, "fetch", "--quiet", "--prune", "--", repo,
                "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*",
            ])
        }
        if resolveCommit(commit, in: cache, git: git) == nil, commit.allSatisfy(\.isHexDigit) {
            _ = try? git.run(["-C", cache.path, "fetch", "--quiet", "--", repo, commit])
        }
    }

    /// The full id of `commit` when the cache has it.
    private func resolveCommit(_ commit: String, in cache: URL, git: GitCommand) -> String? {
        guard let output = try? git.run(["-C", cache.path, "rev-parse", "--verify", "--quiet", "--end-of-options", "\(commit)^{commit}"]),
            output.succeeded
        else { return nil }
        let sha = String(decoding: output.standardOutput, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return sha.isEmpty ? nil : sha
    }

    struct GitFailure: Error { var text: String }

    /// Every entry of the commit's tree, recursively, from `git ls-tree -r -l -z`.
    private func listTree(_ sha: String, in cache: URL, git: GitCommand) -> Result<[TreeEntry], GitFailure> {
        let output: GitCommand.Output
        do {
            output = try git.run(["-C", cache.path, "ls-tree", "-r", "-l", "-z", "--full-tree", sha])
        } catch {
            return .failure(GitFailure(text: error.localizedDescription))
        }
        guard output.succeeded else { return .failure(GitFailure(text: output.reason)) }
        // Each record: "<mode> SP <type> SP <object> SP <size, space-padded> TAB <path> NUL".
        var entries: [TreeEntry] = []
        for record in output.standardOutput.split(separator: 0) {
            guard let tab = record.firstIndex(of: 0x09) else { continue }
            let meta = String(decoding: record[record.startIndex..<tab], as: UTF8.self)
                .split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard meta.count == 4 else { continue }
            let path = String(decoding: record[record.index(after: tab)...], as: UTF8.self)
            entries.append(TreeEntry(mode: meta[0], type: meta[1], object: meta[2], size: Int(meta[3]), path: path))
        }
        entries.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        return .success(entries)
    }

    /// Reads and decodes one matched tree entry, refusing symlinks, submodules and oversized blobs
    /// before reading them.
    private func load(_ entry: TreeEntry, displayPath: String, in cache: URL, git: GitCommand) -> Loaded {
        func problem(_ message: String, _ hint: String) -> Loaded {
            .problem(DocumentProblem(field: .repo, message: message, hint: hint))
        }
        if entry.mode == "120000" {
            return problem("\(displayPath) is a symlink in the repository; symlinks are not followed", "match the file it points to instead")
        }
        guard entry.type == "blob" else {
            return problem("\(displayPath) is a \(entry.type == "commit" ? "submodule" : entry.type), not a file", "match files only")
        }
        guard DocumentLoader.hasAcceptedExtension(entry.path) else {
            let error = DocumentError(.unsupportedExtension(DocumentLoader.fileExtension(of: entry.path)), at: .init(path: displayPath))
            return problem("\(error.location): \(error.message)", error.hint)
        }
        if let size = entry.size, size > DocumentLoader.maximumByteCount {
            let error = DocumentError(.tooLarge(byteCount: size), at: .init(path: displayPath))
            return problem("\(error.location): \(error.message)", error.hint)
        }
        let output: GitCommand.Output
        do {
            output = try git.run(["-C", cache.path, "cat-file", "blob", entry.object])
        } catch {
            return problem("\(displayPath): cannot run git: \(error.localizedDescription)", "check the git installation")
        }
        guard output.succeeded else {
            return problem("\(displayPath): cannot read the file: \(output.reason)", "delete \(cache.path) to clone the repository afresh")
        }
        do {
            return .document(try DocumentLoader.decode(output.standardOutput, path: displayPath))
        } catch {
            return problem("\(error.location): \(error.message)", error.hint)
        }
    }
}

/// A matched file's outcome: the document, or why it could not be read (its field is set by the caller).
private enum Loaded {
    case document(SourceDocument)
    case problem(DocumentProblem)
}
