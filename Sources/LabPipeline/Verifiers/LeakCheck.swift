import Foundation

/// `leak`: prompt scaffolding in a question or answer — role labels (`Question:`, `Answer:`,
/// `S:`), chat tokens, template phrases ("for this task", "an example question"), and the
/// instruction sentences of the flow's own prompt templates, found by word n-gram overlap with the
/// templates' fixed text (n-grams that also occur in the leaf's seeds, task or the candidate's
/// context are not counted: quoting the data is not a leak).
public struct LeakCheck: CandidateVerifier {
    public static let version = "1"
    /// Word n-grams of the templates' instruction text.
    let instructionGrams: Set<String>
    /// Per leaf: n-grams of its seeds and task description (legitimate to repeat).
    let leafGrams: [String: Set<String>]
    static let gramSize = 4

    /// - Parameters:
    ///   - templates: the flow's prompt templates as written; `{{ … }}` and `{% … %}` are removed
    ///     so only their fixed instruction text counts.
    ///   - leafTexts: per leaf path, its seeds and task description.
    public init(templates: [String], leafTexts: [String: String]) {
        var grams = Set<String>()
        for template in templates {
            for line in Self.fixedText(template).split(whereSeparator: \.isNewline) { grams.formUnion(Self.grams(String(line))) }
        }
        instructionGrams = grams
        leafGrams = leafTexts.mapValues(Self.grams)
    }

    /// Role labels at the start of a line or sentence.
    static let labels = ["question:", "answer:", "q:", "a:", "s:", "context:", "task:", "example:", "user:", "assistant:",
                         "system:", "response:", "instruction:", "input:", "output:", "solution:", "new question:"]
    /// Labels small teachers put before a question they write.
    static let questionLabels = ["reply:", "title:", "hyp:", "hypothesis:", "prompt:", "query:", "request:", "topic:", "rewrite:", "rewritten:", "paraphrase:",
                                 "paraphrased question:", "generated question:", "sample question:"]
    /// Markup and phrases that only prompt scaffolding produces.
    static let fragments = [
        "[question]", "[answer]", "[end]", "[context]", "<|im_start|>", "<|im_end|>", "<|endoftext|>", "</s>", "<s>",
        "for this task", "an example question", "example of a good question", "example of such a question",
        "the question for this task", "here is a new question", "here is a question", "here's a question", "here is the answer",
        "here's the answer", "reply with the question", "write one new", "in the same style", "new, different question",
        "question only", "the example above", "as an ai", "###", "<insert", "[insert", "[answer in", "[your ", "<your ",
        "{{", "}}", "numeric example:", "common misunderstanding:", "plain explanation:", "\\text", "\\cdot", "\\frac", "\\rightarrow",
        "\\times", "$\\", "\\%", "the answer is:", "the answer to this question", "the answer to the question",
    ]
    /// An answer that announces itself restates the request ("The summary of this paragraph is: …");
    /// the same words are a fair question.
    static let answerFragments = ["the summary of this paragraph", "the summary of the paragraph", "a summary of this paragraph is",
                                  "this paragraph summarizes"]

    /// An opening that names what the answer is before giving it, ending in a colon.
    /// "A simple explanation of what an asset is:", or "A simple way to explain it is:" (read
    /// among the accepted answers of a fresh generate run).
    static let answerPreface = #"^(here is |here's )?(a |an |the |my |one )?(simple |short |plain |brief |clear |easy |quick |good )*((explanation|definition|summary|description) (of|for)|way (to|of) (explain|explaining|describe|describing|put|putting|say|saying|understand|think about))[^:.\n]{0,60}:"#

    public func verify(_ candidate: CandidateText) -> Finding? {
        // "Reply: How does …?", "Title: How much …?": a label word before the question ("Depreciation:
        // what is it?" names its subject, not a role).
        let opening = candidate.question.lowercased()
        if let label = Self.questionLabels.first(where: { opening.hasPrefix($0) }) {
            return .reject("role label in the question", score: 1, threshold: 0, evidence: ["part": "question", "matched": label])
        }
        for (part, text) in [("question", candidate.question), ("answer", candidate.answer)] {
            let lowered = text.lowercased()
            // "Example:" opens the worked example of a good explanation; only a question may not use it.
            for label in Self.labels where part == "question" || label != "example:" {
                // A closing "Answer: $56.3 million" line after worked steps is a style, not a role
                // label; an answer that also carries a "Question:" is scaffolding.
                let closing = part == "answer" && (label == "answer:" || label == "a:") && !lowered.hasPrefix(label) && !lowered.contains("question:")
                if closing { continue }
                if lowered.hasPrefix(label) || lowered.contains("\n" + label) || lowered.contains(". " + label) || lowered.contains("? " + label) {
                    return .reject("role label in the \(part)", score: 1, threshold: 0, evidence: ["part": part, "matched": label])
                }
            }
            if let fragment = Self.fragments.first(where: lowered.contains) ?? (part == "answer" ? Self.answerFragments.first(where: lowered.contains) : nil) {
                return .reject("template fragment in the \(part)", score: 1, threshold: 0, evidence: ["part": part, "matched": fragment])
            }
            // "A simple explanation of what an asset is: An asset is …" introduces itself.
            if part == "answer", let preface = lowered.range(of: Self.answerPreface, options: .regularExpression) {
                return .reject("the answer announces itself", score: 1, threshold: 0, evidence: ["part": part, "matched": String(lowered[preface])])
            }
        }
        // Instruction n-grams: what the template says, minus what the data legitimately says.
        var allowed = leafGrams[candidate.leafPath] ?? []
        if let context = candidate.context { allowed.formUnion(Self.grams(context)) }
        for (part, text) in [("question", candidate.question), ("answer", candidate.answer)] {
            let shared = Self.grams(text).intersection(instructionGrams).subtracting(allowed)
            if let first = shared.sorted().first {
                return .reject("prompt instructions in the \(part)", score: Double(shared.count), threshold: 0,
                               evidence: ["part": part, "matched": first, "overlapping_ngrams": String(shared.count)])
            }
        }
        return .accept("no scaffolding", score: 0, threshold: 0)
    }

    static func grams(_ text: String) -> Set<String> {
        let words = TextUnits.words(text)
        guard words.count >= gramSize else { return [] }
        var grams = Set<String>()
        for start in 0...(words.count - gramSize) { grams.insert(words[start..<(start + gramSize)].joined(separator: " ")) }
        return grams
    }

    /// A template's fixed text: its `{{ … }}` and `{% … %}` parts cut out, each leaving a line break
    /// so no n-gram spans a variable.
    static func fixedText(_ template: String) -> String {
        var text = template
        for (open, close) in [("{{", "}}"), ("{%", "%}")] {
            while let start = text.range(of: open), let end = text.range(of: close, range: start.upperBound..<text.endIndex) {
                text.replaceSubrange(start.lowerBound..<end.upperBound, with: "\n")
            }
        }
        // Lines that only label a slot ("Question:", "Context:") are labels, caught above.
        return text
    }
}
