import Foundation
import LabGGUF
import LabLLM
import Testing

@Suite("DecoderModel on a tiny random model")
struct ModelTinyTests {
    /// Largest |a − b| over two logit tables, with where it happened.
    static func worstDifference(_ actual: [Float], _ expected: [[Double]]) -> (difference: Double, row: Int, column: Int) {
        var worst = (difference: 0.0, row: 0, column: 0)
        for (t, row) in expected.enumerated() {
            for (v, value) in row.enumerated() {
                let d = abs(Double(actual[t * row.count + v]) - value)
                if !(d <= worst.difference) { worst = (d.isNaN ? .infinity : d, t, v) }
            }
        }
        return worst
    }

    @Test(
        "logits at every position equal a float64 forward pass written in the test",
        arguments: [(threshold: 16, tied: false), (threshold: 1, tied: false), (threshold: 16, tied: true)]
    )
    func matchesFloat64Reference(path: (threshold: Int, tied: Bool)) throws {
        let fixture = try TinyModelFixture(seed: 7, tiedOutput: path.tied)
        let model = try DecoderModel(file: fixture.file, threads: 2, sgemmRowThreshold: path.threshold, quantizesActivations: false)
        let tokens: [Int32] = [3, 17, 0, 39, 5, 5, 22, 8, 11, 30]
        let logits = try model.forwardAllPositions(tokens: tokens, state: model.makeSequenceState(capacity: 32))
        let worst = Self.worstDifference(logits, fixture.referenceLogits(tokens))
        #expect(worst.difference < 2e-3, "sgemm from \(path.threshold) rows, tied \(path.tied): logit [\(worst.row), \(worst.column)] off by \(worst.difference)")
    }

    @Test(
        "with int8 activations, both paths equal a float64 pass that rounds activations the same way (away from rounding ties)",
        arguments: [1, 16]
    )
    func quantizedActivationsMatchReference(threshold: Int) throws {
        let fixture = try TinyModelFixture(seed: 7, quantizedReference: true)
        let model = try DecoderModel(file: fixture.file, threads: 2, sgemmRowThreshold: threshold)
        // Tokens whose activations sit away from rounding ties: a 1e-7 difference in summation
        // order can otherwise flip one activation's int8 rounding, a real (and llama.cpp-like)
        // discontinuity that a random tiny model amplifies to ~0.1 in the logits.
        let tokens: [Int32] = [30, 11, 8, 22, 5, 5, 39, 0, 17, 3]
        let logits = try model.forwardAllPositions(tokens: tokens, state: model.makeSequenceState(capacity: 32))
        let worst = Self.worstDifference(logits, fixture.referenceLogits(tokens))
        #expect(worst.difference < 2e-3, "sgemm from \(threshold) rows: logit [\(worst.row), \(worst.column)] off by \(worst.difference)")
        let exact = try DecoderModel(file: fixture.file, threads: 2, sgemmRowThreshold: threshold, quantizesActivations: false)
        let float = try exact.forwardAllPositions(tokens: tokens, state: exact.makeSequenceState(capacity: 32))
        #expect(zip(float, logits).contains { abs($0 - $1) > 1e-3 }, "the activations really are rounded")
    }

    @Test("decoding one token at a time gives the logits of the whole-prompt pass", arguments: [1, 16])
    func incrementalDecodeMatchesPrefill(threshold: Int) throws {
        let fixture = try TinyModelFixture(seed: 8)
        let model = try DecoderModel(file: fixture.file, threads: 2, sgemmRowThreshold: threshold, quantizesActivations: false)
        let tokens: [Int32] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]
        let all = try model.forwardAllPositions(tokens: tokens, state: model.makeSequenceState(capacity: 32))
        let state = try model.makeSequenceState(capacity: 32)
        _ = try model.forward(tokens: [Array(tokens[0..<12])], states: [state])
        for t in 12..<tokens.count {
            let step = try model.forward(tokens: [[tokens[t]]], states: [state])[0]
            let expected = Array(all[(t * model.vocabularySize)..<((t + 1) * model.vocabularySize)])
            let worst = zip(step, expected).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst < 1e-4, "position \(t): decode differs from prefill by \(worst)")
        }
        #expect(state.count == tokens.count)
    }

    @Test(
        "a batch of different sequences gives each the same bits as running it alone",
        arguments: [1, 4, 16], [false, true]
    )
    func batchEqualsSeparateRuns(threshold: Int, int8: Bool) throws {
        // Bit-identical, not merely close: a resumed generation run batches its remaining work
        // differently from the run it continues, and must still write the same text.
        let fixture = try TinyModelFixture(seed: 9)
        let model = try DecoderModel(file: fixture.file, threads: 2, sgemmRowThreshold: threshold, quantizesActivations: int8)
        let prompts: [[Int32]] = [[1, 2, 3], [4], [5, 6, 7, 8, 9, 10, 11], [12, 13]]
        let continuations: [[Int32]] = [[20], [21, 22], [23], [24]]
        var alone: [[Float]] = []
        for (prompt, next) in zip(prompts, continuations) {
            let state = try model.makeSequenceState(capacity: 16)
            _ = try model.forward(tokens: [prompt], states: [state])
            alone.append(try model.forward(tokens: [next], states: [state])[0])
        }
        let states = try prompts.map { _ in try model.makeSequenceState(capacity: 16) }
        _ = try model.forward(tokens: prompts, states: states)
        let batched = try model.forward(tokens: continuations, states: states)
        for s in prompts.indices {
            let worst = zip(batched[s], alone[s]).map { abs($0 - $1) }.max() ?? .infinity
            #expect(batched[s] == alone[s], "sequence \(s), sgemm from \(threshold) rows: batched logits differ from a lone run by \(worst)")
            #expect(states[s].count == prompts[s].count + continuations[s].count)
        }
    }

    @Test(
        "a call longer than a pass runs in pieces with the logits of one pass, and a batch in pieces gives each sequence its lone bits",
        arguments: [false, true]
    )
    func piecesEqualOnePass(int8: Bool) throws {
        let fixture = try TinyModelFixture(seed: 12) { $0.set("llama.context_length", .uint32(320)) }
        let whole = try DecoderModel(file: fixture.file, threads: 2, quantizesActivations: int8)
        // Pieces of 16 rows: as many as the Float weights (attn_v F16, attn_output F32) need to
        // take the register tiles, whose bits do not depend on the number of rows.
        let pieces = try DecoderModel(file: fixture.file, threads: 2, quantizesActivations: int8, microBatchRows: 16)
        // 300 tokens: the whole model's passes (256 rows, then 44) span several of the tiled
        // products' input blocks (DecoderModel.tiledInputBlock).
        let tokens: [Int32] = (0..<300).map { Int32(($0 * 7 + 3) % TinyModelFixture.vocab) }
        let expected = try whole.forwardAllPositions(tokens: tokens, state: whole.makeSequenceState(capacity: 320))
        let state = try pieces.makeSequenceState(capacity: 320)
        let actual = try pieces.forwardAllPositions(tokens: tokens, state: state)
        #expect(state.count == tokens.count)
        #expect(actual.count == expected.count)
        let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? .infinity
        if int8 {
            let same = actual == expected
            #expect(same, "pieces of 16 rows differ from one pass by \(worst)")
        } else {
            // Float activations meet sgemm, whose summation order follows the number of rows.
            #expect(worst < 1e-4, "pieces of 16 rows differ from one pass by \(worst)")
        }
        // Several sequences, some longer than a pass, some with pieces under 16 rows: each gets
        // the bits it gets alone, whatever shares its passes.
        let prompts: [[Int32]] = [Array(tokens.prefix(20)), [4, 9], Array(tokens.suffix(37)), Array(tokens.prefix(5))]
        let alone = try prompts.map { prompt in try pieces.forward(tokens: [prompt], states: [pieces.makeSequenceState(capacity: 64)])[0] }
        let states = try prompts.map { _ in try pieces.makeSequenceState(capacity: 64) }
        let batched = try pieces.forward(tokens: prompts, states: states)
        for s in prompts.indices {
            let same = batched[s] == alone[s]
            #expect(same, "sequence \(s) in a batch run in pieces differs from its lone run")
            #expect(states[s].count == prompts[s].count)
        }
    }

    @Test("truncating a state replays the same logits")
    func truncateReplays() throws {
        let fixture = try TinyModelFixture(seed: 10)
        let model = try DecoderModel(file: fixture.file, threads: 1)
        let state = try model.makeSequenceState(capacity: 16)
        _ = try model.forward(tokens: [[1, 2, 3]], states: [state])
        let first = try model.forward(tokens: [[4, 5]], states: [state])[0]
        state.truncate(to: 3)
        #expect(state.count == 3)
        let again = try model.forward(tokens: [[4, 5]], states: [state])[0]
        #expect(first == again)
    }

    @Test("an F16 cache is refused for heads the C attention kernels do not take, and the default falls back to F32")
    func f16CacheNeedsCoveredHeads() throws {
        let fixture = try TinyModelFixture(seed: 11)  // head size 16
        #expect(try DecoderModel(file: fixture.file, threads: 1).kvCacheElement == .f32)
        #expect(throws: ModelError.self) { try DecoderModel(file: fixture.file, threads: 1, kvCache: .f16) }
    }

    @Test("inputs the model cannot take are refused with what is wrong")
    func refusesBadInputs() throws {
        let fixture = try TinyModelFixture(seed: 11)
        let model = try DecoderModel(file: fixture.file, threads: 1)
        let state = try model.makeSequenceState(capacity: 4)
        let cases: [(tokens: [[Int32]], states: [any SequenceState], message: String)] = [
            ([[1, 2, 3, 4, 5]], [state], "capacity of 4"),
            ([[40]], [state], "token id 40"),
            ([[]], [state], "is empty"),
            ([[1], [2]], [state, state], "appears twice"),
            ([[1]], [], "1 token lists but 0 states"),
        ]
        for bad in cases {
            let error = #expect(throws: ModelError.self) { try model.forward(tokens: bad.tokens, states: bad.states) }
            #expect(error?.description.contains(bad.message) == true, "expected '\(bad.message)' in: \(String(describing: error))")
        }
        #expect(state.count == 0, "a refused batch must not advance the state")
        #expect(throws: ModelError.self) { try model.makeSequenceState(capacity: 65) }
        let other = try DecoderModel(file: fixture.file, threads: 1)
        #expect(throws: ModelError.self) { try other.forward(tokens: [[1]], states: [state]) }
    }

    @Test(
        "files the engine cannot run are rejected naming the key or tensor",
        arguments: [
            ("general.architecture", "gpt2"),
            ("llama.rope.scaling.type", "yarn"),
            ("llama.attention.head_count_kv", "3"),
            ("blk.1.ffn_up.weight", "missing"),
            ("blk.0.attn_norm.weight", "Q8_0"),
        ]
    )
    func rejectsUnsupportedFiles(problem: (field: String, value: String)) throws {
        let fixture = try TinyModelFixture(seed: 12) { writer in
            switch problem.field {
            case "general.architecture": writer.set("general.architecture", .string(problem.value))
            case "llama.rope.scaling.type": writer.set("llama.rope.scaling.type", .string(problem.value))
            case "llama.attention.head_count_kv": writer.set("llama.attention.head_count_kv", .uint32(3))
            default: break
            }
        }
        var url = fixture.url
        if problem.field.hasPrefix("blk.") {
            url = try Self.rewrite(fixture, tensor: problem.field, missing: problem.value == "missing")
        }
        let error = #expect(throws: ModelError.self) { try DecoderModel(file: GGUFFile(url: url), threads: 1) }
        #expect(error?.field == problem.field, "error names \(String(describing: error?.field)) instead of \(problem.field): \(String(describing: error))")
    }

    /// A copy of the fixture's file with one tensor dropped, or a norm vector stored as Q8_0 (a
    /// well-formed file whose norms the engine does not read in a block format).
    static func rewrite(_ fixture: TinyModelFixture, tensor: String, missing: Bool) throws -> URL {
        var writer = GGUFWriter()
        for (key, value) in fixture.file.metadata { writer.set(key, value) }
        for info in fixture.file.tensors where !(missing && info.name == tensor) {
            if info.name == tensor {
                writer.addTensor(info.name, dimensions: info.dimensions, type: .q8_0, values: fixture.file.floats(of: info))
            } else {
                writer.addTensor(info.name, dimensions: info.dimensions, type: info.type, encoded: Array(fixture.file.data(of: info)))
            }
        }
        let url = fixture.url.deletingLastPathComponent().appendingPathComponent("edited.gguf")
        try writer.write(to: url)
        return url
    }
}

