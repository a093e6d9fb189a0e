import ArgumentParser
import Foundation
import LabCore
import LabTaxonomy

struct TaxonomyCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate qna.yaml files against InstructLab's schema and resolve their documents.",
        discussion: """
            Reports every problem of every file as path:line:column with the YAML path and a hint, \
            and exits with status 1 when there is any error. Warnings (soft limits, trailing \
            spaces, tabs, misnamed files) do not fail the check.

            --changed limits the check to leaves changed since a git ref (untracked files plus the \
            diff to the working tree). Outside a git repository it compares with a state file of \
            leaf fingerprints (default: .synthlab-state.json in the taxonomy root) that \
            --update-state records.

            Examples:
              synthlab taxonomy check
              synthlab taxonomy check taxonomy/knowledge/finance
              synthlab taxonomy check taxonomy/compositional_skills/finance/cagr/qna.yaml
              synthlab taxonomy check --changed --base origin/main --format github
              synthlab taxonomy check --changed --update-state   # no git: "what changed since last time"
              synthlab taxonomy check --fix      # remove trailing spaces, fix line endings, then check
            """
    )

    @Argument(help: "A taxonomy folder, a sub-folder, or one qna.yaml.")
    var path = "taxonomy"

    @Flag(help: "Check only leaves changed since --base (git) or since the state file was recorded.")
    var changed = false

    @Option(help: "The git ref to compare with (default: merge-base with origin/main, else main, else HEAD).")
    var base: String?

    @Option(help: ArgumentHelp("Compare with this state file instead of git.", valueName: "file"))
    var state: String?

    @Flag(help: "Record the current leaf fingerprints in the state file after checking.")
    var updateState = false

    @Option(help: "Output format: text, json or github (workflow annotations).")
    var format: OutputFormat = .text

    @Flag(help: "Print only errors (text format).")
    var quiet = false

    @Flag(help: "First fix trailing spaces, CRLF line endings and the final newline in the files checked.")
    var fix = false

    @OptionGroup var documents: DocumentOptions

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json, github
    }

    func validate() throws {
        if base != nil && !changed { throw ValidationError("--base needs --changed") }
        if base != nil && state != nil { throw ValidationError("--base compares with git and --state with a state file; pick one") }
    }

    func run() async throws {
        let target = URL(fileURLWithPath: path)
        if fix { try fixFiles(under: target) }
        let checker = TaxonomyChecker(
            documentsRoot: documents.documentsRoot.map { URL(fileURLWithPath: $0) },
            allowFetch: documents.fetchDocuments)
        let full = checker.check(target)
        var report = full
        var changedSummary: ChangedSummary?
        if changed {
            let selection = try changedSelection(full: full, target: target, checker: checker)
            changedSummary = selection.summary
            report = checker.check(target, onlyLeaves: selection.folders)
            StandardError.write(selection.summary.message + "\n")
        }
        if updateState {
            let file = stateFile(root: full.root)
            if full.errorCount > 0 {
                StandardError.write("synthlab: state not recorded: fix the errors first, so an invalid leaf is not marked as seen\n")
            } else {
                try ChangedLeaves.recordState(full.leaves, to: file)
                StandardError.write("synthlab: recorded \(full.leaves.count) leaf fingerprints in \(checker.display(file))\n")
            }
        }
        switch format {
        case .text: print(TaxonomyOutput.text(report, quiet: quiet), terminator: "")
        case .json: print(TaxonomyOutput.json(report, changed: changedSummary))
        case .github: print(TaxonomyOutput.github(report), terminator: "")
        }
        if report.errorCount > 0 { throw ExitCode(1) }
    }

    /// Rewrites leaf files whose text `TextLint.fixed` changes, atomically, and says which.
    private func fixFiles(under target: URL) throws {
        let walker = TaxonomyWalker(path: target)
        let display = TaxonomyChecker().display
        var fixedCount = 0
        for file in walker.walk(displayPath: display).leafFiles {
            guard let data = try? Data(contentsOf: file), let text = String(data: data, encoding: .utf8) else { continue }
            let repaired = TextLint.fixed(text)
            guard repaired != text else { continue }
            do {
                try Data(repaired.utf8).write(to: file, options: .atomic)
            } catch {
                throw CLIError("could not write \(display(file)): \(error.localizedDescription)", hint: "check the file's permissions")
            }
            fixedCount += 1
            StandardError.write("fixed \(display(file))\n")
        }
        StandardError.write("synthlab: fixed \(fixedCount) file\(fixedCount == 1 ? "" : "s")\n")
    }

    private func stateFile(root: URL) -> URL {
        state.map { URL(fileURLWithPath: $0) } ?? root.appendingPathComponent(".synthlab-state.json")
    }

    private func changedSelection(full: TaxonomyReport, target: URL, checker: TaxonomyChecker) throws -> (folders: Set<String>, summary: ChangedSummary) {
        let walker = TaxonomyWalker(path: target)
        let allFolders = Set(walker.walk(displayPath: checker.display).leafFiles.map(walker.relativeFolder))
        let invalid = allFolders.subtracting(full.leaves.map(\.leaf.relativePath))
        if state == nil, let topLevel = ChangedLeaves.gitTopLevel(of: full.root) {
            let baseRef = base ?? ChangedLeaves.defaultBase(in: topLevel)
            let files: Set<String>
            do { files = try ChangedLeaves.gitChangedFiles(topLevel: topLevel, base: baseRef) } catch { throw CLIError(error.description) }
            let projectRoot = full.root.deletingLastPathComponent()
            var folders = ChangedLeaves.changedFolders(full.leaves, root: full.root, projectRoot: projectRoot, changedFiles: files)
            for folder in invalid {
                let prefix = full.root.appendingPathComponent(folder).standardizedFileURL.path + "/"
                if files.contains(where: { $0.hasPrefix(prefix) }) { folders.insert(folder) }
            }
            return (folders, ChangedSummary(basis: "git \(baseRef)", folders: folders.sorted(),
                                            message: "synthlab: \(folders.count) of \(allFolders.count) leaves changed since \(baseRef)"))
        }
        if base != nil { throw CLIError("--base needs a git repository, and \(checker.display(full.root)) is not in one",
                                        hint: "drop --base to compare with the state file instead") }
        let file = stateFile(root: full.root)
        let result: ChangedLeaves.Result
        do { result = try ChangedLeaves.stateChanges(full.leaves, stateFile: file) } catch { throw CLIError(error.description) }
        let folders = result.changedFolders.union(invalid)
        var message = "synthlab: not a git repository; comparing with \(checker.display(file))"
        if case .stateFile(_, let existed) = result.basis, !existed {
            message += " (not recorded yet: every leaf counts as changed; add --update-state to record)"
        }
        message += ": \(folders.count) of \(allFolders.count) leaves changed"
        return (folders, ChangedSummary(basis: "state \(checker.display(file))", folders: folders.sorted(), message: message))
    }
}

/// What `--changed` selected, for the JSON output.
struct ChangedSummary {
    var basis: String
    var folders: [String]
    var message: String
}
