/// The byte-level BPE vocabulary of `TinyDecoderModel`, built the way GPT-2-style tokenizers are:
/// control tokens, then one token per byte (in GPT-2's byte-to-unicode order, so a space is `Ġ`),
/// then one token per merge learned from a small built-in English text.
public struct TinyModelVocabulary: Sendable, Equatable {
    /// Control tokens at ids 0, 1, 2, as in SmolLM2: end of text, ChatML start and end.
    public static let controlTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    /// `tokenizer.ggml.token_type` values (llama.cpp `llama_token_type`).
    public static let normalType: Int32 = 1, controlType: Int32 = 3

    /// Token strings by id.
    public var tokens: [String]
    /// llama.cpp token types by id.
    public var tokenTypes: [Int32]
    /// Merges in rank order, each `"left right"`.
    public var merges: [String]

    /// Builds the vocabulary with up to `mergeCount` merges (fewer if the text runs out of pairs).
    public init(mergeCount: Int) {
        let byteTokens = Self.byteOrder.map { String(Self.byteToUnicode[$0]) }
        var tokens = Self.controlTokens + byteTokens
        var merges: [String] = []
        // Words of the training text in byte-level form, as sequences of symbols, with counts.
        var words: [[String]: Int] = [:]
        for word in Self.trainingText.split(separator: " ") {
            // A word carries its leading space, as GPT-2's pre-tokenizer splits text (" the").
            let symbols = Array((" " + word).utf8).map { String(Self.byteToUnicode[Int($0)]) }
            words[symbols, default: 0] += 1
        }
        while merges.count < mergeCount {
            var pairCounts: [String: Int] = [:]
            for (symbols, count) in words {
                for (left, right) in zip(symbols, symbols.dropFirst()) {
                    pairCounts["\(left) \(right)", default: 0] += count
                }
            }
            // Most frequent pair; ties broken by the pair's text so the result is deterministic.
            guard let best = pairCounts.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }), best.value >= 2 else { break }
            let parts = best.key.split(separator: " ", maxSplits: 1).map(String.init)
            let (left, right) = (parts[0], parts[1])
            merges.append(best.key)
            tokens.append(left + right)
            var merged: [[String]: Int] = [:]
            for (symbols, count) in words {
                var result: [String] = []
                var i = 0
                while i < symbols.count {
                    if i + 1 < symbols.count, symbols[i] == left, symbols[i + 1] == right {
                        result.append(left + right)
                        i += 2
                    } else {
                        result.append(symbols[i])
                        i += 1
                    }
                }
                merged[result, default: 0] += count
            }
            words = merged
        }
        self.tokens = tokens
        self.merges = merges
        self.tokenTypes = tokens.indices.map { $0 < Self.controlTokens.count ? Self.controlType : Self.normalType }
    }

    /// GPT-2's byte-to-unicode table: printable bytes map to themselves, the others to U+0100 and up
    /// (https://github.com/openai/gpt-2/blob/master/src/encoder.py, `bytes_to_unicode`), listed in
    /// that function's order, which is the order byte tokens take in GPT-2-style vocabularies.
    public static let byteToUnicode: [Character] = {
        var table = [Character](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
            let scalar = printable ? UInt32(byte) : { defer { next += 1 }; return next }()
            table[byte] = Character(Unicode.Scalar(scalar) ?? " ")
        }
        return table
    }()

    /// The byte tokens in vocabulary order: printable bytes first, then the remapped ones.
    static var byteOrder: [Int] {
        let printable = Array(33...126) + Array(161...172) + Array(174...255)
        return printable + (0..<256).filter { !printable.contains($0) }
    }

    /// ChatML, as SmolLM2 and many instruction models use (`<|im_start|>role\ncontent<|im_end|>\n`).
    public static let chatTemplate = """
        {% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}
        """

    /// A few sentences of plain English about finance, enough to learn common merges from.
    static let trainingText = """
        the company reported revenue of the quarter and the net income of the year . the revenue \
        increased by ten percent while the cost of revenue decreased . the net margin is the net \
        income divided by the revenue . the report of the auditor states that the statements present \
        fairly the financial position of the company . in the year the company paid a dividend and \
        repurchased shares . the total assets and the total liabilities are shown in the balance sheet \
        and the cash flow statement shows the cash from operating activities . interest and taxes are \
        expenses of the period . the ratio of current assets to current liabilities is the current ratio .
        """
}
