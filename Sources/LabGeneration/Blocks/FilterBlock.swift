import LabStore

/// `filter`: keeps rows whose column compares to a value, e.g. a judge's `score >= 2`.
struct FilterBlock: FlowBlock {
    enum Comparison: String, CaseIterable, Sendable {
        case equal = "==", notEqual = "!=", atLeast = ">=", atMost = "<=", above = ">", below = "<"

        func holds(_ left: String, _ right: String) -> Bool {
            if let a = Double(left), let b = Double(right) {
                switch self {
                case .equal: return a == b
                case .notEqual: return a != b
                case .atLeast: return a >= b
                case .atMost: return a <= b
                case .above: return a > b
                case .below: return a < b
                }
            }
            switch self {
            case .equal: return left.caseInsensitiveCompare(right) == .orderedSame
            case .notEqual: return left.caseInsensitiveCompare(right) != .orderedSame
            default: return false
            }
        }
    }

    let name: String
    let column: String
    let comparison: Comparison
    let value: String

    func run(_ rows: [Candidate], context: BlockContext) async throws -> [Candidate] {
        judgeEach(rows) { row in
            let actual = row.columns[column] ?? ""
            let threshold = Double(value)
            if actual.isEmpty {
                let reply = row.columns[column + "_reply"] ?? ""
                return Verdict(filter: name, filterVersion: "1", threshold: threshold, decision: .reject,
                               reason: "\(column): the judge's reply had no score",
                               evidence: GenerateBlock.json(["reply": reply]))
            }
            let kept = comparison.holds(actual, value)
            return Verdict(filter: name, filterVersion: "1", score: Double(actual), threshold: threshold,
                           decision: kept ? .accept : .reject,
                           reason: kept ? "\(column) \(actual) \(comparison.rawValue) \(value)" : "\(column) \(actual), needs \(comparison.rawValue) \(value)")
        }
    }
}
