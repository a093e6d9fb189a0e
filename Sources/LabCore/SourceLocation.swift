/// A place in a text file, 1-based, as editors and compilers print it.
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The path as the user gave it (relative paths stay relative, so messages are short).
    public var path: String
    /// 1-based line; 0 when the problem concerns the whole file.
    public var line: Int
    /// 1-based column; 0 when unknown.
    public var column: Int

    public init(path: String, line: Int = 0, column: Int = 0) {
        self.path = path
        self.line = line
        self.column = column
    }

    /// `path:line:col`, dropping the parts that are unknown.
    public var description: String {
        switch (line, column) {
        case (0, _): return path
        case (_, 0): return "\(path):\(line)"
        default: return "\(path):\(line):\(column)"
        }
    }
}
