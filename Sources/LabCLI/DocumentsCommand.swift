import ArgumentParser
import Foundation
import LabCore
import LabCurriculum
import LabDocuments
import LabGeneration

/// `synthlab documents`: what the source documents look like to a model.
struct DocumentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "documents",
        abstract: "Inspect source documents: novelty scores per chunk.",
        subcommands: [DocumentsScoreCommand.self]
    )
}

/// `synthlab documents score`: the novelty scores a `novelty` block and CPT selection use.
struct DocumentsScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score document chunks for novelty: target and reference model loss, zlib entropy, likelihood ratio.",
        discussion: """
            Cuts the documents into chunks (as the cpt phase does) and prints per chunk: the target \
            model's loss (nats per token and bits per byte), the reference model's, the zlib \
            entropy (bits per byte), the likelihood ratio (target − reference bits per byte: higher \
            means the target finds the text harder than the reference does, i.e. less likely seen) \
            and the zlib ratio (target bits per byte ÷ zlib bits per byte). With --general N the \
            same is done for N chunks of the bundled general text (Wikipedia paragraphs the model \
            has most likely seen), and the summary gives, for each score, the share of \
            (document, general) pairs in which the document scores as more novel (0.5: no \
            separation).

            What these scores can tell: membership inference against language models is weak \
            (Duan et al. 2024, "Do Membership Inference Attacks Work on Large Language Models?", \
            found most attacks near chance on the Pile); a reference model removes some of the \
            text's own difficulty, zlib some of its redundancy. Read the scores as a ranking of \
            how unfamiliar text is to the target, not as proof it was or was not trained on.

            Examples:
              synthlab documents score documents/finance --reference other-model.gguf
              synthlab documents score --model out/cpt/phase1.gguf --reference SmolLM2-135M-Instruct.Q4_1.gguf --general 40
              synthlab documents score documents --reference ref.gguf --json > scores.json
            """
    )

    @Argument(help: ArgumentHelp("Document files or folders (.md, .markdown, .txt; README.md skipped).", valueName: "path"))
    var paths: [String] = ["documents"]

    @Option(help: ArgumentHelp("The target model (default: the pulled default model).", valueName: "gguf"))
    var model: String?

    @Option(help: ArgumentHelp("The reference model (without it only the zlib ratio is scored).", valueName: "gguf"))
    var reference: String?

    @Option(name: .customLong("chunk-tokens"), help: ArgumentHelp("Tokens per chunk (the cpt phase's default).", valueName: "n"))
    var chunkTokens = 256

    @Option(help: ArgumentHelp("Also score N chunks of the bundled general text, for comparison.", valueName: "n"))
    var general = 0

    @Option(help: "Seed of the general chunks' choice.")
    var seed: UInt64 = 42

    @Option(help: "Threads for the forward passes (default: every core).")
    var threads: Int?

    @Flag(help: "Print the scores as JSON.")
    var json = false

    func validate() throws {
        guard chunkTokens >= 16 else { throw ValidationError("--chunk-tokens must be at least 16") }
        guard general >= 0 else { throw ValidationError("--general must be 0 or more") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    struct Row {
        var group: String
        var source: String
        var index: Int
        var score: NoveltyScore
    }

    func run() throws {
        let target = model.map(NoveltyModels.url) ?? SynthlabHome().defaultModel
        for file in [target] + (reference.map { [NoveltyModels.url($0)] } ?? []) where !FileManager.default.fileExists(atPath: file.path) {
            throw CLIError("no model at \(file.path)", hint: file == target && model == nil ? "run `synthlab model pull`, or pass --model" : "check the path")
        }
        let tokenizer = try loadTokenizer(target)
        let chunker = try DocumentChunker(maxTokens: chunkTokens, overlapTokens: 0,
                                          tokenCounter: TokenCounter { tokenizer.encode($0, addSpecial: false, parseSpecial: false).count })
        var chunks: [(group: String, source: String, index: Int, text: String)] = []
        let files: [String]
        do { files = try CPTSettings.documentFiles(paths).files } catch { throw CLIError(error.description) }
        for file in files {
            let document: SourceDocument
            do { document = try DocumentLoader.load(fileAt: URL(fileURLWithPath: file), displayPath: file) } catch { throw CLIError("\(error)") }
            for (index, chunk) in chunker.chunks(of: document).enumerated() { chunks.append(("documents", file, index, chunk.text)) }
        }
        if general > 0 {
            let text: String
            do { text = try CPTCorpus.generalSample(seed: seed, words: general * chunkTokens) } catch { throw CLIError(error.description) }
            let document = try DocumentLoader.decode(Data(text.utf8), path: "general text")
            for (index, chunk) in chunker.chunks(of: document).prefix(general).enumerated() { chunks.append(("general", "general text", index, chunk.text)) }
        }
        let scorer: ModelNoveltyScorer
        do { scorer = try ModelNoveltyScorer(target: target, reference: reference.map(NoveltyModels.url), threads: threads) } catch {
            throw CLIError("cannot load the models: \(error)")
        }
        let progress = TerminalProgress(unit: "chunks")
        progress.report(.started(task: "score", total: chunks.count))
        var rows: [Row] = []
        for (done, chunk) in chunks.enumerated() {
            rows.append(Row(group: chunk.group, source: chunk.source, index: chunk.index, score: try scorer.score(chunk.text)))
            progress.report(.advanced(task: "score", completed: done + 1, detail: "\(chunk.group) \(chunk.index)"))
        }
        progress.report(.finished(task: "score"))
        let measures = reference == nil ? [NoveltyMeasure.zlibRatio] : NoveltyMeasure.allCases
        if json {
            print(JSONText.compact([
                "target": target.path, "reference": reference.map { NoveltyModels.url($0).path } ?? NSNull(),
                "chunks": rows.map { row -> [String: Any] in
                    ["group": row.group, "source": row.source, "index": row.index, "bytes": row.score.bytes,
                     "target_loss": row.score.targetLoss, "target_bits_per_byte": row.score.targetBitsPerByte,
                     "reference_loss": row.score.referenceLoss ?? NSNull(), "reference_bits_per_byte": row.score.referenceBitsPerByte ?? NSNull(),
                     "zlib_bits_per_byte": row.score.zlibBitsPerByte, "likelihood_ratio": row.score.likelihoodRatio ?? NSNull(),
                     "zlib_ratio": row.score.zlibRatio]
                },
                "summary": summary(rows, measures: measures).map { $0 },
            ]))
            return
        }
        print("chunk".padding(toLength: 34, withPad: " ", startingAt: 0) + "  bytes  target nats/tok  target bpb  ref bpb  zlib bpb  likelihood ratio  zlib ratio")
        for row in rows {
            let name = "\(URL(fileURLWithPath: row.source).lastPathComponent)#\(row.index)"
            let s = row.score
            print(name.padding(toLength: 34, withPad: " ", startingAt: 0)
                  + String(format: "  %5d  %15.4f  %10.4f  %7@  %8.4f  %16@  %10.4f", s.bytes, s.targetLoss, s.targetBitsPerByte,
                           s.referenceBitsPerByte.map { String(format: "%.4f", $0) } ?? "-", s.zlibBitsPerByte,
                           s.likelihoodRatio.map { String(format: "%+.4f", $0) } ?? "-", s.zlibRatio))
        }
        print("")
        for line in summary(rows, measures: measures) {
            print(line["text"] as? String ?? "")
        }
    }

    /// Means per group and, with both groups, the share of (document, general) pairs where the
    /// document scores as more novel (the area under the ROC curve of the score as a detector).
    private func summary(_ rows: [Row], measures: [NoveltyMeasure]) -> [[String: Any]] {
        var lines: [[String: Any]] = []
        let groups = ["documents", "general"].filter { group in rows.contains { $0.group == group } }
        for measure in measures {
            var entry: [String: Any] = ["measure": measure.rawValue]
            var text = measure.rawValue.padding(toLength: 18, withPad: " ", startingAt: 0)
            for group in groups {
                let values = rows.filter { $0.group == group }.compactMap { $0.score.value(measure) }
                let mean = values.reduce(0, +) / Double(max(1, values.count))
                entry["mean_\(group)"] = mean
                text += String(format: "  %@ mean %+.4f (%d chunks)", group, mean, values.count)
            }
            if groups.count == 2 {
                let documents = rows.filter { $0.group == "documents" }.compactMap { $0.score.value(measure) }
                let general = rows.filter { $0.group == "general" }.compactMap { $0.score.value(measure) }
                var wins = 0.0
                for d in documents { for g in general { wins += d > g ? 1 : (d == g ? 0.5 : 0) } }
                let auc = wins / Double(max(1, documents.count * general.count))
                entry["documents_ranked_more_novel"] = auc
                text += String(format: "  documents ranked more novel in %.1f%% of pairs", 100 * auc)
            }
            entry["text"] = text
            lines.append(entry)
        }
        return lines
    }
}
