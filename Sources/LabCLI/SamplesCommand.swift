import ArgumentParser
import Foundation
import LabGeneration
import LabStore

/// `synthlab samples`: browse generated samples and trace one to its sources.
struct SamplesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "samples",
        abstract: "List samples, or show one with its lineage and verdicts.",
        discussion: """
            Examples:
              synthlab samples list --run latest --status rejected
              synthlab samples list --leaf 'knowledge->finance->*' --limit 20
              synthlab samples show 42
              synthlab samples show 42 --json
            """,
        subcommands: [List.self, Show.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Samples of a run, newest last.")
        @OptionGroup var store: StoreOptions
        @Option(help: "A run id, or latest (default: every run).") var run: RunReference?
        @Option(help: "Only this leaf: its taxonomy path, `*` matching any text (e.g. 'knowledge->*').") var leaf: String?
        @Option(help: "accepted or rejected.") var status: Status?
        @Option(help: "At most this many samples.") var limit = 50
        @Flag(help: "Print a JSON array.") var json = false

        enum Status: String, ExpressibleByArgument, CaseIterable { case accepted, rejected }

        func validate() throws {
            if limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func run() async throws {
            let store = try store.open(readOnly: true)
            let runID = try run.map { try $0.resolve(in: store) }
            let leafPattern = leaf.map { $0.replacingOccurrences(of: "/", with: "->") }
            let rows = try store.samples(runID: runID, leaf: leafPattern, status: status?.rawValue, limit: limit)
            if json {
                print(JSONText.encode(rows.map { row -> [String: Any] in
                    ["id": row.id, "run": row.runID, "leaf": row.leaf, "status": row.status, "question": row.question,
                     "answer": row.answer, "rejected_by": row.rejectedBy as Any, "reason": row.reason as Any,
                     "curator": row.curator?.rawValue as Any]
                }))
                return
            }
            guard !rows.isEmpty else {
                print("no samples match")
                return
            }
            for row in rows {
                let verdict = row.status == "accepted" ? "accepted" : "rejected by \(row.rejectedBy ?? "?"): \(row.reason ?? "")"
                let curator = row.curator.map { " · curator: \($0 == .accept ? "accepted" : "rejected")" } ?? ""
                print("#\(row.id) [run \(row.runID)] \(row.leaf) — \(verdict)\(curator)")
                print("  Q: \(Self.oneLine(row.question, 160))")
                print("  A: \(Self.oneLine(row.answer, 160))")
            }
        }

        static func oneLine(_ text: String, _ limit: Int) -> String {
            let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
            return flat.count > limit ? String(flat.prefix(limit)) + "…" : flat
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One sample: where it came from and what every filter said.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The sample id (from `samples list`).") var id: Int64
        @Flag(help: "Print a JSON object.") var json = false

        func run() async throws {
            let store = try store.open(readOnly: true)
            let lineage: SampleLineage
            do {
                lineage = try store.lineage(ofSample: id)
            } catch {
                throw CLIError("no sample \(id) in \(store.path)", hint: "`synthlab samples list` shows sample ids")
            }
            let verdicts = lineage.verdicts.map { v -> [String: Any] in
                ["filter": v.filter, "version": v.filterVersion, "decision": v.decision.rawValue, "reason": v.reason,
                 "score": v.score as Any, "threshold": v.threshold as Any, "evidence": v.evidence as Any]
            }
            if json {
                print(JSONText.encode([
                    "id": lineage.sampleID, "run": lineage.runID, "status": lineage.status, "leaf": lineage.leafPath,
                    "question": lineage.question, "answer": lineage.answer, "seed_questions": lineage.seedQuestions,
                    "chunk_id": lineage.chunkID as Any, "document": lineage.documentPath as Any, "teacher": lineage.teacher as Any,
                    "request": lineage.requestInput as Any, "response": lineage.responseText as Any, "verdicts": verdicts,
                    "curator": lineage.reviews.map { review -> [String: Any] in
                        ["decision": review.decision.rawValue, "reason": review.reason?.rawValue as Any, "note": review.note,
                         "question": review.question as Any, "answer": review.answer as Any, "reviewer": review.reviewer, "at": review.createdAt]
                    },
                    "effective_question": lineage.effectiveQuestion, "effective_answer": lineage.effectiveAnswer,
                ]))
                return
            }
            print("sample \(lineage.sampleID) of run \(lineage.runID): \(lineage.status)")
            print("leaf      \(lineage.leafPath)")
            if let document = lineage.documentPath { print("document  \(document) (chunk \(lineage.chunkID?.prefix(12) ?? ""))") }
            print("teacher   \(lineage.teacher ?? "-")")
            print("seeds     " + lineage.seedQuestions.map { "\"\($0)\"" }.joined(separator: "; "))
            print("\nquestion:\n  \(lineage.question)\nanswer:\n  \(lineage.answer)")
            if let response = lineage.responseText { print("\nteacher's reply:\n  " + response.replacingOccurrences(of: "\n", with: "\n  ")) }
            print("\nverdicts:")
            for v in lineage.verdicts {
                var line = "  \(v.filter): \(v.decision.rawValue) — \(v.reason)"
                if let score = v.score { line += String(format: " (score %.2f", score) + (v.threshold.map { String(format: ", threshold %.2f)", $0) } ?? ")") }
                print(line)
            }
            print("\ncurator:" + (lineage.reviews.isEmpty ? " not reviewed" : ""))
            for review in lineage.reviews {
                var line = "  \(review.decision.rawValue) by \(review.reviewer) at \(review.createdAt)"
                if let reason = review.reason { line += " (\(reason.rawValue))" }
                if !review.note.isEmpty { line += ": \(review.note)" }
                print(line)
                if let question = review.question { print("    edited question: " + question.replacingOccurrences(of: "\n", with: "\n      ")) }
                if let answer = review.answer { print("    edited answer: " + answer.replacingOccurrences(of: "\n", with: "\n      ")) }
            }
        }
    }
}

/// `synthlab export`: a run's accepted samples as training rows.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a run's accepted samples as InstructLab training rows, or its preference pairs for DPO (JSON lines).",
        discussion: """
            messages: {id, messages: [system, user, assistant], metadata, unmask}, as \
            instructlab-training reads it. Knowledge rows put the source chunk before the question \
            and set unmask (loss on the whole exchange); skill rows keep grounded contexts before \
            the question and train on the answer only. alpaca: {instruction, input, output}.
            dpo: {prompt: [system, user], chosen: [assistant], rejected: [assistant], metadata}, \
            TRL's conversational preference format: every question of the run with an accepted \
            answer and an answer rejected for its content (by a curator, or by the answers_question, \
            numbers, claims, definitions, arithmetic, on_leaf, consistency or judge filters; not \
            for its form) with the same context, and every answer a curator edited in the review \
            page (the edit chosen over the original).

            Examples:
              synthlab export latest --format messages --phase knowledge -o knowledge.jsonl
              synthlab export 3 --format alpaca --phase all -o all.jsonl
              synthlab export latest --format dpo -o pairs.jsonl
            """
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: "A run id, or latest.") var run: RunReference = .latest
    @Option(help: "messages, alpaca or dpo.") var format: Format = .messages
    @Option(help: "knowledge, skills or all.") var phase: Phase = .all
    @Option(name: .shortAndLong, help: ArgumentHelp("The JSON-lines file to write.", valueName: "file")) var output: String
    @Option(help: "The system turn of messages rows.") var system = TrainingExport.defaultSystemPrompt

    enum Format: String, ExpressibleByArgument, CaseIterable { case messages, alpaca, dpo }
    enum Phase: String, ExpressibleByArgument, CaseIterable { case knowledge, skills, all }

    func run() async throws {
        let store = try store.open(readOnly: true)
        let runID = try run.resolve(in: store)
        let lines: [String]
        if format == .dpo {
            lines = try store.preferencePairs(runID: runID, contentFilters: TrainingExport.contentFilters)
                .filter { TrainingExport.includes($0.chosen, in: TrainingExport.Phase(rawValue: phase.rawValue) ?? .all) }
                .map { TrainingExport.preferenceLine($0, systemPrompt: system) }
        } else {
            let sources = try store.trainingSources(runID: runID)
            lines = TrainingExport.lines(sources, format: TrainingExport.Format(rawValue: format.rawValue) ?? .messages,
                                         phase: TrainingExport.Phase(rawValue: phase.rawValue) ?? .all, systemPrompt: system)
        }
        let what = format == .dpo ? "preference pairs" : "\(phase.rawValue) rows"
        let text = lines.map { $0 + "\n" }.joined()
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
        } catch {
            throw CLIError("could not write \(output): \(error.localizedDescription)", hint: "check the folder exists and has space")
        }
        StandardError.write("synthlab: wrote \(lines.count) \(what) of run \(runID) to \(output)\n")
        if lines.isEmpty {
            throw format == .dpo
                ? CLIError("run \(runID) has no question with both an accepted answer and one rejected for its content",
                           hint: "pairs come from rejected answers to accepted questions; a larger run, or curator rejections, make more")
                : CLIError("run \(runID) has no accepted \(phase.rawValue) samples", hint: "`synthlab runs funnel \(runID)` shows why")
        }
    }
}
