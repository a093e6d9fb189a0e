public import LabCore

/// Teacher replies that pass the simple pipeline's filters. Question prompts get a question built
/// from words of a sentence of the prompt's source text; answer prompts get that sentence (the
/// question names it). Which sentence depends on the request's seed and the completion index, so
/// replies vary like sampled ones but are a pure function of the request.
public enum GroundedReplies {
    public static func reply(prompt: String, parameters: SamplingParameters, index: Int) -> String {
        var random = SeededRandom(seed: parameters.seed &+ UInt64(index))
        if let question = prompt.range(of: "\nQuestion: ", options: .backwards) {
            // An answer prompt: answer with the source line the question's topic was taken from.
            let asked = String(prompt[question.upperBound...])
            if let about = asked.range(of: "about "), let end = asked.range(of: " [s") {
                let topic = String(asked[about.upperBound..<end.lowerBound])
                if let line = sentences(in: String(prompt[..<question.lowerBound])).first(where: { $0.contains(topic) }) { return line + "." }
            }
            return "It means " + asked.split(separator: " ").reversed().joined(separator: " ")
        }
        let sentences = self.sentences(in: prompt)
        guard !sentences.isEmpty else { return "I'm sorry, I cannot help with that." }
        let number = Int(random.next() % UInt64(sentences.count))
        let words = sentences[number].split(separator: " ")
        let start = Int(random.next() % UInt64(max(1, words.count - 3)))
        let topic = words[start..<min(words.count, start + 4)].joined(separator: " ")
        return "What does the text say about \(topic) [s\(number)]?"
    }

    /// Lines of six or more words in the prompt (table rows included), not instructions or questions.
    public static func sentences(in prompt: String) -> [String] {
        prompt.split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.split(separator: " ").count >= 6 && !$0.contains("?") && !$0.contains(":") && !$0.hasPrefix("Answer the")
                && !$0.hasPrefix("Write one") && !$0.hasPrefix("Reply with") }
    }
}

