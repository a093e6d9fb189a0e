import Foundation

/// Resolves a local `document` reference: a folder relative to the project root that must stay
/// inside the documents root, with glob patterns relative to that folder.
struct LocalDocumentSource {
    /// Absolute, lexically normalised project root.
    let projectRoot: String
    /// Absolute, lexically normalised documents root.
    let documentsRoot: String
    /// Listings already made by this resolver.
    let listings: FolderListingCache

    /// A listing of a folder, following symlinks that stay inside the documents root.
    struct Tree: Sendable {
        /// Regular files, relative to the folder.
        var files: [String] = []
        /// Sub-folders, relative to the folder.
        var directories: [String] = []
        /// Symlinks that resolve outside the documents root (or dangle), with what they point to.
        var escapes: [Escape] = []

        /// A symlink that leaves the documents root.
        struct Escape: Sendable {
            var path: String
            var target: String
            var isDirectory: Bool
        }
    }

    func resolve(_ reference: DocumentReference) -> DocumentResolution {
        var resolution = DocumentResolution()
        guard let folder = locateFolder(reference.repo, problems: &resolution.problems) else { return resolution }
        let shownFolder = display(folder.lexical)
        let tree = listings.tree(of: folder.real) { walk(folder.real) }

        var firstPattern: [String: Int] = [:]
        for (index, source) in reference.patterns.enumerated() {
            let pattern: GlobPattern
            do {
                pattern = try GlobPattern(source)
            } catch {
                resolution.problems.append(.init(field: .pattern(index), message: error.message, hint: error.hint))
                continue
            }
            let matched = tree.files.filter(pattern.matches)
            let escaped = tree.escapes.filter { pattern.matches($0.path) || ($0.isDirectory && pattern.reachesBelow($0.path)) }
            for escape in escaped {
                resolution.problems.append(.init(
                    field: .pattern(index),
                    message: "\(shownFolder)/\(escape.path) is a symlink to \(escape.target), outside the documents root \(display(documentsRoot))",
                    hint: "replace the symlink with the document itself, or move its target under \(display(documentsRoot))"))
            }
            if matched.isEmpty && escaped.isEmpty {
                resolution.problems.append(.init(
                    field: .pattern(index),
                    message: "pattern '\(source)' matches no file under \(shownFolder)",
                    hint: noMatchHint(pattern, tree: tree, folder: shownFolder)))
            }
            for file in matched where firstPattern[file] == nil { firstPattern[file] = index }
        }

        let files = firstPattern.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for file in files {
            let displayPath = shownFolder == "." ? file : "\(shownFolder)/\(file)"
            let url = URL(fileURLWithPath: folder.real + "/" + file)
            do {
                resolution.documents.append(try DocumentLoader.load(fileAt: url, displayPath: displayPath))
            } catch {
                resolution.problems.append(.init(
                    field: .pattern(firstPattern[file] ?? 0),
                    message: "\(error.location): \(error.message)", hint: error.hint))
            }
        }
        return resolution
    }

    /// The repo folder, checked: relative, inside the documents root (also after resolving
    /// symlinks), existing, and a folder. Appends a `.repo` problem and returns nil otherwise.
    private func locateFolder(_ repo: String, problems: inout [DocumentProblem]) -> (lexical: String, real: String)? {
        func fail(_ message: String, _ hint: String) -> (lexical: String, real: String)? {
            problems.append(.init(field: .repo, message: message, hint: hint))
            return nil
        }
        let root = display(documentsRoot)
        if repo.trimmingCharacters(in: .whitespaces).isEmpty {
            return fail("repo is empty", "set repo to a folder under \(root), e.g. \(root)/finance")
        }
        if repo.hasPrefix("/") || repo.hasPrefix("~") {
            return fail(
                "repo '\(repo)' is an absolute path; local documents are given relative to the project root",
                "write it relative to \(projectRoot), e.g. \(root)/finance")
        }
        let lexical = FilePaths.lexicallyJoined(projectRoot, repo)
        guard FilePaths.isInside(lexical, root: documentsRoot) else {
            return fail(
                "repo '\(repo)' resolves to \(display(lexical)), outside the documents root \(root)",
                "keep knowledge documents under \(root) (or point --documents at the folder that holds them)")
        }
        guard let realRoot = FilePaths.realPath(documentsRoot) else {
            return fail("the documents root \(root) does not exist", "create \(root) and put the documents there, or pass --documents DIR")
        }
        guard let real = FilePaths.realPath(lexical) else {
            return fail(
                "repo folder \(display(lexical)) does not exist",
                "create it, or fix repo; it is relative to the project root \(projectRoot)")
        }
        guard FilePaths.isInside(real, root: realRoot) else {
            return fail(
                "repo '\(repo)' goes through a symlink to \(real), outside the documents root \(root)",
                "replace the symlink with the documents themselves, or move them under \(root)")
        }
        guard FilePaths.kind(atPath: real) == .directory else {
            return fail(
                "repo '\(repo)' is a file, not a folder",
                "set repo to the folder holding it and name the file in patterns")
        }
        return (lexical, real)
    }

    /// Lists `folder` recursively. Hidden `.git` folders are skipped; symlinks are followed only
    /// when they resolve inside the documents root, and each real folder is visited once.
    func walk(_ folder: String) -> Tree {
        var tree = Tree()
        let realRoot = FilePaths.realPath(documentsRoot) ?? documentsRoot
        var visited: Set<String> = [folder]
        var pending: [(real: String, relative: String)] = [(folder, "")]
        while let (real, relative) = pending.popLast() {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: real)) ?? []
            for name in names.sorted() where name != ".git" {
                let path = real + "/" + name
                let shown = relative.isEmpty ? name : relative + "/" + name
                var kind = FilePaths.kind(atPath: path)
                var target = path
                if kind == .symlink {
                    guard let resolved = FilePaths.realPath(path) else {
                        let dangling = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
                        tree.escapes.append(.init(path: shown, target: "\(dangling) (which does not exist)", isDirectory: false))
                        continue
                    }
                    let resolvedKind = FilePaths.kind(atPath: resolved)
                    guard FilePaths.isInside(resolved, root: realRoot) else {
                        tree.escapes.append(.init(path: shown, target: resolved, isDirectory: resolvedKind == .directory))
                        continue
                    }
                    kind = resolvedKind
                    target = resolved
                }
                switch kind {
                case .file:
                    tree.files.append(shown)
                case .directory:
                    tree.directories.append(shown)
                    let key = FilePaths.realPath(target) ?? target
                    if visited.insert(key).inserted { pending.append((target, shown)) }
                default:
                    continue
                }
            }
        }
        return tree
    }

    private func noMatchHint(_ pattern: GlobPattern, tree: Tree, folder: String) -> String {
        if let directory = tree.directories.first(where: pattern.matches) {
            return "'\(directory)' is a folder; match the files in it, e.g. '\(directory)/*.md' or '\(directory)/**/*.md'"
        }
        if tree.files.isEmpty {
            return "\(folder) holds no files; add the documents there or fix repo"
        }
        let sample = tree.files.sorted().prefix(5).joined(separator: ", ")
        let more = tree.files.count > 5 ? ", …" : ""
        return "patterns are relative to \(folder), which holds: \(sample)\(more)"
    }

    /// A path for messages: relative to the project root when inside it.
    private func display(_ path: String) -> String {
        FilePaths.relative(path, to: projectRoot)
    }
}

/// Remembers folder listings for the lifetime of one resolver (and its copies).
final class FolderListingCache: @unchecked Sendable {
    // Guarded by `lock`; the class is shared between copies of a `Sendable` resolver.
    private let lock = NSLock()
    private var trees: [String: LocalDocumentSource.Tree] = [:]

    func tree(of folder: String, list: () -> LocalDocumentSource.Tree) -> LocalDocumentSource.Tree {
        if let cached = lock.withLock({ trees[folder] }) { return cached }
        let tree = list()
        lock.withLock { trees[folder] = tree }
        return tree
    }
}
