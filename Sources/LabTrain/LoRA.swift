public import Foundation
import LabCore
import LabTensor

/// A projection LoRA can adapt, by its GGUF tensor suffix.
public enum LoRATarget: String, Sendable, Codable, CaseIterable {
    case query = "attn_q", key = "attn_k", value = "attn_v", output = "attn_output"
    case gate = "ffn_gate", up = "ffn_up", down = "ffn_down"
}

/// Low-rank adaptation (Hu et al. 2021): W' = W + (alpha / rank) · B·A with A (rank × inputs),
/// B (outputs × rank), trained while W stays frozen.
public struct LoRASettings: Sendable, Codable, Equatable {
    public var rank: Int
    public var alpha: Float
    /// Dropout on the adapter's input during training (0 turns it off).
    public var dropout: Float
    public var targets: [LoRATarget]

    public init(rank: Int = 8, alpha: Float = 16, dropout: Float = 0, targets: [LoRATarget] = [.query, .key, .value, .output]) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targets = targets
    }

    public var scale: Float { alpha / Float(rank) }
}

/// The adapters of a model: A and B for each targeted projection of each block, in one flat
/// buffer (so the optimiser treats them like any parameter set).
final class LoRAAdapters: @unchecked Sendable {
    struct Adapter {
        let layer: Int
        let target: LoRATarget
        /// Offset of the base weight in the model's buffer.
        let baseOffset: Int
        let inputs: Int
        let outputs: Int
        let a: Int
        let b: Int
    }

    let settings: LoRASettings
    let adapters: [Adapter]
    let weights: FloatBuffer
    let gradients: FloatBuffer
    /// Adapter of (layer, target), if that projection is adapted.
    private let index: [String: Int]

    /// The adapter of the base matrix at `offset`, if any.
    func adapter(baseOffset offset: Int) -> Adapter? { adapters.first { $0.baseOffset == offset } }

    init(layout: ParameterLayout, config: ProjectionShape, settings: LoRASettings, seed: UInt64) {
        self.settings = settings
        var adapters: [Adapter] = []
        var count = 0
        for (l, layer) in layout.layers.enumerated() {
            for target in LoRATarget.allCases where settings.targets.contains(target) {
                let (offset, inputs, outputs) = layer.projection(target, config: config)
                let a = count
                count += settings.rank * inputs
                let b = count
                count += outputs * settings.rank
                adapters.append(Adapter(layer: l, target: target, baseOffset: offset, inputs: inputs, outputs: outputs, a: a, b: b))
            }
        }
        self.adapters = adapters
        weights = FloatBuffer(count: count)
        gradients = FloatBuffer(count: count)
        index = Dictionary(uniqueKeysWithValues: adapters.enumerated().map { ("\($0.element.layer)/\($0.element.target.rawValue)", $0.offset) })
        // A ~ U(−1/√inputs, 1/√inputs) (PEFT's Kaiming-uniform bound), B = 0: training starts at the base model.
        var random = SeededRandom(seed: seed, stream: "lora-init")
        for adapter in adapters {
            let bound = 1 / Float(adapter.inputs).squareRoot()
            for i in 0..<(settings.rank * adapter.inputs) {
                weights.pointer[adapter.a + i] = (random.nextUnitFloat() * 2 - 1) * bound
            }
        }
    }

    func adapter(layer: Int, target: LoRATarget) -> Int? { index["\(layer)/\(target.rawValue)"] }

    /// W + scale·B·A of one adapter into `out` (outputs × inputs).
    func merged(_ adapter: Adapter, base: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        out.update(from: base + adapter.baseOffset, count: adapter.outputs * adapter.inputs)
        addDelta(adapter, into: out)
    }

    /// out (O×I) += scale · B·A: the adapter's change of its base matrix.
    func addDelta(_ adapter: Adapter, into out: UnsafeMutablePointer<Float>) {
        // B·A = B · (Aᵀ)ᵀ, the sgemm "x·wᵀ" form with x = B, w = Aᵀ.
        let r = settings.rank
        let aT = FloatBuffer(count: adapter.inputs * r)
        for i in 0..<r {
            for j in 0..<adapter.inputs { aT.pointer[j * r + i] = weights.pointer[adapter.a + i * adapter.inputs + j] * settings.scale }
        }
        matmulForward(out, weights.pointer + adapter.b, aT.pointer, rows: adapter.outputs, inputs: r, outputs: adapter.inputs, accumulate: true)
    }
}

/// The widths a projection needs, from the config.
struct ProjectionShape: Sendable {
    let embedding, attention, kvDimension, feedForward: Int
}

extension ParameterLayout.Layer {
    /// Offset of one projection's bias, if the model has it.
    func bias(_ target: LoRATarget) -> Int? {
        switch target {
        case .query: queryBias
        case .key: keyBias
        case .value: valueBias
        case .output: attentionOutputBias
        case .gate: gateBias
        case .up: upBias
        case .down: downBias
        }
    }

    /// Offset, inputs and outputs of one projection's base weight.
    func projection(_ target: LoRATarget, config c: ProjectionShape) -> (offset: Int, inputs: Int, outputs: Int) {
        switch target {
        case .query: (query, c.embedding, c.attention)
        case .key: (key, c.embedding, c.kvDimension)
        case .value: (value, c.embedding, c.kvDimension)
        case .output: (attentionOutput, c.attention, c.embedding)
        case .gate: (gate, c.embedding, c.feedForward)
        case .up: (up, c.embedding, c.feedForward)
        case .down: (down, c.feedForward, c.embedding)
        }
    }
}

extension TrainableDecoder {
    private static let adapterMagic: UInt32 = 0x4152_4F4C  // "LORA"

    /// Saves the attached adapters' weights (for an exact mid-phase resume; the settings are in the recipe).
    public func writeAdapters(to url: URL) throws {
        guard let lora else { return }
        var data = Data()
        withUnsafeBytes(of: Self.adapterMagic.littleEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(lora.weights.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(UnsafeBufferPointer(start: lora.weights.pointer, count: lora.weights.count))
        try data.write(to: url, options: .atomic)
    }

    /// Loads adapter weights saved by `writeAdapters(to:)` into the attached adapters.
    public func readAdapters(from url: URL) throws {
        guard let lora else { return }
        let data = try Data(contentsOf: url)
        let expected = 12 + lora.weights.count * 4
        guard data.count == expected,
              data.withUnsafeBytes({ UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }) == Self.adapterMagic,
              data.withUnsafeBytes({ UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 4, as: UInt64.self)) }) == UInt64(lora.weights.count)
        else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: url.path,
                NSLocalizedDescriptionKey: "\(url.path): not the adapters of this model and LoRA configuration"])
        }
        data.withUnsafeBytes { raw in
            for i in 0..<lora.weights.count { lora.weights.pointer[i] = raw.loadUnaligned(fromByteOffset: 12 + 4 * i, as: Float.self) }
        }
    }
}
