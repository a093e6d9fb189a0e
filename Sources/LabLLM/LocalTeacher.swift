public import Foundation
public import LabCore
import LabGGUF
public import LabTokenizer

extension StreamingDecoder: TokenTextDecoder {}

/// The in-process teacher: a `LanguageModel` with its tokenizer and chat template behind a
/// `BatchScheduler`, so concurrent `generate` calls are decoded together.
public final class LocalTeacher: StreamingTextGenerator {
    /// `local:` followed by the model file's SHA-256 (or the identity given at creation).
    public let identity: String
    /// The scheduler running the model.
    public let scheduler: BatchScheduler
    /// Text ↔ token ids for the model.
    public let tokenizer: Tokenizer
    /// How chat messages are rendered into a prompt (nil: the model's template is not one
    /// LabTokenizer knows, so chat requests fail with a hint to name one).
    public let template: ChatTemplate?
    /// The longest prompt plus reply the model holds, in tokens.
    public let contextLength: Int

    /// A teacher over an already loaded model.
    /// - Parameters:
    ///   - template: the chat format; default: the one recognised from the tokenizer's metadata.
    ///   - identity: what distinguishes this teacher in caches, e.g. the model file's hash.
    public init(
        model: any LanguageModel, tokenizer: Tokenizer, template: ChatTemplate? = nil, identity: String,
        configuration: BatchScheduler.Configuration = .init()
    ) {
        self.identity = "local:\(identity)"
        self.tokenizer = tokenizer
        self.template = template ?? tokenizer.recognizedChatTemplate
        self.contextLength = model.contextLength
        self.scheduler = BatchScheduler(model: model, configuration: configuration)
    }

    /// Loads the GGUF model at `url` (weights, tokenizer and chat template from the same file).
    /// - Parameters:
    ///   - threads: threads for the model's kernels (default: every active core).
    ///   - template: the chat format; default: the one recognised from the file's metadata.
    ///   - identity: what identifies the teacher in caches; default: the file's SHA-256.
    /// - Throws: `GGUFError` for an unreadable file, `ModelError` for a model the engine can't run,
    ///   `TokenizerError` for an unsupported tokenizer.
    public convenience init(
        modelAt url: URL, threads: Int? = nil, template: ChatTemplate? = nil, identity: String? = nil,
        configuration: BatchScheduler.Configuration = .init()
    ) throws {
        let file = try GGUFFile(url: url, residency: .forInference)
        let model = try DecoderModel(file: file, threads: threads)
        let tokenizer = try Tokenizer(TokenizerVocabulary(gguf: file))
        let identity = try identity ?? ContentHash.sha256Hex(fileAt: url)
        self.init(model: model, tokenizer: tokenizer, template: template, identity: identity, configuration: configuration)
    }

    /// The prompt's token ids: chat messages rendered with the template (ending where the
    /// assistant's reply begins), or the raw prompt; special tokens written in the text are recognised.
    /// Throws `TokenizerError` when the template can't render the conversation.
    public func promptTokens(for input: GenerationRequest.Input) throws -> [Int32] {
        switch input {
        case .chat(let messages):
            try tokenizer.encodeChat(messages, template: template, addGenerationPrompt: true)
        case .prompt(let text):
            tokenizer.encode(text, addSpecial: true, parseSpecial: true)
        }
    }

    /// The scheduler request for `request`, ending at the tokenizer's end-of-generation ids. A raw
    /// prompt's completion continues its text, so its first piece keeps the space a SentencePiece
    /// token starts with (`▁ladies` → " ladies"), as llama.cpp returns it; a chat reply starts on
    /// its own, and that space is dropped.
    public func batchRequest(for request: GenerationRequest) throws -> BatchRequest {
        let tokenizer = tokenizer
        let continuesPrompt = if case .prompt = request.input { true } else { false }
        return BatchRequest(
            prompt: try promptTokens(for: request.input), parameters: request.parameters, count: request.count,
            endOfSequence: tokenizer.endOfGenerationIds
        ) { StreamingDecoder(tokenizer: tokenizer, keepsLeadingSpace: continuesPrompt) }
    }

    /// Generates `request.count` completions; latency runs from this call to the last token.
    public func generate(_ request: GenerationRequest) async throws -> GenerationResult {
        let started = Date()
        let batch = try batchRequest(for: request)
        let results = try await scheduler.run(batch)
        return GenerationResult(
            completions: results.map { Completion(text: $0.text, finishReason: $0.finishReason, completionTokens: $0.tokens.count) },
            promptTokens: batch.prompt.count,
            latency: Date().timeIntervalSince(started)
        )
    }

    /// Generates like `generate(_:)`, handing each new piece of text to `onText` as it is decoded.
    public func generate(_ request: GenerationRequest, onText: @escaping @Sendable (Int, String) -> Void) async throws
        -> GenerationResult {
        let started = Date()
        let batch = try batchRequest(for: request)
        var results = [SequenceResult?](repeating: nil, count: request.count)
        for try await event in scheduler.submit(batch) {
            switch event {
            case .text(let index, let piece): onText(index, piece)
            case .finished(let index, let result): results[index] = result
            }
        }
        try Task.checkCancellation()
        let finished = results.compactMap { $0 }
        guard finished.count == request.count else {
            throw ModelError(field: "reply", "generation ended without a result")
        }
        return GenerationResult(
            completions: finished.map { Completion(text: $0.text, finishReason: $0.finishReason, completionTokens: $0.tokens.count) },
            promptTokens: batch.prompt.count,
            latency: Date().timeIntervalSince(started)
        )
    }

    /// The completions as they are generated: text pieces, then each completion's result.
    /// Ending the iteration (or cancelling its task) stops the generation. Throws
    /// `TokenizerError` when the template can't render the conversation.
    public func stream(_ request: GenerationRequest) throws -> AsyncThrowingStream<BatchEvent, any Error> {
        scheduler.submit(try batchRequest(for: request))
    }
}
