import Foundation
import LabCore
import LabGGUF
@testable import LabMerge
import Testing

/// The fixture folder: tiny Llama models and mergekit 0.1.5's outputs on them
/// (`scripts/reference/merge_reference.py fixture`).
private func fixtures() throws -> URL {
    guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
        throw MergeError("Fixtures/ is not in the LabMergeTests bundle")
    }
    return url
}

private func merged(_ config: String, seed: UInt64 = 42, precision: CheckpointPrecision = .f32) throws -> GGUFFile {
    let directory = try fixtures()
    let merger = try ModelMerger(config: try MergeConfig.load(directory.appendingPathComponent(config)), precision: precision, seed: seed)
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("merge-\(UUID().uuidString).gguf")
    try merger.write(to: output)
    return try GGUFFile(url: output)
}

private func parse(_ yaml: String) throws -> MergeConfig {
    try MergeConfig.parse(yaml, path: "merge.yaml", directory: try fixtures())
}

private func errorText(_ body: () throws -> Void) -> String {
    do { try body() } catch { return "\(error)" }
    return ""
}

@Suite("synthlab merge equals mergekit")
struct MergekitAgreementTests {
    /// Every deterministic method of the fixture set, against mergekit's float32 output: each
    /// tensor within 1e-5 of its largest magnitude (float32 rounding of the same operations).
    @Test("deterministic methods give mergekit's tensors", arguments: [
        "linear", "linear-raw", "task-arithmetic", "task-arithmetic-lambda", "ties", "ties-mixed", "slerp", "slerp-gradient", "slerp-slices",
    ])
    func agrees(_ name: String) throws {
        let ours = try merged("\(name).yaml")
        let expected = try GGUFFile(url: try fixtures().appendingPathComponent("expected-\(name).gguf"))
        #expect(ours.tensors.map(\.name) == expected.tensors.map(\.name))
        for tensor in expected.tensors {
            let reference = expected.floats(of: tensor)
            let values = ours.floats(of: try #require(ours.tensorInfo(named: tensor.name)))
            let scale = reference.map { abs($0) }.max() ?? 1
            let worst = zip(values, reference).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5 * max(scale, 1e-6), "\(name): \(tensor.name) differs from mergekit by \(worst) (scale \(scale))")
        }
        // The base's metadata (tokenizer, chat template) travels with the merge.
        #expect(ours.string("tokenizer.chat_template") == expected.string("tokenizer.chat_template"))
        #expect(ours.string("general.architecture") == "llama")
    }

    @Test("a quantized output holds the f32 merge rounded to its blocks")
    func quantizedOutput() throws {
        let f32 = try merged("ties.yaml"), q8 = try merged("ties.yaml", precision: .q8_0)
        let name = "blk.0.ffn_down.weight"  // rows of 32: whole Q8_0 blocks (rows of 16 stay F32)
        let q8Tensor = try #require(q8.tensorInfo(named: name))
        #expect(q8Tensor.type == .q8_0)
        #expect(q8.tensorInfo(named: "output_norm.weight")?.type == .f32)
        let exact = f32.floats(of: try #require(f32.tensorInfo(named: name)))
        let encoded = try Quantize.encode(.q8_0, exact)
        var rounded = [Float](repeating: 0, count: exact.count)
        encoded.withUnsafeBytes { bytes in rounded.withUnsafeMutableBufferPointer { Dequantize.run(.q8_0, from: bytes, count: exact.count, into: $0.baseAddress!) } }
        #expect(q8.floats(of: q8Tensor) == rounded, "the Q8_0 tensor is not the f32 merge's rounding")
        #expect(q8.tensorInfo(named: "blk.0.ffn_up.weight")?.type == .f32)
    }
}

@Suite("DARE's random drop")
struct DARETests {
    @Test("the same seed gives the same file, another seed another")
    func seeded() throws {
        let first = try merged("dare_ties.yaml", seed: 7), again = try merged("dare_ties.yaml", seed: 7), other = try merged("dare_ties.yaml", seed: 8)
        let bytes = { (file: GGUFFile) in try Data(contentsOf: URL(fileURLWithPath: file.path)) }
        #expect(try bytes(first) == bytes(again))
        #expect(try bytes(first) != bytes(other))
    }

    /// mergekit keeps each task-vector entry with probability `density` and (rescale, DARE's
    /// default) scales the kept ones so the vector keeps its L1 norm.
    @Test("kept fraction matches the density and the L1 norm is restored", arguments: [0.1, 0.3, 0.5, 0.9])
    func statistics(_ density: Double) throws {
        var random = SeededRandom(seed: 5)
        let count = 200_000
        let base = (0..<count).map { _ in Float.random(in: -1...1, using: &random) }
        let model = base.map { $0 + Float.random(in: -0.01...0.01, using: &random) }
        var merge = TensorMerge(method: .dareLinear, base: base, inputs: [(model, 1, density)], normalize: false, lambda: 1, rescale: true,
                                t: 0, random: SeededRandom(seed: 11, stream: "test"))
        let out = merge.run()
        let delta = zip(out, base).map { $0 - $1 }, original = zip(model, base).map { $0 - $1 }
        let kept = Double(delta.filter { $0 != 0 }.count) / Double(count)
        let sigma = (density * (1 - density) / Double(count)).squareRoot()
        #expect(abs(kept - density) < 5 * sigma, "kept \(kept) for density \(density)")
        let restored = TensorMerge.l1(delta) / TensorMerge.l1(original)
        #expect(abs(restored - 1) < 1e-3, "L1 after/before \(restored)")
    }

    @Test("dare_ties's output equals the base where every model's entry was dropped, about ∏(1 − density) of the time")
    func untouchedShare() throws {
        let file = try merged("dare_ties.yaml", seed: 3)
        let base = try GGUFFile(url: try fixtures().appendingPathComponent("base.gguf"))
        var equal = 0, total = 0
        for tensor in base.tensors where tensor.dimensions.count == 2 {
            let b = base.floats(of: tensor), m = file.floats(of: try #require(file.tensorInfo(named: tensor.name)))
            equal += zip(b, m).filter { $0 == $1 }.count
            total += b.count
        }
        // densities 0.5 and 0.3 in dare_ties.yaml: (1 − 0.5)(1 − 0.3) = 0.35 of entries keep the base.
        let share = Double(equal) / Double(total), sigma = (0.35 * 0.65 / Double(total)).squareRoot()
        #expect(abs(share - 0.35) < 5 * sigma, "\(share) of \(total) entries equal the base")
    }
}

@Suite("merge configs and inputs that cannot work are clear errors")
struct MergeErrorTests {
    @Test("unknown keys, methods and parameters are named with their line")
    func configErrors() throws {
        #expect(errorText { _ = try parse("merge_method: frankenmerge\nmodels:\n  - model: a.gguf\n") }.contains("merge.yaml:1: merge_method 'frankenmerge' is not supported"))
        #expect(errorText { _ = try parse("merge_method: linear\nmodels:\n  - model: a.gguf\n    parameters: {wieght: 1}\n") }.contains("no per-model parameter 'wieght'"))
        #expect(errorText { _ = try parse("merge_method: ties\nmodels:\n  - model: a.gguf\n") }.contains("ties needs 'base_model'"))
        #expect(errorText { _ = try parse("merge_method: linear\nmodel: a.gguf\n") }.contains("unknown or unsupported key 'model'"))
        #expect(errorText { _ = try parse("merge_method: slerp\nbase_model: base.gguf\nmodels:\n  - model: a.gguf\n  - model: b.gguf\nparameters: {t: 0.5}\n") }
            .contains("exactly one other model"))
        #expect(errorText { _ = try parse("merge_method: [\n") }.contains("invalid YAML"))
        #expect(errorText {
            _ = try parse("slices:\n  - sources:\n    - model: a.gguf\n      layer_range: [0, 1]\n    - model: b.gguf\n      layer_range: [1, 2]\nmerge_method: slerp\nbase_model: a.gguf\nparameters: {t: 0.5}\n")
        }.contains("partial layer ranges are not supported"))
    }

    @Test("a model without a weight is an error naming the tensor and the file")
    func missingWeight() throws {
        let merger = try ModelMerger(config: try parse("merge_method: linear\nmodels:\n  - model: a.gguf\n  - model: b.gguf\n"))
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("merge-\(UUID().uuidString).gguf")
        let text = errorText { try merger.write(to: output) }
        #expect(text.contains("no 'weight' for tensor 'token_embd.weight'") && text.contains("a.gguf"), "\(text)")
        #expect(!FileManager.default.fileExists(atPath: output.path), "a failed merge leaves no file")
    }

    @Test("inputs of another shape or architecture are refused, naming the tensor")
    func mismatchedInputs() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("merge-inputs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let base = try GGUFFile(url: try fixtures().appendingPathComponent("base.gguf"))
        func write(_ name: String, architecture: String, shrink: String?) throws {
            var writer = GGUFWriter()
            for (key, value) in base.metadata where key != "general.architecture" { writer.set(key, value) }
            writer.set("general.architecture", .string(architecture))
            for tensor in base.tensors {
                var dimensions = tensor.dimensions
                if tensor.name == shrink { dimensions[dimensions.count - 1] -= 1 }
                writer.addTensor(tensor.name, dimensions: dimensions, type: .f32, values: Array(base.floats(of: tensor).prefix(dimensions.reduce(1, *))))
            }
            try writer.write(to: directory.appendingPathComponent(name))
        }
        try write("other-shape.gguf", architecture: "llama", shrink: "blk.1.ffn_down.weight")
        try write("other-arch.gguf", architecture: "qwen2", shrink: nil)
        try FileManager.default.copyItem(at: try fixtures().appendingPathComponent("base.gguf"), to: directory.appendingPathComponent("base.gguf"))
        func attempt(_ other: String) -> String {
            errorText {
                _ = try ModelMerger(config: try MergeConfig.parse(
                    "merge_method: task_arithmetic\nbase_model: base.gguf\nmodels:\n  - model: \(other)\n    parameters: {weight: 1}\n",
                    path: "merge.yaml", directory: directory))
            }
        }
        #expect(attempt("other-shape.gguf").contains("tensor 'blk.1.ffn_down.weight' is [32, 16] in"), "\(attempt("other-shape.gguf"))")
        #expect(attempt("other-arch.gguf").contains("is a qwen2 model") && attempt("other-arch.gguf").contains("only models of one architecture"))
        #expect(attempt("missing.gguf").contains("no such model file"))
    }
}

@Suite("mergekit's parameter settings")
struct ParameterSettingTests {
    @Test("gradients interpolate over the blocks; filters match Hugging Face names, first match wins")
    func evaluation() {
        let gradient = ParameterSetting.gradient([0, 1, 0.5])
        #expect(gradient.value(for: "x", position: 0) == 0)
        #expect(gradient.value(for: "x", position: 0.25) == 0.5)
        #expect(gradient.value(for: "x", position: 0.75) == 0.75)
        #expect(gradient.value(for: "x", position: 1) == 0.5)
        let conditional = ParameterSetting.conditional([.init(filter: "self_attn", value: .number(0.2)), .init(filter: nil, value: .number(0.7))])
        #expect(conditional.value(for: MergeTensorName.huggingFace("blk.3.attn_q.weight"), position: 0) == 0.2)
        #expect(conditional.value(for: MergeTensorName.huggingFace("blk.3.ffn_up.weight"), position: 0) == 0.7)
        #expect(MergeTensorName.huggingFace("token_embd.weight") == "model.embed_tokens.weight")
        #expect(MergeTensorName.position("blk.2.attn_q.weight", layers: 5) == 0.5)
        #expect(MergeTensorName.position("output.weight", layers: 5) == 0)
    }
}

@Suite("mergekit's edge rules")
struct MergeEdgeRuleTests {
    @Test("TIES keeps at least one entry; density 0 keeps none; equal magnitudes at the boundary keep the lowest indices")
    func trimming() {
        var delta: [Float] = [0.1, -0.5, 0.2, 0.5, 0.3]
        TensorMerge.keepLargest(&delta, density: 0.01)
        #expect(delta == [0, -0.5, 0, 0, 0])
        var none: [Float] = [1, 2, 3]
        TensorMerge.keepLargest(&none, density: 0)
        #expect(none == [0, 0, 0])
        // k = int(0.58 · 100) = 57, as Python truncates 57.999…
        var hundred = (1...100).map(Float.init)
        TensorMerge.keepLargest(&hundred, density: 0.58)
        #expect(hundred.filter { $0 != 0 }.count == 57 && hundred[43] == 44 && hundred[42] == 0)
    }

    @Test("linear averages an unlisted base_model as one more input, which then needs a weight; weights summing to 0 are refused")
    func linearBase() throws {
        let directory = try fixtures()
        func output() -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("merge-\(UUID().uuidString).gguf") }
        let withBase = try ModelMerger(config: try MergeConfig.parse(
            "merge_method: linear\nbase_model: base.gguf\nmodels:\n  - model: a.gguf\n  - model: b.gguf\nparameters: {weight: 1}\n",
            path: "m.yaml", directory: directory))
        let url = output()
        try withBase.write(to: url)
        let merged = try GGUFFile(url: url)
        let files = try ["base.gguf", "a.gguf", "b.gguf"].map { try GGUFFile(url: directory.appendingPathComponent($0)) }
        let name = "blk.0.attn_q.weight"
        let inputs = try files.map { $0.floats(of: try #require($0.tensorInfo(named: name))) }
        let values = merged.floats(of: try #require(merged.tensorInfo(named: name)))
        for i in values.indices { #expect(abs(values[i] - (inputs[0][i] + inputs[1][i] + inputs[2][i]) / 3) < 1e-6) }
        let unweighted = try ModelMerger(config: try MergeConfig.parse(
            "merge_method: linear\nbase_model: base.gguf\nmodels:\n  - model: a.gguf\n    parameters: {weight: 1}\n", path: "m.yaml", directory: directory))
        #expect(errorText { try unweighted.write(to: output()) }.contains("no 'weight' for tensor 'token_embd.weight' of"))
        let cancelling = try ModelMerger(config: try MergeConfig.parse(
            "merge_method: linear\nmodels:\n  - model: a.gguf\n    parameters: {weight: 1}\n  - model: b.gguf\n    parameters: {weight: -1}\n",
            path: "m.yaml", directory: directory))
        #expect(errorText { try cancelling.write(to: output()) }.contains("sum to 0"))
    }
}
