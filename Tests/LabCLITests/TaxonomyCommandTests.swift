import Foundation
import LabCore
import LabTestSupport
import Testing

/// The taxonomy commands, run as a user runs them: the real binary, real files, exit codes.
@Suite struct TaxonomyCommands {
    @Test func theShippedSampleTaxonomyIsValid() {
        let result = SynthlabBinary.run(["taxonomy", "check", "taxonomy"])
        #expect(result.status == 0, "\(result.outputText)\(result.errorText)")
        #expect(result.outputText == "checked 9 leaf files: 0 errors, 0 warnings\n")
    }

    @Test func theTreeListsEveryLeafWithItsKindAndDocuments() throws {
        let result = SynthlabBinary.run(["taxonomy", "tree", "--json"])
        #expect(result.status == 0, "\(result.errorText)")
        let rows = try #require(try JSONSerialization.jsonObject(with: result.output) as? [[String: Any]])
        #expect(rows.count == 9)
        let kinds = Dictionary(rows.map { ($0["leaf"] as? String ?? "", $0["kind"] as? String ?? "") }, uniquingKeysWith: { a, _ in a })
        #expect(kinds["knowledge->finance->financial_ratios"] == "knowledge")
        #expect(kinds["compositional_skills->finance->tables->extract_value"] == "grounded skill")
        #expect(kinds["compositional_skills->finance->arithmetic->cagr"] == "freeform skill")
        #expect(kinds["foundational_skills->reasoning->unit_scaling"] == "foundational freeform skill")
        let knowledge = try #require(rows.first { $0["leaf"] as? String == "knowledge->finance->sec_filings->form_10k" })
        #expect(knowledge["documents"] as? [String] == ["documents/finance/form-10k-structure.md"])
        #expect((knowledge["documentWords"] as? Int ?? 0) > 1000)
        let table = SynthlabBinary.run(["taxonomy", "tree"])
        #expect(table.outputText.contains("total: 9 leaves"))
    }

    @Test func errorsExitWithStatusOneInEveryFormat() throws {
        let project = try TestPaths.temporaryDirectory("cli")
        defer { try? FileManager.default.removeItem(at: project) }
        let leaf = project.appendingPathComponent("taxonomy/compositional_skills/x")
        try FileManager.default.createDirectory(at: leaf, withIntermediateDirectories: true)
        try Data("version: 3\ncreated_by: me\ntask_description: t\nseed_examples: []\n".utf8).write(to: leaf.appendingPathComponent("qna.yaml"))

        let text = SynthlabBinary.run(["taxonomy", "check"], in: project)
        #expect(text.status == 1)
        #expect(text.outputText.hasPrefix("taxonomy/compositional_skills/x/qna.yaml:4:16: error: [.seed_examples] Value must have at least 5 items (hint: add 5 more seed examples)\n"))

        let json = SynthlabBinary.run(["taxonomy", "check", "--format", "json"], in: project)
        #expect(json.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: json.output) as? [String: Any])
        #expect(object["errors"] as? Int == 1)
        let diagnostic = try #require((object["diagnostics"] as? [[String: Any]])?.first)
        #expect(diagnostic["line"] as? Int == 4)
        #expect(diagnostic["yamlPath"] as? String == ".seed_examples")
        #expect(diagnostic["rule"] as? String == "min-items")

        let github = SynthlabBinary.run(["taxonomy", "check", "--format", "github"], in: project)
        #expect(github.status == 1)
        #expect(github.outputText.hasPrefix("::error file=taxonomy/compositional_skills/x/qna.yaml,line=4,col=16::"))
    }

    @Test func changedWithoutGitUsesAStateFile() throws {
        let project = try TestPaths.temporaryDirectory("cli")
        defer { try? FileManager.default.removeItem(at: project) }
        let source = TestPaths.repositoryRoot
        try FileManager.default.copyItem(at: source.appendingPathComponent("taxonomy"), to: project.appendingPathComponent("taxonomy"))
        try FileManager.default.copyItem(at: source.appendingPathComponent("documents"), to: project.appendingPathComponent("documents"))

        let first = SynthlabBinary.run(["taxonomy", "check", "--changed", "--update-state"], in: project)
        #expect(first.status == 0, "\(first.errorText)")
        #expect(first.errorText.contains("not a git repository"))
        #expect(first.errorText.contains("9 of 9 leaves changed"))
        let second = SynthlabBinary.run(["taxonomy", "check", "--changed"], in: project)
        #expect(second.errorText.contains("0 of 9 leaves changed"))
        #expect(second.outputText == "checked 0 leaf files: 0 errors, 0 warnings\n")

        let document = project.appendingPathComponent("documents/finance/financial-ratios.md")
        try (try String(contentsOf: document, encoding: .utf8) + "\nA new paragraph.\n").write(to: document, atomically: true, encoding: .utf8)
        let third = SynthlabBinary.run(["taxonomy", "check", "--changed", "--format", "json"], in: project)
        let object = try #require(try JSONSerialization.jsonObject(with: third.output) as? [String: Any])
        #expect((object["changed"] as? [String: Any])?["leaves"] as? [String] == ["knowledge/finance/financial_ratios"])
    }

    @Test func badInvocationsSayWhatIsWrong() {
        let missing = SynthlabBinary.run(["taxonomy", "check", "no/such/folder"])
        #expect(missing.status == 1)
        #expect(missing.outputText.contains("no/such/folder: error: no such file or folder"))
        let misuse = SynthlabBinary.run(["taxonomy", "check", "--base", "main"])
        #expect(misuse.status == 64)
        #expect(misuse.errorText.contains("--base needs --changed"))
    }
}
