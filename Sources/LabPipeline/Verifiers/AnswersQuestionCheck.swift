import Foundation

/// `answers_question`: the answer addresses the question — it is not a repeat of the question, it
/// shares the question's subject (some of the question's content words, or its figures), and it
/// does not refuse when its context covers the question.
public struct AnswersQuestionCheck: CandidateVerifier {
    public static let version = "1"
    /// ROUGE-L between answer and question at or above which the answer is a repeat.
    public var repeatThreshold: Double = 0.7
    /// Share of the question's subject words the answer must mention.
    public var subjectShare: Double = 0.25
    /// Share of a knowledge question's subject words its answer must mention.
    public var knowledgeSubjectShare: Double = 0.3

    public init() {}

    /// Phrases that refuse; looked for in the answer's first sentence, where a refusal is made
    /// ("EBITDA does not include …" later in an explanation is not one).
    static let refusals = [
        "not provided", "not mentioned", "not stated", "does not contain", "doesn't contain", "does not say", "doesn't say",
        "no information", "cannot be determined", "can't be determined", "not enough information", "cannot answer", "can't answer",
        "i'm sorry", "i am sorry", "i cannot", "i can't", "does not mention", "doesn't mention", "does not specify",
        "doesn't specify", "is not disclosed", "no mention", "not possible to determine", "cannot tell", "can't tell",
        "isn't stated", "is not stated", "not clear from", "does not show", "doesn't show", "not shown", "not included in the",
    ]
    /// Words a question uses to ask rather than to name its subject.
    static let askingWords: Set<String> = [
        "what", "how", "much", "many", "calculate", "compute", "find", "determine", "explain", "describe", "give",
        "plain", "word", "simple", "term", "mean", "means", "did", "company", "value", "answer", "question", "percent",
        "change", "rate", "total", "amount", "report", "reported", "show", "tell", "number", "figure", "new", "old",
        "year", "annual", "growth", "compound", "summarize", "summarise", "summary", "paragraph", "table",
    ]

    /// Stems of the words a question about a defined subject may add to it: how it asks, not what.
    static let questionFrameStems: Set<String> = Set([
        "what", "how", "mean", "defin", "definition", "describe", "explain", "purpose", "role", "kind", "type", "simple",
        "plain", "word", "term", "refer", "call", "called", "meant", "understand", "used", "use", "idea", "concept",
        "difference", "differ", "compare", "distinguish",
    ].map(TextUnits.stem))

    /// A number with four or more decimals that end in three zeros ("48.000000", "1.50000").
    static func spuriousPrecision(in text: String) -> String? {
        let characters = Array(text)
        var index = 0
        while index < characters.count {
            guard characters[index].isNumber else { index += 1; continue }
            var end = index
            while end < characters.count && (characters[end].isNumber || characters[end] == ",") { end += 1 }
            if end + 1 < characters.count && characters[end] == "." && characters[end + 1].isNumber {
                var decimalsEnd = end + 1
                while decimalsEnd < characters.count && characters[decimalsEnd].isNumber { decimalsEnd += 1 }
                let decimals = String(characters[(end + 1)..<decimalsEnd])
                if decimals.count >= 4 && decimals.hasSuffix("000") { return String(characters[index..<decimalsEnd]) }
                end = decimalsEnd
            }
            index = end
        }
        return nil
    }

    /// Words of a question that asks for two values set against each other.
    static let comparisonAsks = ["difference", "differ", "compare", "versus", " vs", "change in", "changed", "increase", "decrease",
                                 "grew", "growth", "decline", "between"]
    /// Words of an answer that sets two values against each other.
    static let comparisonDrawn = ["while", "whereas", "than", " from ", "compared", "increase", "decrease", "change", "versus", "up ", "down "]

    public func verify(_ candidate: CandidateText) -> Finding? {
        let answer = candidate.answer.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !answer.isEmpty else { return .reject("empty answer") }
        // An answer that stops mid-word was cut off (a token limit, a broken reply).
        if let last = answer.last, last.isLetter, answer.split(whereSeparator: \.isWhitespace).count > 12 {
            return .reject("answer is cut off", evidence: ["ends_with": String(answer.suffix(30))])
        }
        let echo = RougeL.fMeasure(answer, candidate.question)
        let questionStems = Set(TextUnits.contentStems(candidate.question))
        let answerStems = Set(TextUnits.contentStems(answer))
        let answerFigures = FigureScanner.quantities(in: answer)
        let questionValues = FigureScanner.quantities(in: candidate.question).map(\.value)
        let newFigures = answerFigures.filter { figure in !questionValues.contains(figure.value) }
        let newStems = answerStems.subtracting(questionStems)
        // A table answer restates the question around its value: that is an answer, not a repeat.
        if echo >= repeatThreshold && newFigures.isEmpty && newStems.count < 3 {
            return .reject("answer repeats the question", score: echo, threshold: repeatThreshold)
        }
        if newStems.isEmpty && newFigures.isEmpty {
            return .reject("answer adds nothing to the question", score: echo, threshold: repeatThreshold)
        }
        // Grounded: the answer must bring something from the context that the question did not
        // say (a figure, or two words) — "they publish outside trading hours because they choose to" does not.
        if let context = candidate.context, candidate.flow.hasSource {
            let contextStems = Set(TextUnits.contentStems(context))
            let contributed = newStems.intersection(contextStems)
            let contextValues = FigureScanner.quantities(in: context).map(\.value)
            let contributedFigures = newFigures.filter { figure in contextValues.contains { abs(abs($0) - abs(figure.value)) < 1e-9 } }
            // A yes/no answer may restate the question; otherwise an answer made of the question's
            // own words plus at most one word of the context says nothing.
            let fromQuestion = Double(answerStems.intersection(questionStems).count) / Double(max(1, answerStems.count))
            let yesNo = ["yes", "no"].contains(TextUnits.words(answer).first ?? "")
            if contributed.count < 2 && contributedFigures.isEmpty && !yesNo && (contributed.isEmpty || fromQuestion >= 0.75) {
                return .reject("answer adds nothing from the context", score: Double(contributed.count), threshold: 2,
                               evidence: ["new_words": newStems.sorted().prefix(8).joined(separator: " ")])
            }
        }
        // "What is X, and what is Y?" answered with one sentence lifted from the passage answers half of it.
        let loweredQuestion = candidate.question.lowercased()
        // Answers lifted verbatim from the passage (answer-first generation) were not written to
        // answer the question, so the rules below hold them to it.
        let flat: (String) -> String = { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ").replacingOccurrences(of: "**", with: "") }
        let lifted = candidate.flow == .knowledge && candidate.context.map { flat($0).contains(flat(answer)) } == true
        if lifted, [", and what", " and what ", ", and how", " and how ", ", and why", " and why ", ", and which", " and which "].contains(where: loweredQuestion.contains),
           TextUnits.sentences(answer).count == 1 {
            return .reject("answer covers one of two questions", evidence: [:])
        }
        // Units the question asks for by name must each be in the answer ("in percentage points,
        // basis points and percent" answered without basis points answers two thirds of it).
        for unit in ["basis point", "percentage point"] where loweredQuestion.contains(unit) && !answer.lowercased().contains(unit) {
            return .reject("answer leaves out a unit the question asks for", evidence: ["unit": unit])
        }
        // A figure written with spurious decimals ("$48.000000") is a small teacher's artefact, not data.
        for text in [candidate.question, answer] {
            if let figure = Self.spuriousPrecision(in: text) {
                return .reject("a figure is written with spurious decimals", evidence: ["figure": figure])
            }
        }
        // A question that restates most of its lifted answer ("What is the CEO discussing strategy and the
        // highlights of the quarter?") is the answer turned around, not a question it answers.
        if lifted {
            let restated = answerStems.intersection(questionStems)
            if restated.count >= 6 && Double(restated.count) / Double(max(1, answerStems.count)) >= 0.5 {
                return .reject("the question restates its answer", score: Double(restated.count) / Double(answerStems.count), threshold: 0.5,
                               evidence: ["shared_words": restated.sorted().prefix(8).joined(separator: " ")])
            }
        }
        let lowered = (TextUnits.sentences(answer).first ?? answer).lowercased()
        if let refusal = Self.refusals.first(where: lowered.contains), candidate.flow != .groundedSkill {
            // Knowledge questions are written from their passage, freeform ones carry their data:
            // a refusal is never the answer to train on.
            return .reject("refuses to answer", evidence: ["matched": refusal])
        }
        if let refusal = Self.refusals.first(where: lowered.contains), let context = candidate.context {
            // A table answers by its rows: refusing is right exactly when no row is the one asked for.
            if let table = MarkdownTable.first(in: context) {
                if let row = table.row(namedIn: candidate.question) {
                    return .reject("refuses although the context covers the question", score: 1, threshold: 0.5,
                                   evidence: ["matched": refusal, "row": row.label])
                }
                return .accept("says the table lacks the value, and it does", score: 0, threshold: 0.5, evidence: ["matched": refusal])
            }
            // A grounded refusal is right only when the context lacks the question's subject
            // ("if the table does not contain the value, say so").
            let subject = questionStems.subtracting(Self.askingWords.map(TextUnits.stem))
            let contextStems = Set(TextUnits.contentStems(context))
            let covered = subject.isEmpty ? 0 : Double(subject.filter(contextStems.contains).count) / Double(subject.count)
            if covered >= 0.5 {
                return .reject("refuses although the context covers the question", score: covered, threshold: 0.5,
                               evidence: ["matched": refusal])
            }
        }
        // A question about a table is answered by a value of it, or by saying the table lacks it:
        // "What is Brightwater Foods' research and development expenses?" over a table with no such
        // row, answered "…are a portion of its total expenses…", does neither.
        let saysLacking = ["table does not", "table doesn't", "not in the table", "cannot be read", "can't be read", "does not report", "doesn't report"]
        if Self.refusals.first(where: lowered.contains) == nil, !saysLacking.contains(where: answer.lowercased().contains),
           let context = candidate.context, let table = MarkdownTable.first(in: context),
           !FigureScanner.figures(in: answer).contains(where: \.isQuantity) {
            let row = table.row(namedIn: candidate.question)
            return .reject(row == nil ? "the table lacks what the question asks, and the answer does not say so"
                                      : "the question names a table row; the answer states no value",
                           evidence: ["row": row?.label ?? ""])
        }
        let subject = questionStems.subtracting(Self.askingWords.map(TextUnits.stem))
        guard !subject.isEmpty else { return .accept("answers the question", score: 1, threshold: subjectShare) }
        let mentioned = subject.filter { stem in answerStems.contains(stem) || answerStems.contains { $0.hasPrefix(stem) || stem.hasPrefix($0) && $0.count >= 4 } }
        // Figures of the question that reappear in the answer also show it is on the subject.
        let questionFigures = FigureScanner.quantities(in: candidate.question)
        let sharedFigures = questionFigures.filter { figure in answerFigures.contains { abs($0.value - figure.value) < 1e-9 } }
        let share = (Double(mentioned.count) + Double(min(sharedFigures.count, 2))) / Double(subject.count + min(questionFigures.count, 2))
        // A knowledge answer must be about what the question asks: a passage sentence paired with a
        // question about something else shares few of the question's words. Grounded answers may
        // answer elliptically ("$955.1 million at Dec 31"); the claims and numbers checks tie them
        // to the context. A freeform answer must name its subject.
        // A question written for a lifted sentence may only use that sentence's figures: "What is
        // item 9 in item 8?" about a sentence on item 8 asks about something the answer never says.
        if lifted {
            // Numbers standing as words ("item 9", "$4.2", "12%"); names such as "10-K" are words.
            let numbers: (String) -> Set<String> = { text in
                Set(text.split(whereSeparator: \.isWhitespace).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "$%.,;:?!()\"'")) }
                    .filter { token in !token.isEmpty && token.allSatisfy { $0.isNumber || $0 == "." || $0 == "," }
                        // An item number with its letter ("9A", "9C") is a figure too.
                        || token.range(of: #"^[0-9]{1,2}[A-Za-z]$"#, options: .regularExpression) != nil }
                    .map { $0.uppercased() })
            }
            if let missing = numbers(candidate.question).subtracting(numbers(answer)).sorted().first {
                return .reject("the question names a figure its answer does not", evidence: ["figure": missing])
            }
        }
        // "The difference between A and B" needs both A and B in the answer.
        if lifted, let range = loweredQuestion.range(of: "between ") {
            let sides = loweredQuestion[range.upperBound...].components(separatedBy: " and ")
            if sides.count == 2 {
                for side in sides {
                    let stems = Set(TextUnits.contentStems(side))
                    let absent = stems.filter { stem in !answerStems.contains { $0 == stem || ($0.count >= 4 && stem.count >= 4 && ($0.hasPrefix(stem) || stem.hasPrefix($0))) } }
                    if !absent.isEmpty {
                        return .reject("the answer leaves out one side of the comparison", evidence: ["side": side.trimmingCharacters(in: .punctuationCharacters.union(.whitespaces))])
                    }
                }
            }
        }
        // One table cell does not answer a comparison: "What was the net difference between the
        // cash received … and …?" answered "…reported accounts receivable, net of $96,415 thousand".
        if let context = candidate.context, MarkdownTable.first(in: context) != nil,
           FigureScanner.figures(in: answer).filter(\.isQuantity).count == 1,
           Self.comparisonAsks.contains(where: loweredQuestion.contains),
           !Self.comparisonDrawn.contains(where: answer.lowercased().contains) {
            return .reject("the question asks for a comparison; the answer states one value", evidence: [:])
        }
        // A lifted sentence must visibly be about the question's subject.
        // A question about a difference needs an answer that draws one.
        if lifted, ["difference between", "differ", "compare", "versus", " vs"].contains(where: loweredQuestion.contains),
           !["while", "whereas", "unlike", "but", "than", "differ", "instead", "rather"].contains(where: answer.lowercased().contains) {
            return .reject("the question asks for a difference the answer does not draw", evidence: [:])
        }
        // A lifted sentence that opens by leaning on the one before ("Next comes …", "Its statements
        // are …", "When a deadline falls …") does not stand as an answer on its own.
        let leaning: Set<String> = ["next", "then", "however", "also", "when", "if", "its", "it", "this", "these", "they", "such",
                                    "there", "as", "but", "and", "so", "finally", "first", "second", "third", "here", "their"]
        if lifted, let first = TextUnits.words(answer).first, leaning.contains(first) {
            return .reject("a passage sentence that leans on its neighbours", evidence: ["starts_with": first])
        }
        // …or that ends on a word standing for something said before ("Non-GAAP measures are the
        // company's own adjusted versions." — of what?).
        let elliptic: Set<String> = ["version", "versions", "one", "ones", "counterpart", "counterparts", "equivalent", "equivalents",
                                     "alternative", "alternatives", "instead", "too", "also", "above", "below", "same", "these", "those"]
        if lifted, let last = TextUnits.words(answer).last, elliptic.contains(last) {
            return .reject("a passage sentence that leans on its neighbours", evidence: ["ends_with": last])
        }
        // A lifted sentence that defines something answers a question about that thing only.
        if lifted, let defined = TextUnits.definedSubject(TextUnits.sentences(answer).first ?? answer) {
            let definedStems = Set(TextUnits.contentStems(defined))
            let named = definedStems.filter { stem in questionStems.contains(stem) || questionStems.contains { $0.hasPrefix(stem) || stem.hasPrefix($0) && $0.count >= 4 } }
            if named.count < definedStems.count {
                return .reject("the question is not about what the answer defines", score: Double(named.count) / Double(max(1, definedStems.count)),
                               threshold: 1, evidence: ["defined": defined])
            }
            // …and asks nothing narrower: "What is the range of next quarter's guidance?" names
            // guidance, but "Guidance is usually a range, such as …" answers it only in general. The
            // question may add the sentence's verb phrase ("What does a Form 10-Q contain?") and
            // one word more; more than that asks something the sentence was not written to say.
            // A sentence may define two things ("The dividend yield is … and the payout ratio is …"),
            // and a name from the passage ("Harbor Lane Outfitters'") only says whose they are.
            let verbPhrase = answer.dropFirst(defined.count).split(whereSeparator: \.isWhitespace).prefix(4).joined(separator: " ")
            let clauses = answer.components(separatedBy: " and ") + answer.components(separatedBy: ", while ") + answer.components(separatedBy: ", whereas ")
                + answer.components(separatedBy: "; ")
            let alsoDefined = clauses.filter { !answer.hasPrefix($0) }.compactMap(TextUnits.definedSubject)
            let names = candidate.question.split(separator: " ").dropFirst().filter { $0.first?.isUppercase == true }
            let allowed = definedStems.union(TextUnits.contentStems(verbPhrase)).union(Self.questionFrameStems)
                .union(alsoDefined.flatMap(TextUnits.contentStems)).union(names.flatMap { TextUnits.contentStems(String($0)) })
            let narrower = questionStems.filter { stem in
                !allowed.contains(stem) && !allowed.contains { $0.count >= 5 && (stem.hasPrefix($0) || $0.hasPrefix(stem)) }
            }
            if narrower.count > 1 {
                return .reject("the question asks more than the answer's sentence says", score: Double(narrower.count), threshold: 1,
                               evidence: ["defined": defined, "question_adds": narrower.sorted().joined(separator: " ")])
            }
        }
        // Other lifted sentences must share half the question's subject; a reason ("why …?") may
        // be worded apart from its question, a third will do.
        let needed = loweredQuestion.hasPrefix("why") ? knowledgeSubjectShare : max(knowledgeSubjectShare, 0.5)
        if lifted && subject.count >= 2 && Double(mentioned.count) / Double(subject.count) < needed {
            return .reject("answer is about something else", score: Double(mentioned.count) / Double(subject.count), threshold: needed,
                           evidence: ["question_subject": subject.sorted().prefix(8).joined(separator: " "),
                                      "in_answer": mentioned.sorted().joined(separator: " ")])
        }
        if share == 0 && !candidate.flow.hasSource {
            return .reject("answer is about something else", score: share, threshold: subjectShare,
                           evidence: ["question_subject": subject.sorted().prefix(8).joined(separator: " ")])
        }
        return .accept("answers the question", score: share, threshold: subjectShare)
    }
}
