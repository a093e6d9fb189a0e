public import Foundation
import Yams

/// The merge methods synthlab runs, with mergekit's names.
public enum MergeMethod: String, Sendable, CaseIterable {
    /// Weighted average of the models.
    case linear
    /// Base plus the weighted sum of task vectors (model − base) (Ilharco et al. 2023).
    case taskArithmetic = "task_arithmetic"
    /// Task vectors trimmed to their largest entries, signs elected, disagreeing entries dropped
    /// (Yadav et al. 2023, TIES-Merging).
    case ties
    /// TIES's sign election over task vectors randomly dropped and rescaled (Yu et al. 2024, DARE).
    case dareTies = "dare_ties"
    /// DARE's random drop and rescale, then task arithmetic.
    case dareLinear = "dare_linear"
    /// Spherical interpolation between the base (t = 0) and one other model (t = 1).
    case slerp

    /// Methods that add task vectors to a base model, which must be named.
    var needsBase: Bool { self != .linear }
    /// mergekit's default for `rescale`: DARE restores each sparsified task vector's L1 norm.
    var rescalesByDefault: Bool { self == .dareTies || self == .dareLinear }
    /// mergekit's default for `normalize`.
    var normalizesByDefault: Bool {
        switch self {
        case .linear, .ties: true
        case .taskArithmetic, .dareTies, .dareLinear, .slerp: false
        }
    }
}

/// What mergekit calls the dtype the merge is computed in.
public enum MergeDType: String, Sendable {
    case float32, float16, bfloat16
}

/// A mergekit YAML config whose models are GGUF files.
public struct MergeConfig: Sendable {
    public struct Model: Sendable {
        /// The GGUF file, resolved against the config's folder.
        public var path: String
        public var parameters: [String: ParameterSetting]
    }

    public var method: MergeMethod
    public var basePath: String?
    /// The models in config order; the base is among them when the config lists it.
    public var models: [Model]
    public var parameters: [String: ParameterSetting]
    public var dtype: MergeDType
    /// Keys of the config that do not change the tensors (e.g. `tokenizer_source`), reported.
    public var notes: [String]
    /// The layer count a `slices:` config names (`layer_range: [0, N]`); the models must have N blocks.
    public var sliceLayers: Int?

    /// Parameter names each method reads (mergekit's names); any other is an error, so a typo
    /// is never silently ignored.
    static func parameterNames(_ method: MergeMethod) -> (global: Set<String>, perModel: Set<String>) {
        switch method {
        case .linear: (["normalize"], ["weight"])
        case .taskArithmetic: (["normalize", "lambda", "int8_mask", "rescale"], ["weight"])
        case .ties, .dareTies, .dareLinear: (["normalize", "lambda", "int8_mask", "rescale"], ["weight", "density"])
        case .slerp: (["t"], [])
        }
    }

    /// Parses `text` (the file at `path`, for messages); relative model paths resolve against `directory`.
    public static func parse(_ text: String, path: String, directory: URL) throws -> MergeConfig {
        func fail(_ node: Node?, _ message: String, hint: String? = nil) -> MergeError {
            let line = node?.mark.map { ":\($0.line)" } ?? ""
            return MergeError("\(path)\(line): \(message)" + (hint.map { " (hint: \($0))" } ?? ""))
        }
        let root: Node
        do {
            guard let composed = try Yams.compose(yaml: text), case .mapping = composed else {
                throw fail(nil, "the merge config is not a mapping of keys", hint: "start with 'merge_method:' and 'models:'")
            }
            root = composed
        } catch let error as MergeError {
            throw error
        } catch {
            throw MergeError("\(path): invalid YAML: \(error)")
        }
        let known: Set<String> = ["merge_method", "base_model", "models", "slices", "parameters", "dtype", "tokenizer_source", "chat_template", "out_dtype"]
        let keys: [Node] = root.mapping.map { Array($0.keys) } ?? []
        for key in keys where !known.contains(key.string ?? "") {
            throw fail(key, "unknown or unsupported key '\(key.string ?? "?")'", hint: "keys: \(known.sorted().joined(separator: ", "))")
        }
        guard let methodNode = root["merge_method"], let methodName = methodNode.string else {
            throw fail(root, "'merge_method' is missing", hint: "one of \(MergeMethod.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let method = MergeMethod(rawValue: methodName) else {
            throw fail(methodNode, "merge_method '\(methodName)' is not supported",
                       hint: "one of \(MergeMethod.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        func resolve(_ node: Node) throws -> String {
            guard let value = node.string, !value.isEmpty else { throw fail(node, "a model must be a path to a GGUF file") }
            let expanded = (value as NSString).expandingTildeInPath
            return expanded.hasPrefix("/") ? expanded : directory.appendingPathComponent(expanded).standardizedFileURL.path
        }
        let names = parameterNames(method)
        func settings(_ node: Node?, allowed: Set<String>, owner: String) throws -> [String: ParameterSetting] {
            guard let node else { return [:] }
            guard case .mapping(let mapping) = node else { throw fail(node, "\(owner) 'parameters' must be a mapping") }
            var result: [String: ParameterSetting] = [:]
            for (key, value) in mapping {
                guard let name = key.string, allowed.contains(name) else {
                    throw fail(key, "\(method.rawValue) has no \(owner) parameter '\(key.string ?? "?")'",
                               hint: allowed.isEmpty ? "it takes none" : "it takes \(allowed.sorted().joined(separator: ", "))")
                }
                result[name] = try setting(value, name: name)
            }
            return result
        }
        func setting(_ node: Node, name: String) throws -> ParameterSetting {
            switch node {
            case .scalar(let scalar):
                if let number = Double(scalar.string) { return .number(number) }
                if let flag = Bool(scalar.string.lowercased()) { return .flag(flag) }
                throw fail(node, "parameter '\(name)' must be a number or true/false, not '\(scalar.string)'")
            case .sequence(let items):
                if items.allSatisfy({ $0.scalar.flatMap { Double($0.string) } != nil }), !items.isEmpty {
                    return .gradient(items.compactMap { $0.scalar.flatMap { Double($0.string) } })
                }
                return .conditional(try items.map { item in
                    guard case .mapping(let mapping) = item, let value = mapping["value"] else {
                        throw fail(item, "each entry of '\(name)' must be a number (a gradient) or a mapping with 'value' (and 'filter')")
                    }
                    for key in mapping.keys where !["value", "filter"].contains(key.string ?? "") {
                        throw fail(key, "unknown key '\(key.string ?? "?")' in a condition of '\(name)'", hint: "use 'filter' and 'value'")
                    }
                    return ParameterSetting.Condition(filter: mapping["filter"]?.string, value: try setting(value, name: name))
                })
            default:
                throw fail(node, "parameter '\(name)' must be a number, a list of numbers or a list of conditions")
            }
        }

        // `slices:` is accepted in the form mergekit's slerp examples use: one slice whose sources
        // all cover every layer, which is a merge of whole models.
        var sliceLayers: Int?
        let modelsNode: Node, modelNodes: [Node]
        if let slicesNode = root["slices"] {
            guard root["models"] == nil else { throw fail(slicesNode, "give either 'models' or 'slices', not both") }
            guard case .sequence(let slices) = slicesNode, slices.count == 1, case .mapping(let slice) = slices[0],
                  let sourcesNode = slice["sources"], case .sequence(let sources) = sourcesNode, !sources.isEmpty else {
                throw fail(slicesNode, "only one slice whose sources span every layer is supported (a merge of whole models)",
                           hint: "list the models under 'models:' instead")
            }
            var ranges: Set<[Int]> = []
            for source in sources {
                guard case .mapping(let mapping) = source, let range = mapping["layer_range"], case .sequence(let bounds) = range,
                      bounds.count == 2, let low = bounds[0].int, let high = bounds[1].int, low == 0, high > 0 else {
                    throw fail(source, "each source needs 'layer_range: [0, LAYERS]' (partial layer ranges are not supported)")
                }
                ranges.insert([low, high])
            }
            guard ranges.count == 1, let range = ranges.first else { throw fail(slicesNode, "every source of the slice must have the same layer_range") }
            sliceLayers = range[1]
            modelsNode = sourcesNode
            modelNodes = Array(sources)
        } else {
            guard let node = root["models"], case .sequence(let nodes) = node, !nodes.isEmpty else {
                throw fail(root["models"] ?? root, "'models' is missing or empty", hint: "list the models: '- model: path/to/model.gguf'")
            }
            modelsNode = node
            modelNodes = Array(nodes)
        }
        var models: [Model] = []
        for node in modelNodes {
            guard case .mapping(let mapping) = node, let modelNode = mapping["model"] else {
                throw fail(node, "each entry of 'models' needs 'model: PATH.gguf'")
            }
            for key in mapping.keys where !["model", "parameters", "layer_range"].contains(key.string ?? "") {
                throw fail(key, "unknown key '\(key.string ?? "?")' in a model entry", hint: "use 'model' and 'parameters'")
            }
            models.append(Model(path: try resolve(modelNode), parameters: try settings(mapping["parameters"], allowed: names.perModel, owner: "per-model")))
        }
        let basePath = try root["base_model"].map(resolve)
        if method.needsBase, basePath == nil {
            throw fail(root, "\(method.rawValue) needs 'base_model': the model the task vectors are taken from")
        }
        if method == .slerp {
            let others = models.filter { $0.path != basePath }
            guard others.count == 1 else {
                throw fail(modelsNode, "slerp interpolates between base_model and exactly one other model; \(others.count) others are listed")
            }
        }
        if method.needsBase, method != .slerp, !models.contains(where: { $0.path != basePath }) {
            throw fail(modelsNode, "\(method.rawValue) needs at least one model besides base_model")
        }
        // Global parameters also give defaults for the per-model ones (`weight`, `density`), as in mergekit.
        let global = try settings(root["parameters"], allowed: names.global.union(names.perModel), owner: "global")
        if method == .slerp, global["t"] == nil { throw fail(root, "slerp needs 't' under 'parameters'") }
        var dtype = MergeDType.float32
        if let node = root["dtype"] {
            guard let name = node.string, let parsed = MergeDType(rawValue: name) else {
                throw fail(node, "dtype '\(node.string ?? "?")' is not supported", hint: "float32, float16 or bfloat16")
            }
            dtype = parsed
        }
        var notes: [String] = []
        if dtype != .float32 { notes.append("dtype \(dtype.rawValue): inputs are rounded to \(dtype.rawValue) as mergekit loads them; the arithmetic is float32") }
        for key in ["tokenizer_source", "chat_template", "out_dtype"] where root[key] != nil {
            notes.append("\(key) is ignored: the output carries the tokenizer and chat template of the \(basePath == nil ? "first model" : "base model"); its precision is --precision")
        }
        return MergeConfig(method: method, basePath: basePath, models: models, parameters: global, dtype: dtype, notes: notes,
                           sliceLayers: sliceLayers)
    }

    /// Reads and parses a config file.
    public static func load(_ url: URL) throws -> MergeConfig {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw MergeError("\(url.path): cannot read the merge config (hint: check the path)")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw MergeError("\(url.path): the merge config is not UTF-8 text") }
        return try parse(text, path: url.path, directory: url.deletingLastPathComponent())
    }
}
