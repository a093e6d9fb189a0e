import Foundation
@testable import LabCLI
import LabCore
import LabTestSupport
import Testing

/// A temporary project with a `taxonomy/` folder, for running the commands in-process.
private final class Project {
    let root: URL
    var taxonomy: URL { root.appendingPathComponent("taxonomy") }

    init() throws {
        root = try TestPaths.temporaryDirectory("cli")
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func write(_ relative: String, _ text: String) throws {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// A copy of the repository's sample taxonomy and documents.
    func copySample() throws {
        let source = TestPaths.repositoryRoot
        for folder in ["taxonomy", "documents"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(folder), to: root.appendingPathComponent(folder))
        }
    }

    func check(_ arguments: [String]) throws -> (result: TaxonomyCheckCommand.Result, log: [String]) {
        let command = try TaxonomyCheckCommand.parse(arguments)
        var log: [String] = []
        let result = try command.execute { log.append($0) }
        return (result, log)
    }
}

private let skill = """
    version: 3
    created_by: me
    task_description: Compute percent changes.
    seed_examples:
    \((0..<5).map { "  - question: What is change \($0)?\n    answer: It is \($0)%.\n" }.joined())
    """

/// The taxonomy commands, run in-process: parsed from arguments, executed, output and exit code checked.
@Suite struct TaxonomyCommands {
    @Test func theShippedSampleTaxonomyIsValid() throws {
        let command = try TaxonomyCheckCommand.parse([TestPaths.repositoryRoot.appendingPathComponent("taxonomy").path])
        let result = try command.execute { _ in }
        #expect(result.exitCode == 0, "\(result.output)")
        #expect(result.output == "checked 9 leaves: 0 errors, 0 warnings\n")
    }

    @Test func errorsExitWithStatusOneInEveryFormat() throws {
        let project = try Project()
        try project.write("taxonomy/compositional_skills/x/qna.yaml", "version: 3\ncreated_by: me\ntask_description: t\nseed_examples: []\n")
        try project.write("taxonomy/compositional_skills/y/qna.yaml", skill + "\n")
        let file = project.taxonomy.appendingPathComponent("compositional_skills/x/qna.yaml").path
        let other = project.taxonomy.appendingPathComponent("compositional_skills/y/qna.yaml").path

        let text = try project.check([project.taxonomy.path]).result
        #expect(text.exitCode == 1)
        #expect(text.output == """
            \(file):4:16: error: [.seed_examples] Value must have at least 5 items (hint: add 5 more seed examples)
            \(other):15:1: warning: too many blank lines at the end of the file (hint: delete the 1 blank line at the end)
            checked 2 leaves: 1 error, 1 warning

            """)
        let quiet = try project.check([project.taxonomy.path, "--quiet"]).result
        #expect(quiet.output == "\(file):4:16: error: [.seed_examples] Value must have at least 5 items (hint: add 5 more seed examples)\n")

        let json = try project.check([project.taxonomy.path, "--format", "json"]).result
        #expect(json.exitCode == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        #expect(object["leaves"] as? Int == 2)
        #expect(object["errors"] as? Int == 1)
        #expect(object["warnings"] as? Int == 1)
        let diagnostic = try #require((object["diagnostics"] as? [[String: Any]])?.first)
        #expect(diagnostic["path"] as? String == file)
        #expect(diagnostic["line"] as? Int == 4)
        #expect(diagnostic["column"] as? Int == 16)
        #expect(diagnostic["severity"] as? String == "error")
        #expect(diagnostic["yamlPath"] as? String == ".seed_examples")
        #expect(diagnostic["rule"] as? String == "min-items")
        #expect(diagnostic["message"] as? String == "Value must have at least 5 items")
        #expect(diagnostic["hint"] as? String == "add 5 more seed examples")

        let github = try project.check([project.taxonomy.path, "--format", "github"]).result
        #expect(github.exitCode == 1)
        #expect(github.output.hasPrefix("::error file=\(file),line=4,col=16::[.seed_examples] Value must have at least 5 items"))
        #expect(github.output.hasSuffix("checked 2 leaves: 1 error, 1 warning\n"))
    }

    @Test func changedInsideGitChecksOnlyTheChangedLeaves() throws {
        let project = try Project()
        try project.write("taxonomy/compositional_skills/a/qna.yaml", skill)
        try project.write("taxonomy/compositional_skills/b/qna.yaml", skill)
        for arguments in [["init", "--quiet", "-b", "main"], ["add", "."], ["commit", "--quiet", "-m", "start"]] {
            let git = Subprocess.run("git", ["-c", "user.name=t", "-c", "user.email=t@example.com"] + arguments, in: project.root)
            try #require(git.status == 0, "\(git.errorSummary)")
        }
        try project.write("taxonomy/compositional_skills/b/qna.yaml", skill.replacingOccurrences(of: "version: 3", with: "version: 9"))
        let (result, log) = try project.check([project.taxonomy.path, "--changed"])
        #expect(result.exitCode == 1)
        #expect(result.report.leafFolders == ["compositional_skills/b"])
        #expect(log.contains { $0.hasPrefix("1 of 2 leaves changed since ") }, "\(log)")
        #expect(result.output.contains("Version 9 is not supported for compositional skills."))
        let againstHead = try project.check([project.taxonomy.path, "--changed", "--base", "HEAD", "--format", "json"]).result
        let object = try #require(try JSONSerialization.jsonObject(with: Data(againstHead.output.utf8)) as? [String: Any])
        let changed = try #require(object["changed"] as? [String: Any])
        #expect(changed["basis"] as? String == "git HEAD")
        #expect(changed["leaves"] as? [String] == ["compositional_skills->b"])
    }

    @Test func changedWithoutGitUsesAStateFile() throws {
        let project = try Project()
        try project.copySample()
        let taxonomy = project.taxonomy.path

        let (first, firstLog) = try project.check([taxonomy, "--changed", "--update-state"])
        #expect(first.exitCode == 0, "\(first.output)")
        #expect(firstLog.first?.contains("not a git repository") == true, "\(firstLog)")
        #expect(firstLog.first?.hasSuffix("9 of 9 leaves changed") == true, "\(firstLog)")
        #expect(FileManager.default.fileExists(atPath: project.taxonomy.appendingPathComponent(".synthlab-state.json").path))

        let (second, secondLog) = try project.check([taxonomy, "--changed"])
        #expect(secondLog.first?.hasSuffix("0 of 9 leaves changed") == true, "\(secondLog)")
        #expect(second.output == "checked 0 leaves: 0 errors, 0 warnings\n")

        let document = project.root.appendingPathComponent("documents/finance/financial-ratios.md")
        try (try String(contentsOf: document, encoding: .utf8) + "\nA new paragraph.\n").write(to: document, atomically: true, encoding: .utf8)
        let third = try project.check([taxonomy, "--changed", "--format", "json"]).result
        let object = try #require(try JSONSerialization.jsonObject(with: Data(third.output.utf8)) as? [String: Any])
        #expect((object["changed"] as? [String: Any])?["leaves"] as? [String] == ["knowledge->finance->financial_ratios"])
        #expect(object["leaves"] as? Int == 1)
    }

    @Test func theTreeListsEveryLeafWithItsKindAndDocuments() throws {
        let project = try Project()
        try project.copySample()
        let json = try TaxonomyTreeCommand.parse([project.taxonomy.path, "--json"]).render()
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        #expect(rows.count == 9)
        let kinds = Dictionary(rows.map { ($0["leaf"] as? String ?? "", $0["kind"] as? String ?? "") }, uniquingKeysWith: { a, _ in a })
        #expect(kinds["knowledge->finance->financial_ratios"] == "knowledge")
        #expect(kinds["compositional_skills->finance->tables->extract_value"] == "grounded skill")
        #expect(kinds["compositional_skills->finance->arithmetic->cagr"] == "freeform skill")
        #expect(kinds["foundational_skills->reasoning->unit_scaling"] == "foundational skill")
        let knowledge = try #require(rows.first { $0["leaf"] as? String == "knowledge->finance->sec_filings->form_10k" })
        #expect(knowledge["documents"] as? [String] == ["documents/finance/form-10k-structure.md"])
        #expect((knowledge["documentWords"] as? Int ?? 0) > 1000)

        let table = try TaxonomyTreeCommand.parse([project.taxonomy.path]).render()
        let lines = table.split(separator: "\n")
        #expect(lines.first?.hasPrefix("LEAF") == true)
        #expect(lines.count == 11, "header, 9 leaves, totals:\n\(table)")
        let seeds = rows.reduce(0) { $0 + ($1["seeds"] as? Int ?? 0) }
        #expect(lines.last?.hasPrefix("total: 9 leaves") == true)
        #expect(lines.last?.split(separator: " ").contains(Substring(String(seeds))) == true, "\(lines.last ?? "")")
    }

    @Test func badInvocationsSayWhatIsWrong() throws {
        let missing = try TaxonomyCheckCommand.parse(["/no/such/folder"]).execute { _ in }
        #expect(missing.exitCode == 1)
        #expect(missing.output.hasPrefix("/no/such/folder: error: no such file or folder"))
        #expect(throws: (any Error).self) { try TaxonomyCheckCommand.parse(["--base", "main"]) }
        #expect(throws: (any Error).self) { try TaxonomyCheckCommand.parse(["--format", "xml"]) }
    }

    @Test func theBinaryExitsWithStatusOneOnErrors() throws {
        let project = try Project()
        try project.write("taxonomy/knowledge/x/qna.yaml", "- a list\n")
        let result = SynthlabBinary.run(["taxonomy", "check", "taxonomy"], in: project.root)
        #expect(result.status == 1)
        #expect(result.outputText.hasPrefix("taxonomy/knowledge/x/qna.yaml:1:1: error: The file is not valid."))
    }
}
