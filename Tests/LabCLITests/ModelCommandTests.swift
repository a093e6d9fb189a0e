import Foundation
import LabCore
import LabTestSupport
import Testing

@Suite struct ModelCommands {
    @Test func inspectDescribesTheDefaultModel() throws {
        let model = try TestPaths.defaultModel()
        let text = SynthlabBinary.run(["model", "inspect", model.path])
        #expect(text.status == 0, "\(text.errorText)")
        #expect(text.outputText.contains("GGUF v3, 33 metadata keys, 272 tensors, data at byte 1785664"))
        #expect(text.outputText.contains("tensor types: F32 ×61, Q4_1 ×210, Q8_0 ×1"))
        #expect(text.outputText.contains("tokenizer.ggml.tokens") && text.outputText.contains("array of 49152 strings"))
        let json = SynthlabBinary.run(["model", "inspect", model.path, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: json.output) as? [String: Any])
        #expect((object["tensors"] as? [Any])?.count == 272)
        #expect((object["metadata"] as? [String: Any])?["llama.block_count"] as? Int == 30)
    }

    @Test func tokenizePrintsOnlyAJSONArray() throws {
        let model = try TestPaths.defaultModel()
        let result = SynthlabBinary.run(["model", "tokenize", model.path, "<|im_start|>user\nHello world"])
        #expect(result.status == 0, "\(result.errorText)")
        #expect(result.outputText == "[1, 4093, 198, 19556, 905]\n")
        let plain = SynthlabBinary.run(["model", "tokenize", model.path, "<|im_start|>", "--no-special"])
        #expect(plain.outputText != "[1]\n")
    }

    @Test(arguments: [("truncated", 100_000), ("tiny", 13)])
    func aDamagedModelIsAClearErrorNotACrash(name: String, length: Int) throws {
        let model = try TestPaths.defaultModel()
        let directory = try TestPaths.temporaryDirectory("bad-model")
        defer { try? FileManager.default.removeItem(at: directory) }
        let bad = directory.appendingPathComponent("\(name).gguf")
        let handle = try FileHandle(forReadingFrom: model)
        try (handle.read(upToCount: length) ?? Data()).write(to: bad)
        try handle.close()
        for command in [["model", "inspect", bad.path], ["model", "tokenize", bad.path, "hi"]] {
            let result = SynthlabBinary.run(command)
            #expect(result.status == 1)
            #expect(result.errorText.contains("\(name).gguf: at byte"), "\(result.errorText)")
            #expect(result.errorText.contains("hint:"))
        }
    }
}
