/// A place in a template's text: 1-based line and column (columns count Unicode scalars).
public struct SourcePosition: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// Not known (an error raised away from any template text; the interpreter fills it in).
    public static let unknown = SourcePosition(line: 0, column: 0)

    public var description: String { "\(line):\(column)" }
}

/// Why a template could not be parsed or rendered, and where.
///
/// Every failure of this module is one of these. `kind` separates what the template got wrong
/// (the same operation fails in Python's jinja2) from what this interpreter does not implement
/// (`unsupported`, with `construct` naming the missing feature), so a caller can tell "this
/// template is broken for these inputs" from "this interpreter cannot run it".
public struct JinjaError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// The text is not valid Jinja (jinja2's `TemplateSyntaxError`, `TemplateAssertionError`).
        case syntax
        /// Valid Jinja that this interpreter does not implement; `construct` names it.
        case unsupported
        /// An undefined value was used where jinja2 raises `UndefinedError`.
        case undefined
        /// An operation on the wrong kind of value (Python's `TypeError`, `ValueError`, …).
        case type
        /// The sandbox refused the operation (jinja2's `SecurityError`: `list.append`, …).
        case security
        /// The template called `raise_exception(message)`; `message` is its text.
        case raised
    }

    public var kind: Kind
    public var message: String
    public var position: SourcePosition
    /// For `unsupported`: the construct, e.g. `filter 'xmlattr'`, `tag 'include'`.
    public var construct: String?
    /// The template's name (a file path), when the caller gave one.
    public var templateName: String?

    public init(_ kind: Kind, _ message: String, at position: SourcePosition = .unknown, construct: String? = nil) {
        self.kind = kind
        self.message = message
        self.position = position
        self.construct = construct
    }

    /// An error for a construct this interpreter lacks: "unsupported filter 'xmlattr'".
    static func unsupported(_ construct: String, at position: SourcePosition = .unknown, detail: String = "") -> JinjaError {
        JinjaError(.unsupported, "unsupported \(construct)" + (detail.isEmpty ? "" : " (\(detail))"), at: position, construct: construct)
    }

    static func type(_ message: String) -> JinjaError { JinjaError(.type, message) }

    /// Fills in the position when the error was raised away from the template text.
    func located(_ position: SourcePosition) -> JinjaError {
        guard self.position == .unknown else { return self }
        var copy = self
        copy.position = position
        return copy
    }

    public var description: String {
        let place = "\(templateName ?? "template"):\(position.line):\(position.column)"
        switch kind {
        case .raised: return "\(place): error: the template raised an exception: \(message)"
        case .unsupported:
            return "\(place): error: \(message) (hint: this Jinja interpreter implements the subset real chat templates use; this template needs more)"
        default: return "\(place): error: \(message)"
        }
    }
}
