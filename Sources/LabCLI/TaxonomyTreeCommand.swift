import ArgumentParser
import Foundation
import LabTaxonomy

struct TaxonomyTreeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tree",
        abstract: "List the leaves with their kind, seed and Q&A counts, documents and words.",
        discussion: """
            Examples:
              synthlab taxonomy tree
              synthlab taxonomy tree taxonomy/compositional_skills --json
            """
    )

    @Argument(help: "A taxonomy folder or sub-folder.")
    var path = "taxonomy"

    @Flag(help: "Print the leaves as a JSON array.")
    var json = false

    @OptionGroup var documents: DocumentOptions

    func run() async throws {
        print(try render(), terminator: "")
    }

    /// The table (or JSON) for `path`, without printing it, so tests can read it.
    func render() throws -> String {
        let checker = TaxonomyChecker(
            documentsRoot: documents.documentsRoot.map { URL(fileURLWithPath: $0) },
            allowFetch: documents.fetchDocuments)
        let report = checker.check(URL(fileURLWithPath: path))
        if let missing = report.diagnostics.first(where: { $0.rule == "missing-path" }) {
            throw CLIError("\(missing.location): \(missing.message)", hint: missing.hint)
        }
        return json ? TaxonomyOutput.treeJSON(report) + "\n" : TaxonomyOutput.tree(report)
    }
}
