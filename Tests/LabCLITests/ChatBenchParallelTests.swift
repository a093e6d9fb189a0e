import Foundation
import LabCore
import LabTestSupport
import Testing

@Suite("synthlab model bench --parallel")
struct BenchParallelTests {
    @Test("--parallel N decodes N sequences together and reports the aggregate as JSON")
    func parallelJSON() throws {
        let model = try TestPaths.defaultModel().path
        let result = SynthlabBinary.run(["model", "bench", model, "--parallel", "3", "--prompt-tokens", "4", "--gen-tokens", "4", "--json"])
        #expect(result.status == 0, "\(result.errorSummary)")
        let object = try #require(try JSONSerialization.jsonObject(with: result.output) as? [String: Any], "\(result.outputText)")
        #expect(object["parallel"] as? Int == 3)
        #expect(object["widest_step"] as? Int == 3)
        #expect((object["decode_tokens_per_second"] as? Double ?? 0) > 0)
    }

    @Test("--parallel must be positive")
    func parallelValidation() {
        #expect(SynthlabBinary.run(["model", "bench", "/nonexistent.gguf", "--parallel", "0"]).status == 64)
    }
}
