import ArgumentParser
import Foundation
import LabCore
import LabGeneration
import LabPipeline
import LabStore
import LabTaxonomy

/// `synthlab verify`: a pipeline's checks on candidates from anywhere, with the code `generate` uses.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check candidate samples from a JSONL file with a pipeline's verifiers.",
        discussion: """
            Each input line is {"id": "...", "leaf": "compositional_skills/finance/arithmetic/cagr", \
            "question": "...", "answer": "...", "context": "..." or null}; `leaf` is the leaf's folder \
            relative to the taxonomy root and `context` the passage, table or paragraph the answer \
            must be grounded in; an optional `reference` is a reference answer an explanation of a \
            glossary term may not go beyond. Other fields (a label, say) are ignored. The checks are the blocks \
            of the leaf's flow that follow generation: leak, self-contained, answers-the-question, \
            arithmetic, numbers, claims, definitions, on-leaf, format, safety — and, with a \
            teacher, consistency and judges. A bad line is reported with its line number and the \
            others are still verified; the exit code is 1 when any line could not be verified.

            Examples:
              synthlab verify --input candidates.jsonl --no-teacher
              synthlab verify --input bench/quality/tune.jsonl --no-teacher --json
              synthlab verify --input candidates.jsonl --pipeline full --endpoint http://127.0.0.1:8000/v1
              synthlab verify --input candidates.jsonl --model ~/models/SmolLM2-135M-Instruct.Q4_1.gguf --dedup
            """
    )

    @Option(help: ArgumentHelp("The candidates, one JSON object per line ('-' for standard input).", valueName: "file"))
    var input: String
    @Option(help: ArgumentHelp("The taxonomy folder the leaves are in.", valueName: "dir")) var taxonomy = "taxonomy"
    @Option(help: ArgumentHelp("A pipeline name under pipelines/ (simple, full) or a pipeline folder.", valueName: "name|dir"))
    var pipeline = "simple"
    @Option(help: ArgumentHelp("A GGUF teacher for the blocks that ask one (consistency, judges); default: the installed model.", valueName: "gguf"))
    var model: String?
    @OptionGroup(title: "Remote teacher") var remote: EndpointOptions
    @Flag(help: "Use no teacher: judge and consistency blocks are left out.") var noTeacher = false
    @Flag(help: "Also run duplicate checks, over the input in order (each leaf's seeds first).") var dedup = false
    @Option(help: ArgumentHelp("Keep the teacher's answers in this store so a rerun asks nothing twice (default: a temporary one).", valueName: "file"))
    var db: String?
    @Option(help: "Threads for the local model's kernels (default: every core).") var threads: Int?
    @Flag(help: "Print one JSON object per input line.") var json = false

    func validate() throws {
        if noTeacher && (model != nil || remote.endpoint != nil) { throw ValidationError("--no-teacher can't be combined with --model or --endpoint") }
        if model != nil && remote.endpoint != nil { throw ValidationError("--model and --endpoint name two teachers; give one") }
    }

    func run() async throws {
        // 1. The taxonomy's leaves and the pipeline, before reading any candidate.
        let loadedPipeline = try TaskAccuracyLoading.load(taxonomy: taxonomy, pipeline: pipeline)
        let loaded = loadedPipeline.pipeline
        let lines = try readLines()

        // 2. A teacher, only when a block of the pipeline asks one.
        let needsTeacher = loaded.flows.values.joined().contains { $0.kind == .judge || $0.kind == .consistency }
        var cached: CachedTeacher?
        var temporary: URL?
        if needsTeacher && !noTeacher {
            let teacher: any TextGenerator
            if remote.endpoint != nil {
                teacher = try await remote.makeTeacher()
            } else {
                teacher = try TeacherLoading.load(model, threads: threads)
            }
            let url: URL
            if let db { url = URL(fileURLWithPath: db) } else {
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("synthlab-verify-\(ProcessInfo.processInfo.processIdentifier)")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                temporary = directory
                url = directory.appendingPathComponent("verify.sqlite")
            }
            let store = try SampleStore(url: url)
            let runID = try store.createRun(RunConfiguration(taxonomyHash: "verify", pipelineHash: loaded.contentHash, teacher: teacher.identity,
                                                             seed: 0, settings: ["command": "verify", "input": input]))
            cached = CachedTeacher(teacher: teacher, store: store, runID: runID)
        }
        defer { if let temporary { try? FileManager.default.removeItem(at: temporary) } }

        let verification = try loadedPipeline.verification(teacher: cached, withCommitChecks: dedup)
        for note in verification.skipped where !json { StandardError.write("synthlab: left out \(note)\n") }

        // 3. Each line in order; a bad line is an error naming it, and the rest go on.
        let progress = lines.count > 20 && cached != nil ? TerminalProgress(unit: "candidates") : nil
        progress?.report(.started(task: "verify", total: lines.count))
        var results: [(line: Int, result: VerificationResult)] = []
        var errors = 0
        var table = TextTable(["id", "leaf", "accepted", "rejected by", "reason"])
        for (index, (number, text)) in lines.enumerated() {
            do {
                let candidate = try Self.parse(text, line: number, file: input)
                let result = try await verification.verify(candidate)
                results.append((number, result))
                if json {
                    print(Self.jsonLine(result))
                } else {
                    let rejection = result.verdicts.first { $0.decision == .reject }
                    table.add([result.id, Self.shortLeaf(candidate.leaf), result.accepted ? "yes" : "no", rejection?.filter ?? "",
                               rejection?.reason ?? ""])
                }
            } catch {
                errors += 1
                let message = (error as? LineError)?.description ?? "\(input):\(number): error: \(error)"
                StandardError.write(message + "\n")
                if json {
                    print(JSONText.compact(["line": number, "id": Self.id(in: text) ?? NSNull(), "error": message]))
                }
            }
            progress?.report(.advanced(task: "verify", completed: index + 1, detail: ""))
        }
        progress?.report(.finished(task: "verify"))
        if !json {
            print(table.render(), terminator: "")
            let accepted = results.filter(\.result.accepted).count
            print("\(accepted) accepted of \(results.count) verified" + (errors > 0 ? "; \(errors) line\(errors == 1 ? "" : "s") could not be verified" : ""))
            var byFilter: [String: Int] = [:]
            for (_, result) in results {
                if let rejection = result.verdicts.first(where: { $0.decision == .reject }) { byFilter[rejection.filter, default: 0] += 1 }
            }
            for (filter, count) in byFilter.sorted(by: { $0.value > $1.value }) { print("  rejected by \(filter): \(count)") }
        }
        if errors > 0 { throw ExitCode(1) }
    }

    /// The input's non-blank lines with their 1-based numbers.
    private func readLines() throws -> [(Int, String)] {
        let data: Data
        if input == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let read = FileManager.default.contents(atPath: input) else {
                throw CLIError("cannot read \(input)", hint: "check the path given to --input")
            }
            data = read
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CLIError("\(input) is not UTF-8 text", hint: "write the candidates as UTF-8 JSON Lines")
        }
        return text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, line in
            line.trimmingCharacters(in: .whitespaces).isEmpty ? nil : (index + 1, String(line))
        }
    }

    struct LineError: Error, CustomStringConvertible {
        var file: String
        var line: Int
        var message: String
        var hint: String
        var description: String { "\(file):\(line): error: \(message) (hint: \(hint))" }
    }

    static func parse(_ text: String, line: Int, file: String) throws -> ExternalCandidate {
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                throw LineError(file: file, line: line, message: "not a JSON object", hint: "each line is one {...} object")
            }
            object = parsed
        } catch let error as LineError {
            throw error
        } catch {
            throw LineError(file: file, line: line, message: "malformed JSON", hint: "each line is one complete JSON object")
        }
        func string(_ key: String) throws -> String {
            guard let value = object[key], !(value is NSNull) else {
                throw LineError(file: file, line: line, message: "missing field '\(key)'", hint: "a line needs id, leaf, question, answer and context")
            }
            guard let text = value as? String else {
                if key == "id", let number = value as? NSNumber { return number.stringValue }
                throw LineError(file: file, line: line, message: "field '\(key)' is not a string", hint: "write it as a JSON string")
            }
            return text
        }
        let id = try string("id")
        let context: String?
        switch object["context"] {
        case nil, is NSNull: context = nil
        case let text as String: context = text.isEmpty ? nil : text
        default: throw LineError(file: file, line: line, message: "field 'context' is not a string or null", hint: "write the passage as a string, or null")
        }
        let reference = object["reference"] as? String
        return ExternalCandidate(id: id, leaf: try string("leaf"), question: try string("question"), answer: try string("answer"), context: context,
                                 reference: reference)
    }

    static func id(in text: String) -> Any? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { return nil }
        return object["id"]
    }

    static func jsonLine(_ result: VerificationResult) -> String {
        JSONText.compact([
            "id": result.id, "accepted": result.accepted,
            "verdicts": result.verdicts.map { verdict -> [String: Any] in
                var evidence: Any = NSNull()
                if let text = verdict.evidence, let parsed = try? JSONSerialization.jsonObject(with: Data(text.utf8)) { evidence = parsed }
                return ["filter": verdict.filter, "score": verdict.score ?? NSNull(), "threshold": verdict.threshold ?? NSNull(),
                        "decision": verdict.decision.rawValue, "reason": verdict.reason, "evidence": evidence]
            },
        ])
    }

    static func shortLeaf(_ leaf: String) -> String {
        leaf.split(separator: "/").suffix(2).joined(separator: "/")
    }
}
