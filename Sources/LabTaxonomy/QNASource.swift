import Foundation
import LabCore
import LabDocuments
import Yams

/// Turning a qna.yaml's bytes into a marked YAML tree: size, encoding, syntax and top-level
/// shape, each failure one error that names the spot and says what to do.
enum QNASource {
    /// A qna.yaml is a few kilobytes of seeds; anything this large is a mistake, and refusing it
    /// early keeps the YAML parser from spending minutes before saying so.
    static let maximumByteCount = 10 * 1024 * 1024

    /// The tree, or the one error that stopped reading.
    enum Outcome {
        case success(Parsed)
        /// The error that stopped reading, after any duplicate keys found on the way.
        case failure([Diagnostic])
    }

    struct Parsed {
        /// The decoded text (BOM removed).
        var text: String
        /// The top-level mapping.
        var root: YAMLValue
        /// Errors for repeated keys: each repeat was set aside (the first value kept) so the rest
        /// of the file could still be read and checked.
        var duplicateKeys: [Diagnostic] = []
    }

    /// Repeated keys are set aside under this prefix while composing, then dropped.
    private static let setAsidePrefix = "__synthlab_repeated_key_"

    static func parse(_ data: Data, path: String) -> Outcome {
        var duplicates: [Diagnostic] = []
        func failure(_ rule: String, _ message: String, hint: String, line: Int = 0, column: Int = 0) -> Outcome {
            .failure(duplicates + [Diagnostic(.error, at: SourceLocation(path: path, line: line, column: column),
                                              rule: rule, message: message, hint: hint)])
        }
        if data.count > maximumByteCount {
            return failure("file-size", "file is \(data.count) bytes, over the \(maximumByteCount / 1_048_576) MiB limit for a qna.yaml",
                           hint: sizeHint)
        }
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if let bad = DocumentText.firstInvalidUTF8Offset(bytes) {
            let (line, column) = position(ofByte: bad, in: bytes)
            let byte = String(bytes[bad], radix: 16, uppercase: true)
            return failure("encoding", "file is not valid UTF-8 (byte 0x\(byte.count == 1 ? "0" : "")\(byte) at offset \(bad))",
                           hint: "re-save the file as UTF-8", line: line, column: column)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if text.allSatisfy(\.isWhitespace) {
            return failure("empty", "The file is empty", hint: emptyHint)
        }
        let node: Node
        var workingText = text
        while true {
            do {
                guard let composed = try Yams.compose(yaml: workingText, PyYAMLResolver.resolver) else {
                    return failure("empty", "The file is empty (it holds only comments)", hint: emptyHint)
                }
                node = composed
                break
            } catch let YamlError.duplicatedKeysInMapping(keys, context) {
                let key = keys.sorted().first ?? ""
                let repeated = repeatedKey(key, after: context.mark, in: workingText)
                duplicates.append(duplicateKeyError(key, first: context.mark, repeated: repeated, path: path))
                // Yams stops at a repeated key; renaming the repeat lets the rest of the file be
                // read, so its other problems show in the same run. A repeat we cannot find (a
                // flow mapping) ends the reading there.
                guard let repeated, duplicates.count <= 100,
                      let renamed = renamingKey(at: repeated, to: "\(setAsidePrefix)\(duplicates.count)", in: workingText) else {
                    return .failure(duplicates)
                }
                workingText = renamed
            } catch let error as YamlError {
                return .failure(duplicates + [syntaxError(error, text: text, path: path)])
            } catch {
                return failure("yaml-syntax", "could not parse YAML: \(error)", hint: "check the file's syntax")
            }
        }
        let root: YAMLValue
        do {
            root = try YAMLValue.convert(node).removingKeys(withPrefix: setAsidePrefix)
        } catch {
            return failure("yaml-size", "the YAML expands to more than \(error.limit) values through its aliases",
                           hint: "write the values out instead of repeating anchors (*name)")
        }
        guard case .mapping = root.kind else {
            let found = switch root.kind {
            case .sequence: "a list"
            case .null: "empty"
            default: "a single value (\(PythonRepr.repr(root)))"
            }
            return failure("root-type", "The file is not valid. The top-level element is not an object with key-value pairs.",
                           hint: "the file is \(found); start it with 'version: 3' and write the other keys at the left margin, "
                               + "without '- ' in front",
                           line: root.line, column: root.column)
        }
        return .success(Parsed(text: text, root: root, duplicateKeys: duplicates))
    }

    static let sizeHint = "keep seed examples short and put long source text in documents/"
    static let emptyHint = "a qna.yaml needs version, created_by, seed_examples and more; see taxonomy/ for examples"

    /// 1-based line and column (in Unicode scalars, as libyaml counts) of a byte offset.
    static func position(ofByte offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        let end = min(offset, bytes.count)
        var line = 1, lineStart = 0
        for index in 0..<end where bytes[index] == 0x0A {
            line += 1
            lineStart = index + 1
        }
        let column = String(decoding: bytes[lineStart..<end], as: UTF8.self).unicodeScalars.count + 1
        return (line, column)
    }

    // MARK: Syntax errors

    private static func syntaxError(_ error: YamlError, text: String, path: String) -> Diagnostic {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let detail = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return Diagnostic(.error, at: SourceLocation(path: path, line: mark.line, column: mark.column), rule: "yaml-syntax",
                              message: "invalid YAML: \(problem)\(detail)", hint: syntaxHint(problem, line: line(mark.line, of: text)))
        case let .reader(problem, offset, _, _):
            return Diagnostic(.error, at: SourceLocation(path: path), rule: "yaml-syntax",
                              message: "invalid YAML text: \(problem)\(offset.map { " at byte \($0)" } ?? "")",
                              hint: "remove control characters; only printable text, tabs and newlines are allowed")
        default:
            return Diagnostic(.error, at: SourceLocation(path: path), rule: "yaml-syntax",
                              message: "could not parse YAML: \(error)", hint: "check the file's syntax")
        }
    }

    private static func line(_ number: Int, of text: String) -> Substring {
        var remaining = number
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            remaining -= 1
            if remaining == 0 { return line }
        }
        return ""
    }

    private static func syntaxHint(_ problem: String, line: Substring) -> String {
        if line.contains("\t") || problem.contains("cannot start any token") && line.contains("\t") {
            return "replace tab characters with spaces; YAML indents with spaces only"
        }
        if problem.contains("mapping values are not allowed") {
            return "a value contains ': '; quote it, or write '|' and put the text on the following lines"
        }
        if problem.contains("could not find expected ':'") || problem.contains("did not find expected key") {
            return "check the indentation: keys of one mapping start in the same column, list items under a key are indented"
        }
        if problem.contains("found undefined alias") {
            return "define the anchor (&name) before using it (*name), or write the value out"
        }
        return "check indentation and quoting near this position"
    }

    private static func duplicateKeyError(_ key: String, first: Mark, repeated: KeyPosition?, path: String) -> Diagnostic {
        // yamllint's wording (rule key-duplicates), which `ilab taxonomy diff` prints.
        Diagnostic(.error, at: SourceLocation(path: path, line: repeated?.line ?? first.line, column: repeated?.column ?? first.column),
                   rule: "key-duplicates", message: "duplication of key \"\(key)\" in mapping",
                   hint: "keep one of them (the first is at line \(first.line)): InstructLab's YAML reader silently keeps the last "
                       + "and loses the other; synthlab checked the file with the first")
    }

    /// Where a key stands: 1-based line and column (in Unicode scalars) and its length as written.
    struct KeyPosition: Equatable {
        var line: Int
        var column: Int
        var length: Int
    }

    /// `text` with the key token at `position` replaced by `name`.
    static func renamingKey(at position: KeyPosition, to name: String, in text: String) -> String? {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array(String($0).unicodeScalars) }
        let index = position.line - 1, start = position.column - 1
        guard lines.indices.contains(index), start >= 0, start + position.length <= lines[index].count else { return nil }
        lines[index].replaceSubrange(start..<(start + position.length), with: Array(name.unicodeScalars))
        return lines.map { String(String.UnicodeScalarView($0)) }.joined(separator: "\n")
    }

    /// Where `key` appears again in the same block mapping, scanning the lines after its first
    /// occurrence until the mapping's indentation ends. Yams reports only the first occurrence;
    /// the repeat is the one a curator usually added by mistake.
    static func repeatedKey(_ key: String, after first: Mark, in text: String) -> KeyPosition? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard first.line >= 1, first.column >= 1, first.line <= lines.count else { return nil }
        let indent = first.column - 1
        for index in first.line..<lines.count {
            let scalars = Array(lines[index].unicodeScalars)
            let leading = scalars.prefix { $0 == " " }.count
            if leading == scalars.count || scalars[leading] == "#" { continue }
            if leading < indent {
                // "- key:" starts a new item of the parent list, which is another mapping.
                return nil
            }
            guard leading == indent else { continue }
            let rest = String(String.UnicodeScalarView(scalars[leading...]))
            for candidate in [key, "'\(key)'", "\"\(key)\""] where rest.hasPrefix(candidate) {
                let after = rest.dropFirst(candidate.count).drop { $0 == " " }
                if after.first == ":" { return KeyPosition(line: index + 1, column: indent + 1, length: candidate.unicodeScalars.count) }
            }
        }
        return nil
    }
}
