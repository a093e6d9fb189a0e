public import Foundation
public import LabCore
public import LabDocuments

/// A leaf that passed validation, with the documents it cites (knowledge only).
public struct CheckedLeaf: Sendable {
    public var leaf: Leaf
    public var documents: [SourceDocument]
}

/// Everything `taxonomy check` and `taxonomy tree` report.
public struct TaxonomyReport: Sendable {
    public var root: URL
    public var leaves: [CheckedLeaf]
    public var diagnostics: [Diagnostic]
    /// qna.yaml files read (valid or not).
    public var filesChecked: Int
    /// The folder (relative to `root`) of every leaf checked, valid or not, in walk order.
    public var leafFolders: [String] = []
    /// SHA-256 of each leaf file read, by folder.
    public var fileHashes: [String: String] = [:]

    public var errorCount: Int { diagnostics.filter { $0.severity == .error }.count }
    public var warningCount: Int { diagnostics.filter { $0.severity == .warning }.count }
}

/// Validates a taxonomy (or part of it) and resolves knowledge documents.
public struct TaxonomyChecker: Sendable {
    /// Folder whose `documents/` local references resolve under; nil: the taxonomy root's parent.
    public var projectRoot: URL?
    /// Overrides `<project root>/documents`.
    public var documentsRoot: URL?
    /// Where git document repositories are cached.
    public var cacheDirectory: URL
    /// Whether git document repositories may be cloned or fetched.
    public var allowFetch: Bool
    /// Paths in messages are shown relative to this folder when inside it.
    public var workingDirectory: URL

    public init(projectRoot: URL? = nil, documentsRoot: URL? = nil, cacheDirectory: URL = SynthlabHome().root.appendingPathComponent("documents"),
                allowFetch: Bool = false, workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) {
        self.projectRoot = projectRoot
        self.documentsRoot = documentsRoot
        self.cacheDirectory = cacheDirectory
        self.allowFetch = allowFetch
        self.workingDirectory = workingDirectory.standardizedFileURL
    }

    /// Checks every leaf under `path`; `onlyLeaves`, when given, restricts the check to those folders.
    public func check(_ path: URL, onlyLeaves: Set<String>? = nil) -> TaxonomyReport {
        let walker = TaxonomyWalker(path: path)
        var report = TaxonomyReport(root: walker.root, leaves: [], diagnostics: [], filesChecked: 0)
        guard FileManager.default.fileExists(atPath: path.path) else {
            report.diagnostics.append(Diagnostic(.error, at: SourceLocation(path: display(path)), rule: "missing-path",
                message: "no such file or folder", hint: "give the taxonomy folder (default: taxonomy) or a qna.yaml inside it"))
            return report
        }
        let listing = walker.walk(displayPath: display)
        report.diagnostics += listing.diagnostics
        let resolver = self.resolver(for: walker.root)
        for file in listing.leafFiles {
            let folder = walker.relativeFolder(of: file)
            if let onlyLeaves, !onlyLeaves.contains(folder) { continue }
            report.filesChecked += 1
            report.leafFolders.append(folder)
            let shown = display(file)
            let data: Data
            do {
                data = try read(file)
            } catch {
                report.diagnostics.append(error.diagnostic(path: shown))
                continue
            }
            report.fileHashes[folder] = ContentHash.sha256Hex(data)
            let outcome = QNAFile.check(data: data, displayPath: shown, relativeFolder: folder)
            report.diagnostics += outcome.diagnostics
            guard let leaf = outcome.leaf else { continue }
            var documents: [SourceDocument] = []
            if let reference = leaf.document {
                let resolution = resolver.resolve(reference)
                documents = resolution.documents
                for problem in resolution.problems {
                    let location = outcome.documentLocations[problem.field] ?? SourceLocation(path: shown)
                    report.diagnostics.append(Diagnostic(problem.severity, at: location, documentPath: problem.documentPath,
                                                         rule: "document", message: problem.message, hint: problem.hint))
                }
            }
            report.leaves.append(CheckedLeaf(leaf: leaf, documents: documents))
        }
        return report
    }

    /// Why a qna.yaml could not be read.
    enum ReadFailure: Error {
        case tooLarge(Int)
        case unreadable(String)

        func diagnostic(path: String) -> Diagnostic {
            switch self {
            case .tooLarge(let size):
                Diagnostic(.error, at: SourceLocation(path: path), rule: "file-size",
                           message: "file is \(size) bytes, over the \(QNAFile.maximumByteCount / 1_048_576) MiB limit for a qna.yaml",
                           hint: QNASource.sizeHint)
            case .unreadable(let reason):
                Diagnostic(.error, at: SourceLocation(path: path), rule: "unreadable",
                           message: "could not read the file: \(reason)", hint: "check that it is a file and readable")
            }
        }
    }

    /// Reads a leaf file, refusing oversized ones by their size before loading them.
    private func read(_ file: URL) throws(ReadFailure) -> Data {
        do {
            let size = (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.intValue ?? 0
            if size > QNAFile.maximumByteCount { throw ReadFailure.tooLarge(size) }
            return try Data(contentsOf: file)
        } catch let failure as ReadFailure {
            throw failure
        } catch {
            throw .unreadable(error.localizedDescription)
        }
    }

    /// The resolver for a taxonomy rooted at `root`.
    public func resolver(for root: URL) -> DocumentResolver {
        let project = projectRoot ?? root.deletingLastPathComponent()
        return DocumentResolver(projectRoot: project, documentsRoot: documentsRoot ?? project.appendingPathComponent("documents"),
                                cacheDirectory: cacheDirectory, allowFetch: allowFetch)
    }

    /// A path relative to the working directory when inside it, else absolute.
    public func display(_ url: URL) -> String {
        let path = url.standardizedFileURL.path
        let base = workingDirectory.path.hasSuffix("/") ? workingDirectory.path : workingDirectory.path + "/"
        return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path
    }
}
