public import Foundation
import LabCore

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

    public struct Result: Sendable {
        public var basis: Basis
        /// Leaf folders (relative to the taxonomy root) that changed.
        public var changedFolders: Set<String>
    }

    public enum Failure: Error, CustomStringConvertible {
        case unknownBase(String, detail: String)
        case unreadableState(URL, detail: String)

        public var description: String {
            switch self {
            case let .unknownBase(base, detail): "git does not know the ref '\(base)': \(detail) (hint: pass an existing branch, tag or commit with --base)"
            case let .unreadableState(url, detail): "the state file \(url.path) could not be read: \(detail) (hint: delete it to start afresh)"
            }
        }
    }

    /// The top folder of the git work tree holding `folder`, or nil when it isn't in one (or git is missing).
    public static func gitTopLevel(of folder: URL) -> URL? {
        let result = Subprocess.run("git", ["-C", folder.path, "rev-parse", "--show-toplevel"])
        guard result.status == 0 else { return nil }
        let path = result.outputText.trimmingCharacters(in: .whitespacesAndNewlines)
        return path.isEmpty ? nil : URL(fileURLWithPath: path, isDirectory: true)
    }

    /// The ref InstructLab compares with: the merge-base with `origin/main` if there is one, else
    /// `main`, else `HEAD`.
    public static func defaultBase(in topLevel: URL) -> String {
        for candidate in ["origin/main", "main"] {
            let merge = Subprocess.run("git", ["-C", topLevel.path, "merge-base", candidate, "HEAD"])
            if merge.status == 0 { return merge.outputText.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        return "HEAD"
    }

    /// Files (absolute paths) changed between `base` and the working tree, plus untracked files.
    public static func gitChangedFiles(topLevel: URL, base: String) throws(Failure) -> Set<String> {
        let verify = Subprocess.run("git", ["-C", topLevel.path, "rev-parse", "--verify", "--quiet", base + "^{commit}"])
        guard verify.status == 0 else { throw .unknownBase(base, detail: verify.errorSummary) }
        let diff = Subprocess.run("git", ["-C", topLevel.path, "diff", "--name-only", "-z", base])
        let untracked = Subprocess.run("git", ["-C", topLevel.path, "ls-files", "--others", "--exclude-standard", "-z"])
        var files: Set<String> = []
        for output in [diff.output, untracked.output] {
            for name in output.split(separator: 0) where !name.isEmpty {
                files.insert(topLevel.appendingPathComponent(String(decoding: name, as: UTF8.self)).standardizedFileURL.path)
            }
        }
        return files
    }

    /// Leaves whose folder holds a changed file, or whose local documents changed.
    public static func changedFolders(_ leaves: [CheckedLeaf], root: URL, projectRoot: URL, changedFiles: Set<String>) -> Set<String> {
        var changed: Set<String> = []
        for checked in leaves {
            let folder = root.appendingPathComponent(checked.leaf.relativePath).standardizedFileURL.path + "/"
            let documentPaths = checked.documents.map { projectRoot.appendingPathComponent($0.path).standardizedFileURL.path }
            if changedFiles.contains(where: { $0.hasPrefix(folder) }) || documentPaths.contains(where: changedFiles.contains) {
                changed.insert(checked.leaf.relativePath)
            }
        }
        return changed
    }

    // MARK: State file

    /// What a leaf's fingerprint covers: its qna.yaml and the content of its documents.
    public static func fingerprint(_ checked: CheckedLeaf) -> String {
        ContentHash.sha256Hex(([checked.leaf.contentHash] + checked.documents.map(\.contentHash).sorted()).joined(separator: "\n"))
    }

    struct StateFile: Codable {
        var version = 1
        /// Leaf folder → fingerprint.
        var leaves: [String: String]
    }

    public static func stateChanges(_ leaves: [CheckedLeaf], stateFile: URL) throws(Failure) -> Result {
        guard FileManager.default.fileExists(atPath: stateFile.path) else {
            return Result(basis: .stateFile(stateFile, existed: false), changedFolders: Set(leaves.map(\.leaf.relativePath)))
        }
        let state: StateFile
        do {
            state = try JSONDecoder().decode(StateFile.self, from: Data(contentsOf: stateFile))
        } catch {
            throw .unreadableState(stateFile, detail: "\(error)")
        }
        let changed = leaves.filter { state.leaves[$0.leaf.relativePath] != fingerprint($0) }.map(\.leaf.relativePath)
        return Result(basis: .stateFile(stateFile, existed: true), changedFolders: Set(changed))
    }

    /// Records the current fingerprints, written atomically so an interrupted write never leaves half a file.
    public static func recordState(_ leaves: [CheckedLeaf], to stateFile: URL) throws {
        let state = StateFile(leaves: Dictionary(leaves.map { ($0.leaf.relativePath, fingerprint($0)) }, uniquingKeysWith: { a, _ in a }))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(state).write(to: stateFile, options: .atomic)
    }
}
