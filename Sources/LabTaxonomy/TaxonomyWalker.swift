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
        var state = WalkState()
        visit(scope, ancestors: [], state: &state, listing: &listing, displayPath: displayPath)
        // Folders reached through links come last, so a folder's real path gives it its identity.
        while !state.pendingLinks.isEmpty {
            let (link, ancestors) = state.pendingLinks.removeFirst()
            visit(link, ancestors: ancestors, state: &state, listing: &listing, displayPath: displayPath)
        }
        listing.leafFiles.sort { $0.path < $1.path }
        return listing
    }

    private struct WalkState {
        /// Real paths of the folders visited, so a folder reached twice through links counts once.
        var visited: Set<String> = []
        /// Links to folders, with the real paths of the folders above them, visited after the rest.
        var pendingLinks: [(URL, [String])] = []
    }

    /// Visits `folder` depth-first in name order. `ancestors` are the real paths of the folders
    /// on the way down, so a link back up is recognised as a loop.
    private func visit(_ folder: URL, ancestors: [String], state: inout WalkState, listing: inout Listing,
                       displayPath: (URL) -> String) {
        let real = folder.resolvingSymlinksInPath().path
        if ancestors.contains(real) {
            listing.diagnostics.append(Diagnostic(.warning, at: SourceLocation(path: displayPath(folder)), rule: "link-loop",
                message: "folder link leads back to a folder that contains it (a loop); not followed",
                hint: "remove the link or point it outside the taxonomy"))
            return
        }
        guard state.visited.insert(real).inserted else {
            listing.diagnostics.append(Diagnostic(.warning, at: SourceLocation(path: displayPath(folder)), rule: "link-duplicate",
                message: "folder link leads to a folder already checked under another path; not followed twice",
                hint: "remove the link: a leaf reached by two paths would get two identities"))
            return
        }
        let entries: [URL]
        do {
            entries = try FileManager.default.contentsOfDirectory(
                at: folder, includingPropertiesForKeys: [.isDirectoryKey], options: [.skipsHiddenFiles])
        } catch {
            listing.diagnostics.append(Diagnostic(.warning, at: SourceLocation(path: displayPath(folder)), rule: "unreadable-folder",
                message: "could not list the folder: \(error.localizedDescription)", hint: "check its permissions"))
            return
        }
        let below = ancestors + [real]
        for entry in entries.sorted(by: { $0.lastPathComponent < $1.lastPathComponent }) {
            var isDirectory: ObjCBool = false
            // fileExists follows links: a dangling link is neither file nor folder.
            guard FileManager.default.fileExists(atPath: entry.path, isDirectory: &isDirectory) else {
                listing.diagnostics.append(Diagnostic(.warning, at: SourceLocation(path: displayPath(entry)), rule: "dangling-link",
                    message: "link points to nothing", hint: "remove it or fix its target"))
                continue
            }
            if isDirectory.boolValue {
                let isLink = (try? entry.resourceValues(forKeys: [.isSymbolicLinkKey]).isSymbolicLink) ?? false
                if isLink {
                    state.pendingLinks.append((entry, below))
                } else {
                    visit(entry, ancestors: below, state: &state, listing: &listing, displayPath: displayPath)
                }
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
