import LabCore

/// Checks on the raw text that yamllint's strict mode (which `ilab taxonomy diff` runs) would fail,
/// reported as warnings with the fix, since none of them change what the file means.
public enum TextLint {
    /// At most this many findings of one kind per file; the rest are summed up in one line.
    static let perRuleLimit = 10
    /// ilab lints with `{extends: relaxed, rules: {line-length: {max: 120}}}` in strict mode.
    static let maximumLineLength = 120

    static func check(_ text: String, path: String) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        var counts: [String: Int] = [:]
        func add(_ rule: String, line: Int, column: Int, _ message: String, hint: String) {
            counts[rule, default: 0] += 1
            guard counts[rule, default: 0] <= perRuleLimit else { return }
            diagnostics.append(Diagnostic(.warning, at: SourceLocation(path: path, line: line, column: column),
                                          rule: rule, message: message, hint: hint))
        }
        // Swift treats "\r\n" as one Character, so line endings are normalised before splitting.
        var text = text
        if text.utf8.contains(13) {
            add("new-lines", line: 1, column: 1, "wrong new line character: expected \\n",
                hint: "save the file with Unix (LF) line endings")
            text = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (offset, line) in lines.enumerated() {
            let number = offset + 1
            if line.count > maximumLineLength {
                add("line-length", line: number, column: maximumLineLength + 1,
                    "line too long (\(line.count) > \(maximumLineLength) characters)",
                    hint: "break the text over several lines with a '|' or '>' block (ilab's yamllint rejects long lines)")
            }
            if let tab = line.firstIndex(of: "\t") {
                add("tabs", line: number, column: line.distance(from: line.startIndex, to: tab) + 1,
                    "tab character", hint: "use spaces; YAML does not allow tabs for indentation")
            }
            if let last = line.last, last == " " || last == "\t" {
                let trimmed = line.reversed().drop { $0 == " " || $0 == "\t" }.count
                add("trailing-spaces", line: number, column: trimmed + 1, "trailing spaces",
                    hint: "remove the spaces at the end of the line (ilab's yamllint rejects them)")
            }
        }
        if !text.isEmpty && !text.hasSuffix("\n") {
            add("new-line-at-end-of-file", line: lines.count, column: (lines.last?.count ?? 0) + 1,
                "no new line character at the end of file", hint: "end the file with one newline")
        } else {
            var blankAtEnd = 0
            for line in lines.dropLast().reversed() {
                guard line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) else { break }
                blankAtEnd += 1
            }
            if blankAtEnd > 0 {
                add("empty-lines", line: lines.count - blankAtEnd, column: 1, "too many blank lines at the end of the file",
                    hint: "delete the \(blankAtEnd) blank line\(blankAtEnd == 1 ? "" : "s") at the end")
            }
        }
        for (rule, count) in counts where count > perRuleLimit {
            diagnostics.append(Diagnostic(.warning, at: SourceLocation(path: path), rule: rule,
                                          message: "\(count - perRuleLimit) more lines with the same problem (\(rule))", hint: ""))
        }
        return diagnostics
    }
}

extension TextLint {
    /// The text with the mechanical problems fixed: LF line endings, no trailing spaces or tabs,
    /// exactly one newline at the end. Tabs inside lines and long lines are left alone: fixing them
    /// needs a person's judgement about indentation and wording.
    public static func fixed(_ text: String) -> String {
        var text = text
        if text.utf8.contains(13) {
            text = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var line = line
            while let last = line.last, last == " " || last == "\t" { line = line.dropLast() }
            return line
        }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }
}
