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
            diff to the working tree; a leaf changed when a file in its folder or a local document \
            it cites changed). Outside a git repository, or with --state, it compares leaf content \
            hashes with a state file (default: .synthlab-state.json in the taxonomy root, a JSON \
            object of leaf path to hash) that --update-state records.

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

    @Option(help: "The git ref to compare the working tree with (default: the merge-base with origin/main, else with main, else HEAD).")
    var base: String?

    @Option(help: ArgumentHelp("Compare with this state file instead of git.", valueName: "file"))
    var state: String?

    @Flag(help: "Record the current leaf hashes in the state file (default: .synthlab-state.json in the taxonomy root).")
    var updateState = false

    @Option(help: "Output format: text, json or github (workflow annotations).")
    var format: OutputFormat = .text

    @Flag(help: "Print only errors: no warnings and no summary line (text format).")
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
        let result = try execute(log: { StandardError.write("synthlab: \($0)\n") })
        print(result.output, terminator: "")
        if result.report.errorCount > 0 { throw ExitCode.failure }
    }

    /// What a check produced: the report (of the changed leaves with `--changed`) and the text to print.
    struct Result {
        var report: TaxonomyReport
        var changed: ChangedLeaves.Result?
        var output: String
        /// The process exit status: 1 when any error was found.
        var exitCode: Int32 { report.errorCount > 0 ? 1 : 0 }
    }

    /// Runs the check without printing, so tests can inspect the output; `log` gets progress notes.
    func execute(log: (String) -> Void) throws -> Result {
        let target = URL(fileURLWithPath: path)
        let checker = TaxonomyChecker(
            documentsRoot: documents.documentsRoot.map { URL(fileURLWithPath: $0) },
            allowFetch: documents.fetchDocuments)
        if fix { try fixFiles(under: target, checker: checker, log: log) }
        let full = checker.check(target)
        var report = full
        var changedLeaves: ChangedLeaves.Result?
        let stateFile = state.map { URL(fileURLWithPath: $0) }
        if changed, !full.leafFolders.isEmpty {
            let result: ChangedLeaves.Result
            do {
                result = try ChangedLeaves.find(in: full, base: base, stateFile: stateFile)
            } catch {
                throw CLIError(error.message, hint: error.hint)
            }
            changedLeaves = result
            report = checker.check(target, onlyLeaves: result.changedFolders)
            log(result.summary(of: full.leafFolders.count, display: checker.display))
        }
        if updateState {
            let file = stateFile ?? ChangedLeaves.defaultStateFile(root: full.root)
            do {
                try ChangedLeaves.recordState(full, to: file)
            } catch {
                throw CLIError("could not write the state file \(checker.display(file)): \(error.localizedDescription)",
                               hint: "check that its folder exists and is writable, or pass another file with --state")
            }
            log("recorded \(full.leafFolders.count) leaf hashes in \(checker.display(file))")
        }
        let output = switch format {
        case .text: TaxonomyOutput.text(report, quiet: quiet)
        case .json: TaxonomyOutput.json(report, changed: changedLeaves) + "\n"
        case .github: TaxonomyOutput.github(report)
        }
        return Result(report: report, changed: changedLeaves, output: output)
    }

    /// Rewrites leaf files whose text `TextLint.fixed` changes, atomically, and says which.
    private func fixFiles(under target: URL, checker: TaxonomyChecker, log: (String) -> Void) throws {
        let walker = TaxonomyWalker(path: target)
        var fixedCount = 0
        for file in walker.walk(displayPath: checker.display).leafFiles {
            guard let data = try? Data(contentsOf: file), let text = String(data: data, encoding: .utf8) else { continue }
            let repaired = TextLint.fixed(text)
            guard repaired != text else { continue }
            do {
                try Data(repaired.utf8).write(to: file, options: .atomic)
            } catch {
                throw CLIError("could not write \(checker.display(file)): \(error.localizedDescription)", hint: "check the file's permissions")
            }
            fixedCount += 1
            log("fixed \(checker.display(file))")
        }
        log("fixed \(fixedCount) file\(fixedCount == 1 ? "" : "s")")
    }
}
