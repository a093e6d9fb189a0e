import Foundation
import LabCore
import LabTestSupport
import Testing

/// Runs `synthlab arguments…` with `input` on standard input (the REPL reads it line by line).
private func runWithInput(_ arguments: [String], input: String) throws -> (status: Int32, output: String, errors: String) {
    let process = Process()
    process.executableURL = SynthlabBinary.url
    process.arguments = arguments
    let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    stdin.fileHandleForWriting.write(Data(input.utf8))
    try stdin.fileHandleForWriting.close()
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    let errors = stderr.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self))
}

@Suite("synthlab chat", .serialized)
struct ChatCommandTests {
    @Test("Greedy chat --prompt prints only the reply, the same text every time")
    func greedyRepeats() throws {
        let model = try TestPaths.defaultModel().path
        let arguments = ["chat", "--model", model, "--prompt", "What is a balance sheet?", "--max-tokens", "24"]
        let first = SynthlabBinary.run(arguments)
        let second = SynthlabBinary.run(arguments)
        #expect(first.status == 0, "\(first.errorSummary)")
        #expect(first.outputText.count > 20 && first.outputText.hasSuffix("\n"), "\(first.outputText.debugDescription)")
        #expect(!first.outputText.contains("<|im_end|>") && !first.outputText.contains("<|im_start|>"))
        #expect(second.outputText == first.outputText)
        #expect(first.errorText.contains("reply cut at 24 tokens"))
    }

    @Test("chat --json reports the text and its token accounting")
    func json() throws {
        let model = try TestPaths.defaultModel().path
        let result = SynthlabBinary.run(["chat", "--model", model, "--prompt", "Define EBITDA.", "--max-tokens", "8", "--json"])
        #expect(result.status == 0, "\(result.errorSummary)")
        let object = try #require(try JSONSerialization.jsonObject(with: result.output) as? [String: Any])
        #expect(object["completion_tokens"] as? Int == 8)
        #expect(object["finish_reason"] as? String == "length")
        #expect((object["prompt_tokens"] as? Int ?? 0) > 8)
        #expect((object["text"] as? String)?.isEmpty == false)
    }

    @Test("Without --prompt, lines on standard input are a conversation; /reset and /exit work")
    func repl() throws {
        let model = try TestPaths.defaultModel().path
        let session = try runWithInput(
            ["chat", "--model", model, "--max-tokens", "6"],
            input: "Hello.\n\n/reset\nHello.\n/exit\nnever answered\n"
        )
        #expect(session.status == 0, "\(session.errors)")
        let replies = session.output.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        // Two turns answered (the empty line is skipped; nothing after /exit); after /reset the
        // same question in a fresh conversation gets the same greedy reply.
        #expect(replies.count == 2, "\(session.output.debugDescription)")
        #expect(replies.first == replies.last)
        #expect(session.errors.contains("conversation forgotten"))
    }

    @Test("A missing default model is an error with the pull hint", arguments: [[] as [String], ["--prompt", "hi"]])
    func missingModel(extra: [String]) throws {
        let home = try TestPaths.temporaryDirectory("chat-home")
        defer { try? FileManager.default.removeItem(at: home) }
        let result = SynthlabBinary.run(["chat"] + extra, environment: ["SYNTHLAB_HOME": home.path])
        #expect(result.status == 1)
        #expect(result.errorText.contains("synthlab model pull"), "\(result.errorText)")
        #expect(result.output.isEmpty)
    }

    @Test("Bad options are rejected before the model loads", arguments: [
        ["--json"], ["--prompt", "x", "--temperature", "-1"], ["--prompt", "x", "--top-p", "0"], ["--prompt", "x", "--max-tokens", "0"],
    ])
    func badOptions(arguments: [String]) {
        let result = SynthlabBinary.run(["chat", "--model", "/nonexistent.gguf"] + arguments)
        #expect(result.status == 64, "\(result.errorText)")
    }
}
