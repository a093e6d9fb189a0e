public import Foundation
import LabCore

/// Finds and loads the files a `DocumentReference` names. Never throws: every problem is
/// returned against the field that caused it, so a checker can point at the exact YAML node.
public struct DocumentResolver: Sendable {
    /// What local `repo` paths are relative to (the parent of the taxonomy root).
    public var projectRoot: URL
    /// Local documents must stay inside this folder.
    public var documentsRoot: URL
    /// Bare clones of git document repositories are kept here.
    public var cacheDirectory: URL
    /// Whether git repositories may be cloned or fetched (network); otherwise only the cache is read.
    public var allowFetch: Bool

    /// Folder listings, shared by every reference this resolver resolves: a taxonomy often has
    /// hundreds of leaves citing files in the same few folders.
    private let listings = ListingCache()

    public init(projectRoot: URL, documentsRoot: URL, cacheDirectory: URL, allowFetch: Bool) {
        self.projectRoot = projectRoot.standardizedFileURL
        self.documentsRoot = documentsRoot.standardizedFileURL
        self.cacheDirectory = cacheDirectory
        self.allowFetch = allowFetch
    }

    public func resolve(_ reference: DocumentReference) -> DocumentResolution {
        reference.isLocal ? resolveLocal(reference) : GitDocuments(cacheDirectory: cacheDirectory, allowFetch: allowFetch).resolve(reference)
    }

    // MARK: Local documents

    private func resolveLocal(_ reference: DocumentReference) -> DocumentResolution {
        var resolution = DocumentResolution()
        let rootPath = documentsRoot.resolvingSymlinksInPath().path
        let shownRoot = displayPath(documentsRoot)
        if reference.repo.hasPrefix("/") {
            resolution.problems.append(DocumentProblem(.repo,
                "absolute path '\(reference.repo)' is not allowed for local documents",
                hint: "write the folder relative to the project root, e.g. '\(shownRoot)/finance'"))
            return resolution
        }
        let folder = projectRoot.appendingPathComponent(reference.repo).standardizedFileURL
        let resolvedFolder = folder.resolvingSymlinksInPath()
        guard Self.isInside(resolvedFolder.path, root: rootPath) else {
            resolution.problems.append(DocumentProblem(.repo,
                "'\(reference.repo)' is outside the documents folder \(shownRoot)",
                hint: "keep knowledge documents under \(shownRoot)/ (or pass --documents DIR)"))
            return resolution
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolvedFolder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            resolution.problems.append(DocumentProblem(.repo,
                "document folder '\(reference.repo)' does not exist",
                hint: "create it under \(shownRoot)/ or correct the path (relative to the project root)"))
            return resolution
        }

        // Listing a folder is only needed for wildcard patterns or to suggest names.
        var files: [String] { listings.files(in: resolvedFolder, list: listFiles) }
        var chosen: [String: Int] = [:]  // relative path → index of the first pattern that matched it
        for (index, pattern) in reference.patterns.enumerated() {
            if pattern.hasPrefix("/") || pattern.split(separator: "/").contains("..") {
                resolution.problems.append(DocumentProblem(.pattern(index),
                    "pattern '\(pattern)' leaves the document folder",
                    hint: "patterns are relative to repo '\(reference.repo)' and may not start with '/' or contain '..'"))
                continue
            }
            let glob = Glob(pattern)
            let matches: [String]
            if glob.isLiteral {
                var isDirectory: ObjCBool = false
                let exists = FileManager.default.fileExists(atPath: resolvedFolder.appendingPathComponent(pattern).path, isDirectory: &isDirectory)
                matches = exists && !isDirectory.boolValue ? [pattern.split(separator: "/").joined(separator: "/")] : []
            } else {
                matches = files.filter { glob.matches($0) }
            }
            if matches.isEmpty {
                let files = files
                resolution.problems.append(DocumentProblem(.pattern(index),
                    "pattern '\(pattern)' matches no file under \(reference.repo)",
                    hint: files.isEmpty ? "the folder is empty" : "files there include \(files.prefix(3).joined(separator: ", "))"))
            }
            for match in matches where chosen[match] == nil { chosen[match] = index }
        }

        for (relative, patternIndex) in chosen.sorted(by: { $0.key < $1.key }) {
            let url = resolvedFolder.appendingPathComponent(relative)
            let shown = displayPath(folder.appendingPathComponent(relative))
            // A symlink inside the folder may still point elsewhere.
            guard Self.isInside(url.resolvingSymlinksInPath().path, root: rootPath) else {
                resolution.problems.append(DocumentProblem(.pattern(patternIndex),
                    "\(shown) is a link to a file outside \(shownRoot)",
                    hint: "copy the document into \(shownRoot)/ instead of linking to it"))
                continue
            }
            let ext = url.pathExtension.lowercased()
            guard DocumentText.acceptedExtensions.contains(ext) else {
                let refusal = DocumentText.Refusal.unsupportedType(ext)
                resolution.problems.append(DocumentProblem(.pattern(patternIndex), "\(shown) \(refusal)", hint: refusal.hint))
                continue
            }
            do {
                let data = try Data(contentsOf: url)
                resolution.documents.append(SourceDocument(path: shown, text: try DocumentText.decode(data)))
            } catch let refusal as DocumentText.Refusal {
                resolution.problems.append(DocumentProblem(.pattern(patternIndex), "\(shown) \(refusal)", hint: refusal.hint))
            } catch {
                resolution.problems.append(DocumentProblem(.pattern(patternIndex),
                    "\(shown) could not be read: \(error.localizedDescription)", hint: "check the file's permissions"))
            }
        }
        return resolution
    }

    /// Regular files (and links to files) below `folder`, as `/`-separated relative paths.
    /// Directory links are not followed, which also rules out link loops.
    private func listFiles(in folder: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(
            at: folder, includingPropertiesForKeys: [.isRegularFileKey, .isSymbolicLinkKey],
            options: [], errorHandler: { _, _ in true }
        ) else { return [] }
        let base = folder.path.hasSuffix("/") ? folder.path : folder.path + "/"
        var files: [String] = []
        for case let url as URL in enumerator {
            let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .isSymbolicLinkKey])
            var isFile = values?.isRegularFile == true
            if values?.isSymbolicLink == true {
                var isDirectory: ObjCBool = false
                isFile = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
            }
            guard isFile else { continue }
            let path = url.resolvingSymlinksInPath() == url ? url.path : url.path
            if path.hasPrefix(base) { files.append(String(path.dropFirst(base.count))) }
        }
        return files.sorted()
    }

    private func displayPath(_ url: URL) -> String {
        let root = projectRoot.path.hasSuffix("/") ? projectRoot.path : projectRoot.path + "/"
        return url.path.hasPrefix(root) ? String(url.path.dropFirst(root.count)) : url.path
    }

    static func isInside(_ path: String, root: String) -> Bool {
        path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }
}

/// Remembers folder listings for the lifetime of one resolver.
private final class ListingCache: @unchecked Sendable {
    private let lock = NSLock()
    private var listings: [String: [String]] = [:]

    func files(in folder: URL, list: (URL) -> [String]) -> [String] {
        lock.lock()
        if let cached = listings[folder.path] { lock.unlock(); return cached }
        lock.unlock()
        let files = list(folder)
        lock.lock()
        listings[folder.path] = files
        lock.unlock()
        return files
    }
}
