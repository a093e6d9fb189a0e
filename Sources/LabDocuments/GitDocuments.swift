import Foundation
import LabCore

/// Reads documents from a git repository at a pinned commit, through a bare clone cached per URL.
///
/// Uses the `git` command: it already speaks every transport and credential helper users have.
struct GitDocuments {
    var cacheDirectory: URL
    var allowFetch: Bool

    func resolve(_ reference: DocumentReference) -> DocumentResolution {
        var resolution = DocumentResolution()
        let clone = cacheDirectory.appendingPathComponent(ContentHash.sha256Hex(reference.repo) + ".git")
        let hasClone = FileManager.default.fileExists(atPath: clone.appendingPathComponent("HEAD").path)
        if !hasClone {
            guard allowFetch else {
                resolution.problems.append(DocumentProblem(.repo,
                    "not checked: documents of \(reference.repo) are not cached",
                    hint: "run with --fetch-documents to clone the repository"))
                return resolution
            }
            try? FileManager.default.createDirectory(at: cacheDirectory, withIntermediateDirectories: true)
            let partial = clone.appendingPathExtension("partial")
            try? FileManager.default.removeItem(at: partial)
            let result = Subprocess.run("git", ["clone", "--bare", "--quiet", reference.repo, partial.path])
            guard result.status == 0 else {
                resolution.problems.append(DocumentProblem(.repo,
                    "could not clone \(reference.repo): \(result.errorSummary)",
                    hint: result.status == Subprocess.notStarted ? "install git" : "check the URL and your access to it"))
                return resolution
            }
            do { try FileManager.default.moveItem(at: partial, to: clone) } catch {
                resolution.problems.append(DocumentProblem(.repo, "could not store the clone of \(reference.repo) in \(clone.path): \(error)",
                    hint: "check that \(cacheDirectory.path) is writable"))
                return resolution
            }
        }
        let commitSpec = reference.commit + "^{commit}"
        if Subprocess.run("git", ["-C", clone.path, "cat-file", "-e", commitSpec]).status != 0 {
            if allowFetch {
                _ = Subprocess.run("git", ["-C", clone.path, "fetch", "--quiet", "origin", "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"])
            }
            if Subprocess.run("git", ["-C", clone.path, "cat-file", "-e", commitSpec]).status != 0 {
                resolution.problems.append(DocumentProblem(.commit,
                    "commit \(reference.commit) not found in \(reference.repo)",
                    hint: allowFetch ? "check the commit id (it must be pushed to the repository)" : "run with --fetch-documents to update the cached clone"))
                return resolution
            }
        }
        let listing = Subprocess.run("git", ["-C", clone.path, "ls-tree", "-r", "--name-only", "-z", reference.commit])
        guard listing.status == 0 else {
            resolution.problems.append(DocumentProblem(.commit, "could not list files of \(reference.repo) at \(reference.commit): \(listing.errorSummary)", hint: "check the commit id"))
            return resolution
        }
        let files = listing.output.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.sorted()
        var chosen: [String: Int] = [:]
        for (index, pattern) in reference.patterns.enumerated() {
            let glob = Glob(pattern)
            let matches = files.filter { glob.matches($0) }
            if matches.isEmpty {
                resolution.problems.append(DocumentProblem(.pattern(index),
                    "pattern '\(pattern)' matches no file in \(reference.repo) at \(reference.commit.prefix(12))",
                    hint: "patterns are globs on paths inside the repository, e.g. 'docs/*.md'"))
            }
            for match in matches where chosen[match] == nil { chosen[match] = index }
        }
        for (path, patternIndex) in chosen.sorted(by: { $0.key < $1.key }) {
            let shown = "\(reference.repo)@\(reference.commit.prefix(12)):\(path)"
            let ext = (path as NSString).pathExtension.lowercased()
            guard DocumentText.acceptedExtensions.contains(ext) else {
                let refusal = DocumentText.Refusal.unsupportedType(ext)
                resolution.problems.append(DocumentProblem(.pattern(patternIndex), "\(shown) \(refusal)", hint: refusal.hint))
                continue
            }
            let blob = Subprocess.run("git", ["-C", clone.path, "show", "\(reference.commit):\(path)"])
            guard blob.status == 0 else {
                resolution.problems.append(DocumentProblem(.pattern(patternIndex), "could not read \(shown): \(blob.errorSummary)", hint: "check the repository"))
                continue
            }
            do {
                resolution.documents.append(SourceDocument(path: shown, text: try DocumentText.decode(blob.output)))
            } catch {
                resolution.problems.append(DocumentProblem(.pattern(patternIndex), "\(shown) \(error)", hint: error.hint))
            }
        }
        return resolution
    }
}

