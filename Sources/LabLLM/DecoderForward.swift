import Foundation
import LabTensor

/// Row bookkeeping of one batched pass: which rows of the stacked activations belong to which
/// sequence.
struct BatchLayout {
    /// First row of each sequence.
    var offsets: [Int]
    /// New rows of each sequence.
    var counts: [Int]
    /// Cache length of each sequence before this pass.
    var starts: [Int]
    /// All rows.
    var total: Int
}

/// Activation buffers of one forward pass, sized for N rows.
private struct Activations {
    let x, xb, q, k, v, attention, residual, gate, up, tile: UnsafeMutablePointer<Float>

    init(rows N: Int, config: DecoderConfig, tileCapacity: Int) {
        let C = config.embeddingLength, A = config.headCount * config.headSize
        let KV = config.kvDimension, FF = config.feedForwardLength
        x = .allocate(capacity: N * C)
        xb = .allocate(capacity: N * C)
        q = .allocate(capacity: N * A)
        k = .allocate(capacity: N * KV)
        v = .allocate(capacity: N * KV)
        attention = .allocate(capacity: N * A)
        residual = .allocate(capacity: N * C)
        gate = .allocate(capacity: N * FF)
        up = .allocate(capacity: N * FF)
        tile = .allocate(capacity: tileCapacity)
    }

    func deallocate() {
        for buffer in [x, xb, q, k, v, attention, residual, gate, up, tile] {
            buffer.deallocate()
        }
    }
}

/// The input rows of a linear layer, the rows of each sequence among them, and their int8
/// rounding when the products use it.
private struct LinearInput {
    let x: UnsafePointer<Float>
    let rows: Int
    /// Each sequence's rows, in order and back to back.
    let sequences: [Range<Int>]
    let quantized: QuantizedActivations?
}

extension DecoderModel {
    /// Floats of the dequantized weight tile used by the sgemm path (4 MiB).
    static let tileCapacity = 1 << 20

    /// Rows per pass unless the caller says otherwise. Half llama.cpp's n_ubatch: on SmolLM2-135M a
    /// 512-token prompt ran as fast in two passes (F32, BF16, Q4_0 pp512 within this machine's
    /// noise, 2 threads) and peaked 6–10 MiB lower; 128-row passes cost F32 a tenth of its speed.
    public static let defaultMicroBatchRows = 256

    /// `run` over at most `microBatchRows` rows per pass. Each sequence's tokens are cut into
    /// pieces of `microBatchRows` from its first new token; a pass takes the next piece of as
    /// many sequences as fit (always at least one), so pieces of one sequence run in order and a
    /// piece's rows are the same whatever shares its pass. Returns what `run` returns for the
    /// whole call: every row of every sequence when `allPositions`, else each sequence's last.
    func runInPieces(tokens: [[Int32]], caches: [KVCache], allPositions: Bool) -> [Float] {
        let U = microBatchRows
        guard tokens.reduce(0, { $0 + $1.count }) > U else {
            return run(tokens: tokens, caches: caches, allPositions: allPositions)
        }
        let V = vocabularySize
        var done = [Int](repeating: 0, count: tokens.count)
        var rows = [[Float]](repeating: [], count: tokens.count)
        while let first = done.indices.first(where: { done[$0] < tokens[$0].count }) {
            var members: [Int] = [], pieces: [[Int32]] = []
            var budget = U
            for s in first..<tokens.count where done[s] < tokens[s].count {
                let piece = min(U, tokens[s].count - done[s])
                guard members.isEmpty || piece <= budget else { continue }
                members.append(s)
                pieces.append(Array(tokens[s][done[s]..<(done[s] + piece)]))
                budget -= piece
            }
            let logits = run(tokens: pieces, caches: members.map { caches[$0] }, allPositions: allPositions)
            var offset = 0
            for (s, piece) in zip(members, pieces) {
                let count = allPositions ? piece.count * V : V
                if allPositions {
                    rows[s] += logits[offset..<(offset + count)]
                } else {
                    rows[s] = Array(logits[offset..<(offset + count)])
                }
                offset += count
                done[s] += piece.count
            }
        }
        return rows.flatMap { $0 }
    }

    /// The forward pass over already checked inputs. Returns logits (R, vocab) where R is every
    /// row when `allPositions`, else the last row of each sequence; advances every cache.
    func run(tokens: [[Int32]], caches: [KVCache], allPositions: Bool) -> [Float] {
        let cfg = config
        let C = cfg.embeddingLength, H = cfg.headCount, KVH = cfg.kvHeadCount, hs = cfg.headSize
        let KV = cfg.kvDimension
        var layout = BatchLayout(offsets: [], counts: [], starts: [], total: 0)
        var positions: [Int] = []
        for (s, sequence) in tokens.enumerated() {
            layout.offsets.append(layout.total)
            layout.counts.append(sequence.count)
            layout.starts.append(caches[s].count)
            positions += (0..<sequence.count).map { caches[s].count + $0 }
            layout.total += sequence.count
        }
        let N = layout.total
        let sequences = zip(layout.offsets, layout.counts).map { $0..<($0 + $1) }
        let tileCapacity = (layout.counts.max() ?? 0) >= sgemmRowThreshold ? Self.tileCapacity : 0
        let buffers = Activations(rows: N, config: cfg, tileCapacity: max(tileCapacity, 1))
        defer { buffers.deallocate() }
        let rotary = RotaryTable(positions: positions, dimensions: cfg.ropeDimensions, base: cfg.ropeFrequencyBase,
                                 factors: cfg.ropeFrequencyFactors)
        // Sliding-window layers may rotate with a base of their own (Gemma 3).
        let slidingBase = cfg.slidingRopeFrequencyBase ?? cfg.ropeFrequencyBase
        let slidingRotary = slidingBase == cfg.ropeFrequencyBase || !cfg.slidingLayers.contains(true)
            ? rotary : RotaryTable(positions: positions, dimensions: cfg.ropeDimensions, base: slidingBase, factors: cfg.ropeFrequencyFactors)

        // x (N,C) = token embeddings (× the architecture's embedding scale)
        embeddingForward(buffers.x, table: weights.tokenEmbedding, tokens: tokens.flatMap { $0 })
        if cfg.embeddingScale != 1 { scale(buffers.x, by: cfg.embeddingScale, count: N * C) }

        for (l, layer) in weights.layers.enumerated() {
            // attention block: x += s · post(Wo · attention(rope(qn(Wq·norm(x))), rope(kn(Wk·norm(x))), Wv·norm(x)))
            layer.attentionNorm.withUnsafeBufferPointer { norm in
                rmsnormForward(buffers.xb, buffers.x, norm.baseAddress!, rows: N, channels: C, epsilon: cfg.rmsEpsilon)
            }
            let normed = input(buffers.xb, sequences: sequences, columns: C)
            linear([(layer.query, buffers.q), (layer.key, buffers.k), (layer.value, buffers.v)], normed, tile: buffers.tile)
            if let queryNorm = layer.queryNorm, let keyNorm = layer.keyNorm {
                queryNorm.withUnsafeBufferPointer { norm in
                    rmsnormForward(buffers.q, buffers.q, norm.baseAddress!, rows: N * H, channels: hs, epsilon: cfg.rmsEpsilon)
                }
                keyNorm.withUnsafeBufferPointer { norm in
                    rmsnormForward(buffers.k, buffers.k, norm.baseAddress!, rows: N * KVH, channels: hs, epsilon: cfg.rmsEpsilon)
                }
            }
            let table = cfg.slidingLayers[l] ? slidingRotary : rotary
            ropeForward(buffers.q, table: table, rows: N, heads: H, headSize: hs, style: cfg.ropeStyle)
            ropeForward(buffers.k, table: table, rows: N, heads: KVH, headSize: hs, style: cfg.ropeStyle)
            for (s, cache) in caches.enumerated() {
                cache.write(
                    layer: l, position: layout.starts[s], rows: layout.counts[s],
                    keys: buffers.k + layout.offsets[s] * KV, values: buffers.v + layout.offsets[s] * KV
                )
            }
            attend(caches: caches, layer: l, layout: layout, q: buffers.q, out: buffers.attention)
            linear(layer.attentionOutput, input(buffers.attention, sequences: sequences, columns: H * hs), into: buffers.residual, tile: buffers.tile)
            addResidual(buffers.x, buffers.residual, norm: layer.postAttentionNorm, rows: N)

            // feed-forward block: x += s · post(W_down · (act(W_gate·norm(x)) ⊙ W_up·norm(x)))
            layer.feedForwardNorm.withUnsafeBufferPointer { norm in
                rmsnormForward(buffers.xb, buffers.x, norm.baseAddress!, rows: N, channels: C, epsilon: cfg.rmsEpsilon)
            }
            let normedFF = input(buffers.xb, sequences: sequences, columns: C)
            linear([(layer.gate, buffers.gate), (layer.up, buffers.up)], normedFF, tile: buffers.tile)
            switch cfg.activation {
            case .silu: swigluForward(buffers.gate, gate: buffers.gate, up: buffers.up, count: N * cfg.feedForwardLength)
            case .geluTanh: gegluForward(buffers.gate, gate: buffers.gate, up: buffers.up, count: N * cfg.feedForwardLength)
            }
            linear(layer.down, input(buffers.gate, sequences: sequences, columns: cfg.feedForwardLength), into: buffers.residual, tile: buffers.tile)
            addResidual(buffers.x, buffers.residual, norm: layer.postFeedForwardNorm, rows: N)
        }
        for (s, cache) in caches.enumerated() {
            cache.advance(by: layout.counts[s])
        }

        // logits (R, vocab) = cap(scale · (W_out · norm(x) + b)) for the rows asked for
        let R: Int
        if allPositions {
            R = N
        } else {
            R = caches.count
            for s in 0..<R {
                (buffers.residual + s * C).update(from: buffers.x + (layout.offsets[s] + layout.counts[s] - 1) * C, count: C)
            }
            buffers.x.update(from: buffers.residual, count: R * C)
        }
        weights.outputNorm.withUnsafeBufferPointer { norm in
            rmsnormForward(buffers.xb, buffers.x, norm.baseAddress!, rows: R, channels: C, epsilon: cfg.rmsEpsilon)
        }
        let V = vocabularySize
        return [Float](unsafeUninitializedCapacity: R * V) { logits, initialized in
            let rows = allPositions ? sequences : (0..<R).map { $0..<($0 + 1) }
            let out = logits.baseAddress!
            linear(weights.output, input(buffers.xb, sequences: rows, columns: C), into: out, tile: buffers.tile)
            if cfg.logitScale != 1 { scale(out, by: cfg.logitScale, count: R * V) }
            if let cap = cfg.finalLogitSoftcap {
                for i in 0..<(R * V) { out[i] = cap * tanhf(out[i] / cap) }
            }
            initialized = R * V
        }
    }

    /// x (N, C) += residualScale · norm(y), where norm is the block's optional post-norm
    /// (applied to y in place).
    private func addResidual(_ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, norm: [Float]?, rows N: Int) {
        let C = config.embeddingLength
        if let norm {
            norm.withUnsafeBufferPointer { weight in
                rmsnormForward(y, y, weight.baseAddress!, rows: N, channels: C, epsilon: config.rmsEpsilon)
            }
        }
        axpy(x, y, alpha: config.residualScale, count: N * C)
    }

    /// x (count) *= factor
    private func scale(_ x: UnsafeMutablePointer<Float>, by factor: Float, count: Int) {
        for i in 0..<count { x[i] *= factor }
    }

    /// out (N, rows) = x · wᵀ + bias.
    private func linear(_ layer: Linear, _ input: LinearInput, into out: UnsafeMutablePointer<Float>, tile: UnsafeMutablePointer<Float>) {
        linear([(layer, out)], input, tile: tile)
    }

    /// Each layer's out (N, rows) = x · wᵀ + bias, for layers that read the same input (query,
    /// key and value; gate and up).
    ///
    /// A sequence with fewer than the threshold's rows in this pass goes through the fused block
    /// product, whose every output row depends only on its own input row; a longer one (a
    /// prompt) goes through the many-input path on its own rows (register tiles for Float
    /// weights; dequantized tiles and sgemm when activations stay Float). The choice is per
    /// sequence, never per batch, so a sequence's logits are the same bits whatever else shares
    /// the pass: a resumed run, which batches its remaining work differently, reproduces the
    /// uninterrupted run's text exactly. Both paths see the same activations, rounded as
    /// llama.cpp rounds them for the weights' format.
    ///
    /// The short sequences' rows of all the layers go through one parallel job over their
    /// concatenated output rows: a decode step waits for its threads once per group instead of
    /// once per matrix, and the threads' shares even out across the matrices.
    private func linear(_ layers: [(Linear, UnsafeMutablePointer<Float>)], _ input: LinearInput, tile: UnsafeMutablePointer<Float>) {
        let matrices = layers.map { $0.0.matrix }
        let thresholds = Set(matrices.map { threshold(for: $0, input) })
        guard thresholds.count == 1, let threshold = thresholds.first else {
            // Formats that switch paths at different widths: one matrix at a time.
            for (layer, out) in layers { linear([(layer, out)], input, tile: tile) }
            return
        }
        let (fused, long) = split(input, threshold: threshold)
        // One job over the concatenated output rows of every matrix, for the short sequences.
        var firstRow = [0]
        for w in matrices { firstRow.append(firstRow[firstRow.count - 1] + w.rows) }
        for rows in fused {
            let part: (Range<Int>) -> Void = { outputs in
                for (m, w) in matrices.enumerated() {
                    let lower = max(outputs.lowerBound, firstRow[m]), upper = min(outputs.upperBound, firstRow[m + 1])
                    guard lower < upper else { continue }
                    self.multiplyShort(w, input, rows: rows, into: layers[m].1, outputs: (lower - firstRow[m])..<(upper - firstRow[m]))
                }
            }
            // A single token's step is tens of microseconds: fixed shares, one hand-off. Several
            // rows (a prompt, a batch of sequences) are worth chunks the threads take in turn.
            if rows.count >= Self.chunkedRows {
                parallelChunks(count: firstRow[matrices.count], threads: threadCount, multiple: 16, minimumPerChunk: 64, part)
            } else {
                parallelRanges(count: firstRow[matrices.count], threads: threadCount, minimumPerThread: 64, part)
            }
        }
        for (m, w) in matrices.enumerated() where !long.isEmpty {
            multiplyLong(w, input, sequences: long, into: layers[m].1, tile: tile)
        }
        for (layer, out) in layers {
            guard let bias = layer.bias else { continue }
            let width = layer.matrix.rows
            bias.withUnsafeBufferPointer { b in
                for row in 0..<input.rows {
                    axpy(out + row * width, b.baseAddress!, alpha: 1, count: width)
                }
            }
        }
    }

    /// x (rows, columns) as the linear layers read it, split into the row ranges of its
    /// sequences: with its int8 rounding, made once here for every matrix that reads x, when
    /// this model's products round activations.
    private func input(_ x: UnsafePointer<Float>, sequences: [Range<Int>], columns: Int) -> LinearInput {
        let rows = sequences.last?.upperBound ?? 0
        return LinearInput(
            x: x, rows: rows, sequences: sequences,
            quantized: quantizesActivations && !integerFormats.isEmpty
                ? QuantizedActivations(x, rows: rows, columns: columns, for: integerFormats.filter { columns % $0.blockSize == 0 })
                : nil
        )
    }

    /// The row count from which a sequence's rows take the long (many-input) path for `w`.
    private func threshold(for w: QuantizedMatrix, _ input: LinearInput) -> Int {
        w.format.quantizesActivations && input.quantized != nil ? integerSgemmRowThreshold : sgemmRowThreshold
    }

    /// The input's sequences split into runs of short ones (neighbours merged, so they share a
    /// call) and long ones.
    private func split(_ input: LinearInput, threshold: Int) -> (fused: [Range<Int>], long: [Range<Int>]) {
        var fused: [Range<Int>] = []
        var long: [Range<Int>] = []
        for rows in input.sequences where !rows.isEmpty {
            if rows.count >= threshold {
                long.append(rows)
            } else if let last = fused.last, last.upperBound == rows.lowerBound {
                fused[fused.count - 1] = last.lowerBound..<rows.upperBound
            } else {
                fused.append(rows)
            }
        }
        return (fused, long)
    }

    /// Output rows `outputs` of `w` for the input rows `rows` through the fused block product.
    private func multiplyShort(
        _ w: QuantizedMatrix, _ input: LinearInput, rows: Range<Int>, into out: UnsafeMutablePointer<Float>, outputs: Range<Int>
    ) {
        let quantized = w.format.quantizesActivations ? input.quantized : nil
        // Float weights go through the C kernels with activations rounded as llama.cpp rounds them
        // (F16: binary16, BF16: bfloat16), unless this model keeps every activation in Float
        // (the Swift SIMD products).
        let floatKernels = quantizesActivations && !w.format.quantizesActivations
        let x = input.x + rows.lowerBound * w.columns, y = out + rows.lowerBound * w.rows
        if let quantized {
            w.multiply(quantized, inputRows: rows, into: y, outStride: w.rows, rows: outputs)
        } else if floatKernels {
            w.multiply(x, count: rows.count, into: y, outStride: w.rows, rows: outputs)
        } else {
            w.multiplyFloat(x, count: rows.count, into: y, outStride: w.rows, rows: outputs)
        }
    }

    /// The long sequences' rows of out = x · wᵀ: register tiles for Float weights with llama.cpp's
    /// rounding, else dequantized tiles and sgemm.
    private func multiplyLong(
        _ w: QuantizedMatrix, _ input: LinearInput, sequences long: [Range<Int>], into out: UnsafeMutablePointer<Float>,
        tile: UnsafeMutablePointer<Float>
    ) {
        let quantized = w.format.quantizesActivations ? input.quantized : nil
        if quantizesActivations && !w.format.quantizesActivations {
            multiplyTiled(w, input, sequences: long, into: out)
            return
        }
        var x = input.x
        var rounded: UnsafeMutablePointer<Float>?
        if let quantized {
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: input.rows * w.columns)
            quantized.dequantize(for: w.format, into: buffer)
            x = UnsafePointer(buffer)
            rounded = buffer
        }
        defer { rounded?.deallocate() }
        if w.format == .f32 {
            // Float weights are multiplied where they lie, with no tile copy.
            let weights = w.data.assumingMemoryBound(to: Float.self)
            for rows in long {
                matmulForward(
                    out + rows.lowerBound * w.rows, x + rows.lowerBound * w.columns, weights,
                    rows: rows.count, inputs: w.columns, outputs: w.rows, outStride: w.rows
                )
            }
            return
        }
        let tileRows = max(1, Self.tileCapacity / w.columns)
        var first = 0
        while first < w.rows {
            let last = min(w.rows, first + tileRows)
            parallelRanges(count: last - first, threads: threadCount, minimumPerThread: 32) { rows in
                w.dequantize(rows: (first + rows.lowerBound)..<(first + rows.upperBound), into: tile + rows.lowerBound * w.columns)
            }
            for rows in long {
                matmulForward(
                    out + rows.lowerBound * w.rows + first, x + rows.lowerBound * w.columns, tile,
                    rows: rows.count, inputs: w.columns, outputs: last - first, outStride: w.rows
                )
            }
            first = last
        }
    }

    /// The long sequences' rows of out = x · wᵀ for Float weights, with llama.cpp's rounding of
    /// the activations: register tiles on the weights where they lie, `tiledInputBlock` input
    /// rows at a time. Each block is rounded and laid out once for the threads, which take the
    /// weight rows in chunks; a block's copies (not the whole prompt's) are what the product
    /// adds to peak memory, and each output row depends on its own input row only.
    private func multiplyTiled(_ w: QuantizedMatrix, _ input: LinearInput, sequences long: [Range<Int>], into out: UnsafeMutablePointer<Float>) {
        let block = Self.tiledInputBlock
        let rounds = w.format.activationRounding != .none
        let buffer = rounds ? UnsafeMutablePointer<Float>.allocate(capacity: block * w.columns) : nil
        defer { buffer?.deallocate() }
        for rows in long {
            for first in stride(from: rows.lowerBound, to: rows.upperBound, by: block) {
                let count = min(block, rows.upperBound - first)
                var inputs = input.x + first * w.columns
                if let buffer {
                    w.format.roundActivations(inputs, count: count * w.columns, into: buffer)
                    inputs = UnsafePointer(buffer)
                }
                let prepared = w.prepareTiled(inputs, count: count)
                // Chunks of whole tiles (four or six rows on AVX2, four on AVX-512).
                parallelChunks(count: w.rows, threads: threadCount, multiple: 12, minimumPerChunk: 16) { outputs in
                    w.multiplyTiled(inputs, count: count, into: out + first * w.rows, outStride: w.rows, rows: outputs, prepared: prepared)
                }
            }
        }
    }

    /// Input rows per block of the tiled Float products (see `multiplyTiled`): a multiple of the
    /// kernels' 64-row input block.
    static let tiledInputBlock = 128

    /// out (N, H·hs) = causal attention of each sequence's query rows over its own cache.
    /// Work items are (sequence, head, rows) triples spread over the threads when there is enough
    /// work. A long run of rows (a prompt) is cut into chunks, and chunk k travels with chunk
    /// C−1−k, so that every item of a causal prompt costs about the same and no thread waits on
    /// the last heads. Each row's result is the same whichever item computes it.
    private func attend(caches: [KVCache], layer l: Int, layout: BatchLayout, q: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        let H = config.headCount, KVH = config.kvHeadCount, hs = config.headSize
        let A = H * hs
        var work = 0
        var longest = 0
        var items: [(sequence: Int, head: Int, rows: [Range<Int>])] = []
        for s in caches.indices {
            let count = layout.counts[s], length = layout.starts[s] + count
            work += count * length * H * hs
            longest = max(longest, length)
            let chunks = (0..<((count + Self.attentionChunkRows - 1) / Self.attentionChunkRows)).map {
                ($0 * Self.attentionChunkRows)..<min(count, ($0 + 1) * Self.attentionChunkRows)
            }
            for h in 0..<H {
                for k in 0..<((chunks.count + 1) / 2) {
                    let partner = chunks.count - 1 - k
                    items.append((s, h, partner == k ? [chunks[k]] : [chunks[k], chunks[partner]]))
                }
            }
        }
        let threads = work >= 1 << 17 ? threadCount : 1
        parallelRanges(count: items.count, threads: threads) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: longest) { scratch in
                for item in items[range] {
                    let s = item.sequence, h = item.head
                    for rows in item.rows {
                        let offset = (layout.offsets[s] + rows.lowerBound) * A
                        let keys = caches[s].keys(layer: l), values = caches[s].values(layer: l)
                        let start = layout.starts[s] + rows.lowerBound
                        switch caches[s].element {
                        case .f32:
                            attentionForward(
                                out + offset, q: q + offset,
                                keys: keys.assumingMemoryBound(to: Float.self), values: values.assumingMemoryBound(to: Float.self),
                                rows: rows.count, start: start, heads: H, kvHeads: KVH, headSize: hs,
                                headRange: h..<(h + 1), scratch: scratch.baseAddress!, kernel: swiftAttention ? .swift : .c,
                                scale: config.attentionScale, softcap: config.attentionSoftcap, window: config.window(layer: l)
                            )
                        case .f16:
                            attentionForwardF16(
                                out + offset, q: q + offset,
                                keys: keys.assumingMemoryBound(to: Float16.self), values: values.assumingMemoryBound(to: Float16.self),
                                rows: rows.count, start: start, heads: H, kvHeads: KVH, headSize: hs,
                                headRange: h..<(h + 1), scratch: scratch.baseAddress!,
                                scale: config.attentionScale, window: config.window(layer: l)
                            )
                        }
                    }
                }
            }
        }
    }

    /// Input rows from which the fused products hand out their output rows in chunks rather
    /// than fixed shares (see `parallelChunks`).
    static let chunkedRows = 8

    /// Rows per attention work item in a long pass (see `attend`).
    static let attentionChunkRows = 32
}
