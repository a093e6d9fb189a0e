import Foundation
public import LabStore

/// Accepted samples as training rows, in InstructLab's formats.
public enum TrainingExport {
    /// Which phase of LAB training the rows are for.
    public enum Phase: String, Sendable, CaseIterable {
        /// Knowledge samples, the chunk before the question, loss on the whole exchange.
        case knowledge
        /// Skill samples (grounded ones with their context), loss on the answer only.
        case skills
        case all
    }

    public enum Format: String, Sendable, CaseIterable {
        /// `{id, messages: [system, user, assistant], metadata (a JSON string), unmask}` as
        /// instructlab-training reads it.
        case messages
        /// `{instruction, input, output}`.
        case alpaca
    }

    public static let defaultSystemPrompt = "You are a helpful assistant."

    /// Whether a sample belongs to `phase`.
    public static func includes(_ source: TrainingSource, in phase: Phase) -> Bool {
        switch phase {
        case .all: true
        case .knowledge: source.kind == "knowledge"
        case .skills: source.kind != "knowledge"
        }
    }

    /// The user turn: knowledge questions follow their chunk, grounded questions their context.
    public static func userTurn(_ source: TrainingSource) -> String {
        let prefix = source.kind == "knowledge" ? source.chunkText : source.context
        guard let prefix, !prefix.isEmpty else { return source.question }
        return prefix + "\n\n" + source.question
    }

    /// One JSON line per sample of `phase`.
    public static func lines(_ sources: [TrainingSource], format: Format, phase: Phase,
                             systemPrompt: String = defaultSystemPrompt) -> [String] {
        sources.filter { includes($0, in: phase) }.map { source in
            let object: [String: Any]
            switch format {
            case .messages:
                var metadata: [String: Any] = [
                    "sample_id": source.sampleID, "run_id": source.runID, "leaf": source.leaf, "kind": source.kind,
                    "seed_ids": source.seedIDs, "source": "synthlab",
                ]
                if let chunk = source.chunkID { metadata["chunk_id"] = chunk }
                if let document = source.documentPath { metadata["document"] = document }
                object = [
                    "id": "synthlab-\(source.runID)-\(source.sampleID)",
                    "messages": [
                        ["role": "system", "content": systemPrompt],
                        ["role": "user", "content": userTurn(source)],
                        ["role": "assistant", "content": source.answer],
                    ],
                    "metadata": json(metadata),
                    "unmask": source.kind == "knowledge",
                ]
            case .alpaca:
                object = [
                    "instruction": source.question,
                    "input": (source.kind == "knowledge" ? source.chunkText : source.context) ?? "",
                    "output": source.answer,
                ]
            }
            return json(object)
        }
    }

    private static func json(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
