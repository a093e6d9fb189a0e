import LabCore

/// Which schema a qna.yaml is checked against, chosen as InstructLab chooses it: by the first
/// folder of its taxonomy path, else by the presence of a `document` key; the version from the
/// `version` key (missing means 1).
struct SchemaSelection {
    var isKnowledge: Bool
    /// The version the file asks for (InstructLab's reading of the `version` value).
    var version: Int
    var schema: Schema
    /// Set when the version has no schema for this kind; the file is then checked against the
    /// newest rules so its other problems still show, without repeating the version complaint.
    var versionError: Diagnostic?

    static func select(_ root: YAMLValue, branch: TaxonomyBranch, path: String) -> SchemaSelection {
        let isKnowledge = switch branch {
        case .knowledge: true
        case .compositionalSkills, .foundationalSkills: false
        case .other: root["document"] != nil
        }
        let versionNode = root["version"]
        let version = versionNode.map(requestedVersion) ?? 1
        let at = SourceLocation(path: path, line: (versionNode ?? root).line, column: (versionNode ?? root).column)
        let documentPath = versionNode == nil ? "." : ".version"
        if isKnowledge {
            guard version == 3 else {
                let message = version < 3
                    ? "Version \(version) is not supported for knowledge. Minimum supported version is 3."
                    : "Version \(version) is not supported for knowledge. Maximum supported version is 3."
                let hint = version < 3
                    ? "convert the file to version 3 (seeds with context and questions_and_answers, document_outline) and set 'version: 3'"
                    : "set 'version: 3'"
                return SchemaSelection(isKnowledge: true, version: version, schema: Schemas.knowledgeV3,
                                       versionError: Diagnostic(.error, at: at, documentPath: documentPath, rule: "unsupported-version",
                                                                message: message, hint: hint))
            }
            return SchemaSelection(isKnowledge: true, version: 3, schema: Schemas.knowledgeV3)
        }
        guard (1...3).contains(version) else {
            return SchemaSelection(isKnowledge: false, version: version, schema: Schemas.compositionalSkills(version: 3),
                                   versionError: Diagnostic(.error, at: at, documentPath: documentPath, rule: "unsupported-version",
                                                            message: "Version \(version) is not supported for compositional skills. Supported versions are 1, 2 and 3.",
                                                            hint: "set 'version: 3'"))
        }
        return SchemaSelection(isKnowledge: false, version: version, schema: Schemas.compositionalSkills(version: version))
    }

    /// `version` read as InstructLab reads it: an integer as is, else Python's `int(value)`,
    /// else 1 (the schema then reports the value's type).
    static func requestedVersion(_ node: YAMLValue) -> Int {
        switch node.kind {
        case .integer(let value): return value
        case .number(let value) where value.isFinite && abs(value) < 1e15: return Int(value)
        case .string(let text): return Int(text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")) ?? 1
        default: return 1
        }
    }

    /// Whether a validator finding about `version` repeats what `versionError` says already.
    func repeatsVersionError(_ diagnostic: Diagnostic) -> Bool {
        guard versionError != nil else { return false }
        return (diagnostic.documentPath == ".version" && diagnostic.rule == "const")
            || (diagnostic.documentPath == "." && diagnostic.message == "'version' is a required property")
    }
}
