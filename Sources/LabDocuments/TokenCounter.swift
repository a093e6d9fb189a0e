/// Counts the tokens of a piece of text for chunk budgets; pluggable so a real tokenizer can
/// replace the default estimate.
public struct TokenCounter: Sendable {
    private let counter: @Sendable (String) -> Int

    /// A counter backed by `count` (e.g. `{ tokenizer.encode($0).count }`).
    public init(_ count: @escaping @Sendable (String) -> Int) {
        counter = count
    }

    /// The number of tokens in `text`.
    public func callAsFunction(_ text: String) -> Int {
        counter(text)
    }

    /// Tokens per whitespace-separated word in the default estimate. English prose averages about
    /// 1.3 BPE tokens per word for Llama/GPT-style vocabularies (OpenAI's "a token is about ¾ of
    /// a word" rule of thumb).
    public static let tokensPerWord = 1.3

    /// The default estimate: ⌈1.3 × words⌉, no tokenizer needed.
    public static let wordEstimate = TokenCounter { text in
        Int((Double(TextMeasure.wordCount(text.unicodeScalars)) * tokensPerWord).rounded(.up))
    }
}
