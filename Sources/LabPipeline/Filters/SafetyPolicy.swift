public import Foundation
import Yams

/// Content rules for generated text: categories of terms that drop or flag a sample, and phrases that
/// are allowed even though they contain such terms (finance is full of them: "short selling",
/// "kill the deal", "hostile takeover").
public struct SafetyPolicy: Sendable, Codable, Equatable {
    public enum Action: String, Sendable, Codable { case drop, flag }

    public struct Category: Sendable, Codable, Equatable {
        public var name: String
        public var action: Action
        /// Words or phrases, matched case-insensitively on word boundaries.
        public var terms: [String]
    }

    public var version: String
    public var categories: [Category]
    /// Phrases removed from the text before matching, so their words don't trigger a category.
    public var allow: [String]

    /// Reads a policy file (YAML), with a clear error naming the file and position.
    public static func load(from url: URL) throws -> SafetyPolicy {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw PolicyError(path: url.path, message: "cannot read the policy: \(error.localizedDescription)")
        }
        do {
            let policy = try YAMLDecoder().decode(SafetyPolicy.self, from: text)
            if let empty = policy.categories.first(where: { $0.terms.isEmpty }) {
                throw PolicyError(path: url.path, message: "category '\(empty.name)' has no terms")
            }
            return policy
        } catch let error as PolicyError {
            throw error
        } catch {
            throw PolicyError(path: url.path, message: "not a valid policy: \(error)")
        }
    }

    public struct PolicyError: Error, CustomStringConvertible {
        public var path: String
        public var message: String
        public var description: String { "\(path): \(message) (hint: see pipelines/policies/safety.yaml for the format)" }
    }

    /// The first category whose terms appear in `text` (after removing allowed phrases), if any.
    public func violation(in text: String) -> (category: Category, term: String)? {
        var normalized = " " + Self.normalize(text) + " "
        for phrase in allow {
            normalized = normalized.replacingOccurrences(of: " " + Self.normalize(phrase) + " ", with: " ")
        }
        for category in categories {
            for term in category.terms where normalized.contains(" " + Self.normalize(term) + " ") {
                return (category, term)
            }
        }
        return nil
    }

    /// Lower-case words separated by single spaces, punctuation removed.
    static func normalize(_ text: String) -> String {
        text.lowercased().split { !($0.isLetter || $0.isNumber || $0 == "'") }.joined(separator: " ")
    }
}
