public import Foundation
public import LabCore

/// Finds the qna.yaml leaves under a path, and the taxonomy root that gives them their identity.
public struct TaxonomyWalker: Sendable {
    /// The exact file name InstructLab reads.
    public static let leafFileName = "qna.yaml"

    /// The folder holding `knowledge/`, `compositional_skills/` or `foundational_skills/`.
    public var root: URL
    /// What was asked for: the root, a sub-folder, or one file.
    public var scope: URL

    /// Locates the taxonomy root for `path` by walking up to the nearest folder that holds one of
    /// the branch folders; when there is none, `path` itself (or its folder) is the root.
    public init(path: URL) {
        let scope = path.standardizedFileURL
        self.scope = scope
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: scope.path, isDirectory: &isDirectory)
        let start = exists && isDirectory.boolValue ? scope : scope.deletingLastPathComponent()
        var candidate = start
        var found: URL?
        while true {
            if TaxonomyBranch.allCases.contains(where: { branch in
                branch != .other && FileManager.default.fileExists(atPath: candidate.appendingPathComponent(branch.rawValue).path)
            }) {
                found = candidate
                break
            }
            let parent = candidate.deletingLastPathComponent()
            if parent.path == candidate.path { break }
            candidate = parent
        }
        self.root = found ?? start
    }

    /// What the walk found.
    public struct Listing: Sendable {
        /// qna.yaml files, sorted by path.
        public var leafFiles: [URL] = []
        /// Warnings about misnamed files and link loops.
        public var diagnostics: [Diagnostic] = []
    }

    /// Lists leaf files under `scope`. Links to folders are followed once; a loop is reported, never followed.
    public func walk(displayPath: (URL) -> String) -> Listing {
        var listing = Listing()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: scope.path, isDirectory: &isDirectory) else { return listing }
        if !isDirectory.boolValue {
            if scope.lastPathComponent != Self.leafFileName {
                listing.diagnostics.append(misnamed(scope, displayPath: displayPath))
            }
            listing.leafFiles = [scope]
            return listing
        }
        var visited: Set<String> = []
        visit(scope, visited: &visited, listing: &listing, displayPath: displayPath)
        listing.leafFiles.sort { $0.path < $1.path }
        return listing
    }

    private func visit(_ folder: URL, visited: inout Set<String>, listing: inout Listing, displayPath: (URL) -> String) {
        let real = folder.resolvingSymlinksInPath().path
        guard visited.insert(real).inserted else {
            listing.diagnostics.append(Diagnostic(.warning, at: SourceLocation(path: displayPath(folder)), rule: "link-loop",
                message: "folder link leads back to a folder already visited; not followed",
                hint: "remove the link or point it outside the taxonomy"))
            return
        }
        guard let entries = try? FileManager.default.contentsOfDirectory(
            at: folder, includingPropertiesForKeys: [.isDirectoryKey], options: [.skipsHiddenFiles]) else { return }
        for entry in entries.sorted(by: { $0.lastPathComponent < $1.lastPathComponent }) {
            var isDirectory: ObjCBool = false
            // fileExists follows links: a dangling link is neither file nor folder.
            guard FileManager.default.fileExists(atPath: entry.path, isDirectory: &isDirectory) else {
                listing.diagnostics.append(Diagnostic(.warning, at: SourceLocation(path: displayPath(entry)), rule: "dangling-link",
                    message: "link points to nothing", hint: "remove it or fix its target"))
                continue
            }
            if isDirectory.boolValue {
                visit(entry, visited: &visited, listing: &listing, displayPath: displayPath)
            } else if entry.lastPathComponent == Self.leafFileName {
                listing.leafFiles.append(entry)
            } else if Self.looksLikeMisnamedLeaf(entry.lastPathComponent) {
                listing.diagnostics.append(misnamed(entry, displayPath: displayPath))
            }
        }
    }

    /// `qna.yml`, `QNA.yaml`, `qna.yaml.txt` and the like: files a curator meant as a leaf.
    static func looksLikeMisnamedLeaf(_ name: String) -> Bool {
        let lower = name.lowercased()
        guard name != leafFileName else { return false }
        return lower == "qna.yml" || lower == "qna.yaml" || lower.hasPrefix("qna.yaml.") || lower.hasPrefix("qna.yml.")
            || lower == "qna_yaml" || lower == "qna.yaml~"
    }

    private func misnamed(_ url: URL, displayPath: (URL) -> String) -> Diagnostic {
        Diagnostic(.warning, at: SourceLocation(path: displayPath(url)), rule: "misnamed-file",
                   message: "'\(url.lastPathComponent)' is not read as a leaf: the file must be named exactly '\(Self.leafFileName)'",
                   hint: "rename it to \(Self.leafFileName) (InstructLab ignores it silently)")
    }

    /// The leaf folder of a qna.yaml relative to the root, `/`-separated.
    public func relativeFolder(of file: URL) -> String {
        let folder = file.deletingLastPathComponent().standardizedFileURL.path
        let base = root.path.hasSuffix("/") ? root.path : root.path + "/"
        if folder == root.path { return "" }
        return folder.hasPrefix(base) ? String(folder.dropFirst(base.count)) : file.deletingLastPathComponent().lastPathComponent
    }
}
