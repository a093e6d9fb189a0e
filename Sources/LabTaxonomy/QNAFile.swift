public import Foundation
public import LabCore
public import LabDocuments

/// Validation of one qna.yaml: its text, its YAML, its schema and the soft limits.
public enum QNAFile {
    /// Files larger than this are refused before parsing (10 MiB).
    public static let maximumByteCount = QNASource.maximumByteCount

    /// The result of checking one file: a leaf when it has no errors, and every finding.
    public struct Outcome: Sendable {
        public var leaf: Leaf?
        public var diagnostics: [Diagnostic]
        /// Where the `document` block's fields are, so document problems can point at them.
        public var documentLocations: [DocumentProblem.Field: SourceLocation] = [:]
    }

    /// Checks a file's bytes.
    /// - Parameters:
    ///   - displayPath: how messages name the file.
    ///   - relativeFolder: the leaf folder relative to the taxonomy root (decides the schema and identity).
    public static func check(data: Data, displayPath: String, relativeFolder: String) -> Outcome {
        let parsed: QNASource.Parsed
        switch QNASource.parse(data, path: displayPath) {
        case .failure(let errors):
            // Size and encoding problems say nothing about the text's lines; a syntax error still
            // comes with the lint findings, which often explain it (a tab, a stray space).
            var diagnostics = errors
            if errors.contains(where: { $0.rule == "yaml-syntax" || $0.rule == "key-duplicates" }),
               let text = String(data: data, encoding: .utf8) {
                diagnostics += TextLint.check(text, path: displayPath)
            }
            return Outcome(leaf: nil, diagnostics: diagnostics)
        case .success(let value):
            parsed = value
        }
        var diagnostics = parsed.duplicateKeys + TextLint.check(parsed.text, path: displayPath)
        let branch = branchOf(relativeFolder)
        let selection = SchemaSelection.select(parsed.root, branch: branch, path: displayPath)
        if let versionError = selection.versionError { diagnostics.append(versionError) }
        var validator = SchemaValidator(path: displayPath)
        validator.validate(parsed.root, against: selection.schema)
        diagnostics += validator.diagnostics.filter { !selection.repeatsVersionError($0) }
        diagnostics += SoftLimits.warnings(parsed.root, isKnowledge: selection.isKnowledge, path: displayPath)

        guard !diagnostics.contains(where: { $0.severity == .error }) else {
            return Outcome(leaf: nil, diagnostics: diagnostics)
        }
        let leaf = LeafBuilder.leaf(parsed.root, selection: selection, branch: branch, displayPath: displayPath,
                                    relativeFolder: relativeFolder, contentHash: ContentHash.sha256Hex(data))
        if !selection.isKnowledge, leaf.isGrounded, leaf.seeds.contains(where: { $0.context == nil }) {
            let seeds = parsed.root["seed_examples"]
            diagnostics.append(Diagnostic(.warning, at: SourceLocation(path: displayPath, line: seeds?.line ?? 0, column: seeds?.column ?? 0),
                documentPath: ".seed_examples", rule: "mixed-context",
                message: "some seed examples have a context and others don't; the leaf is treated as a grounded skill",
                hint: "give every seed a context, or split the leaf in two"))
        }
        return Outcome(leaf: leaf, diagnostics: diagnostics,
                       documentLocations: LeafBuilder.documentLocations(parsed.root, path: displayPath))
    }

    /// The top folder of a leaf's relative path, which decides its schema.
    static func branchOf(_ relativeFolder: String) -> TaxonomyBranch {
        let first = relativeFolder.split(separator: "/").first.map(String.init) ?? ""
        return TaxonomyBranch(rawValue: first).flatMap { $0 == .other ? nil : $0 } ?? .other
    }
}
