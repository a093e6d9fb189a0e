import Foundation
import LabCore
import LabDocuments
public import LabGeneration
public import LabStore
public import LabTokenizer
public import LabTrain

/// What the continued pre-training (CPT) phase trains on: the raw text of documents, mixed with
/// general text against forgetting. Stored in the recipe, so a resume rebuilds the same rows.
public struct CPTSettings: Sendable, Codable, Equatable {
    /// The document files (absolute paths, sorted).
    public var documents: [String]
    /// SHA-256 over the documents' contents in order; a resume against changed files is refused.
    public var documentsSHA256: String
    /// General-text tokens per document token in the phase (0: documents only).
    public var replayRatio: Double
    /// Share of each document's chunks held out: never trained on, scored at every stage.
    public var heldOutFraction: Double
    /// Tokens per document chunk, the unit of holding out and of packing.
    public var chunkTokens: Int
    /// The general text's file (paragraphs separated by blank lines); nil: the bundled one.
    public var generalTextPath: String?
    /// Train only on chunks at least this novel to the base model (held-out chunks are all kept).
    public var novelty: NoveltySelection?

    /// The novelty filter of CPT selection, as the `novelty` block applies it to knowledge chunks.
    public struct NoveltySelection: Sendable, Codable, Equatable {
        public var measure: NoveltyMeasure
        public var threshold: Double
        /// The reference model (required by the likelihood ratio).
        public var reference: String?

        public init(measure: NoveltyMeasure, threshold: Double, reference: String?) {
            self.measure = measure
            self.threshold = threshold
            self.reference = reference
        }
    }

    public init(documents: [String], documentsSHA256: String, replayRatio: Double = 0.5, heldOutFraction: Double = 0.2,
                chunkTokens: Int = 256, generalTextPath: String? = nil, novelty: NoveltySelection? = nil) {
        self.novelty = novelty
        self.documents = documents
        self.documentsSHA256 = documentsSHA256
        self.replayRatio = replayRatio
        self.heldOutFraction = heldOutFraction
        self.chunkTokens = chunkTokens
        self.generalTextPath = generalTextPath
    }

    /// The documents under `paths` (files, or folders searched recursively for .md, .markdown
    /// and .txt files), sorted, with the hash of their contents.
    public static func documentFiles(_ paths: [String]) throws(CPTError) -> (files: [String], sha256: String) {
        var files: [String] = []
        for path in paths {
            let url = URL(fileURLWithPath: (path as NSString).expandingTildeInPath).standardizedFileURL
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
                throw CPTError("--cpt-documents \(path): no such file or folder")
            }
            if isDirectory.boolValue {
                let found = (FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil)?.allObjects as? [URL] ?? [])
                    .filter { DocumentLoader.hasAcceptedExtension($0.path) && $0.lastPathComponent != "README.md" }
                    .map { $0.standardizedFileURL.path }
                guard !found.isEmpty else {
                    throw CPTError("--cpt-documents \(path): the folder has no .md, .markdown or .txt documents (README.md files are skipped)")
                }
                files += found
            } else {
                files.append(url.path)
            }
        }
        files = Array(Set(files)).sorted()
        var hasher = ""
        for file in files {
            guard let hash = try? ContentHash.sha256Hex(fileAt: URL(fileURLWithPath: file)) else { throw CPTError("\(file): cannot read the document") }
            hasher += "\(file)\u{0}\(hash)\n"
        }
        return (files, ContentHash.sha256Hex(hasher))
    }
}

/// Why the CPT corpus cannot be built.
public struct CPTError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The CPT phase's sequences and the held-out document chunks, decided once from the settings.
///
/// Each document is cut into chunks of about `chunkTokens` tokens (at headings, paragraphs or
/// sentences; no overlap, so a held-out chunk shares no text with a trained one). A seeded share
/// of each document's chunks is held out. The rest are packed in document order into sequences
/// of at most `maximumLength` tokens: a sequence never spans two documents or a held-out gap, and
/// a chunk is never split unless it alone is longer than a sequence. Every token is scored.
/// General paragraphs, in a seeded order, are packed the same way until their tokens reach
/// `replayRatio` times the documents' tokens.
public struct CPTCorpus: Sendable {
    public struct Sequence: Sendable {
        public var sequence: TrainingSequence
        /// "doc:PATH#i+j" chunk ids, or "general:#k" paragraph ids.
        public var sources: [String]
        public var isReplay: Bool
    }

    public let settings: CPTSettings
    public let training: [Sequence]
    public let heldOut: [TrainingSequence]
    public let heldOutChunkIDs: [(id: String, document: String)]
    /// General paragraphs never mixed in, scored at every stage: forgetting of the kind of text
    /// the replay protects (see `generalHeldOutParagraphs`).
    public let generalHeldOut: [TrainingSequence]
    public let documentTokens: Int
    public let replayTokens: Int
    /// Training chunks the novelty selection left out, with their score.
    public let notNovel: [(id: String, document: String, score: Double)]

    /// The name of the held-out document set in tables and the store.
    public static let evaluationName = "documents (held out)"
    /// The name of the held-out general set.
    public static let generalEvaluationName = "general text (held-out Wikipedia)"
    /// General paragraphs held out of the replay pool for evaluation (about 5,000 tokens).
    public static let generalHeldOutParagraphs = 40

    /// - Parameters:
    ///   - novelty: scores a chunk for `settings.novelty` (required when it is set and `selecting`).
    ///   - selecting: apply the novelty selection; without it (evaluation only) every training chunk is kept.
    public init(settings: CPTSettings, tokenizer: Tokenizer, maximumLength: Int, seed: UInt64,
                novelty: ((String) throws -> NoveltyScore)? = nil, selecting: Bool = true) throws(CPTError) {
        self.settings = settings
        let chunker: DocumentChunker
        do {
            chunker = try DocumentChunker(maxTokens: max(8, min(settings.chunkTokens, maximumLength - 2)), overlapTokens: 0,
                                          tokenCounter: TokenCounter { tokenizer.encode($0, addSpecial: false, parseSpecial: false).count })
        } catch {
            throw CPTError("--cpt-chunk-tokens \(settings.chunkTokens): \(error)")
        }
        let separator = tokenizer.encode("\n\n", addSpecial: false, parseSpecial: false)
        let prefix = tokenizer.encode("", addSpecial: true, parseSpecial: false)
        var training: [Sequence] = [], heldOut: [TrainingSequence] = [], heldOutIDs: [(String, String)] = []
        var notNovel: [(id: String, document: String, score: Double)] = []
        var documentTokens = 0
        for path in settings.documents {
            let document: SourceDocument
            do { document = try DocumentLoader.load(fileAt: URL(fileURLWithPath: path), displayPath: path) } catch {
                throw CPTError("\(path): \(error)")
            }
            let chunks = chunker.chunks(of: document)
            guard !chunks.isEmpty else { continue }
            let held = Self.heldOutIndices(count: chunks.count, fraction: settings.heldOutFraction, seed: seed, document: path)
            var run: [(id: String, tokens: [Int32])] = []
            func flush() {
                training += Self.pack(run, prefix: prefix, separator: separator, maximumLength: maximumLength).map {
                    Sequence(sequence: TrainingSequence(tokens: $0.tokens), sources: $0.sources, isReplay: false)
                }
                run = []
            }
            for (index, chunk) in chunks.enumerated() {
                let tokens = tokenizer.encode(chunk.text, addSpecial: false, parseSpecial: false)
                let id = "doc:\(path)#\(index)"
                if held.contains(index) {
                    flush()
                    heldOutIDs.append((id, path))
                    heldOut += Self.pack([(id, tokens)], prefix: prefix, separator: separator, maximumLength: maximumLength)
                        .map { TrainingSequence(tokens: $0.tokens) }
                } else if selecting, let selection = settings.novelty {
                    guard let novelty else { throw CPTError("the novelty selection needs a scorer") }
                    let value: Double
                    do { value = try novelty(chunk.text).value(selection.measure) ?? 0 } catch {
                        throw CPTError("scoring chunk \(index) of \(path) for novelty failed: \(error)")
                    }
                    if value >= selection.threshold {
                        run.append((id, tokens))
                    } else {
                        // A dropped chunk ends the contiguous run, as a held-out one does.
                        flush()
                        notNovel.append((id, path, value))
                    }
                } else {
                    run.append((id, tokens))
                }
            }
            flush()
        }
        guard !training.isEmpty else {
            throw CPTError("the documents give no text to train on (\(settings.documents.count) files, \(heldOutIDs.count) chunks held out, "
                           + "\(notNovel.count) below the novelty threshold) (hint: check --cpt-documents, lower --cpt-held-out or the novelty threshold)")
        }
        self.notNovel = notNovel
        documentTokens = training.reduce(0) { $0 + $1.sequence.tokens.count }
        var replayTokens = 0
        let paragraphs = try Self.generalParagraphs(settings.generalTextPath)
        var random = SeededRandom(seed: seed, stream: "cpt-replay")
        var order = Array(paragraphs.indices).shuffled(using: &random)
        // The first paragraphs of the seeded order are held out whatever the replay ratio, so jobs
        // with and without replay are scored on the same general text.
        let heldGeneral = Array(order.prefix(min(Self.generalHeldOutParagraphs, paragraphs.count / 2)))
        order.removeFirst(heldGeneral.count)
        generalHeldOut = Self.pack(heldGeneral.map { ("general:#\($0)", tokenizer.encode(paragraphs[$0], addSpecial: false, parseSpecial: false)) },
                                   prefix: prefix, separator: separator, maximumLength: maximumLength).map { TrainingSequence(tokens: $0.tokens) }
        if settings.replayRatio > 0 {
            let budget = Int((Double(documentTokens) * settings.replayRatio).rounded())
            var run: [(id: String, tokens: [Int32])] = []
            var taken = 0
            for index in order where taken < budget {
                let tokens = tokenizer.encode(paragraphs[index], addSpecial: false, parseSpecial: false)
                run.append(("general:#\(index)", tokens))
                taken += tokens.count + separator.count
            }
            let replay = Self.pack(run, prefix: prefix, separator: separator, maximumLength: maximumLength).map {
                Sequence(sequence: TrainingSequence(tokens: $0.tokens), sources: $0.sources, isReplay: true)
            }
            replayTokens = replay.reduce(0) { $0 + $1.sequence.tokens.count }
            training += replay
        }
        self.training = training
        self.heldOut = heldOut
        self.heldOutChunkIDs = heldOutIDs
        self.documentTokens = documentTokens
        self.replayTokens = replayTokens
    }

    /// The journal's rows: one per packed sequence (its first source names it) when the job
    /// trains a cpt phase, and the held-out chunks.
    public func rows(training trains: Bool) -> [TrainingRowRecord] {
        (trains ? training : []).map { sequence in
            let first = sequence.sources.first ?? "", last = sequence.sources.last ?? ""
            let id = sequence.sources.count > 1 ? "\(first)..\(last.split(separator: "#").last ?? "")" : first
            let leaf = sequence.isReplay ? "general text" : String(first.dropFirst(4).split(separator: "#").first ?? "")
            return TrainingRowRecord(phase: TrainingPhase.cpt.rawValue, exampleID: id, leaf: leaf, role: sequence.isReplay ? "replay" : "document")
        } + heldOutChunkIDs.map { TrainingRowRecord(phase: "held_out", exampleID: $0.id, leaf: $0.document, role: "evaluation") }
          + (trains ? notNovel.map { TrainingRowRecord(phase: TrainingPhase.cpt.rawValue, exampleID: $0.id, leaf: $0.document, role: "not_novel") } : [])
    }

    /// The evaluation sets: the held-out chunks, and the held-out general paragraphs.
    public var evaluationSets: [EvaluationSet] {
        [EvaluationSet(name: Self.evaluationName, kind: .document, sequences: heldOut),
         EvaluationSet(name: Self.generalEvaluationName, kind: .general, sequences: generalHeldOut)]
    }

    /// Chunks held out of one document: a seeded choice of round(fraction · count), at least one
    /// when the document has two or more chunks and the fraction is above 0.
    static func heldOutIndices(count: Int, fraction: Double, seed: UInt64, document: String) -> Set<Int> {
        guard count >= 2, fraction > 0 else { return [] }
        let held = min(count - 1, max(1, Int((Double(count) * fraction).rounded())))
        let ordered = (0..<count).sorted { ContentHash.sha256Hex("\(seed)/\(document)/\($0)") < ContentHash.sha256Hex("\(seed)/\(document)/\($1)") }
        return Set(ordered.prefix(held))
    }

    /// Packs consecutive pieces into sequences of at most `maximumLength` tokens, joined by
    /// `separator`; a piece longer than a sequence is cut into windows of its own.
    static func pack(_ pieces: [(id: String, tokens: [Int32])], prefix: [Int32], separator: [Int32], maximumLength: Int)
        -> [(tokens: [Int32], sources: [String])] {
        var result: [(tokens: [Int32], sources: [String])] = []
        var current: [Int32] = [], sources: [String] = []
        func finish() {
            if current.count >= 2 { result.append((prefix + current, sources)) }
            current = []
            sources = []
        }
        let room = maximumLength - prefix.count
        for piece in pieces {
            if piece.tokens.count > room {
                finish()
                for start in stride(from: 0, to: piece.tokens.count, by: room) {
                    current = Array(piece.tokens[start..<min(piece.tokens.count, start + room)])
                    sources = [piece.id]
                    finish()
                }
                continue
            }
            let needed = (current.isEmpty ? 0 : separator.count) + piece.tokens.count
            if current.count + needed > room { finish() }
            if !current.isEmpty { current += separator }
            current += piece.tokens
            sources.append(piece.id)
        }
        finish()
        return result
    }

    /// About `words` words of the bundled general text: whole paragraphs in a seeded order, joined
    /// by blank lines (a baseline of text the model has likely seen).
    public static func generalSample(seed: UInt64, words: Int, path: String? = nil) throws(CPTError) -> String {
        let paragraphs = try generalParagraphs(path)
        var random = SeededRandom(seed: seed, stream: "general-sample")
        var chosen: [String] = [], count = 0
        for index in Array(paragraphs.indices).shuffled(using: &random) where count < words {
            chosen.append(paragraphs[index])
            count += paragraphs[index].split(separator: " ").count
        }
        return chosen.joined(separator: "\n\n")
    }

    /// The general text's paragraphs (blank-line separated).
    static func generalParagraphs(_ path: String?) throws(CPTError) -> [String] {
        guard let url = path.map({ URL(fileURLWithPath: $0) }) ?? CurriculumResources.url("general-text/general-text.txt") else {
            throw CPTError("the bundled general text is missing next to the synthlab binary (hint: rebuild with `swift build`, or pass --cpt-general-text FILE)")
        }
        guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
            throw CPTError("\(url.path): cannot read the general text as UTF-8")
        }
        let paragraphs = text.components(separatedBy: "\n\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        guard !paragraphs.isEmpty else { throw CPTError("\(url.path): the general text is empty") }
        return paragraphs
    }
}

extension TrainingRecipe {
    /// The held-out sets a job with this recipe is evaluated on: each leaf's held-out samples, the
    /// CPT documents' held-out chunks (when the recipe names documents), and the general text.
    public func evaluationSets(heldOut: [TrainingExample], encoder: SequenceEncoder) throws -> [EvaluationSet] {
        let documents = try cpt.map {
            try CPTCorpus(settings: $0, tokenizer: encoder.tokenizer, maximumLength: maximumSequenceLength, seed: curriculum.seed,
                          selecting: false).evaluationSets
        } ?? []
        return try EvaluationSet.sets(heldOut: heldOut, encoder: encoder, window: evaluationWindow, documents: documents)
    }
}
