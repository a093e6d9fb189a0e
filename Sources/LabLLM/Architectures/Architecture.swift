/// One decoder architecture, as `general.architecture` names it: what it changes in the shared
/// decoder block (`DecoderConfig`'s architecture fields), read from its own metadata keys.
///
/// The engine (`DecoderModel`) and the trainer run one block, written once per use, and read
/// every difference between families from the configuration; tensors are found by llama.cpp's
/// names, with the optional ones (biases, fused QKV or gate/up, Q/K norms, post-norms) used
/// wherever a file has them. Adding an architecture is one file (an extension with a `static
/// let`) and one line in `registry`.
public struct Architecture: Sendable {
    /// `general.architecture`, also the prefix of the architecture's metadata keys.
    public let name: String
    /// The model families that ship in this architecture, for messages and the README.
    public let families: String
    /// Sets the architecture's fields after the common keys are read.
    let configure: @Sendable (inout DecoderConfig, MetadataReader) throws(ModelError) -> Void

    init(name: String, families: String, configure: @escaping @Sendable (inout DecoderConfig, MetadataReader) throws(ModelError) -> Void) {
        self.name = name
        self.families = families
        self.configure = configure
    }

    /// Every architecture the engine runs.
    public static let registry: [Architecture] = [
        .llama,
        .qwen2,
        .qwen3,
        .gemma2,
        .gemma3,
        .granite,
        .phi3,
    ]

    /// The registered architecture called `name`.
    public static func named(_ name: String) -> Architecture? {
        registry.first { $0.name == name }
    }
}
