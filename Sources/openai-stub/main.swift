import ArgumentParser
import Foundation
import LabCore
import LabHTTPTestSupport
import LabTestSupport

/// `openai-stub`: an OpenAI-compatible chat endpoint with a fixed latency whose answers are a pure
/// function of the request (`GroundedReplies`, questions and answers drawn from the prompt's own
/// lines), for bench/scale: many workers can share it and get the same answers a single process would.
@main
struct OpenAIStubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openai-stub",
        abstract: "Serve a scripted OpenAI-compatible teacher with a fixed latency (prints its URL, runs until killed).")

    @Option(help: "Milliseconds before each answer.") var latencyMs: Double = 50
    @Option(help: "Event-loop threads.") var threads = 2

    func run() async throws {
        let server = OpenAIStub.server(latency: latencyMs / 1000, threads: threads) { prompt, seed, index in
            GroundedReplies.reply(prompt: prompt, parameters: SamplingParameters(temperature: 0.7, seed: seed), index: index)
        }
        let url = try await server.start()
        FileHandle.standardOutput.write(Data((url + "\n").utf8))
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}
