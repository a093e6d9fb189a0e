import Stencil

extension BlockSpec {
    /// The block's prompt for one row: its template rendered with the row's variables.
    public func renderPrompt(_ variables: [String: String]) throws -> String {
        guard let template else { return "" }
        // Stencil escapes nothing by default for plain-text templates; values are inserted as written.
        return try Template(templateString: template).render(Context(dictionary: variables))
    }
}
