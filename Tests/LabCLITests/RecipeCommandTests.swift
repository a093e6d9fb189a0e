import Foundation
import LabCore
import LabGGUF
import LabTestSupport
import Testing

/// `synthlab merge`, `synthlab documents score` and the cpt phase, through the binary.
@Suite("Domain-adaptation commands through the binary", .serialized)
struct RecipeCommandTests {
    private let fixtures = TestPaths.repositoryRoot.appendingPathComponent("Tests/LabMergeTests/Fixtures")

    @Test("merge writes the merged model atomically and reports it; bad configs and outputs are clear errors")
    func merge() throws {
        let directory = try TestPaths.temporaryDirectory("merge-cli")
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("ties.gguf")
        let result = SynthlabBinary.run(["merge", "--config", fixtures.appendingPathComponent("ties.yaml").path, "-o", output.path, "--json"])
        try #require(result.status == 0, "\(result.errorSummary)")
        let json = try #require(try JSONSerialization.jsonObject(with: result.output) as? [String: Any])
        #expect(json["method"] as? String == "ties" && json["tensors"] as? Int == 21)
        #expect(try GGUFFile(url: output).tensors.count == 21)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["ties.gguf"], "no temporary file is left")

        let bad = directory.appendingPathComponent("bad.yaml")
        try "merge_method: ties\nbase_model: base.gguf\nmodels:\n  - model: a.gguf\n    parameters: {weight: 1, densty: 0.5}\n"
            .write(to: bad, atomically: true, encoding: .utf8)
        let refused = SynthlabBinary.run(["merge", "--config", bad.path, "-o", directory.appendingPathComponent("x.gguf").path])
        #expect(refused.status != 0 && refused.errorText.contains("bad.yaml:5: ties has no per-model parameter 'densty'"), "\(refused.errorText)")
        let missing = SynthlabBinary.run(["merge", "--config", fixtures.appendingPathComponent("ties.yaml").path, "-o", "/nonexistent/dir/x.gguf"])
        #expect(missing.status != 0 && missing.errorText.contains("the output folder /nonexistent/dir does not exist"), "\(missing.errorText)")
    }

    @Test("train --phases cpt needs documents and comes first")
    func cptValidation() {
        let noDocuments = SynthlabBinary.run(["train", "--phases", "cpt", "-o", "/tmp/unused"])
        #expect(noDocuments.status != 0 && noDocuments.errorText.contains("give them with --cpt-documents"), "\(noDocuments.errorText)")
        let second = SynthlabBinary.run(["train", "--phases", "knowledge,cpt", "--cpt-documents", "documents", "-o", "/tmp/unused"])
        #expect(second.status != 0 && second.errorText.contains("cpt must be the first phase"), "\(second.errorText)")
        let ratio = SynthlabBinary.run(["train", "--phases", "cpt", "--cpt-documents", "documents", "--cpt-novelty", "likelihood_ratio", "-o", "/tmp/unused"])
        #expect(ratio.status != 0 && ratio.errorText.contains("--cpt-novelty-reference"), "\(ratio.errorText)")
    }

    @Test("documents score prints per-chunk scores and the separation from general text")
    func score() throws {
        let model = try TestPaths.defaultModel().path
        let result = SynthlabBinary.run(["documents", "score", "documents/finance/financial-ratios.md", "--chunk-tokens", "400",
                                         "--general", "2", "--model", model, "--reference", model, "--json", "--threads", "2"])
        try #require(result.status == 0, "\(result.errorSummary)")
        let json = try #require(try JSONSerialization.jsonObject(with: result.output) as? [String: Any])
        let chunks = try #require(json["chunks"] as? [[String: Any]])
        #expect(chunks.contains { $0["group"] as? String == "documents" } && chunks.filter { $0["group"] as? String == "general" }.count == 2)
        for chunk in chunks {
            // The reference is the target itself here: the likelihood ratio is exactly 0.
            #expect(chunk["likelihood_ratio"] as? Double == 0)
            // zlib's 6 bytes of header and checksum make a short chunk's stream longer than the chunk.
            let zlib = try #require(chunk["zlib_bits_per_byte"] as? Double), bytes = try #require(chunk["bytes"] as? Int)
            #expect(zlib > 1 && (bytes < 300 || zlib < 8), "\(bytes) bytes, \(zlib) zlib bits per byte")
        }
        let summary = try #require(json["summary"] as? [[String: Any]])
        #expect(summary.contains { $0["measure"] as? String == "zlib_ratio" && $0["documents_ranked_more_novel"] is Double })
    }
}
