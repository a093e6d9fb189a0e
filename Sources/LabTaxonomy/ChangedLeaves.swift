public import Foundation
import LabCore
public import LabDocuments

/// Which leaves changed: against a git ref when the taxonomy is in a git repository, otherwise
/// against a state file of leaf fingerprints written by an earlier run.
public enum ChangedLeaves {
    /// How the comparison was made, for the message the user sees.
    public enum Basis: Sendable, Equatable {
        /// Untracked files plus `git diff` between this ref and the working tree.
        case git(base: String)
        /// Fingerprints recorded in this file (absent on a first run: every leaf counts as new).
        case stateFile(URL, existed: Bool)
    }

    /// Which leaves changed, and against what.
    public struct Result: Sendable {
        public var basis: Basis
        /// Leaf folders (relative to the taxonomy root) that changed.
        public var changedFolders: Set<String>

        /// One line for people: how many leaves changed and what they were compared with.
        public func summary(of total: Int, display: (URL) -> String) -> String {
            switch basis {
            case .git(let base):
                return "\(changedFolders.count) of \(total) leaves changed since \(base)"
            case .stateFile(let file, let existed):
                var text = "not a git repository (or --state given): comparing leaf content hashes with \(display(file))"
                if !existed { text += " (not recorded yet: every leaf counts as new; add --update-state to record)" }
                return text + ": \(changedFolders.count) of \(total) leaves changed"
            }
        }
    }

    /// Finds the changed leaves of a checked taxonomy: with git when the root is inside a work
    /// tree and no state file is asked for, else with the state file (default
    /// `<root>/.synthlab-state.json`).
    /// - Parameter base: the git ref to compare with; nil for InstructLab's default (`defaultBase`).
    public static func find(in report: TaxonomyReport, base: String?, stateFile: URL?) throws(Failure) -> Result {
        let root = report.root
        if stateFile == nil, let topLevel = gitTopLevel(of: root) {
            let ref = base ?? defaultBase(in: topLevel)
            let files = try gitChangedFiles(topLevel: topLevel, base: ref)
            let projectRoot = root.deletingLastPathComponent()
            let documents = Dictionary(report.leaves.map { ($0.leaf.relativePath, $0.documents) }, uniquingKeysWith: { first, _ in first })
            let changed = changedFolders(report.leafFolders, documents: documents, root: root, projectRoot: projectRoot, changedFiles: files)
            return Result(basis: .git(base: ref ?? "an empty repository"), changedFolders: changed)
        }
        if let base { throw .notARepository(root, base: base) }
        let file = stateFile ?? defaultStateFile(root: root)
        return try stateChanges(report, stateFile: file)
    }

    /// `<taxonomy root>/.synthlab-state.json`.
    public static func defaultStateFile(root: URL) -> URL {
        root.appendingPathComponent(".synthlab-state.json")
    }

    /// Why changed leaves could not be determined.
    public enum Failure: Error, CustomStringConvertible {
        case unknownBase(String, detail: String)
        case unreadableState(URL, detail: String)
        case notARepository(URL, base: String)

        /// What went wrong.
        public var message: String {
            switch self {
            case let .unknownBase(base, detail): "git does not know the ref '\(base)'\(detail.isEmpty ? "" : ": \(detail)")"
            case let .unreadableState(url, detail): "the state file \(url.path) could not be read: \(detail)"
            case let .notARepository(root, base): "--base \(base) needs a git repository, and \(root.path) is not in one"
            }
        }

        /// What to do about it.
        public var hint: String {
            switch self {
            case .unknownBase: "pass an existing branch, tag or commit with --base"
            case .unreadableState: "delete it and run with --update-state to record the current leaves"
            case .notARepository: "drop --base to compare leaf content hashes with the state file instead"
            }
        }

        public var description: String { "\(message) (hint: \(hint))" }
    }

    /// The top folder of the git work tree holding `folder`, or nil when it isn't in one (or git is missing).
    public static func gitTopLevel(of folder: URL) -> URL? {
        let result = Subprocess.run("git", ["-C", folder.path, "rev-parse", "--show-toplevel"])
        guard result.status == 0 else { return nil }
        let path = result.outputText.trimmingCharacters(in: .whitespacesAndNewlines)
        return path.isEmpty ? nil : URL(fileURLWithPath: path, isDirectory: true)
    }

    /// The ref InstructLab compares with: the merge-base with `origin/main` if there is one, else
    /// with `main`, else `HEAD`; nil in a repository without commits (everything is new there).
    public static func defaultBase(in topLevel: URL) -> String? {
        for candidate in ["origin/main", "main"] {
            let merge = Subprocess.run("git", ["-C", topLevel.path, "merge-base", candidate, "HEAD"])
            if merge.status == 0 { return merge.outputText.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        let head = Subprocess.run("git", ["-C", topLevel.path, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"])
        return head.status == 0 ? "HEAD" : nil
    }

    /// Files (absolute paths) changed between `base` and the working tree, plus untracked files;
    /// with no base (no commits yet), every file in the work tree.
    public static func gitChangedFiles(topLevel: URL, base: String?) throws(Failure) -> Set<String> {
        let outputs: [Data]
        if let base {
            let verify = Subprocess.run("git", ["-C", topLevel.path, "rev-parse", "--verify", "--quiet", base + "^{commit}"])
            guard verify.status == 0 else { throw .unknownBase(base, detail: verify.errorSummary) }
            let diff = Subprocess.run("git", ["-C", topLevel.path, "diff", "--name-only", "-z", base, "--"])
            let untracked = Subprocess.run("git", ["-C", topLevel.path, "ls-files", "--others", "--exclude-standard", "-z"])
            outputs = [diff.output, untracked.output]
        } else {
            let all = Subprocess.run("git", ["-C", topLevel.path, "ls-files", "--cached", "--others", "--exclude-standard", "-z"])
            outputs = [all.output]
        }
        var files: Set<String> = []
        for output in outputs {
            for name in output.split(separator: 0) where !name.isEmpty {
                files.insert(topLevel.appendingPathComponent(String(decoding: name, as: UTF8.self)).standardizedFileURL.path)
            }
        }
        return files
    }

    /// Leaf folders holding a changed file (in the folder itself, not in a nested leaf), or
    /// whose local documents changed.
    public static func changedFolders(_ folders: [String], documents: [String: [SourceDocument]], root: URL, projectRoot: URL,
                                      changedFiles: Set<String>) -> Set<String> {
        // git prints real paths; the root may have been given through a link.
        let realRoot = root.resolvingSymlinksInPath()
        let realProject = projectRoot.resolvingSymlinksInPath()
        let realFiles = Set(changedFiles.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path })
        let leafPaths = Set(folders.map { realRoot.appendingPathComponent($0).standardizedFileURL.path })
        var changed: Set<String> = []
        for folder in folders {
            let leafPath = realRoot.appendingPathComponent(folder).standardizedFileURL.path
            let ownsFile = realFiles.contains { file in
                var parent = URL(fileURLWithPath: file).deletingLastPathComponent().path
                // The nearest leaf folder above the file owns it.
                while !leafPaths.contains(parent), parent.count > realRoot.path.count {
                    parent = URL(fileURLWithPath: parent).deletingLastPathComponent().path
                }
                return parent == leafPath
            }
            let documentPaths = (documents[folder] ?? []).map { realProject.appendingPathComponent($0.path).standardizedFileURL.path }
            if ownsFile || documentPaths.contains(where: realFiles.contains) {
                changed.insert(folder)
            }
        }
        return changed
    }

    // MARK: State file

    /// Each leaf's fingerprint keyed by its taxonomy path (`knowledge->finance->ratios`): the
    /// SHA-256 of its qna.yaml, combined with its documents' content hashes when it has any.
    /// Leaves with errors are fingerprinted by their file alone, so they are tracked too.
    public static func fingerprints(_ report: TaxonomyReport) -> [String: String] {
        let documents = Dictionary(report.leaves.map { ($0.leaf.relativePath, $0.documents) }, uniquingKeysWith: { first, _ in first })
        var result: [String: String] = [:]
        for folder in report.leafFolders {
            guard let fileHash = report.fileHashes[folder] else { continue }
            let documentHashes = (documents[folder] ?? []).map(\.contentHash).sorted()
            result[Leaf.taxonomyPath(forRelativeFolder: folder)] = documentHashes.isEmpty
                ? fileHash : ContentHash.sha256Hex(([fileHash] + documentHashes).joined(separator: "\n"))
        }
        return result
    }

    /// Leaves whose fingerprint differs from the state file's, or that it does not list; every
    /// leaf when the file does not exist yet.
    public static func stateChanges(_ report: TaxonomyReport, stateFile: URL) throws(Failure) -> Result {
        guard FileManager.default.fileExists(atPath: stateFile.path) else {
            return Result(basis: .stateFile(stateFile, existed: false), changedFolders: Set(report.leafFolders))
        }
        let recorded: [String: String]
        do {
            recorded = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: stateFile))
        } catch {
            throw .unreadableState(stateFile, detail: "it is not a JSON object of leaf paths to hashes (\(error))")
        }
        let current = fingerprints(report)
        let changed = report.leafFolders.filter { folder in
            let key = Leaf.taxonomyPath(forRelativeFolder: folder)
            return current[key] == nil || recorded[key] != current[key]
        }
        return Result(basis: .stateFile(stateFile, existed: true), changedFolders: Set(changed))
    }

    /// Records the current fingerprints, written atomically so an interrupted write never leaves half a file.
    /// Leaves outside `report` (another sub-tree checked earlier) keep their recorded values.
    public static func recordState(_ report: TaxonomyReport, to stateFile: URL) throws {
        var state = (try? JSONDecoder().decode([String: String].self, from: Data(contentsOf: stateFile))) ?? [:]
        state.merge(fingerprints(report)) { _, new in new }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(state).write(to: stateFile, options: .atomic)
    }
}
