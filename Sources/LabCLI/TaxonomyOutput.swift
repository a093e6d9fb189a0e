import Foundation
import LabCore
import LabTaxonomy

/// Renders taxonomy reports for people (text, table) and for programs (JSON, GitHub annotations).
enum TaxonomyOutput {
    /// One diagnostic per line, then `checked 9 leaves: 0 errors, 2 warnings`; with `quiet`, errors only.
    static func text(_ report: TaxonomyReport, quiet: Bool) -> String {
        var out = ""
        for diagnostic in sorted(report.diagnostics) where !quiet || diagnostic.severity == .error {
            out += diagnostic.description + "\n"
        }
        if !quiet { out += summary(report) + "\n" }
        return out
    }

    /// `checked 9 leaves: 0 errors, 2 warnings`.
    static func summary(_ report: TaxonomyReport) -> String {
        func count(_ number: Int, _ noun: String, _ plural: String) -> String { "\(number) \(number == 1 ? noun : plural)" }
        return "checked \(count(report.filesChecked, "leaf", "leaves")): "
            + "\(count(report.errorCount, "error", "errors")), \(count(report.warningCount, "warning", "warnings"))"
    }

    /// GitHub Actions workflow commands, one per diagnostic, then the summary line for the log.
    static func github(_ report: TaxonomyReport) -> String {
        sorted(report.diagnostics).map { $0.githubAnnotation + "\n" }.joined() + summary(report) + "\n"
    }

    /// `{leaves, errors, warnings, diagnostics: [{path, line, column, severity, rule, yamlPath, message, hint}]}`.
    static func json(_ report: TaxonomyReport, changed: ChangedLeaves.Result?) -> String {
        var object: [String: Any] = [
            "root": report.root.path,
            "leaves": report.filesChecked,
            "valid": report.leaves.count,
            "errors": report.errorCount,
            "warnings": report.warningCount,
            "diagnostics": sorted(report.diagnostics).map { diagnostic -> [String: Any] in
                [
                    "path": diagnostic.location.path, "line": diagnostic.location.line, "column": diagnostic.location.column,
                    "severity": diagnostic.severity.rawValue, "rule": diagnostic.rule, "yamlPath": diagnostic.documentPath,
                    "message": diagnostic.message, "hint": diagnostic.hint,
                ]
            },
        ]
        if let changed {
            let basis: String = switch changed.basis {
            case .git(let base): "git \(base)"
            case .stateFile(let file, _): "state \(file.path)"
            }
            object["changed"] = ["basis": basis, "leaves": changed.changedFolders.sorted().map(Leaf.taxonomyPath(forRelativeFolder:))]
        }
        return serialize(object)
    }

    struct Row {
        var leaf: String, kind: String, seeds: Int, pairs: Int, documents: Int, words: Int
    }

    static func rows(_ report: TaxonomyReport) -> [Row] {
        report.leaves.map { checked in
            Row(leaf: checked.leaf.taxonomyPath, kind: kindName(checked.leaf), seeds: checked.leaf.seeds.count,
                pairs: checked.leaf.questionAnswerCount, documents: checked.documents.count,
                words: checked.documents.reduce(0) { $0 + $1.wordCount })
        }
    }

    static func tree(_ report: TaxonomyReport) -> String {
        let rows = rows(report)
        let header = Row(leaf: "LEAF", kind: "KIND", seeds: 0, pairs: 0, documents: 0, words: 0)
        let leafWidth = max(header.leaf.count, rows.map(\.leaf.count).max() ?? 0)
        let kindWidth = max(header.kind.count, rows.map(\.kind.count).max() ?? 0)
        func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        func number(_ value: Int, _ width: Int) -> String { String(repeating: " ", count: max(0, width - String(value).count)) + String(value) }
        var out = "\(pad("LEAF", leafWidth))  \(pad("KIND", kindWidth))  SEEDS    Q&A   DOCS   WORDS\n"
        for row in rows {
            out += "\(pad(row.leaf, leafWidth))  \(pad(row.kind, kindWidth))  \(number(row.seeds, 5))  \(number(row.pairs, 5))  \(number(row.documents, 5))  \(number(row.words, 6))\n"
        }
        let total = rows.reduce(into: (0, 0, 0, 0)) { $0.0 += $1.seeds; $0.1 += $1.pairs; $0.2 += $1.documents; $0.3 += $1.words }
        out += "\(pad("total: \(rows.count) leaves", leafWidth))  \(pad("", kindWidth))  \(number(total.0, 5))  \(number(total.1, 5))  \(number(total.2, 5))  \(number(total.3, 6))\n"
        let invalid = report.filesChecked - report.leaves.count
        if invalid > 0 {
            out += "\(invalid) leaf file\(invalid == 1 ? " has" : "s have") errors and \(invalid == 1 ? "is" : "are") not listed: run `synthlab taxonomy check`\n"
        }
        return out
    }

    static func treeJSON(_ report: TaxonomyReport) -> String {
        serialize(report.leaves.map { checked -> [String: Any] in
            [
                "leaf": checked.leaf.taxonomyPath, "path": checked.leaf.relativePath, "file": checked.leaf.filePath,
                "kind": kindName(checked.leaf), "seeds": checked.leaf.seeds.count, "questionsAndAnswers": checked.leaf.questionAnswerCount,
                "documents": checked.documents.map(\.path), "documentWords": checked.documents.reduce(0) { $0 + $1.wordCount },
                "contentHash": checked.leaf.contentHash,
            ]
        })
    }

    /// `knowledge`, `grounded skill`, `freeform skill`, `foundational skill` (+ ` (grounded)`).
    static func kindName(_ leaf: Leaf) -> String {
        let base = leaf.kind.rawValue.replacingOccurrences(of: "_", with: " ")
        return leaf.kind == .foundationalSkill && leaf.isGrounded ? "\(base) (grounded)" : base
    }

    private static func sorted(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        // Stable: by file, then position; the walk order already groups files.
        diagnostics.enumerated().sorted { a, b in
            if a.element.location.path != b.element.location.path { return a.offset < b.offset }
            if a.element.location.line != b.element.location.line { return a.element.location.line < b.element.location.line }
            return a.offset < b.offset
        }.map(\.element)
    }

    private static func serialize(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }
}
