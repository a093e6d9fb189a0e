import Foundation
import LabCore
import LabTestSupport
import Testing
@testable import LabLLM

/// A token-level request whose tokens read as letters (token i → the i-th letter).
func letterRequest(
    _ prompt: [Int32], _ parameters: SamplingParameters = .init(), count: Int = 1, endOfSequence: Set<Int32> = [], vocabularySize: Int = 32
) -> BatchRequest {
    BatchRequest(prompt: prompt, parameters: parameters, count: count, endOfSequence: endOfSequence) {
        ScriptedDecoder.letters(vocabularySize: vocabularySize)
    }
}

@Suite("Batch scheduler: one request")
struct BatchSchedulerSingleTests {
    @Test("Greedy decoding follows the model and stops at maxTokens with finish reason length")
    func greedyLength() async throws {
        let scheduler = BatchScheduler(model: FakeLanguageModel())
        let results = try await scheduler.run(letterRequest([5], SamplingParameters(maxTokens: 5)))
        #expect(results == [SequenceResult(tokens: [6, 7, 8, 9, 10], text: "ghijk", finishReason: .length)])
    }

    @Test("An end-of-sequence token stops with reason stop and is not part of the text")
    func endOfSequence() async throws {
        let scheduler = BatchScheduler(model: FakeLanguageModel())
        let results = try await scheduler.run(letterRequest([5], SamplingParameters(maxTokens: 10), endOfSequence: [9]))
        #expect(results == [SequenceResult(tokens: [6, 7, 8, 9], text: "ghi", finishReason: .stop)])
    }

    @Test("ignoreEndOfSequence generates past end-of-sequence tokens")
    func ignoreEndOfSequence() async throws {
        let scheduler = BatchScheduler(model: FakeLanguageModel())
        let results = try await scheduler.run(letterRequest([5], SamplingParameters(maxTokens: 6, ignoreEndOfSequence: true), endOfSequence: [9]))
        #expect(results == [SequenceResult(tokens: [6, 7, 8, 9, 10, 11], text: "ghijkl", finishReason: .length)])
    }

    @Test("A stop string ends the completion; it and what follows are left out")
    func stopString() async throws {
        let scheduler = BatchScheduler(model: FakeLanguageModel())
        let results = try await scheduler.run(letterRequest([5], SamplingParameters(maxTokens: 10, stop: ["ij", "zz"])))
        #expect(results.first?.text == "gh")
        #expect(results.first?.finishReason == .stop)
        #expect(results.first?.tokens == [6, 7, 8, 9])
    }

    @Test("Streamed text pieces add up to the final text")
    func streamedPieces() async throws {
        let scheduler = BatchScheduler(model: FakeLanguageModel())
        var streamed = ""
        var final: SequenceResult?
        for try await event in scheduler.submit(letterRequest([0], SamplingParameters(maxTokens: 8, stop: ["fgz"]))) {
            switch event {
            case .text(_, let piece): streamed += piece
            case .finished(_, let result): final = result
            }
        }
        #expect(final?.text == "bcdefghi")
        #expect(streamed == "bcdefghi")
    }

    @Test("A full context ends generation with finish reason length")
    func contextFull() async throws {
        let scheduler = BatchScheduler(model: FakeLanguageModel(contextLength: 64))
        let prompt = [Int32](repeating: 3, count: 60)
        let results = try await scheduler.run(letterRequest(prompt, SamplingParameters(maxTokens: 100)))
        // 60 prompt tokens fill 60 of 64 positions; 4 generated tokens are fed back, the 5th is not.
        #expect(results.first?.tokens == [4, 5, 6, 7, 8])
        #expect(results.first?.finishReason == .length)
    }

    struct Invalid: Sendable, CustomTestStringConvertible {
        var prompt: [Int32]
        var parameters: SamplingParameters
        var count = 1
        var field: String
        var testDescription: String { field }
    }

    @Test("Invalid requests fail with an error naming the field", arguments: [
        Invalid(prompt: [Int32](repeating: 1, count: 64), parameters: .init(), field: "prompt"),
        Invalid(prompt: [], parameters: .init(), field: "prompt"),
        Invalid(prompt: [1], parameters: .init(), count: 0, field: "count"),
        Invalid(prompt: [1], parameters: .init(maxTokens: 0), field: "maxTokens"),
        Invalid(prompt: [1], parameters: .init(temperature: -1), field: "temperature"),
        Invalid(prompt: [1], parameters: .init(temperature: .nan), field: "temperature"),
        Invalid(prompt: [1], parameters: .init(topK: -2), field: "topK"),
        Invalid(prompt: [1], parameters: .init(topP: 0), field: "topP"),
        Invalid(prompt: [1], parameters: .init(minP: 1.5), field: "minP"),
        Invalid(prompt: [1], parameters: .init(repetitionPenalty: 0), field: "repetitionPenalty"),
        Invalid(prompt: [1], parameters: .init(repetitionWindow: -1), field: "repetitionWindow"),
    ])
    func invalid(_ example: Invalid) async throws {
        let scheduler = BatchScheduler(model: FakeLanguageModel(contextLength: 64))
        let error = await #expect(throws: ModelError.self) {
            try await scheduler.run(letterRequest(example.prompt, example.parameters, count: example.count))
        }
        #expect(error?.field == example.field, "\(String(describing: error))")
    }

    @Test("A request needing more attention state than the budget fails with a hint")
    func overBudget() async throws {
        let scheduler = BatchScheduler(model: FakeLanguageModel(contextLength: 64), configuration: .init(maxCachedTokens: 10))
        let error = await #expect(throws: ModelError.self) {
            try await scheduler.run(letterRequest([1, 2, 3], SamplingParameters(maxTokens: 20)))
        }
        #expect(error?.description.contains("budget of 10") == true, "\(String(describing: error))")
        #expect(try await scheduler.run(letterRequest([1], SamplingParameters(maxTokens: 5))).first?.tokens == [2, 3, 4, 5, 6])
    }
}
