import Foundation
import LabCore
import LabGGUF
import LabTestSupport

/// A tiny random Llama model written to a temporary GGUF file, with its weights kept as
/// Double for the reference forward pass.
struct TinyModelFixture {
    static let layers = 2, C = 64, heads = 4, kvHeads = 2, FF = 96, vocab = 40, ropeBase: Float = 10_000, epsilon: Float = 1e-5

    let url: URL
    let file: GGUFFile
    /// Whether `referenceLogits` rounds activations before Q4_1/Q8_0 products as the engine does by default.
    let quantizedReference: Bool

    /// Writes the model; `types` picks each matrix's encoding by name, `tiedOutput` leaves out `output.weight`.
    init(seed: UInt64, tiedOutput: Bool = false, quantizedReference: Bool = false, edit: (inout GGUFWriter) -> Void = { _ in }) throws {
        self.quantizedReference = quantizedReference
        var random = SeededRandom(seed: seed)
        func values(_ count: Int, scale: Float) -> [Float] {
            (0..<count).map { _ in (random.nextUnitFloat() * 2 - 1) * scale }
        }
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("llama"))
        writer.set("llama.block_count", .uint32(UInt32(Self.layers)))
        writer.set("llama.embedding_length", .uint32(UInt32(Self.C)))
        writer.set("llama.feed_forward_length", .uint32(UInt32(Self.FF)))
        writer.set("llama.attention.head_count", .uint32(UInt32(Self.heads)))
        writer.set("llama.attention.head_count_kv", .uint32(UInt32(Self.kvHeads)))
        writer.set("llama.rope.freq_base", .float32(Self.ropeBase))
        writer.set("llama.attention.layer_norm_rms_epsilon", .float32(Self.epsilon))
        writer.set("llama.context_length", .uint32(64))
        writer.set("tokenizer.ggml.tokens", .array(elementType: .string, (0..<Self.vocab).map { .string("t\($0)") }))
        let hs = Self.C / Self.heads
        writer.addTensor("token_embd.weight", dimensions: [Self.C, Self.vocab], type: .q8_0, values: values(Self.C * Self.vocab, scale: 1))
        for l in 0..<Self.layers {
            let p = "blk.\(l)."
            writer.addTensor(p + "attn_norm.weight", dimensions: [Self.C], type: .f32, values: values(Self.C, scale: 1).map { 1 + $0 / 2 })
            writer.addTensor(p + "attn_q.weight", dimensions: [Self.C, Self.C], type: .q4_1, values: values(Self.C * Self.C, scale: 0.3))
            writer.addTensor(p + "attn_k.weight", dimensions: [Self.C, Self.kvHeads * hs], type: .q8_0, values: values(Self.C * Self.kvHeads * hs, scale: 0.3))
            writer.addTensor(p + "attn_v.weight", dimensions: [Self.C, Self.kvHeads * hs], type: .f16, values: values(Self.C * Self.kvHeads * hs, scale: 0.3))
            writer.addTensor(p + "attn_output.weight", dimensions: [Self.C, Self.C], type: .f32, values: values(Self.C * Self.C, scale: 0.2))
            writer.addTensor(p + "ffn_norm.weight", dimensions: [Self.C], type: .f32, values: values(Self.C, scale: 1).map { 1 + $0 / 2 })
            writer.addTensor(p + "ffn_gate.weight", dimensions: [Self.C, Self.FF], type: .q4_1, values: values(Self.C * Self.FF, scale: 0.3))
            writer.addTensor(p + "ffn_up.weight", dimensions: [Self.C, Self.FF], type: .q4_1, values: values(Self.C * Self.FF, scale: 0.3))
            writer.addTensor(p + "ffn_down.weight", dimensions: [Self.FF, Self.C], type: .q4_1, values: values(Self.FF * Self.C, scale: 0.2))
        }
        writer.addTensor("output_norm.weight", dimensions: [Self.C], type: .f32, values: values(Self.C, scale: 1).map { 1 + $0 / 2 })
        if !tiedOutput {
            writer.addTensor("output.weight", dimensions: [Self.C, Self.vocab], type: .q8_0, values: values(Self.C * Self.vocab, scale: 0.5))
        }
        edit(&writer)
        url = try TestPaths.temporaryDirectory("tiny-llama").appendingPathComponent("tiny.gguf")
        try writer.write(to: url)
        file = try GGUFFile(url: url)
    }

    /// A tensor decoded by LabGGUF (independently of the engine's kernels), as Double.
    func weights(_ name: String) -> [Double] {
        guard let info = file.tensorInfo(named: name) else { return [] }
        return file.floats(of: info).map(Double.init)
    }

    /// The whole forward pass in Double with plain loops: logits (T, vocab) for `tokens` from an
    /// empty cache. Written from the Llama architecture, sharing no code with the engine.
    func referenceLogits(_ tokens: [Int32]) -> [[Double]] {
        let C = Self.C, H = Self.heads, KVH = Self.kvHeads, hs = C / H, FF = Self.FF, T = tokens.count
        let eps = Double(Self.epsilon)
        func rmsnorm(_ x: [Double], _ w: [Double]) -> [Double] {
            let scale = 1 / (x.reduce(0) { $0 + $1 * $1 } / Double(x.count) + eps).squareRoot()
            return zip(x, w).map { $0 * scale * $1 }
        }
        // y (rows) = W (rows, cols) · x (cols)
        func matvec(_ w: [Double], _ x: [Double], rows: Int) -> [Double] {
            (0..<rows).map { r in (0..<x.count).reduce(0) { $0 + w[r * x.count + $1] * x[$1] } }
        }
        // Products with Q4_1 and Q8_0 weights take activations rounded per 32-value block to
        // d·round(x·127/max|x|) (ties to even), d = max|x|/127 rounded to binary16, as llama.cpp
        // and the engine define them.
        func quantized(_ x: [Double]) -> [Double] {
            guard quantizedReference else { return x }
            return stride(from: 0, to: x.count, by: 32).flatMap { start in
                let block = x[start..<(start + 32)].map { Double(Float($0)) }
                let amax = block.map(abs).max() ?? 0
                let d = Double(Float16(Float(amax) / 127))
                return block.map { amax > 0 ? d * ($0 * 127 / amax).rounded(.toNearestOrEven) : 0 }
            }
        }
        // Products with F16 weights take activations rounded to binary16 (llama.cpp's F16 dot).
        func half(_ x: [Double]) -> [Double] {
            guard quantizedReference else { return x }
            return x.map { Double(Float16(Float($0))) }
        }
        func rope(_ v: inout [Double], heads: Int, position: Int) {
            for h in 0..<heads {
                for i in 0..<(hs / 2) {
                    let angle = Double(position) * pow(Double(Self.ropeBase), -2 * Double(i) / Double(hs))
                    let a = v[h * hs + 2 * i], b = v[h * hs + 2 * i + 1]
                    v[h * hs + 2 * i] = a * cos(angle) - b * sin(angle)
                    v[h * hs + 2 * i + 1] = a * sin(angle) + b * cos(angle)
                }
            }
        }
        let embedding = weights("token_embd.weight")
        var x: [[Double]] = tokens.map { Array(embedding[(Int($0) * C)..<(Int($0) * C + C)]) }
        for l in 0..<Self.layers {
            let p = "blk.\(l)."
            let (wq, wk, wv, wo) = (weights(p + "attn_q.weight"), weights(p + "attn_k.weight"), weights(p + "attn_v.weight"), weights(p + "attn_output.weight"))
            var keys: [[Double]] = [], vals: [[Double]] = [], queries: [[Double]] = []
            for t in 0..<T {
                let xn = rmsnorm(x[t], weights(p + "attn_norm.weight"))
                var q = matvec(wq, quantized(xn), rows: C), k = matvec(wk, quantized(xn), rows: KVH * hs)
                rope(&q, heads: H, position: t)
                rope(&k, heads: KVH, position: t)
                queries.append(q)
                keys.append(k)
                vals.append(matvec(wv, half(xn), rows: KVH * hs))
            }
            for t in 0..<T {
                var attended = [Double](repeating: 0, count: C)
                for h in 0..<H {
                    let g = h / (H / KVH)
                    let scores = (0...t).map { j in (0..<hs).reduce(0) { $0 + queries[t][h * hs + $1] * keys[j][g * hs + $1] } / Double(hs).squareRoot() }
                    let top = scores.max() ?? 0
                    let e = scores.map { exp($0 - top) }
                    let total = e.reduce(0, +)
                    for j in 0...t {
                        for i in 0..<hs { attended[h * hs + i] += e[j] / total * vals[j][g * hs + i] }
                    }
                }
                let o = matvec(wo, attended, rows: C)
                for c in 0..<C { x[t][c] += o[c] }
                let xn = rmsnorm(x[t], weights(p + "ffn_norm.weight"))
                let gate = matvec(weights(p + "ffn_gate.weight"), quantized(xn), rows: FF), up = matvec(weights(p + "ffn_up.weight"), quantized(xn), rows: FF)
                let hidden = (0..<FF).map { gate[$0] / (1 + exp(-gate[$0])) * up[$0] }
                let down = matvec(weights(p + "ffn_down.weight"), quantized(hidden), rows: C)
                for c in 0..<C { x[t][c] += down[c] }
            }
        }
        let head = file.tensorInfo(named: "output.weight") == nil ? embedding : weights("output.weight")
        // Both heads (output.weight and the tied token_embd.weight) are Q8_0.
        return x.map { matvec(head, quantized(rmsnorm($0, weights("output_norm.weight"))), rows: Self.vocab) }
    }
}
