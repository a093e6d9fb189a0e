import ArgumentParser

/// `synthlab taxonomy …`: validate and survey the curated tree.
struct TaxonomyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taxonomy",
        abstract: "Validate and survey a taxonomy of qna.yaml leaves.",
        subcommands: [TaxonomyCheckCommand.self, TaxonomyTreeCommand.self]
    )
}

/// Options shared by the taxonomy commands: where documents live and whether git repos may be fetched.
struct DocumentOptions: ParsableArguments {
    @Option(name: .customLong("documents"), help: ArgumentHelp("Folder local knowledge documents must live in (default: documents/ beside the taxonomy).", valueName: "dir"))
    var documentsRoot: String?

    @Flag(help: "Clone or update git repositories that knowledge leaves cite (needs the network).")
    var fetchDocuments = false
}
