public import Foundation
public import LabGGUF
import LabCore
import LabTensor

/// A decoder-only transformer running from a memory-mapped GGUF file: the engine behind
/// `LanguageModel`. One block, written out layer by layer in `DecoderForward.swift`, runs every
/// registered `Architecture` (llama.cpp's graphs for llama, qwen2, qwen3, gemma2, gemma3,
/// granite and phi3), reading what differs from `DecoderConfig`.
///
/// Weights stay in their stored format (any `WeightFormat`). Block-format weights meet int8
/// activations in integer kernels at every batch width; Float weights (F32/F16/BF16) meet
/// activations rounded as llama.cpp rounds them, row by row for a sequence with few rows in a
/// pass and through register tiles for one with many. Either way a sequence's results do not
/// depend on what else shares the pass.
/// The model is immutable after loading, so one instance may serve concurrent callers, each
/// with its own sequence states.
public final class DecoderModel: LanguageModel, @unchecked Sendable {
    // @unchecked: every stored property is immutable; the weight views point into `file`'s
    // read-only mapping, which lives as long as the model.

    /// Hyperparameters read from the file.
    public let config: DecoderConfig
    /// Threads for matrix products and attention.
    public let threadCount: Int
    /// A sequence with at least this many rows in a pass has Float-activation weights (F32, F16,
    /// BF16, or any format when activations stay Float) multiplied through the many-input path
    /// (register tiles for F32/F16/BF16 with llama.cpp's rounding, else dequantized tiles and
    /// sgemm); sequences with fewer go through the fused product, row by row.
    public let sgemmRowThreshold: Int
    /// The same switch for the integer kernels (block formats with int8 activations). By default
    /// there is none: they beat dequantize + sgemm at every width measured (pp512 369 vs 333
    /// tokens/s on this 2-core machine, with an earlier kernel that the present one beats).
    public let integerSgemmRowThreshold: Int
    /// Whether products round their activations as llama.cpp does for each format (int8 per 32 or
    /// 256 values for the block formats, binary16/bfloat16 for F16/BF16) and use the C kernels:
    /// about twice the decode speed, at the cost of logits that move when an activation's rounding
    /// flips. `false` keeps every activation in Float through the Swift SIMD products (the
    /// structural tests compare paths exactly this way).
    public let quantizesActivations: Bool
    /// Whether attention rows run in the Swift SIMD twin of the C kernel (bench/kernels compares
    /// the two; the results agree to rounding).
    public let swiftAttention: Bool
    /// How sequence states store keys and values: binary16 (llama.cpp's default) whenever
    /// activations are rounded and the C attention kernels cover the model's heads, binary32 when
    /// activations stay Float (the structural tests compare paths to 1e-4) or the heads need the
    /// Swift attention (a head size that is not a multiple of 64, a score cap, `swiftAttention`).
    public let kvCacheElement: KVCacheElement
    /// The most rows one pass takes (llama.cpp's n_ubatch): a longer call runs in several passes,
    /// so activation memory stays that of this many rows however long the prompt or batch. Each
    /// sequence's new tokens are cut into pieces of this many rows from the start of the call,
    /// whatever else is in the batch, and a pass takes whole pieces: a sequence's rows meet the
    /// same kernels in any batch, so its logits keep the same bits. (They equal one unsplit
    /// pass's bits too, unless a piece is short enough to send Float weights down the
    /// row-by-row path — see `sgemmRowThreshold`.)
    public let microBatchRows: Int
    /// The block formats among this model's matrices: the int8 roundings each linear layer's
    /// input is made in (a Q4_K_M file mixes Q4_K, Q6_K and, where rows are not whole 256-weight
    /// blocks, Q5_0 or Q8_0).
    let integerFormats: Set<WeightFormat>
    let file: GGUFFile
    /// How the weights are held in memory (huge pages or the file's mapping).
    public var weightsResidency: GGUFFile.Residency { file.residency }
    let weights: DecoderWeights

    /// Loads the model at `url`; throws `GGUFError` for an unreadable file, `ModelError` for
    /// a model this engine cannot run.
    public convenience init(url: URL, threads: Int? = nil) throws {
        try self.init(file: GGUFFile(url: url, residency: .forInference), threads: threads)
    }

    /// A model over an already opened file, using `threads` threads (default: every active core).
    /// `microBatchRows` caps the rows of one pass (default `defaultMicroBatchRows`).
    /// `kvCache` overrides the cache's element type (an F16 cache the model cannot use is an error).
    /// `sgemmRowThreshold`, when given, sets where every path switches to sgemm (tests and
    /// `model bench --sgemm-rows` compare paths this way); by default Float paths switch at 16
    /// rows of a sequence and the integer kernels never do.
    public init(
        file: GGUFFile, threads: Int? = nil, sgemmRowThreshold: Int? = nil, quantizesActivations: Bool = true,
        swiftAttention: Bool = false, kvCache: KVCacheElement? = nil, microBatchRows: Int? = nil
    ) throws(ModelError) {
        let explicitThreads = threads
        let threads = threads ?? CoreAvailability.defaultThreads()
        guard threads >= 1 else {
            throw ModelError(field: "threads", "must be at least 1, got \(threads)")
        }
        self.file = file
        self.threadCount = threads
        self.sgemmRowThreshold = max(1, sgemmRowThreshold ?? 16)
        self.integerSgemmRowThreshold = max(1, sgemmRowThreshold ?? Int.max)
        self.quantizesActivations = quantizesActivations
        self.swiftAttention = swiftAttention
        guard (microBatchRows ?? 1) >= 1 else {
            throw ModelError(field: "microBatchRows", "must be at least 1, got \(microBatchRows ?? 0)")
        }
        self.microBatchRows = microBatchRows ?? Self.defaultMicroBatchRows
        config = try DecoderConfig(file: file)
        let f16Covered = !swiftAttention && cAttentionCovers(headSize: config.headSize, softcap: config.attentionSoftcap)
        switch kvCache {
        case .f16? where !f16Covered:
            throw ModelError(
                path: file.path, field: "kvCache",
                "an F16 cache needs the C attention kernels, which take head sizes that are multiples of 64 and no score cap (head size \(config.headSize))",
                hint: "use an F32 cache for this model"
            )
        case let element?: kvCacheElement = element
        case nil: kvCacheElement = quantizesActivations && f16Covered ? .f16 : .f32
        }
        weights = try DecoderWeights(file: file, config: config)
        integerFormats = Set(weights.matrices.map(\.format).filter(\.quantizesActivations))
        // OpenBLAS's sgemm (the Float prompt path) rounds differently with a different thread
        // count, so the count must not follow the machine's momentary load: a run resumed on a
        // busier machine would otherwise write other text than the uninterrupted run. Our own
        // kernels split work by output rows and are exact at any thread count.
        BLASThreads.set(explicitThreads ?? ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Number of logits per position.
    public var vocabularySize: Int { config.vocabularySize }
    /// The trained context length.
    public var contextLength: Int { config.contextLength }

    /// An empty `KVCache` for up to `capacity` tokens.
    public func makeSequenceState(capacity: Int) throws -> any SequenceState {
        guard capacity >= 1, capacity <= contextLength else {
            throw ModelError(
                path: file.path, field: "capacity",
                "\(capacity) tokens is outside 1…\(contextLength), the model's context length"
            )
        }
        return KVCache(
            capacity: capacity, layerCount: config.layerCount, kvDimension: config.kvDimension, element: kvCacheElement,
            owner: ObjectIdentifier(self)
        )
    }

    /// Appends `tokens[i]` to `states[i]` in one batched pass; returns each sequence's logits
    /// after its last new token.
    public func forward(tokens: [[Int32]], states: [any SequenceState]) throws -> [[Float]] {
        let caches = try check(tokens: tokens, states: states)
        let logits = runInPieces(tokens: tokens, caches: caches, allPositions: false)
        let V = vocabularySize
        return (0..<tokens.count).map { Array(logits[($0 * V)..<(($0 + 1) * V)]) }
    }

    /// Appends `tokens` to `state` and returns the logits after every one of them,
    /// (tokens.count, vocabularySize) row-major: what perplexity and evaluation need.
    public func forwardAllPositions(tokens: [Int32], state: any SequenceState) throws -> [Float] {
        let caches = try check(tokens: [tokens], states: [state])
        return runInPieces(tokens: [tokens], caches: caches, allPositions: true)
    }

    /// The states as this model's caches, after checking that every sequence has new tokens
    /// that fit, with ids inside the vocabulary.
    private func check(tokens: [[Int32]], states: [any SequenceState]) throws(ModelError) -> [KVCache] {
        guard tokens.count == states.count else {
            throw ModelError(field: "states", "\(tokens.count) token lists but \(states.count) states; pass one state per sequence")
        }
        var caches: [KVCache] = []
        var seen = Set<ObjectIdentifier>()
        for (i, state) in states.enumerated() {
            guard let cache = state as? KVCache, cache.owner == ObjectIdentifier(self) else {
                throw ModelError(field: "states[\(i)]", "is not a state made by this model's makeSequenceState(capacity:)")
            }
            guard seen.insert(ObjectIdentifier(cache)).inserted else {
                throw ModelError(field: "states[\(i)]", "appears twice in one batch; each sequence needs its own state")
            }
            guard !tokens[i].isEmpty else {
                throw ModelError(field: "tokens[\(i)]", "is empty; every sequence in a batch needs at least one new token")
            }
            guard cache.count + tokens[i].count <= cache.capacity else {
                throw ModelError(
                    field: "tokens[\(i)]",
                    "\(tokens[i].count) new tokens after \(cache.count) exceed the state's capacity of \(cache.capacity)",
                    hint: "make the state with a larger capacity (at most \(contextLength)) or start a new sequence"
                )
            }
            if let bad = tokens[i].first(where: { $0 < 0 || Int($0) >= vocabularySize }) {
                throw ModelError(field: "tokens[\(i)]", "token id \(bad) is outside the vocabulary 0..<\(vocabularySize)")
            }
            caches.append(cache)
        }
        return caches
    }
}
