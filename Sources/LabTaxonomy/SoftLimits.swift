import LabCore
import LabDocuments

/// The length guidelines of InstructLab's documentation, which ilab does not enforce but which
/// decide whether seeds fit the teacher's prompts: reported as warnings.
public enum SoftLimits {
    /// Words of a knowledge seed's `context`.
    public static let knowledgeContextWords = 500
    /// Words of one question plus its answer.
    public static let questionAnswerWords = 250
    /// Words of all seed text (context, question, answer) in a skill file.
    public static let skillFileWords = 2_300
    /// InstructLab's knowledge prompts use this many Q&A pairs of each seed.
    public static let questionsUsedPerKnowledgeSeed = 3

    static func warnings(_ root: YAMLValue, isKnowledge: Bool, path: String) -> [Diagnostic] {
        guard let seeds = root["seed_examples"] else { return [] }
        var warnings: [Diagnostic] = []
        func words(_ node: YAMLValue?) -> Int { node?.string.map(DocumentText.wordCount) ?? 0 }
        func warn(_ node: YAMLValue, _ documentPath: String, _ rule: String, _ message: String, _ hint: String) {
            warnings.append(Diagnostic(.warning, at: SourceLocation(path: path, line: node.line, column: node.column),
                                       documentPath: documentPath, rule: rule, message: message, hint: hint))
        }
        let pairHint = "shorten the answer; seeds show the style, they need not be complete"
        var total = 0
        for (index, seed) in seeds.items.enumerated() {
            if isKnowledge {
                if let context = seed["context"], words(context) > knowledgeContextWords {
                    warn(context, ".seed_examples[\(index)].context", "context-length",
                         "context has \(words(context)) words, over the \(knowledgeContextWords)-word guideline",
                         "shorten the excerpt; long contexts crowd out the generated answer in the teacher's window")
                }
                let pairs = seed["questions_and_answers"]?.items ?? []
                for (pairIndex, pair) in pairs.enumerated() {
                    let count = words(pair["question"]) + words(pair["answer"])
                    if count > questionAnswerWords {
                        warn(pair, ".seed_examples[\(index)].questions_and_answers[\(pairIndex)]", "qa-length",
                             "question and answer have \(count) words, over the \(questionAnswerWords)-word guideline", pairHint)
                    }
                }
                if pairs.count > questionsUsedPerKnowledgeSeed {
                    let extra = pairs[questionsUsedPerKnowledgeSeed]
                    warn(extra, ".seed_examples[\(index)].questions_and_answers[\(questionsUsedPerKnowledgeSeed)]", "unused-qa",
                         "only the first \(questionsUsedPerKnowledgeSeed) question/answer pairs of a seed are used in prompts",
                         "move the extra pairs into another seed example")
                }
            } else {
                let count = words(seed["question"]) + words(seed["answer"])
                total += count + words(seed["context"])
                if count > questionAnswerWords {
                    warn(seed, ".seed_examples[\(index)]", "qa-length",
                         "question and answer have \(count) words, over the \(questionAnswerWords)-word guideline", pairHint)
                }
            }
        }
        if !isKnowledge && total > skillFileWords {
            warn(seeds, ".seed_examples", "file-length",
                 "seed examples total \(total) words, over the ~\(skillFileWords)-word guideline for a skill",
                 "shorten the examples or split the skill into narrower leaves")
        }
        return warnings
    }
}
