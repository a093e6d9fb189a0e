import Foundation
import LabGGUF
import LabLLM
import LabTestSupport
import Testing

/// Greedy tokens of `model` after `prompt`: the highest logit, the lowest id on ties.
func greedyContinuation(_ model: DecoderModel, prompt: [Int32], count: Int) throws -> [Int32] {
    let state = try model.makeSequenceState(capacity: prompt.count + count)
    var logits = try model.forward(tokens: [prompt], states: [state])[0]
    var tokens: [Int32] = []
    while tokens.count < count {
        var best = 0
        for i in logits.indices where logits[i] > logits[best] { best = i }
        tokens.append(Int32(best))
        if tokens.count < count { logits = try model.forward(tokens: [[Int32(best)]], states: [state])[0] }
    }
    return tokens
}

@Suite("Every architecture against llama.cpp")
struct ArchitectureTests {
    /// Largest |ours − llama.cpp| a logit may differ by. The fixtures' logits reach ±2–32; with F32
    /// weights and llama.cpp's K/V cache in F32 (the fixtures were made so) only summation order
    /// separates the two: measured 1e-6–1e-5, 1–3e-4 for the Gemmas (GELU through the binary16
    /// table on slightly different inputs).
    static let tolerance: Float = 1e-3

    @Test("teacher-forced logits within tolerance of llama.cpp's and 32 greedy tokens identical", arguments: ArchitectureFixture.names)
    func matchesLlamaCpp(name: String) throws {
        let fixture = try ArchitectureFixture.named(name)
        let model = try DecoderModel(file: GGUFFile(url: fixture.url), threads: 2)
        #expect(name.hasPrefix(model.config.architecture))
        let state = try model.makeSequenceState(capacity: 64)
        let logits = try model.forwardAllPositions(tokens: fixture.prompt, state: state)
        let V = model.vocabularySize
        var worst: Float = 0
        for (row, position) in fixture.positions.enumerated() {
            let ours = logits[(position * V)..<((position + 1) * V)]
            #expect(ours.count == fixture.logits[row].count)
            worst = max(worst, zip(ours, fixture.logits[row]).map { abs($0 - $1) }.max() ?? .infinity)
        }
        #expect(worst < Self.tolerance, "\(name): largest logit difference from llama.cpp \(worst)")
        let greedy = try greedyContinuation(model, prompt: fixture.prompt, count: fixture.greedy.count)
        #expect(greedy == fixture.greedy, "\(name): greedy tokens differ from llama.cpp's")
    }

    @Test("each architecture's hyper-parameters are read from its own keys")
    func configurations() throws {
        func config(_ name: String) throws -> DecoderConfig {
            try DecoderConfig(file: GGUFFile(url: ArchitectureFixture.named(name).url))
        }
        let qwen3 = try config("qwen3")
        #expect(qwen3.headSize == 16 && qwen3.attentionWidth == 64 && qwen3.embeddingLength == 32)
        #expect(qwen3.normalizesQueryKey && qwen3.ropeStyle == .halves)
        let gemma2 = try config("gemma2")
        #expect(gemma2.attentionSoftcap == 50 && gemma2.finalLogitSoftcap == 30 && gemma2.slidingWindow == 8)
        #expect(gemma2.slidingLayers == [true, false] && gemma2.alwaysTiesOutput && gemma2.activation == .geluTanh)
        #expect(abs(gemma2.embeddingScale - Float(32).squareRoot()) < 1e-6)
        let gemma3 = try config("gemma3")
        #expect(gemma3.slidingLayers == [true, false] && gemma3.slidingRopeFrequencyBase == 10_000 && gemma3.ropeFrequencyBase == 1_000_000)
        #expect(gemma3.finalLogitSoftcap == nil && gemma3.attentionSoftcap == nil)
        #expect(gemma3.ropeFrequencyBase(layer: 0) == 10_000 && gemma3.ropeFrequencyBase(layer: 1) == 1_000_000)
        let granite = try config("granite")
        #expect(granite.embeddingScale == 12 && abs(granite.residualScale - 0.22) < 1e-6 && granite.attentionScale == 0.125)
        #expect(granite.logitScale == 1 / 8 && granite.ropeStyle == .adjacentPairs)
        let llama = try config("llama")
        #expect(llama.ropeStyle == .adjacentPairs && llama.activation == .silu && !llama.normalizesBlockOutputs)
        let llama31 = try config("llama-rope-freqs")
        #expect(llama.ropeFrequencyFactors == nil && llama31.ropeFrequencyFactors?.count == 4)
    }

    @Test("an unregistered architecture is refused, naming the ones that are supported")
    func unsupportedArchitecture() throws {
        let directory = try TestPaths.temporaryDirectory("arch-refuse")
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = try GGUFFile(url: ArchitectureFixture.named("llama").url)
        var writer = GGUFWriter()
        for (key, value) in source.metadata where !key.hasPrefix("llama.") { writer.set(key, value) }
        for (key, value) in source.metadata where key.hasPrefix("llama.") {
            writer.set("falcon." + key.dropFirst("llama.".count), value)
        }
        writer.set("general.architecture", .string("falcon"))
        for info in source.tensors { writer.addTensor(info.name, dimensions: info.dimensions, type: .f32, values: source.floats(of: info)) }
        let url = directory.appendingPathComponent("falcon.gguf")
        try writer.write(to: url)
        #expect {
            try DecoderModel(file: GGUFFile(url: url))
        } throws: { error in
            let text = "\(error)"
            return text.contains("general.architecture") && text.contains("'falcon'")
                && Architecture.registry.allSatisfy { text.contains($0.name) }
        }
    }
}
