public import Foundation
public import LabGeneration
public import LabStore

/// One accepted sample as the trainer sees it, whatever it was read from (the store or an
/// InstructLab-format JSONL file).
public struct TrainingExample: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case knowledge, skill
    }

    /// Stable id recorded in the training run: `run/sample` from the store, the row's `id` from JSONL.
    public var id: String
    /// The taxonomy leaf, for per-leaf evaluation.
    public var leaf: String
    public var kind: Kind
    public var system: String
    /// The question alone (closed-book evaluation of knowledge asks it without the chunk).
    public var question: String
    /// The user turn as trained: chunk or context, a blank line, then the question.
    public var user: String
    public var assistant: String
    /// The document chunk a knowledge sample came from (RAFT rows put it among distractors).
    public var chunkID: String?
    public var chunkText: String?
    /// A grounded skill's context (table, passage), which the user turn starts with.
    public var context: String?

    public init(id: String, leaf: String, kind: Kind, system: String, question: String, user: String, assistant: String,
                chunkID: String? = nil, chunkText: String? = nil, context: String? = nil) {
        self.context = context
        self.id = id
        self.leaf = leaf
        self.kind = kind
        self.system = system
        self.question = question
        self.user = user
        self.assistant = assistant
        self.chunkID = chunkID
        self.chunkText = chunkText
    }

    /// A sample from the store, shaped as `synthlab export` writes it.
    public init(source: TrainingSource, systemPrompt: String = TrainingExport.defaultSystemPrompt) {
        self.init(
            id: "\(source.runID)/\(source.sampleID)", leaf: source.leaf, kind: source.kind == "knowledge" ? .knowledge : .skill,
            system: systemPrompt, question: source.question, user: TrainingExport.userTurn(source), assistant: source.answer,
            chunkID: source.chunkID, chunkText: source.chunkText, context: source.context
        )
    }
}

/// A JSONL line that is not a training row; names the file and line.
public struct TrainingDataError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var message: String

    public var description: String {
        "\(path):\(line): \(message) (hint: each line must be an InstructLab messages row: "
            + "{\"messages\": [{\"role\": \"user\", …}, {\"role\": \"assistant\", …}], \"unmask\": false})"
    }
}

extension TrainingExample {
    /// Reads InstructLab's training format (`{id, messages, metadata, unmask}` per line): rows with
    /// `unmask: true` are knowledge, the others skills. The leaf comes from synthlab's metadata,
    /// else InstructLab's `dataset` field, else the file name.
    public static func readJSONL(_ url: URL) throws -> [TrainingExample] {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw TrainingDataError(path: url.path, line: 0, message: "cannot read the file: \(error.localizedDescription)")
        }
        var examples: [TrainingExample] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            let number = index + 1
            func fail(_ message: String) -> TrainingDataError { TrainingDataError(path: url.path, line: number, message: message) }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8))) as? [String: Any] else {
                throw fail("not a JSON object")
            }
            guard let messages = object["messages"] as? [[String: Any]] else { throw fail("no \"messages\" array") }
            func content(_ role: String) -> String? {
                messages.last { ($0["role"] as? String) == role }.flatMap { $0["content"] as? String }
            }
            guard let user = content("user"), !user.isEmpty else { throw fail("no user message") }
            guard let assistant = content("assistant"), !assistant.isEmpty else { throw fail("no assistant message") }
            var metadata: [String: Any] = [:]
            if let string = object["metadata"] as? String,
               let parsed = (try? JSONSerialization.jsonObject(with: Data(string.utf8))) as? [String: Any] {
                metadata = parsed
            } else if let dictionary = object["metadata"] as? [String: Any] {
                metadata = dictionary
            }
            let unmask = object["unmask"] as? Bool ?? false
            let leaf = metadata["leaf"] as? String ?? metadata["dataset"] as? String ?? url.deletingPathExtension().lastPathComponent
            let id = object["id"] as? String ?? "\(url.lastPathComponent):\(number)"
            examples.append(TrainingExample(
                id: id, leaf: leaf, kind: unmask ? .knowledge : .skill,
                system: content("system") ?? TrainingExport.defaultSystemPrompt,
                question: user, user: user, assistant: assistant
            ))
        }
        return examples
    }
}

/// A question with an accepted and a rejected answer, as the DPO phase trains on it.
public struct PreferenceExample: Sendable, Hashable, Codable {
    /// `chosenID|rejectedID`: stable, recorded in the job's rows.
    public var id: String
    public var leaf: String
    /// The accepted sample's `TrainingExample.id` (so a held-out answer is never trained on).
    public var chosenExampleID: String
    public var system: String
    public var user: String
    public var chosen: String
    public var rejected: String

    public init(id: String, leaf: String, chosenExampleID: String, system: String, user: String, chosen: String, rejected: String) {
        self.id = id
        self.leaf = leaf
        self.chosenExampleID = chosenExampleID
        self.system = system
        self.user = user
        self.chosen = chosen
        self.rejected = rejected
    }

    /// A pair from the store, shaped as `synthlab export --format dpo` writes it.
    public init(source: PreferenceSource, systemPrompt: String = TrainingExport.defaultSystemPrompt) {
        let chosen = TrainingExample(source: source.chosen, systemPrompt: systemPrompt)
        let rejected = source.rejectedSampleID == source.chosen.sampleID ? "edit" : "\(source.chosen.runID)/\(source.rejectedSampleID)"
        self.init(id: "\(chosen.id)|\(rejected)", leaf: chosen.leaf, chosenExampleID: chosen.id,
                  system: systemPrompt, user: chosen.user, chosen: chosen.assistant, rejected: source.rejectedAnswer)
    }
}
