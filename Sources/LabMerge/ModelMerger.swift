public import Foundation
import LabCore
public import LabGGUF

/// Merges GGUF models of one architecture as a mergekit config says, tensor by tensor: only the
/// current tensor of each input is in memory (the inputs are memory-mapped), and the output is
/// streamed to a temporary file renamed into place at the end.
public struct ModelMerger {
    public let config: MergeConfig
    public let precision: CheckpointPrecision
    /// Seed of DARE's random drops (per tensor and model, so the order of work does not matter).
    public let seed: UInt64
    private let files: [GGUFFile]
    private let baseIndex: Int?
    /// The model whose metadata (tokenizer, chat template, hyper-parameters) the output carries.
    private var metadataSource: GGUFFile { files[baseIndex ?? 0] }

    /// Opens every model and checks they can be merged: one architecture, the same tensors with
    /// the same shapes. Throws a `MergeError` naming the file or tensor that differs.
    public init(config: MergeConfig, precision: CheckpointPrecision = .f32, seed: UInt64 = 42) throws {
        self.config = config
        self.precision = precision
        self.seed = seed
        var paths = config.models.map(\.path)
        if let base = config.basePath, !paths.contains(base) { paths.append(base) }
        var files: [GGUFFile] = []
        for path in paths {
            guard FileManager.default.fileExists(atPath: path) else {
                throw MergeError("\(path): no such model file (hint: model paths in the config are relative to the config's folder)")
            }
            do { files.append(try GGUFFile(url: URL(fileURLWithPath: path))) } catch {
                throw MergeError("\(path): not a readable GGUF model: \(error)")
            }
        }
        self.files = files
        self.baseIndex = config.basePath.flatMap { paths.firstIndex(of: $0) }
        let reference = files[baseIndex ?? 0]
        for file in files where file !== reference {
            guard file.architecture == reference.architecture else {
                throw MergeError("\(file.path) is a \(file.architecture ?? "?") model and \(reference.path) a \(reference.architecture ?? "?") model: "
                                 + "only models of one architecture can be merged")
            }
            for tensor in reference.tensors {
                guard let other = file.tensorInfo(named: tensor.name) else {
                    throw MergeError("tensor '\(tensor.name)' of \(reference.path) is missing from \(file.path) (hint: merge fine-tunes of the same base model)")
                }
                guard other.dimensions == tensor.dimensions else {
                    throw MergeError("tensor '\(tensor.name)' is \(tensor.dimensions) in \(reference.path) but \(other.dimensions) in \(file.path)")
                }
            }
            if let extra = file.tensors.first(where: { reference.tensorInfo(named: $0.name) == nil }) {
                throw MergeError("tensor '\(extra.name)' of \(file.path) is not in \(reference.path)")
            }
        }
        let blocks = reference.tensors.compactMap { MergeTensorName.layer($0.name) }.max().map { $0 + 1 } ?? 0
        if let layers = config.sliceLayers, layers != blocks {
            throw MergeError("the slice's layer_range [0, \(layers)] does not cover the \(blocks) blocks of \(reference.path) (partial layer ranges are not supported)")
        }
    }

    /// How many tensors the output has.
    public var tensorCount: Int { metadataSource.tensors.count }

    /// Writes the merged model to `url`; `progress` is called after each tensor with (done, total, name).
    public func write(to url: URL, progress: @escaping @Sendable (Int, Int, String) -> Void = { _, _, _ in }) throws {
        var writer = GGUFWriter()
        for (key, value) in metadataSource.metadata where !["general.alignment", "general.file_type", "general.quantization_version"].contains(key) {
            writer.set(key, value)
        }
        writer.set("general.file_type", .uint32(precision.fileType))
        let layers = metadataSource.tensors.compactMap { MergeTensorName.layer($0.name) }.max().map { $0 + 1 } ?? 0
        let tensors = metadataSource.tensors
        let job = MergeJob(config: config, files: files, baseIndex: baseIndex, seed: seed, layers: layers)
        for (index, tensor) in tensors.enumerated() {
            writer.addTensor(tensor.name, dimensions: tensor.dimensions, type: precision.tensorType(dimensions: tensor.dimensions)) {
                let values = try job.merge(tensor.name)
                progress(index + 1, tensors.count, tensor.name)
                return values
            }
        }
        do {
            try writer.write(to: url)
        } catch let error as MergeError {
            throw error
        } catch {
            throw MergeError("writing \(url.path): \(error)")
        }
    }
}

/// The per-tensor work of a merge, shared by the writer's producers.
private struct MergeJob: @unchecked Sendable {
    let config: MergeConfig
    let files: [GGUFFile]
    let baseIndex: Int?
    let seed: UInt64
    let layers: Int

    func merge(_ name: String) throws -> [Float] {
        let hfName = MergeTensorName.huggingFace(name)
        let position = MergeTensorName.position(name, layers: layers)
        func parameter(_ key: String, of model: MergeConfig.Model?, default fallback: Double?) throws -> Double {
            let value = model?.parameters[key]?.value(for: hfName, position: position)
                ?? config.parameters[key]?.value(for: hfName, position: position) ?? fallback
            guard let value else {
                throw MergeError("no '\(key)' for tensor '\(name)'" + (model.map { " of \($0.path)" } ?? "")
                                 + " (hint: give it under the model's 'parameters', or globally; a list of conditions needs a last entry without 'filter')")
            }
            if ["density", "t"].contains(key), !(0...1).contains(value) {
                throw MergeError("'\(key)' is \(value) for tensor '\(name)'; it must be between 0 and 1")
            }
            return value
        }
        func values(_ file: GGUFFile) -> [Float] {
            let tensor = file.tensorInfo(named: name)!
            var values = file.floats(of: tensor)
            file.releasePages(of: tensor)
            switch config.dtype {
            case .float32: break
            case .float16: for i in values.indices { values[i] = Float(Float16(values[i])) }
            case .bfloat16: for i in values.indices { values[i] = Self.roundedToBFloat16(values[i]) }
            }
            return values
        }
        let method = config.method
        let basePath = config.basePath
        // Linear averages every listed model and the base (mergekit adds an unlisted base as one more
        // input); the others add the non-base models' task vectors to the base.
        var contributing = method == .linear ? config.models : config.models.filter { $0.path != basePath }
        if method == .linear, let basePath, !config.models.contains(where: { $0.path == basePath }) {
            contributing.append(MergeConfig.Model(path: basePath, parameters: [:]))
        }
        var inputs: [(values: [Float], weight: Double, density: Double)] = []
        for model in contributing {
            let file = files[files.firstIndex { $0.path == model.path } ?? 0]
            // mergekit requires a weight for every model (slerp has none) and keeps everything without a density.
            let weight = method == .slerp ? 1 : try parameter("weight", of: model, default: nil)
            inputs.append((values(file), weight, try parameter("density", of: model, default: 1)))
        }
        if method == .linear, try parameter("normalize", of: nil, default: 1) != 0, inputs.reduce(Float(0), { $0 + Float($1.weight) }) == 0 {
            throw MergeError("the weights of tensor '\(name)' sum to 0, so normalize would divide by 0 (hint: change the weights, or set normalize: false)")
        }
        let base = baseIndex.map { values(files[$0]) }
        var merge = TensorMerge(
            method: method, base: method == .linear ? nil : base, inputs: inputs,
            normalize: try parameter("normalize", of: nil, default: method.normalizesByDefault ? 1 : 0) != 0,
            lambda: try parameter("lambda", of: nil, default: 1), rescale: try parameter("rescale", of: nil, default: method.rescalesByDefault ? 1 : 0) != 0,
            // slerp: t = 0 is the base, t = 1 the other model.
            t: method == .slerp ? try parameter("t", of: nil, default: nil) : 0, random: SeededRandom(seed: seed, stream: "merge/\(name)"))
        return merge.run()
    }

    /// Round to nearest even on the top 16 bits, as torch converts float32 to bfloat16.
    static func roundedToBFloat16(_ value: Float) -> Float {
        guard value.isFinite else { return value }
        let bits = value.bitPattern
        let rounded = (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000
        return Float(bitPattern: rounded)
    }
}
