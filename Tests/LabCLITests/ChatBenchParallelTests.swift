import Foundation
import LabCore
import LabGGUF
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

    @Test("the weights go into huge pages where the kernel offers them, unless SYNTHLAB_WEIGHTS=mapped; a wrong value is named and the default used")
    func weightsResidency() throws {
        let model = try TestPaths.defaultModel().path
        let arguments = ["model", "bench", model, "--prompt-tokens", "4", "--gen-tokens", "2", "--json"]
        func weights(_ environment: [String: String]) throws -> (String?, String) {
            let result = SynthlabBinary.run(arguments, environment: environment)
            #expect(result.status == 0, "\(result.errorSummary)")
            let object = try JSONSerialization.jsonObject(with: result.output) as? [String: Any]
            return (object?["weights"] as? String, result.errorText)
        }
        let offered = GGUFFile.Residency.hugePagesOffered ? "huge-pages" : "mapped"
        #expect(try weights([:]).0 == offered)
        #expect(try weights(["SYNTHLAB_WEIGHTS": ""]).0 == offered)
        #expect(try weights(["SYNTHLAB_WEIGHTS": "mapped"]).0 == "mapped")
        #if os(Linux)
        #expect(try weights(["SYNTHLAB_WEIGHTS": "huge-pages"]).0 == "huge-pages")
        #endif
        let (fallback, message) = try weights(["SYNTHLAB_WEIGHTS": "tiny"])
        #expect(fallback == offered)
        #expect(message.contains("SYNTHLAB_WEIGHTS=tiny is not 'mapped' or 'huge-pages'"), "\(message)")
    }

    @Test("--parallel must be positive")
    func parallelValidation() {
        #expect(SynthlabBinary.run(["model", "bench", "/nonexistent.gguf", "--parallel", "0"]).status == 64)
    }
}
