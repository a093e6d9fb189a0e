import Foundation
public import LabGGUF
public import LabLLM
import LabCore
import LabTensor

/// A decoder of any registered `Architecture` held as float32 master weights, with a forward
/// pass that keeps what the backward needs and a backward pass that accumulates into a gradient
/// buffer. The block is the engine's (`DecoderModel`), read from the same `DecoderConfig`:
/// biases, fused QKV and gate/up, Q/K head norms, post-norms, GeGLU, soft-capping, sliding
/// windows and Granite's multipliers each have their backward here.
///
/// Weights are dequantized once from the GGUF file (any block format the reader decodes), so
/// training never rounds activations or weights: the gradient is that of the float32 network.
/// Sequences of a micro-batch are packed into one matrix of rows (no padding); each keeps its
/// own positions and attends only within itself.
public final class TrainableDecoder: @unchecked Sendable {
    public let config: DecoderConfig
    public let layout: ParameterLayout
    /// The base file's metadata, carried into checkpoints unchanged.
    public let metadata: [(key: String, value: GGUFValue)]
    /// Where the weights came from.
    public let sourcePath: String

    let weights: FloatBuffer
    let gradients: FloatBuffer
    /// QLoRA: the base matrices stay quantized in the file's mapping (`weights` then holds only
    /// the norm vectors; its matrix ranges are never written, so they take no memory).
    let quantized: QuantizedBase?
    /// One dequantized tile of a quantized matrix.
    private let tileScratch: FloatBuffer?
    /// Attached adapters; while present the base weights are frozen and only the adapters train.
    private(set) var lora: LoRAAdapters?
    /// Seed of the adapter dropout masks of the next pass (set per step, so a resumed job draws the same masks).
    private var dropoutSeed: UInt64 = 0
    /// Dropout applies in training passes only; evaluation and logits see the whole adapter.
    private var dropoutActive = false
    private var workspace: Workspace?

    /// Activation checkpointing: the forward keeps only each block's input, and the backward
    /// recomputes a block's activations just before its backward (one more forward pass per
    /// step, activation memory of one block instead of all). Gradients are unchanged, bit for bit.
    public var checkpointsActivations = false {
        didSet { if checkpointsActivations != oldValue { workspace = nil } }
    }

    /// Reads `file` into float32 weights; throws naming the tensor that is missing or misshapen.
    /// With `quantizedBase` (QLoRA) only the norm vectors are read as floats; the matrices are
    /// used from the file in their block format, and the model trains only through LoRA adapters.
    public init(file: GGUFFile, quantizedBase: Bool = false) throws(ModelError) {
        let config = try DecoderConfig(file: file)
        let layout = ParameterLayout(config: config) { file.tensorInfo(named: $0)?.dimensions }
        // Every tensor the file has must be one the trainer trains (or the duplicate head a tied
        // Gemma 2 file may carry): a tensor it did not know would be silently left out of the
        // graph and of the checkpoint.
        let known = Set(layout.tensors.map(\.name))
        if let unknown = file.tensors.first(where: { !known.contains($0.name) && !($0.name == "output.weight" && layout.tiedOutput) }) {
            throw ModelError(path: file.path, field: unknown.name, "the trainer does not know this \(config.architecture) tensor",
                             hint: "the engine can run this model, but it cannot be fine-tuned here yet")
        }
        // Lazily zeroed: pages never written (QLoRA's matrix ranges, the base's gradients while
        // adapters train) are never resident.
        let weights = FloatBuffer(lazilyZeroedCount: layout.count)
        for tensor in layout.tensors {
            guard let info = file.tensorInfo(named: tensor.name) else {
                throw ModelError(path: file.path, field: tensor.name, "tensor is missing", hint: "is this a complete \(config.architecture) GGUF?")
            }
            guard info.dimensions == tensor.dimensions else {
                throw ModelError(path: file.path, field: tensor.name,
                                 "has shape \(info.dimensions), expected \(tensor.dimensions) from the \(config.architecture).* metadata")
            }
            if quantizedBase && tensor.isMatrix { continue }
            Dequantize.run(info.type, from: file.data(of: info), count: info.elementCount, into: weights.pointer + tensor.offset)
        }
        self.config = config
        self.layout = layout
        self.metadata = file.metadata
        self.sourcePath = file.path
        self.weights = weights
        self.gradients = FloatBuffer(lazilyZeroedCount: layout.count)
        if quantizedBase {
            quantized = try QuantizedBase(file: file, layout: layout)
            let widest = layout.tensors.filter(\.isMatrix).map { $0.dimensions[0] }.max() ?? 0
            tileScratch = FloatBuffer(count: max(QuantizedBase.scratchCount, widest))
        } else {
            quantized = nil
            tileScratch = nil
        }
    }

    /// A copy with the same weights and fresh gradients (a reference model for evaluation).
    init(copying other: TrainableDecoder) {
        config = other.config
        layout = other.layout
        metadata = other.metadata
        sourcePath = other.sourcePath
        precondition(other.quantized == nil, "a QLoRA model is not copied")
        weights = FloatBuffer(count: other.layout.count)
        weights.copy(from: other.weights)
        gradients = FloatBuffer(lazilyZeroedCount: other.layout.count)
        quantized = nil
        tileScratch = nil
    }

    /// Whether the base stays quantized (QLoRA): adapters train and are never folded into it.
    public var hasQuantizedBase: Bool { quantized != nil }

    /// out (+)= x · Wᵀ for the base matrix at `offset`: through the float weights, or a
    /// dequantized tile at a time (QLoRA).
    private func baseForward(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, offset: Int, rows N: Int, inputs: Int,
                             outputs: Int, accumulate: Bool = false) {
        if let quantized, let tileScratch {
            quantized.forward(out, x, offset: offset, rows: N, accumulate: accumulate, scratch: tileScratch.pointer)
        } else {
            matmulForward(out, x, weights.pointer + offset, rows: N, inputs: inputs, outputs: outputs, accumulate: accumulate)
        }
    }

    /// dx (+)= dout · W, and dW += doutᵀ · x when `dw` is given (never for a quantized base).
    private func baseBackward(dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>,
                              x: UnsafePointer<Float>, offset: Int, rows N: Int, inputs: Int, outputs: Int, accumulateInput: Bool = false) {
        if let quantized, let tileScratch {
            precondition(dw == nil, "a quantized base is frozen")
            if let dx { quantized.backwardInput(dx, dout: dout, offset: offset, rows: N, accumulate: accumulateInput, scratch: tileScratch.pointer) }
        } else {
            matmulBackward(dx: dx, dw: dw, dout: dout, x: x, w: weights.pointer + offset, rows: N, inputs: inputs, outputs: outputs,
                           accumulateInput: accumulateInput)
        }
    }

    /// The weights of one tensor (read-only view for tests and checkpoints).
    public func values(of name: String) -> UnsafeBufferPointer<Float>? {
        layout.tensor(named: name).map { UnsafeBufferPointer(start: weights.pointer + $0.offset, count: $0.count) }
    }

    /// The accumulated gradient of one tensor.
    public func gradient(of name: String) -> UnsafeBufferPointer<Float>? {
        layout.tensor(named: name).map { UnsafeBufferPointer(start: gradients.pointer + $0.offset, count: $0.count) }
    }

    /// Mutable weights, for tests that perturb one element (finite differences).
    public func withMutableWeights<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(weights.buffer)
    }

    /// Mutable gradients (the optimiser and clipping work on them in place).
    public func withMutableGradients<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(gradients.buffer)
    }

    /// The gradients the optimiser will use (the adapters' with LoRA attached).
    public func withMutableTrainableGradients<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(trainableGradients.buffer)
    }

    /// Sets every gradient to zero (start of an optimiser step).
    public func zeroGradients() { trainableGradients.zero() }

    /// What the optimiser updates: the adapters when LoRA is attached, else every weight.
    var trainableWeights: FloatBuffer { lora?.weights ?? weights }
    var trainableGradients: FloatBuffer { lora?.gradients ?? gradients }
    /// Ranges of the trainable buffer that weight decay applies to (matrices, never norms).
    var decayedRanges: [Range<Int>] {
        if let lora { return [0..<lora.weights.count] }
        return layout.tensors.filter(\.isMatrix).map { $0.offset..<($0.offset + $0.count) }
    }

    /// The LoRA settings in use, if adapters are attached.
    public var loraSettings: LoRASettings? { lora?.settings }

    /// Attaches fresh adapters (A random, B zero, so the model's outputs are unchanged) and
    /// freezes the base weights.
    public func attachLoRA(_ settings: LoRASettings, seed: UInt64) {
        precondition(settings.rank > 0 && !settings.targets.isEmpty)
        lora = LoRAAdapters(layout: layout, config: shape, settings: settings, seed: seed)
        workspace = nil
    }

    /// Folds the adapters into the base weights (W ← W + scale·B·A) and detaches them. A
    /// quantized base (QLoRA) keeps its adapters: folding them in would need the float copy
    /// QLoRA exists to avoid (checkpoints hold the merged weights all the same).
    public func mergeLoRA() {
        guard let lora, quantized == nil else { return }
        for adapter in lora.adapters {
            let merged = FloatBuffer(count: adapter.outputs * adapter.inputs)
            lora.merged(adapter, base: weights.pointer, into: merged.pointer)
            (weights.pointer + adapter.baseOffset).update(from: merged.pointer, count: merged.count)
        }
        self.lora = nil
        workspace = nil
    }

    /// The adapters' weights (A then B per adapter, in block order), for saving and tests.
    public func withMutableAdapterWeights<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R? {
        guard let lora else { return nil }
        return try body(lora.weights.buffer)
    }

    var shape: ProjectionShape {
        ProjectionShape(embedding: config.embeddingLength, attention: config.attentionWidth,
                        kvDimension: config.kvDimension, feedForward: config.feedForwardLength)
    }

    /// out (+)= x · Wᵀ for one projection of block `layer`, plus scale · dropout(x)·Aᵀ·Bᵀ when it is adapted.
    private func project(_ ws: Workspace, _ layer: Int, _ target: LoRATarget, _ out: UnsafeMutablePointer<Float>,
                         _ x: UnsafePointer<Float>, rows N: Int, accumulate: Bool = false) {
        let (offset, inputs, outputs) = layout.layers[layer].projection(target, config: shape)
        baseForward(out, x, offset: offset, rows: N, inputs: inputs, outputs: outputs, accumulate: accumulate)
        if let bias = layout.layers[layer].bias(target) {
            for row in 0..<N { axpy(out + row * outputs, weights.pointer + bias, alpha: 1, count: outputs) }
        }
        guard let lora, let index = lora.adapter(layer: layer, target: target) else { return }
        let adapter = lora.adapters[index], r = lora.settings.rank
        let buffers = ws.lora[index]
        var input = x
        if dropoutActive, let multiplier = buffers.multiplier, let dropped = buffers.dropped {
            // Inverted dropout: keep with probability 1 − p and scale by 1 / (1 − p).
            var random = SeededRandom(seed: dropoutSeed, stream: "lora-dropout/\(index)")
            let keep = 1 / (1 - lora.settings.dropout)
            for i in 0..<(N * inputs) {
                multiplier.pointer[i] = random.nextUnitFloat() < lora.settings.dropout ? 0 : keep
                dropped.pointer[i] = x[i] * multiplier.pointer[i]
            }
            input = UnsafePointer(dropped.pointer)
        }
        // v = scale · input·Aᵀ (N × r), then out += v·Bᵀ.
        matmulForward(buffers.projected.pointer, input, lora.weights.pointer + adapter.a, rows: N, inputs: inputs, outputs: r)
        for i in 0..<(N * r) { buffers.projected.pointer[i] *= lora.settings.scale }
        matmulForward(out, buffers.projected.pointer, lora.weights.pointer + adapter.b, rows: N, inputs: r, outputs: outputs, accumulate: true)
    }

    /// Backward of `project`: dx (+)= dout·W (+ the adapter's path); dW accumulates unless the
    /// base is frozen; the adapter's dA, dB accumulate when adapted.
    private func projectBackward(_ ws: Workspace, _ layer: Int, _ target: LoRATarget, dx: UnsafeMutablePointer<Float>,
                                 dout: UnsafePointer<Float>, x: UnsafePointer<Float>, rows N: Int, accumulateInput: Bool = false) {
        let (offset, inputs, outputs) = layout.layers[layer].projection(target, config: shape)
        baseBackward(dx: dx, dw: lora == nil ? gradients.pointer + offset : nil, dout: dout, x: x, offset: offset,
                     rows: N, inputs: inputs, outputs: outputs, accumulateInput: accumulateInput)
        if lora == nil, let bias = layout.layers[layer].bias(target) {
            for row in 0..<N { axpy(gradients.pointer + bias, dout + row * outputs, alpha: 1, count: outputs) }
        }
        guard let lora, let index = lora.adapter(layer: layer, target: target) else { return }
        let adapter = lora.adapters[index], r = lora.settings.rank
        let buffers = ws.lora[index]
        let w = lora.weights.pointer, g = lora.gradients.pointer
        // dB += doutᵀ·v and dv = dout·B; du = scale·dv.
        matmulBackward(dx: buffers.gradient.pointer, dw: g + adapter.b, dout: dout, x: buffers.projected.pointer, w: w + adapter.b,
                       rows: N, inputs: r, outputs: outputs)
        for i in 0..<(N * r) { buffers.gradient.pointer[i] *= lora.settings.scale }
        let input = dropoutActive ? buffers.dropped.map { UnsafePointer($0.pointer) } ?? x : x
        if dropoutActive, let multiplier = buffers.multiplier, let dropped = buffers.dropped {
            // dA += duᵀ·input first: d(input) = du·A then overwrites the dropped input's buffer, and
            // flows through the dropout mask into dx.
            matmulBackward(dx: nil, dw: g + adapter.a, dout: buffers.gradient.pointer, x: input, w: w + adapter.a,
                           rows: N, inputs: inputs, outputs: r)
            matmulBackward(dx: dropped.pointer, dw: nil, dout: buffers.gradient.pointer, x: input, w: w + adapter.a,
                           rows: N, inputs: inputs, outputs: r)
            for i in 0..<(N * inputs) { dx[i] += dropped.pointer[i] * multiplier.pointer[i] }
        } else {
            matmulBackward(dx: dx, dw: g + adapter.a, dout: buffers.gradient.pointer, x: input, w: w + adapter.a,
                           rows: N, inputs: inputs, outputs: r, accumulateInput: true)
        }
    }

    /// Loss of `sequences` without gradients.
    public func loss(_ sequences: [TrainingSequence]) -> LossSum {
        run(sequences, lossScale: nil)
    }

    /// Loss of `sequences`, adding ∂(lossScale · Σ nll)/∂w to the gradients. With lossScale =
    /// 1 / (scored targets of the whole optimiser step) the accumulated gradient is that of the
    /// step's mean loss, however it is split into micro-batches.
    /// `dropoutSeed` draws the LoRA dropout masks (unused without LoRA dropout).
    @discardableResult
    public func accumulateGradients(_ sequences: [TrainingSequence], lossScale: Float, dropoutSeed: UInt64 = 0) -> LossSum {
        self.dropoutSeed = dropoutSeed
        dropoutActive = true
        defer { dropoutActive = false }
        return run(sequences, lossScale: lossScale)
    }

    /// Each sequence's own loss (Σ nll over its scored targets), without gradients: the
    /// log-likelihoods DPO compares.
    public func sequenceLosses(_ sequences: [TrainingSequence]) -> [LossSum] {
        runPerSequence(sequences, weights: nil)
    }

    /// Each sequence's loss, adding ∂(Σ_s weight_s · nll_s)/∂w to the gradients, where the
    /// weights are computed from the losses of this very pass (`weights` gets them in order and
    /// returns one weight per sequence). One forward and one backward pass.
    @discardableResult
    public func accumulateGradients(_ sequences: [TrainingSequence], dropoutSeed: UInt64 = 0,
                                    weights: ([LossSum]) -> [Float]) -> [LossSum] {
        self.dropoutSeed = dropoutSeed
        dropoutActive = true
        defer { dropoutActive = false }
        return withoutActuallyEscaping(weights) { runPerSequence(sequences, weights: $0) }
    }

    private func runPerSequence(_ sequences: [TrainingSequence], weights: (([LossSum]) -> [Float])?) -> [LossSum] {
        guard !sequences.isEmpty, sequences.allSatisfy({ !$0.tokens.isEmpty }) else {
            precondition(sequences.allSatisfy { !$0.tokens.isEmpty }, "empty sequence")
            return []
        }
        let ws = prepareWorkspace(for: sequences)
        let targets = sequences.flatMap(\.targets)
        let scoredRows = targets.indices.filter { targets[$0] >= 0 }
        forward(ws, sequences, headRows: scoredRows)
        let headTargets = scoredRows.map { targets[$0] }
        // The sequence each head row belongs to.
        var owner: [Int] = []
        owner.reserveCapacity(scoredRows.count)
        var offset = 0, index = 0
        for row in scoredRows {
            while row >= offset + sequences[index].tokens.count {
                offset += sequences[index].tokens.count
                index += 1
            }
            owner.append(index)
        }
        let V = config.vocabularySize
        let rowLosses = UnsafeMutableBufferPointer<Double>.allocate(capacity: headTargets.count)
        defer { rowLosses.deallocate() }
        let parts = max(1, min(ProcessInfo.processInfo.activeProcessorCount, headTargets.count / 8))
        parallelRanges(count: parts, threads: parts) { range in
            for part in range {
                let rows = (part * headTargets.count / parts)..<((part + 1) * headTargets.count / parts)
                let losses = crossEntropyRowLosses(ws.logits.pointer + rows.lowerBound * V, targets: Array(headTargets[rows]), vocabulary: V)
                for (k, loss) in losses.enumerated() { rowLosses[rows.lowerBound + k] = loss }
            }
        }
        var sums = [LossSum](repeating: LossSum(), count: sequences.count)
        for (row, sequence) in owner.enumerated() {
            sums[sequence].nll += rowLosses[row]
            sums[sequence].count += 1
        }
        guard let weights else { return sums }
        let perSequence = weights(sums)
        precondition(perSequence.count == sequences.count, "one weight per sequence")
        parallelRanges(count: parts, threads: parts) { range in
            for part in range {
                let rows = (part * headTargets.count / parts)..<((part + 1) * headTargets.count / parts)
                _ = crossEntropyForwardBackward(ws.logits.pointer + rows.lowerBound * V, targets: Array(headTargets[rows]), vocabulary: V) {
                    perSequence[owner[rows.lowerBound + $0]]
                }
            }
        }
        backward(ws, sequences, headRows: scoredRows)
        return sums
    }

    /// Next-token logits (rows, vocabulary) of one sequence, for checks against the engine.
    public func logits(_ tokens: [Int32]) -> [Float] {
        let sequence = TrainingSequence(tokens: tokens, scored: tokens.map { _ in false })
        let ws = prepareWorkspace(for: [sequence])
        forward(ws, [sequence], headRows: nil)
        return Array(UnsafeBufferPointer(start: ws.logits.pointer, count: tokens.count * config.vocabularySize))
    }

    // MARK: The passes

    private func prepareWorkspace(for sequences: [TrainingSequence]) -> Workspace {
        let rows = sequences.reduce(0) { $0 + $1.tokens.count }
        let squares = sequences.reduce(0) { $0 + $1.tokens.count * $1.tokens.count }
        if let ws = workspace, ws.rowCapacity >= rows, ws.squareCapacity >= squares { return ws }
        let grown = Workspace(config: config, rows: max(rows, workspace?.rowCapacity ?? 0),
                              squares: max(squares, workspace?.squareCapacity ?? 0), lora: lora,
                              layerCaches: checkpointsActivations ? 1 : config.layerCount)
        workspace = grown
        return grown
    }

    private func run(_ sequences: [TrainingSequence], lossScale: Float?) -> LossSum {
        let sequences = sequences.filter { !$0.tokens.isEmpty }
        guard !sequences.isEmpty else { return LossSum() }
        let ws = prepareWorkspace(for: sequences)
        let targets = sequences.flatMap(\.targets)
        // Only rows that predict a scored token need logits: with prompts masked (skills rows)
        // that skips most of the output head, the largest matrix, forward and backward.
        let scoredRows = targets.indices.filter { targets[$0] >= 0 }
        forward(ws, sequences, headRows: scoredRows)
        let headTargets = scoredRows.map { targets[$0] }
        let sum = crossEntropy(ws.logits.pointer, targets: headTargets, scale: lossScale)
        if lossScale != nil { backward(ws, sequences, headRows: scoredRows) }
        return sum
    }

    /// Cross-entropy over the head's rows, split across threads by rows; with a scale the
    /// logits are replaced by their gradient.
    private func crossEntropy(_ logits: UnsafeMutablePointer<Float>, targets: [Int32], scale: Float?) -> LossSum {
        let V = config.vocabularySize
        let parts = max(1, min(ProcessInfo.processInfo.activeProcessorCount, targets.count / 8))
        let partial = PartialSums(count: parts)
        parallelRanges(count: parts, threads: parts) { range in
            for part in range {
                let rows = (part * targets.count / parts)..<((part + 1) * targets.count / parts)
                let slice = Array(targets[rows])
                let base = logits + rows.lowerBound * V
                let result = scale.map { crossEntropyForwardBackward(base, targets: slice, vocabulary: V, scale: $0) }
                    ?? crossEntropyLoss(base, targets: slice, vocabulary: V)
                partial.set(part, LossSum(nll: result.nllSum, count: result.count))
            }
        }
        return partial.total
    }

    /// The forward pass; logits are computed for `headRows` only (all rows when nil), packed.
    private func forward(_ ws: Workspace, _ sequences: [TrainingSequence], headRows: [Int]? = nil) {
        let c = config
        let (C, V) = (c.embeddingLength, c.vocabularySize)
        let tokens = sequences.flatMap(\.tokens)
        let N = tokens.count
        let w = weights.pointer
        let positions = sequences.flatMap { Array(0..<$0.tokens.count) }
        ws.rope = RotaryTable(positions: positions, dimensions: c.ropeDimensions, base: c.ropeFrequencyBase, factors: c.ropeFrequencyFactors)
        if c.slidingLayers.contains(true), let base = c.slidingRopeFrequencyBase, base != c.ropeFrequencyBase {
            ws.slidingRope = RotaryTable(positions: positions, dimensions: c.ropeDimensions, base: base, factors: c.ropeFrequencyFactors)
        } else {
            ws.slidingRope = ws.rope
        }
        let x0 = ws.residual[0].pointer
        for (t, token) in tokens.enumerated() {
            if let quantized {
                quantized.dequantize(layout.embedding, rows: Int(token)..<(Int(token) + 1), into: x0 + t * C)
            } else {
                (x0 + t * C).update(from: w + layout.embedding + Int(token) * C, count: C)
            }
        }
        if c.embeddingScale != 1 {
            for i in 0..<(N * C) { x0[i] *= c.embeddingScale }
        }
        for l in layout.layers.indices { layerForward(ws, l, sequences, rows: N) }
        rmsnormForward(ws.finalNorm.pointer, ws.residual[c.layerCount].pointer, w + layout.outputNorm,
                       rows: N, channels: C, epsilon: c.rmsEpsilon)
        let rows: Int
        if let headRows, headRows.count < N {
            for (i, row) in headRows.enumerated() {
                (ws.headInput.pointer + i * C).update(from: ws.finalNorm.pointer + row * C, count: C)
            }
            baseForward(ws.logits.pointer, ws.headInput.pointer, offset: layout.output, rows: headRows.count, inputs: C, outputs: V)
            rows = headRows.count
        } else {
            baseForward(ws.logits.pointer, ws.finalNorm.pointer, offset: layout.output, rows: N, inputs: C, outputs: V)
            rows = N
        }
        // logits = cap(scale · (W·h + b))
        let logits = ws.logits.pointer
        if let bias = layout.outputBias {
            for row in 0..<rows { axpy(logits + row * V, w + bias, alpha: 1, count: V) }
        }
        if c.logitScale != 1 {
            for i in 0..<(rows * V) { logits[i] *= c.logitScale }
        }
        if let cap = c.finalLogitSoftcap, let capped = ws.cappedLogits {
            for i in 0..<(rows * V) {
                logits[i] = cap * tanhf(logits[i] / cap)
                capped.pointer[i] = logits[i]
            }
        }
    }

    /// Block `l` of the forward pass: reads `ws.residual[l]`, writes its activations into the
    /// block's cache and `ws.residual[l + 1]`.
    private func layerForward(_ ws: Workspace, _ l: Int, _ sequences: [TrainingSequence], rows N: Int) {
        let c = config
        let (C, F, H, KVH, hs, kvd, A) = (c.embeddingLength, c.feedForwardLength, c.headCount, c.kvHeadCount, c.headSize,
                                          c.kvDimension, c.attentionWidth)
        let w = weights.pointer
        let layer = layout.layers[l]
        let a = ws.cache(l)
        let xIn = ws.residual[l].pointer, xMid = a.middle.pointer, xOut = ws.residual[l + 1].pointer
        rmsnormForward(a.norm1.pointer, xIn, w + layer.attentionNorm, rows: N, channels: C, epsilon: c.rmsEpsilon)
        project(ws, l, .query, a.q.pointer, a.norm1.pointer, rows: N)
        project(ws, l, .key, a.k.pointer, a.norm1.pointer, rows: N)
        project(ws, l, .value, a.v.pointer, a.norm1.pointer, rows: N)
        if let queryNorm = layer.queryNorm, let keyNorm = layer.keyNorm, let qRaw = a.qRaw, let kRaw = a.kRaw {
            qRaw.pointer.update(from: a.q.pointer, count: N * A)
            kRaw.pointer.update(from: a.k.pointer, count: N * kvd)
            rmsnormForward(a.q.pointer, qRaw.pointer, w + queryNorm, rows: N * H, channels: hs, epsilon: c.rmsEpsilon)
            rmsnormForward(a.k.pointer, kRaw.pointer, w + keyNorm, rows: N * KVH, channels: hs, epsilon: c.rmsEpsilon)
        }
        let table = c.slidingLayers[l] ? ws.slidingRope : ws.rope
        ropeForward(a.q.pointer, table: table, rows: N, heads: H, headSize: hs, style: c.ropeStyle)
        ropeForward(a.k.pointer, table: table, rows: N, heads: KVH, headSize: hs, style: c.ropeStyle)
        var row = 0, square = 0
        for sequence in sequences {
            let T = sequence.tokens.count
            causalAttentionForward(
                a.attention.pointer + row * A, probabilities: a.probabilities.pointer + square * H,
                q: a.q.pointer + row * A, k: a.k.pointer + row * kvd, v: a.v.pointer + row * kvd,
                rows: T, heads: H, kvHeads: KVH, headSize: hs,
                scale: c.attentionScale, softcap: c.attentionSoftcap, window: c.window(layer: l)
            )
            row += T
            square += T * T
        }
        xMid.update(from: xIn, count: N * C)
        if let branch = a.attentionBranch {
            project(ws, l, .output, branch.pointer, a.attention.pointer, rows: N)
            addBranch(xMid, branch.pointer, norm: layer.postAttentionNorm, scratch: ws.dNorm.pointer, rows: N)
        } else {
            project(ws, l, .output, xMid, a.attention.pointer, rows: N, accumulate: true)
        }
        rmsnormForward(a.norm2.pointer, xMid, w + layer.feedForwardNorm, rows: N, channels: C, epsilon: c.rmsEpsilon)
        project(ws, l, .gate, a.gate.pointer, a.norm2.pointer, rows: N)
        project(ws, l, .up, a.up.pointer, a.norm2.pointer, rows: N)
        switch c.activation {
        case .silu: swigluForward(a.hidden.pointer, gate: a.gate.pointer, up: a.up.pointer, count: N * F)
        case .geluTanh: gegluForwardExact(a.hidden.pointer, gate: a.gate.pointer, up: a.up.pointer, count: N * F)
        }
        xOut.update(from: xMid, count: N * C)
        if let branch = a.feedForwardBranch {
            project(ws, l, .down, branch.pointer, a.hidden.pointer, rows: N)
            addBranch(xOut, branch.pointer, norm: layer.postFeedForwardNorm, scratch: ws.dNorm.pointer, rows: N)
        } else {
            project(ws, l, .down, xOut, a.hidden.pointer, rows: N, accumulate: true)
        }
    }

    /// x += residualScale · post(branch), where post is the block's optional output norm.
    private func addBranch(_ x: UnsafeMutablePointer<Float>, _ branch: UnsafePointer<Float>, norm: Int?,
                           scratch: UnsafeMutablePointer<Float>, rows N: Int) {
        let C = config.embeddingLength
        var added = branch
        if let norm {
            rmsnormForward(scratch, branch, weights.pointer + norm, rows: N, channels: C, epsilon: config.rmsEpsilon)
            added = UnsafePointer(scratch)
        }
        axpy(x, added, alpha: config.residualScale, count: N * C)
    }

    /// The gradient reaching a block's branch (before its post-norm and scale) from the residual
    /// stream's gradient `dx`: dx itself for a plain residual, else written into `scratch`.
    private func branchGradient(_ dx: UnsafePointer<Float>, branch: UnsafePointer<Float>?, norm: Int?, ws: Workspace,
                                rows N: Int) -> UnsafePointer<Float> {
        guard let branch else { return dx }
        let C = config.embeddingLength
        let scaled = ws.dBranchScaled.pointer
        for i in 0..<(N * C) { scaled[i] = config.residualScale * dx[i] }
        guard let norm else { return UnsafePointer(scaled) }
        let out = ws.dBranch.pointer
        out.update(repeating: 0, count: N * C)
        rmsnormBackward(dx: out, dweight: lora != nil ? nil : gradients.pointer + norm, dout: scaled, x: branch,
                        weight: weights.pointer + norm, rows: N, channels: C, epsilon: config.rmsEpsilon)
        return UnsafePointer(out)
    }

    /// Runs after `forward` and the cross-entropy, which left ∂loss/∂logits in `ws.logits`.
    private func backward(_ ws: Workspace, _ sequences: [TrainingSequence], headRows: [Int]) {
        let c = config
        let (C, F, V, H, KVH, hs, kvd, A) = (c.embeddingLength, c.feedForwardLength, c.vocabularySize,
                                             c.headCount, c.kvHeadCount, c.headSize, c.kvDimension, c.attentionWidth)
        let N = sequences.reduce(0) { $0 + $1.tokens.count }
        let w = weights.pointer, g = gradients.pointer
        let frozen = lora != nil
        let dx = ws.dResidual.pointer, dNorm = ws.dNorm.pointer
        // Through the cap, the scale and the bias of the head: logits = cap(scale · (W·h + b)).
        let headCount = headRows.count == N ? N : headRows.count
        let dLogits = ws.logits.pointer
        if let cap = c.finalLogitSoftcap, let capped = ws.cappedLogits {
            for i in 0..<(headCount * V) {
                let t = capped.pointer[i] / cap
                dLogits[i] *= 1 - t * t
            }
        }
        if c.logitScale != 1 {
            for i in 0..<(headCount * V) { dLogits[i] *= c.logitScale }
        }
        if !frozen, let bias = layout.outputBias {
            for row in 0..<headCount { axpy(g + bias, dLogits + row * V, alpha: 1, count: V) }
        }
        // Output head (on the rows that have logits) and final norm.
        let headGradient = frozen ? nil : g + layout.output
        if headRows.count == N {
            baseBackward(dx: dNorm, dw: headGradient, dout: ws.logits.pointer, x: ws.finalNorm.pointer, offset: layout.output,
                         rows: N, inputs: C, outputs: V)
        } else {
            dNorm.update(repeating: 0, count: N * C)
            if !headRows.isEmpty {
                // dW first (it reads the head input), then dx into the same rows' scratch.
                baseBackward(dx: nil, dw: headGradient, dout: ws.logits.pointer, x: ws.headInput.pointer, offset: layout.output,
                             rows: headRows.count, inputs: C, outputs: V)
                baseBackward(dx: ws.headInput.pointer, dw: nil, dout: ws.logits.pointer, x: ws.headInput.pointer, offset: layout.output,
                             rows: headRows.count, inputs: C, outputs: V)
                for (i, row) in headRows.enumerated() {
                    (dNorm + row * C).update(from: ws.headInput.pointer + i * C, count: C)
                }
            }
        }
        dx.update(repeating: 0, count: N * C)
        rmsnormBackward(dx: dx, dweight: frozen ? nil : g + layout.outputNorm, dout: dNorm, x: ws.residual[c.layerCount].pointer,
                        weight: w + layout.outputNorm, rows: N, channels: C, epsilon: c.rmsEpsilon)
        for (l, layer) in layout.layers.enumerated().reversed() {
            if checkpointsActivations { layerForward(ws, l, sequences, rows: N) }
            let a = ws.cache(l)
            // Feed-forward: xOut = xMid + s·post(down(act(gate(n2), up(n2)))); dx flows through unchanged.
            let dDown = branchGradient(dx, branch: a.feedForwardBranch.map { UnsafePointer($0.pointer) },
                                       norm: layer.postFeedForwardNorm, ws: ws, rows: N)
            projectBackward(ws, l, .down, dx: ws.dHidden.pointer, dout: dDown, x: a.hidden.pointer, rows: N)
            switch c.activation {
            case .silu:
                swigluBackward(dgate: a.gate.pointer, dup: a.up.pointer, dout: ws.dHidden.pointer,
                               gate: a.gate.pointer, up: a.up.pointer, count: N * F)
            case .geluTanh:
                gegluBackward(dgate: a.gate.pointer, dup: a.up.pointer, dout: ws.dHidden.pointer,
                              gate: a.gate.pointer, up: a.up.pointer, count: N * F)
            }
            projectBackward(ws, l, .gate, dx: dNorm, dout: a.gate.pointer, x: a.norm2.pointer, rows: N)
            projectBackward(ws, l, .up, dx: dNorm, dout: a.up.pointer, x: a.norm2.pointer, rows: N, accumulateInput: true)
            rmsnormBackward(dx: dx, dweight: frozen ? nil : g + layer.feedForwardNorm, dout: dNorm, x: a.middle.pointer,
                            weight: w + layer.feedForwardNorm, rows: N, channels: C, epsilon: c.rmsEpsilon)
            // Attention: xMid = xIn + s·post(o(attention(rope(qn(q(n1))), rope(kn(k(n1))), v(n1)))).
            let dOutput = branchGradient(dx, branch: a.attentionBranch.map { UnsafePointer($0.pointer) },
                                         norm: layer.postAttentionNorm, ws: ws, rows: N)
            projectBackward(ws, l, .output, dx: ws.dAttention.pointer, dout: dOutput, x: a.attention.pointer, rows: N)
            ws.dk.zero()
            ws.dv.zero()
            var row = 0, square = 0
            for sequence in sequences {
                let T = sequence.tokens.count
                causalAttentionBackward(
                    dq: ws.dq.pointer + row * A, dk: ws.dk.pointer + row * kvd, dv: ws.dv.pointer + row * kvd,
                    dout: ws.dAttention.pointer + row * A, probabilities: a.probabilities.pointer + square * H,
                    q: a.q.pointer + row * A, k: a.k.pointer + row * kvd, v: a.v.pointer + row * kvd,
                    rows: T, heads: H, kvHeads: KVH, headSize: hs, scratch: ws.scoreScratch.pointer,
                    scale: c.attentionScale, softcap: c.attentionSoftcap
                )
                row += T
                square += T * T
            }
            let table = c.slidingLayers[l] ? ws.slidingRope : ws.rope
            ropeBackward(ws.dq.pointer, table: table, rows: N, heads: H, headSize: hs, style: c.ropeStyle)
            ropeBackward(ws.dk.pointer, table: table, rows: N, heads: KVH, headSize: hs, style: c.ropeStyle)
            var dq = UnsafePointer(ws.dq.pointer), dk = UnsafePointer(ws.dk.pointer)
            if let queryNorm = layer.queryNorm, let keyNorm = layer.keyNorm, let qRaw = a.qRaw, let kRaw = a.kRaw,
               let dqRaw = ws.dqRaw, let dkRaw = ws.dkRaw {
                dqRaw.zero()
                dkRaw.zero()
                rmsnormBackward(dx: dqRaw.pointer, dweight: frozen ? nil : g + queryNorm, dout: dq, x: qRaw.pointer,
                                weight: w + queryNorm, rows: N * H, channels: hs, epsilon: c.rmsEpsilon)
                rmsnormBackward(dx: dkRaw.pointer, dweight: frozen ? nil : g + keyNorm, dout: dk, x: kRaw.pointer,
                                weight: w + keyNorm, rows: N * KVH, channels: hs, epsilon: c.rmsEpsilon)
                dq = UnsafePointer(dqRaw.pointer)
                dk = UnsafePointer(dkRaw.pointer)
            }
            projectBackward(ws, l, .query, dx: dNorm, dout: dq, x: a.norm1.pointer, rows: N)
            projectBackward(ws, l, .key, dx: dNorm, dout: dk, x: a.norm1.pointer, rows: N, accumulateInput: true)
            projectBackward(ws, l, .value, dx: dNorm, dout: ws.dv.pointer, x: a.norm1.pointer, rows: N, accumulateInput: true)
            rmsnormBackward(dx: dx, dweight: frozen ? nil : g + layer.attentionNorm, dout: dNorm, x: ws.residual[l].pointer,
                            weight: w + layer.attentionNorm, rows: N, channels: C, epsilon: c.rmsEpsilon)
        }
        if !frozen {
            if c.embeddingScale != 1 {
                for i in 0..<(N * C) { dx[i] *= c.embeddingScale }
            }
            embeddingBackward(g + layout.embedding, dout: dx, tokens: sequences.flatMap(\.tokens), channels: C)
        }
    }
}

/// Activations of one packed micro-batch, kept for the backward pass, and the backward's scratch.
/// Grown when a larger batch arrives, reused otherwise.
private final class Workspace {
    struct Layer {
        let norm1, q, k, v, probabilities, attention, middle, norm2, gate, up, hidden: FloatBuffer
        /// Q and K before their head norms (Qwen3, Gemma 3).
        let qRaw, kRaw: FloatBuffer?
        /// The attention and feed-forward outputs before their post-norm and scale, when the
        /// residual is not plain (Gemma, Granite).
        let attentionBranch, feedForwardBranch: FloatBuffer?
    }

    let rowCapacity: Int
    let squareCapacity: Int
    /// residual[l] is the input of block l; residual[L] the input of the final norm.
    let residual: [FloatBuffer]
    let layers: [Layer]
    let finalNorm, logits: FloatBuffer
    /// The logits after the final soft-cap, whose derivative the backward needs (Gemma 2).
    let cappedLogits: FloatBuffer?
    /// The final-norm rows that get logits, packed (and their gradient, in the backward).
    let headInput: FloatBuffer
    let dResidual, dNorm, dAttention, dq, dk, dv, dHidden, scoreScratch, dBranch, dBranchScaled: FloatBuffer
    let dqRaw, dkRaw: FloatBuffer?
    var rope = RotaryTable(positions: [], dimensions: 2, base: 10_000)
    var slidingRope = RotaryTable(positions: [], dimensions: 2, base: 10_000)

    /// Per adapter: v = scale·input·Aᵀ, its gradient, and with dropout the mask and the dropped input.
    struct AdapterBuffers {
        let projected, gradient: FloatBuffer
        let multiplier, dropped: FloatBuffer?
    }

    let lora: [AdapterBuffers]

    /// The activations of block `l` (one shared cache when checkpointing).
    func cache(_ l: Int) -> Layer { layers[layers.count == 1 ? 0 : l] }

    init(config c: DecoderConfig, rows N: Int, squares: Int, lora adapters: LoRAAdapters?, layerCaches: Int) {
        lora = adapters.map { adapters in
            adapters.adapters.map { adapter in
                let r = adapters.settings.rank
                let dropout = adapters.settings.dropout > 0
                return AdapterBuffers(projected: FloatBuffer(count: N * r), gradient: FloatBuffer(count: N * r),
                                      multiplier: dropout ? FloatBuffer(count: N * adapter.inputs) : nil,
                                      dropped: dropout ? FloatBuffer(count: N * adapter.inputs) : nil)
            }
        } ?? []
        rowCapacity = N
        squareCapacity = squares
        let (C, F, kvd, A) = (c.embeddingLength, c.feedForwardLength, c.kvDimension, c.attentionWidth)
        let branches = c.normalizesBlockOutputs || c.residualScale != 1
        residual = (0...c.layerCount).map { _ in FloatBuffer(count: N * C) }
        layers = (0..<layerCaches).map { _ in
            Layer(norm1: FloatBuffer(count: N * C), q: FloatBuffer(count: N * A), k: FloatBuffer(count: N * kvd),
                  v: FloatBuffer(count: N * kvd), probabilities: FloatBuffer(count: squares * c.headCount),
                  attention: FloatBuffer(count: N * A), middle: FloatBuffer(count: N * C), norm2: FloatBuffer(count: N * C),
                  gate: FloatBuffer(count: N * F), up: FloatBuffer(count: N * F), hidden: FloatBuffer(count: N * F),
                  qRaw: c.normalizesQueryKey ? FloatBuffer(count: N * A) : nil,
                  kRaw: c.normalizesQueryKey ? FloatBuffer(count: N * kvd) : nil,
                  attentionBranch: branches ? FloatBuffer(count: N * C) : nil,
                  feedForwardBranch: branches ? FloatBuffer(count: N * C) : nil)
        }
        finalNorm = FloatBuffer(count: N * C)
        headInput = FloatBuffer(count: N * C)
        logits = FloatBuffer(count: N * c.vocabularySize)
        cappedLogits = c.finalLogitSoftcap == nil ? nil : FloatBuffer(count: N * c.vocabularySize)
        dResidual = FloatBuffer(count: N * C)
        dNorm = FloatBuffer(count: N * C)
        dAttention = FloatBuffer(count: N * A)
        dq = FloatBuffer(count: N * A)
        dk = FloatBuffer(count: N * kvd)
        dv = FloatBuffer(count: N * kvd)
        dqRaw = c.normalizesQueryKey ? FloatBuffer(count: N * A) : nil
        dkRaw = c.normalizesQueryKey ? FloatBuffer(count: N * kvd) : nil
        dHidden = FloatBuffer(count: N * F)
        dBranch = FloatBuffer(count: branches ? N * C : 1)
        dBranchScaled = FloatBuffer(count: branches ? N * C : 1)
        let longest = Int(Double(squares).squareRoot().rounded(.up))
        // The soft-capped attention's backward recomputes the scores beside dS.
        scoreScratch = FloatBuffer(count: longest * longest * (c.attentionSoftcap == nil ? 1 : 2))
    }
}

/// One slot per parallel part, summed after the parts finish.
private final class PartialSums: @unchecked Sendable {
    private let sums: UnsafeMutableBufferPointer<LossSum>
    init(count: Int) { sums = .allocate(capacity: count); sums.initialize(repeating: LossSum()) }
    deinit { sums.deallocate() }
    /// Each part writes only its own slot (raw memory, so concurrent parts never share a buffer header).
    func set(_ index: Int, _ value: LossSum) { sums[index] = value }
    var total: LossSum { sums.reduce(LossSum(), +) }
}
