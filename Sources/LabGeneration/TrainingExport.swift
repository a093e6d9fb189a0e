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

    /// Filters whose rejection is about what an answer says (wrong figures, unsupported claims,
    /// not answering, off the leaf, a failed consistency or judge check) rather than its form
    /// (parse, format, leak, scaffolding, safety, duplicates): a rejected answer of these makes a
    /// DPO pair with an accepted answer to the same question.
    public static let contentFilters: Set<String> = [
        "answers_question", "numbers", "claims", "definitions", "arithmetic", "on_leaf", "consistency",
        "faithfulness", "relevancy", "pair_rating", "question_quality",
    ]

    /// One DPO pair in TRL's conversational preference format: `prompt` (system and user
    /// turns), `chosen` and `rejected` (one assistant turn each), plus where they came from.
    public static func preferenceLine(_ pair: PreferenceSource, systemPrompt: String = defaultSystemPrompt) -> String {
        let object: [String: Any] = [
            "prompt": [["role": "system", "content": systemPrompt], ["role": "user", "content": userTurn(pair.chosen)]],
            "chosen": [["role": "assistant", "content": pair.chosen.answer]],
            "rejected": [["role": "assistant", "content": pair.rejectedAnswer]],
            "metadata": [
                "run_id": pair.chosen.runID, "leaf": pair.chosen.leaf, "chosen_sample_id": pair.chosen.sampleID,
                "rejected_sample_id": pair.rejectedSampleID, "rejected_by": pair.rejectedBy, "source": "synthlab",
            ] as [String: Any],
        ]
        return json(object)
    }

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
