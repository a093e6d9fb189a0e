import Foundation
import LabCore
import LabGGUF
import LabTestSupport
import LabTokenizer
import Testing
@testable import LabLLM

/// The local teacher over the real default model, sharing the loaded weights of the reference tests.
private func realTeacher(configuration: BatchScheduler.Configuration = .init()) throws -> LocalTeacher {
    let tokenizer = try Tokenizer(TokenizerVocabulary(gguf: GGUFFile(url: TestPaths.defaultModel())))
    return LocalTeacher(model: try DefaultModelUnderTest.model(), tokenizer: tokenizer, identity: "SmolLM2", configuration: configuration)
}

@Suite("Local teacher on SmolLM2-135M-Instruct", .serialized)
struct LocalTeacherModelTests {
    @Test("The chat prompt renders to llama.cpp's ids and greedy decoding starts with llama.cpp's 13 tokens")
    func matchesLlamaCpp() async throws {
        let teacher = try realTeacher()
        let reference = try DefaultModelUnderTest.fixture("greedy.json", as: GreedyReference.self)
        let request = GenerationRequest(input: .chat([ChatMessage(.user, "What is a 10-K filing?")]), parameters: SamplingParameters(maxTokens: 13))
        #expect(try teacher.promptTokens(for: request.input) == reference.prompt_ids)
        let result = try await teacher.generate(request)
        let expected = Array(reference.variant_a_llamacpp.ids.prefix(13))
        #expect(result.promptTokens == reference.prompt_ids.count)
        #expect(result.completions.first?.text == teacher.tokenizer.decode(expected))
        #expect(result.completions.first?.completionTokens == 13)
        #expect(result.completions.first?.finishReason == .length)
    }

    @Test("Eight different prompts decoded together each give the text they give alone")
    func batchedEqualsAlone() async throws {
        let teacher = try realTeacher()
        let questions = [
            "What is a 10-K filing?", "Define EBITDA.", "What does a balance sheet show?", "What is free cash flow?",
            "Explain the current ratio.", "What is an 8-K?", "What is revenue?", "Name one liquidity ratio.",
        ]
        let requests = questions.map {
            GenerationRequest(input: .chat([ChatMessage(.user, $0)]), parameters: SamplingParameters(maxTokens: 24))
        }
        var alone: [String] = []
        for request in requests { alone.append(try await teacher.generate(request).completions.first?.text ?? "") }
        let together = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (index, request) in requests.enumerated() {
                group.addTask { (index, try await teacher.generate(request).completions.first?.text ?? "") }
            }
            var texts = [String](repeating: "", count: requests.count)
            for try await (index, text) in group { texts[index] = text }
            return texts
        }
        for index in requests.indices {
            #expect(together[index] == alone[index], "prompt \(index): batched \(together[index].debugDescription), alone \(alone[index].debugDescription)")
        }
        #expect(Set(alone).count == questions.count, "different questions should get different answers: \(alone)")
    }

    @Test("count > 1 forks the prompt's cache: sampled completions are reproducible and match single runs")
    func forkedCompletions() async throws {
        let teacher = try realTeacher()
        let parameters = SamplingParameters(temperature: 0.8, topK: 40, maxTokens: 12, seed: 5)
        let request = GenerationRequest(input: .chat([ChatMessage(.user, "Name a financial statement.")]), parameters: parameters, count: 3)
        let forked = try await teacher.generate(request)
        // With room for one sequence at a time each completion is prefilled on its own, without forking.
        let narrow = try realTeacher(configuration: .init(maxBatchSize: 1))
        let separate = try await narrow.generate(request)
        #expect(forked.completions == separate.completions)
        #expect(Set(forked.completions.map(\.text)).count > 1, "\(forked.completions.map(\.text))")
    }
}
