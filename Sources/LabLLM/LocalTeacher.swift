public import Foundation
public import LabCore
import LabGGUF
public import LabTokenizer

extension StreamingDecoder: TokenTextDecoder {}

/// The in-process teacher: a `LanguageModel` with its tokenizer and chat template behind a
/// `BatchScheduler`, so concurrent `generate` calls are decoded together.
public final class LocalTeacher: TextGenerator {
    /// `local:` followed by the model file's SHA-256 (or the identity given at creation).
    public let identity: String
    /// The scheduler running the model.
    public let scheduler: BatchScheduler
    /// Text ↔ token ids for the model.
    public let tokenizer: Tokenizer
    /// How chat messages are rendered into a prompt.
    public let template: ChatTemplate

    /// A teacher over an already loaded model.
    /// - Parameters:
    ///   - template: the chat format; default: the one in the tokenizer's metadata (else ChatML).
    ///   - identity: what distinguishes this teacher in caches, e.g. the model file's hash.
    public init(
        model: any LanguageModel, tokenizer: Tokenizer, template: ChatTemplate? = nil, identity: String,
        configuration: BatchScheduler.Configuration = .init()
    ) {
        self.identity = "local:\(identity)"
        self.tokenizer = tokenizer
        self.template = template ?? ChatTemplate.forVocabulary(tokenizer.vocabulary)
        self.scheduler = BatchScheduler(model: model, configuration: configuration)
    }

    /// Loads the GGUF model at `url` (weights, tokenizer and chat template from the same file).
    /// - Parameters:
    ///   - threads: threads for the model's kernels (default: every active core).
    ///   - identity: what identifies the teacher in caches; default: the file's SHA-256.
    /// - Throws: `GGUFError` for an unreadable file, `ModelError` for a model the engine can't run,
    ///   `TokenizerError` for an unsupported tokenizer.
    public convenience init(
        modelAt url: URL, threads: Int? = nil, identity: String? = nil, configuration: BatchScheduler.Configuration = .init()
    ) throws {
        let file = try GGUFFile(url: url)
        let model = try LlamaModel(file: file, threads: threads)
        let tokenizer = try Tokenizer(TokenizerVocabulary(gguf: file))
        let identity = try identity ?? ContentHash.sha256Hex(fileAt: url)
        self.init(model: model, tokenizer: tokenizer, identity: identity, configuration: configuration)
    }

    /// The prompt's token ids: chat messages rendered with the template (ending where the
    /// assistant's reply begins), or the raw prompt; special tokens written in the text are recognised.
    public func promptTokens(for input: GenerationRequest.Input) -> [Int32] {
        switch input {
        case .chat(let messages):
            tokenizer.encode(template.render(messages, addGenerationPrompt: true), addSpecial: true, parseSpecial: true)
        case .prompt(let text):
            tokenizer.encode(text, addSpecial: true, parseSpecial: true)
        }
    }

    /// The scheduler request for `request`, with the tokenizer's end-of-sequence and end-of-turn ids.
    public func batchRequest(for request: GenerationRequest) -> BatchRequest {
        let tokenizer = tokenizer
        let vocabulary = tokenizer.vocabulary
        return BatchRequest(
            prompt: promptTokens(for: request.input), parameters: request.parameters, count: request.count,
            endOfSequence: Set([vocabulary.eosID, vocabulary.eotID].compactMap { $0 })
        ) { StreamingDecoder(tokenizer: tokenizer) }
    }

    /// Generates `request.count` completions; latency runs from this call to the last token.
    public func generate(_ request: GenerationRequest) async throws -> GenerationResult {
        let started = Date()
        let batch = batchRequest(for: request)
        let results = try await scheduler.run(batch)
        return GenerationResult(
            completions: results.map { Completion(text: $0.text, finishReason: $0.finishReason, completionTokens: $0.tokens.count) },
            promptTokens: batch.prompt.count,
            latency: Date().timeIntervalSince(started)
        )
    }

    /// The completions as they are generated: text pieces, then each completion's result.
    /// Ending the iteration (or cancelling its task) stops the generation.
    public func stream(_ request: GenerationRequest) -> AsyncThrowingStream<BatchEvent, any Error> {
        scheduler.submit(batchRequest(for: request))
    }
}
