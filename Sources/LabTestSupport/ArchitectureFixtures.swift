public import Foundation

/// A tiny random-weight model of one architecture (F32, C=32, two layers, 320 tokens), as
/// llama.cpp's converter lays it out, with llama.cpp's outputs on it: the logits of a 24-token
/// prompt at four positions and 32 greedy tokens. Made by `bench/architectures/make_tiny.py …
/// small` and `compare_llamacpp.py --fixture` (README, "Architectures").
public struct ArchitectureFixture: Sendable {
    /// `general.architecture`.
    public let name: String
    /// The model file.
    public let url: URL
    /// The prompt's token ids.
    public let prompt: [Int32]
    /// Positions of the prompt whose logits llama.cpp gave.
    public let positions: [Int]
    /// llama.cpp's logits at `positions`, one row each.
    public let logits: [[Float]]
    /// llama.cpp's greedy continuation of the prompt.
    public let greedy: [Int32]

    /// Every fixture: one per registered architecture, and Llama with Llama 3.1's `rope_freqs.weight`.
    public static let names = ["llama", "qwen2", "qwen3", "gemma2", "gemma3", "granite", "phi3", "llama-rope-freqs"]

    private struct Expected: Decodable {
        var prompt: [Int32]
        var positions: [Int]
        var logits: [[Float]]
        var greedy: [Int32]
    }

    /// The fixture of architecture `name`.
    public static func named(_ name: String) throws -> ArchitectureFixture {
        guard let folder = Bundle.module.url(forResource: "Architectures", withExtension: nil) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "LabTestSupport's Architectures resources are missing"])
        }
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: folder.appendingPathComponent("\(name).json")))
        return ArchitectureFixture(
            name: name, url: folder.appendingPathComponent("\(name).gguf"), prompt: expected.prompt,
            positions: expected.positions, logits: expected.logits, greedy: expected.greedy
        )
    }
}
