import Foundation

/// `self_contained`: the question asks about finance, not about the prompt.
///
/// - Every flow: no pointing at the prompt, the task, the example or the instructions ("this
///   prompt", "a better answer", "connected to the text"); one question, not a list of them.
/// - Freeform skills: the question carries its own data, so it never points at "the text", "the
///   table", "the passage" or "the context" (there is none).
/// - Knowledge and grounded skills: the question must be answerable from its context — most of its
///   content words are in the context; a knowledge question may say "according to the passage",
///   and a grounded one may name its paragraph or table ("summarize this paragraph").
public struct SelfContainedCheck: CandidateVerifier {
    public static let version = "1"
    /// Share of the question's content stems the context must contain.
    public var answerableShare: Double

    /// Leaves (globs) whose grounded questions are requests about their context as a whole
    /// (summaries): every word the question adds must be the context's or the leaf's seed
    /// questions' — "the vertical balance report" or "their acquisition of the Dayton plant" is
    /// not what the paragraph is about.
    public var strictLeaves: [LeafGlob] = []
    /// Words a request about a whole paragraph uses to say what it wants, not what it is about.
    static let requestWords: Set<String> = Set([
        "condense", "concise", "recap", "outline", "capture", "updated", "update", "short", "quick", "single", "write", "give",
        "provide", "section", "part", "statement", "information", "numbers", "figures", "results", "quarter", "quarterly",
        "company", "headline", "essence", "essential", "important", "summed", "sum", "nutshell", "reader", "readers",
    ].map(TextUnits.stem))
    /// Per leaf path, its seed questions.
    public var seedQuestions: [String: [String]] = [:]

    public init(answerableShare: Double = 0.5, strictLeaves: [LeafGlob] = [], seedQuestions: [String: [String]] = [:]) {
        self.answerableShare = answerableShare
        self.strictLeaves = strictLeaves
        self.seedQuestions = seedQuestions
    }

    static let metaPhrases = [
        "this prompt", "the prompt", "this task", "the task", "your text", "your paragraph", "your passage", "the given text", "the instruction", "the example", "this example",
        "better answer", "another answer", "the answer above", "the question above", "this question", "the above question",
        "connected to the text", "related to the text", "relate to the text", "connection to the text", "the text about",
        "what is the text", "what does the text", "main idea of the text", "the given text", "provided text",
        "the following text", "the text above", "the above text", "in this conversation", "you just", "your answer",
        "rewrite", "rephrase", "previous question", "the seed", "described here", "mentioned here", "discussed here",
        "listed here", "shown here", "given here", "the last one", "the first one", "the latter", "the former",
        "the question", "the answer", "version of", "original detail", "asked to", "**", "new question", "a question",
    ]
    /// Longest question a skill leaf's seeds would ask, in words; longer generated ones ramble.
    static let maximumWords = 60
    /// Words that point back at something the question doesn't name.
    static let anaphora: Set<String> = ["they", "them", "their", "these", "those", "here", "instead", "latter", "former"]
    static let sourcePointers = [
        "the text", "the passage", "the document", "the table", "the context", "the paragraph", "the article",
        "the excerpt", "the report above", "the data above", "the information above", "the figures above",
        "given information", "given data", "the data provided", "the information provided", "mentioned above",
        "according to the", "as stated", "as shown",
    ]

    static let strongPointers = ["the text", "the passage", "the context", "the paragraph", "the excerpt", "according to the",
                                 "mentioned above", "given information", "information provided", "data provided", "the above"]

    /// Capitalised words that are names: not the question's first word, not acronyms or
    /// question words, at least three letters.
    static func names(in question: String) -> [String] {
        let common: Set<String> = ["What", "How", "Which", "Why", "When", "Who", "Where", "The", "In", "For", "Is", "Are", "Does", "Do",
                                   "Give", "Summarize", "Summarise", "Explain", "Describe", "According", "Q1", "Q2", "Q3", "Q4",
                                   "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                                   "November", "December", "Form", "Item", "Part", "Section", "Rule", "Act", "Exchange", "Commission",
                                   "Securities", "U.S.", "US", "United", "States", "American", "Inc", "Corporation", "Company", "Group"]
        // Each sentence's first word is capitalised anyway.
        let words = TextUnits.sentences(question).flatMap { sentence in
            sentence.split(whereSeparator: { !($0.isLetter || $0 == "'" || $0 == "-" || $0 == "’") }).dropFirst()
        }
        return words.map {
            String($0).replacingOccurrences(of: "'s", with: "").replacingOccurrences(of: "’s", with: "").trimmingCharacters(in: CharacterSet(charactersIn: "'’-"))
        }.filter { word in
            guard let first = word.first, first.isUppercase, word.count >= 3, !common.contains(word) else { return false }
            // Acronyms (GAAP, EBITDA, SEC) are terms, not names.
            return word.dropFirst().contains { $0.isLowercase }
        }
    }

    /// "fell from $1.80 to $3.10": a change whose verb says the opposite of its figures.
    static func contradictoryChange(_ question: String) -> String? {
        for sentence in TextUnits.sentences(question) {
            let lowered = sentence.lowercased()
            guard let from = lowered.range(of: " from "), let to = lowered.range(of: " to ", range: from.upperBound..<lowered.endIndex) else { continue }
            let old = FigureScanner.quantities(in: String(lowered[from.upperBound..<to.lowerBound])).first
            let new = FigureScanner.quantities(in: String(lowered[to.upperBound...])).first
            guard let old, let new, old.kind == new.kind, old.absolute != new.absolute else { continue }
            let words = Set(TextUnits.words(String(lowered[..<from.lowerBound])).suffix(4))
            let saysUp = !words.isDisjoint(with: ClaimGroundingCheck.up), saysDown = !words.isDisjoint(with: ClaimGroundingCheck.down)
            if (saysUp && !saysDown && new.absolute < old.absolute) || (saysDown && !saysUp && new.absolute > old.absolute) {
                return String(sentence.prefix(120))
            }
        }
        return nil
    }

    static let auxiliaries: Set<String> = ["is", "was", "are", "were", "did", "does", "do", "has", "have", "had", "will", "would",
                                           "can", "could", "should", "may", "might", "must", "be", "been"]

    public func verify(_ candidate: CandidateText) -> Finding? {
        // "The question and answer session of an earnings call" is a subject, not a meta phrase.
        let question = candidate.question.lowercased().replacingOccurrences(of: "question and answer", with: "q&a")
        if let phrase = Self.metaPhrases.first(where: question.contains) {
            return .reject("question is about the prompt, not the subject", evidence: ["matched": phrase])
        }
        // "What is the actual value of the value of the asset …?", "the main main point": a phrase
        // folded onto itself, a word said twice.
        if let fold = question.range(of: #"\b([a-z]{4,}) of the \1\b|\b([a-z]{3,}) \2\b"#, options: .regularExpression) {
            return .reject("question repeats itself", evidence: ["matched": String(question[fold])])
        }
        // "What type of GAAP measures are used to measure GAAP measures?": a phrase measured,
        // defined or explained by itself. The verb must come right before the second mention, so
        // "How is free cash flow calculated from operating cash flow?" is not circular.
        if let circle = question.range(of: #"\b([a-z]{3,} [a-z]{3,})\b.*\b(?:measure|define|calculate|compute|determine|describe|explain)[a-z]* (?:the |a |an )?\1\b"#,
                                       options: .regularExpression) {
            return .reject("question is circular", evidence: ["matched": String(question[circle])])
        }
        let marks = candidate.question.filter { $0 == "?" }.count
        if marks > 2 || candidate.question.split(whereSeparator: \.isNewline).filter({ $0.contains("?") }).count > 1 {
            return .reject("several questions in one", evidence: ["question_marks": String(marks)])
        }
        let contentStems = TextUnits.contentStems(candidate.question)
        let wordCount = candidate.question.split(whereSeparator: \.isWhitespace).count
        if wordCount > Self.maximumWords {
            return .reject("question too long to be one question", score: Double(wordCount), threshold: Double(Self.maximumWords))
        }
        if contentStems.isEmpty {
            return .reject("question too short to stand alone", evidence: [:])
        }
        // "Which form do they file instead?": a short question leaning on a pronoun has lost its subject.
        let words = TextUnits.words(candidate.question)
        if contentStems.count <= 3, let pronoun = words.first(where: Self.anaphora.contains), !(candidate.flow == .groundedSkill && pronoun == "this") {
            return .reject("question points back at something it does not name", evidence: ["matched": pronoun])
        }
        if candidate.flow == .knowledge && contentStems.count < 2 {
            return .reject("question too vague to stand alone", evidence: [:])
        }
        // "What revenue generated by the Device segment in fiscal 2025?": a participle where the
        // verb should be; the question has no main verb.
        let asked = candidate.question.lowercased().split(separator: "?").first.map(String.init) ?? ""
        if asked.range(of: #"^(what|which) ([a-z'-]+ ){0,3}[a-z]+ed by "#, options: .regularExpression) != nil,
           Set(TextUnits.words(asked)).isDisjoint(with: Self.auxiliaries) {
            return .reject("question has no main verb", evidence: [:])
        }
        if let contradiction = Self.contradictoryChange(candidate.question) {
            return .reject("question contradicts its own figures", evidence: ["phrase": contradiction])
        }
        switch candidate.flow {
        case .freeformSkill:
            // "The table shows six fiscal years" is fine in a question that states its figures;
            // pointing at a text it does not carry is not.
            let hasData = !FigureScanner.quantities(in: candidate.question).isEmpty
            let pointers = hasData ? Self.strongPointers : Self.sourcePointers
            if let phrase = pointers.first(where: question.contains) {
                return .reject("freeform question points at a text it does not have", evidence: ["matched": phrase])
            }
            return .accept("stands alone")
        case .knowledge, .groundedSkill:
            if candidate.flow == .knowledge {
                // "According to the passage, …" is fine; "what does the text say" is not.
                let stripped = question.replacingOccurrences(of: "according to the", with: "")
                if let phrase = ["the text", "this text", "the passage", "this passage", "the document", "this document", "the article", "this article",
                                  "the excerpt", "this excerpt"].first(where: stripped.contains) {
                    return .reject("knowledge question points at the text instead of its subject", evidence: ["matched": phrase])
                }
            }
            guard let context = candidate.context, !context.isEmpty else {
                return .reject("no context to answer from", evidence: [:])
            }
            // A name the question uses (a company, a person) must be the context's: a question
            // copied from an example about another company is not about this context.
            let contextWords = Set(TextUnits.words(context))
            if candidate.flow == .groundedSkill, let stranger = Self.names(in: candidate.question).first(where: { !contextWords.contains($0.lowercased()) && !context.contains($0) }) {
                return .reject("question names something its context does not", evidence: ["name": stranger])
            }
            let generic: Set<String> = ["summarize", "summarise", "summary", "paragraph", "table", "text", "passage", "context",
                                        "explain", "describe", "sentence", "sentences", "brief", "briefly", "main", "point", "key",
                                        "report", "gist", "metric", "metrics", "discussion", "answer", "release", "earnings",
                                        "investor", "investors", "highlight", "highlights", "takeaway", "overview", "plain"]
            let stems = Set(TextUnits.contentStems(candidate.question)).subtracting(generic.map(TextUnits.stem))
            let contextStems = Set(TextUnits.contentStems(context))
            guard !stems.isEmpty else { return .accept("asks about its context as a whole", score: 1, threshold: answerableShare) }
            let found = stems.filter { stem in contextStems.contains(stem) || contextStems.contains { $0.hasPrefix(stem) || stem.hasPrefix($0) && $0.count >= 4 } }
            let share = Double(found.count) / Double(stems.count)
            let missing = stems.subtracting(found).sorted().prefix(8).joined(separator: " ")
            if candidate.flow == .groundedSkill, strictLeaves.contains(where: { $0.matches(candidate.leafPath) }) {
                let seedStems = Set((seedQuestions[candidate.leafPath] ?? []).flatMap(TextUnits.contentStems))
                let strangers = stems.subtracting(found).subtracting(seedStems).subtracting(Self.requestWords)
                if !strangers.isEmpty {
                    return .reject("the request names what its context does not", score: share, threshold: 1,
                                   evidence: ["missing_words": strangers.sorted().prefix(8).joined(separator: " ")])
                }
            }
            // A grounded skill's question is an instruction about its context ("summarise the
            // margin discussion"); it needs only to touch the context, a knowledge question to be covered by it.
            let needed = candidate.flow == .knowledge ? answerableShare : answerableShare / 2
            if share < needed {
                return .reject("question not answerable from its context", score: share, threshold: needed,
                               evidence: ["missing_words": missing])
            }
            return .accept("answerable from its context", score: share, threshold: answerableShare, evidence: missing.isEmpty ? [:] : ["missing_words": missing])
        }
    }
}
