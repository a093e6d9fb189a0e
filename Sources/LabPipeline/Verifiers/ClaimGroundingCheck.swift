import Foundation

/// `claims`: each sentence of a knowledge or grounded answer is supported by its context, so a true
/// first sentence cannot carry a false second one.
///
/// A sentence is supported when (a) enough of its content words are in the context, (b) enough of
/// its adjacent content-word pairs occur close together in one context sentence (so recombined
/// words don't pass), and (c) where it states a direction (rose, fell, higher, lower) next to a
/// figure, or a negation, the context sentence holding that figure says the same. The weakest
/// sentence's support is the score.
public struct ClaimGroundingCheck: CandidateVerifier {
    public static let version = "1"
    /// Share of a sentence's content words the context must contain.
    public var wordShare: Double
    /// Share of a sentence's word pairs found near each other in a context sentence.
    public var pairShare: Double

    public init(wordShare: Double = 0.75, pairShare: Double = 0.35) {
        self.wordShare = wordShare
        self.pairShare = pairShare
    }

    static let up: Set<String> = ["rose", "rise", "rises", "risen", "increase", "increased", "increases", "grew", "grow", "grows",
                                  "growth", "higher", "up", "gain", "gained", "improved", "improve", "expanded", "climbed", "jumped",
                                  "raise", "raised", "raises", "lifted", "boosted", "widened", "strengthened"]
    static let down: Set<String> = ["fell", "fall", "falls", "fallen", "decrease", "decreased", "decreases", "declined", "decline",
                                    "declines", "lower", "down", "drop", "dropped", "shrank", "contracted", "loss", "lost", "reduced", "worsened",
                                    "lowered", "lowers", "reduce", "reduces", "cut", "cuts", "trimmed", "narrowed", "weakened"]
    static let negations: Set<String> = ["not", "no", "never", "neither", "nor", "without", "cannot"]

    /// Abbreviations written out, and direction verbs folded to one word each, so "EPS rose"
    /// meets "earnings per share increased".
    static func normalizedStems(_ text: String) -> [String] {
        var lowered = " " + text.lowercased() + " "
        for (short, long) in [(" eps ", " earnings per share "), (" r&d ", " research and development "), (" sg&a ", " selling general and administrative "),
                              (" yoy ", " year over year "), (" md&a ", " management discussion and analysis "), (" capex ", " capital expenditures ")] {
            lowered = lowered.replacingOccurrences(of: short, with: long)
        }
        return TextUnits.contentStems(lowered).filter { !operationWords.contains($0) }.map { stem in
            if up.contains(stem) || up.map(TextUnits.stem).contains(stem) { return "increase" }
            if down.contains(stem) || down.map(TextUnits.stem).contains(stem) { return "decrease" }
            return stem
        }
    }

    /// Words of worked arithmetic in prose ("take 88.4 and subtract 14.9 to get 73.5 million dollars"):
    /// they say how, not what, so the context need not contain them.
    static let operationWords: Set<String> = Set(["dollar", "dollars", "take", "get", "subtract", "add", "divide", "multiply", "result",
                                                  "equal", "equals", "about", "roughly", "approximately", "cent", "percent", "gives",
                                                  "comes", "come", "work", "works", "out", "rounded", "round"].map(TextUnits.stem))

    /// Words whose swap turns a true statement false.
    static let opposites: [(String, String)] = [
        ("during", "outside"), ("inside", "outside"), ("faster", "slower"), ("higher", "lower"), ("more", "fewer"), ("larger", "smaller"),
        ("increase", "decrease"), ("gain", "loss"), ("profit", "loss"), ("above", "below"), ("before", "after"), ("earlier", "later"),
        ("first", "last"), ("positive", "negative"), ("stronger", "weaker"), ("asset", "liability"), ("assets", "liabilities"),
        ("buy", "sell"), ("maximum", "minimum"), ("annual", "quarterly"), ("annually", "quarterly"), ("include", "exclude"),
        ("includes", "excludes"), ("included", "excluded"), ("required", "optional"), ("filed", "furnished"), ("long", "short"),
        ("audited", "unaudited"), ("rising", "falling"), ("widened", "narrowed"), ("surplus", "deficit"), ("inflow", "outflow"),
        ("faster", "slowly"), ("quickly", "slowly"), ("tightened", "loosened"), ("tighter", "looser"), ("income", "loss"),
        ("strengthened", "weakened"), ("improved", "worsened"), ("improved", "deteriorated"), ("beat", "missed"),
    ]

    public func verify(_ candidate: CandidateText) -> Finding? {
        guard candidate.flow.hasSource, let context = candidate.context, !context.isEmpty else { return nil }
        let source = context.replacingOccurrences(of: "**", with: "")
        let sourceSentences = TextUnits.sentences(source).map { (text: $0, words: TextUnits.words($0), stems: Self.normalizedStems($0)) }
        let sourceStems = Set(sourceSentences.flatMap(\.stems)).union(Self.normalizedStems(candidate.question))
        var weakest = 1.0
        var checked = 0
        // A table's text is its labels: answers about it are checked by the numbers verifier
        // (the cell), and here only for contradictions.
        let isTable = MarkdownTable.first(in: context) != nil
        for sentence in TextUnits.sentences(candidate.answer) {
            let stems = Self.normalizedStems(sentence)
            guard stems.count >= 2 else { continue }
            // Worked steps are the arithmetic check's; sentences about the table's notation
            // ("the table shows it in parentheses") are about the presentation, not claims.
            let lowered = sentence.lowercased()
            if sentence.contains("=") || lowered.contains("the table") { continue }
            checked += 1
            let found = stems.filter { stem in sourceStems.contains(stem) || sourceStems.contains { $0.count >= 5 && stem.count >= 5 && ($0.hasPrefix(stem) || stem.hasPrefix($0)) } }
            let share = Double(found.count) / Double(stems.count)
            let pairs = zip(stems, stems.dropFirst()).map { ($0, $1) }
            var pairHits = 0
            for (a, b) in pairs where sourceSentences.contains(where: { Self.near(a, b, in: $0.stems) }) { pairHits += 1 }
            let pairSupport = pairs.isEmpty ? 1 : Double(pairHits) / Double(pairs.count)
            weakest = min(weakest, min(share / wordShare, pairSupport / pairShare))
            // Word pairs guard against recombined words; a sentence of three words or one whose
            // words are nearly all in the context passes on its words.
            let pairsFail = stems.count > 3 && pairSupport < pairShare && share < 0.85
            if !isTable && (share < wordShare || pairsFail) {
                let missing = Set(stems).subtracting(found).sorted().prefix(6).joined(separator: " ")
                return .reject("a sentence is not supported by the context", score: min(share, pairSupport), threshold: wordShare,
                               evidence: ["sentence": sentence, "word_share": Self.percent(share), "pair_share": Self.percent(pairSupport),
                                          "missing_words": missing])
            }
            // The context sentences this one restates: the two sharing most of its words.
            let closest = sourceSentences.map { ($0, Set($0.stems).intersection(stems).count) }.filter { $0.1 >= 2 }
                .sorted { $0.1 > $1.1 }.prefix(2).map(\.0)
            if let (word, other, source) = Self.opposite(in: sentence, against: closest.map(\.text), context: source) ?? Self.oppositePhrase(in: sentence, context: source) {
                return .reject("a sentence contradicts the context", score: 0, threshold: wordShare,
                               evidence: ["sentence": sentence, "context_sentence": source, "answer_says": word, "context_says": other])
            }
            if let (stated, closer) = Self.swappedNumber(in: sentence, context: source) {
                return .reject("a sentence gives a number the context gives for something else", score: 0, threshold: wordShare,
                               evidence: ["sentence": sentence, "answer_says": stated, "context_says": closer])
            }
            if let contradiction = directionConflict(sentence, in: sourceSentences.map(\.text)) {
                return .reject("a sentence contradicts the context", score: 0, threshold: wordShare,
                               evidence: ["sentence": sentence, "context_sentence": contradiction])
            }
        }
        guard checked > 0 else { return nil }
        return .accept("every sentence is supported", score: min(1, weakest), threshold: 1, evidence: ["sentences": String(checked)])
    }

    static let negationWords: Set<String> = ["not", "no", "never", "neither", "nor", "cannot", "t", "without", "none"]

    /// A word the sentence uses whose opposite (or negation) the context sentences it restates
    /// use instead: "during" where the context says "outside", "audited" where it says
    /// "unaudited", "is subject to" where it says "is not subject to".
    static func opposite(in sentence: String, against sources: [String], context: String) -> (String, String, String)? {
        let contextNeighbours = neighbourhoods(TextUnits.words(context))
        // "must" asserts what "required" does, so "must provide" meets "not required to provide".
        let words = TextUnits.words(sentence).map { $0 == "must" ? "required" : $0 }
        let wordSet = Set(words)
        for source in sources {
            let sourceWords = TextUnits.words(source)
            let sourceSet = Set(sourceWords)
            // Opposite words and un-/non- prefixes count when they sit next to the same word
            // ("are audited" / "are unaudited"), not anywhere in two long sentences.
            let neighbours = neighbourhoods(sourceWords)
            for (index, word) in words.enumerated() {
                let around = Set(words[max(0, index - 2)..<min(words.count, index + 3)]).subtracting([word])
                    .filter { $0.count >= 4 || ["are", "is", "was", "be"].contains($0) }
                // The context says it this way too somewhere (the sentence split may have hidden it).
                if let same = contextNeighbours[word], !same.isDisjoint(with: around) { continue }
                var others = opposites.compactMap { $0.0 == word ? $0.1 : $0.1 == word ? $0.0 : nil }
                if word.count >= 5 { others += ["un" + word, "non" + word, "in" + word] }
                for prefix in ["un", "non"] where word.hasPrefix(prefix) && word.count - prefix.count >= 4 { others.append(String(word.dropFirst(prefix.count))) }
                for other in others where !sourceSet.contains(word) {
                    if let near = neighbours[other], !near.isDisjoint(with: around) { return (word, other, source) }
                }
            }
            // Negation: the context negates a word the sentence asserts ("not subject to" stated
            // as "subject to"). The reverse is usually a paraphrase ("prohibits" as "must not").
            let sentenceNegates = !wordSet.isDisjoint(with: negationWords)
            let sourceNegates = !sourceSet.isDisjoint(with: negationWords)
            if sourceNegates && !sentenceNegates {
                let (negated, plain) = sourceNegates ? (sourceWords, wordSet) : (words, sourceSet)
                for (index, word) in negated.enumerated() where negationWords.contains(word) {
                    for (offset, next) in negated[(index + 1)..<min(negated.count, index + 3)].enumerated()
                    where next.count >= 5 && !TextUnits.stopWords.contains(next) && plain.contains(next) {
                        // The object must be the same too: "not subject to liability" is not contradicted
                        // by "remains subject to the anti-fraud provisions".
                        let object = negated[(index + 2 + offset)...].first { !TextUnits.stopWords.contains($0) && $0.count >= 4 }
                        let plainWords = sourceNegates ? words : sourceWords
                        guard let object, let at = plainWords.firstIndex(of: next),
                              plainWords[(at + 1)...].prefix(4).contains(object) else { continue }
                        return (sourceNegates ? next : "not " + next, sourceNegates ? "not " + next : next, source)
                    }
                }
            }
        }
        return nil
    }

    static let numberWords: [String: Double] = ["one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                                                "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
                                                "thirty": 30, "sixty": 60, "ninety": 90]

    /// Numbers (figures and number words) of `text` with the content stems around each, in its sentence.
    static func numbersInContext(_ text: String) -> [(value: Double, label: String, around: Set<String>, isPercent: Bool)] {
        var found: [(Double, String, Set<String>, Bool)] = []
        for sentence in TextUnits.sentences(text) {
            // Tokens in order: a number is (value, nil), a content stem is (nil, stem).
            var tokens: [(Double?, String, Bool)] = []
            let figures = FigureScanner.figures(in: sentence).filter { $0.isQuantity }
            var figureIndex = 0
            let utf16 = Array(sentence.utf16)
            var position = 0
            var word = ""
            func flush() {
                guard !word.isEmpty else { return }
                let lowered = word.lowercased()
                if let value = numberWords[lowered] { tokens.append((value, lowered, false)) } else if !TextUnits.stopWords.contains(lowered), !(lowered.first?.isNumber ?? false) {
                    tokens.append((nil, TextUnits.stem(lowered), false))
                }
                word = ""
            }
            while position < utf16.count {
                if figureIndex < figures.count, figures[figureIndex].offset == position {
                    flush()
                    tokens.append((figures[figureIndex].value, figures[figureIndex].text, figures[figureIndex].kind == .percent))
                    position += max(1, figures[figureIndex].length)
                    figureIndex += 1
                    continue
                }
                if let scalar = Unicode.Scalar(utf16[position]), Character(scalar).isLetter { word.append(Character(scalar)) } else { flush() }
                position += 1
            }
            flush()
            for (index, token) in tokens.enumerated() {
                guard let value = token.0 else { continue }
                let window = tokens[max(0, index - 4)..<min(tokens.count, index + 5)].compactMap { $0.0 == nil ? $0.1 : nil }
                found.append((abs(value), token.1, Set(window), token.2))
            }
        }
        return found
    }

    /// A number the sentence states whose surroundings match, in the context, a different
    /// number strictly better than this one: "balance sheets for the three most recent years"
    /// where the context has two for balance sheets and three for the income statement.
    static func swappedNumber(in sentence: String, context: String) -> (String, String)? {
        let contextNumbers = numbersInContext(context)
        // Counts (number words, whole numbers up to 100: "two years", "45 days") only: amounts in
        // a summary share their surroundings too often to tell apart this way.
        for number in numbersInContext(sentence) where number.around.count >= 2 && number.value <= 100 && number.value.rounded() == number.value {
            let same = contextNumbers.filter { abs($0.value - number.value) < 1e-9 }
            guard !same.isEmpty else { continue }  // unsupported figures are the numbers check's
            let best = same.map { $0.around.intersection(number.around).count }.max() ?? 0
            if let rival = contextNumbers.filter({ abs($0.value - number.value) >= 1e-9 && $0.isPercent == number.isPercent })
                .max(by: { $0.around.intersection(number.around).count < $1.around.intersection(number.around).count }),
               rival.around.intersection(number.around).count >= best + 2 {
                return (number.label, rival.label)
            }
        }
        return nil
    }

    /// For each word, the words within two places of it.
    static func neighbourhoods(_ words: [String]) -> [String: Set<String>] {
        var neighbours: [String: Set<String>] = [:]
        for (index, word) in words.enumerated() {
            for other in words[max(0, index - 2)..<min(words.count, index + 3)] where other != word { neighbours[word, default: []].insert(other) }
        }
        return neighbours
    }

    /// An opposite word before the same word anywhere in the context: "during trading hours"
    /// where the context says "outside trading hours" (and never "during trading").
    static func oppositePhrase(in sentence: String, context: String) -> (String, String, String)? {
        let words = TextUnits.words(sentence)
        let contextWords = TextUnits.words(context)
        var contextBigrams = Set<String>()
        for (a, b) in zip(contextWords, contextWords.dropFirst()) { contextBigrams.insert(a + " " + b) }
        for (word, next) in zip(words, words.dropFirst()) where next.count >= 4 && !TextUnits.stopWords.contains(next) {
            guard !contextBigrams.contains(word + " " + next) else { continue }
            for (a, b) in opposites where word == a || word == b {
                let other = word == a ? b : a
                if contextBigrams.contains(other + " " + next) { return (word + " " + next, other + " " + next, context) }
            }
        }
        // Direction verbs by their object ("reduces the risk" where the context "raises the risk").
        let fold: (String) -> String? = { up.contains($0) ? "increase" : down.contains($0) ? "decrease" : nil }
        func objects(_ list: [String]) -> [(verb: String, object: String)] {
            list.enumerated().compactMap { index, word in
                guard let direction = fold(word) else { return nil }
                let rest = list[(index + 1)...].prefix(3).filter { !TextUnits.stopWords.contains($0) && $0.count >= 4 }
                return rest.first.map { (direction, $0) }
            }
        }
        let contextObjects = objects(contextWords)
        for (direction, object) in objects(words) {
            let theirs = contextObjects.filter { $0.object == object }.map(\.verb)
            if !theirs.isEmpty && !theirs.contains(direction) {
                return ("\(direction) … \(object)", "\(theirs[0]) … \(object)", context)
            }
        }
        // A negation the context does not make: "will not see its shares fall" where it says
        // "can still see its shares fall".
        for (index, word) in words.enumerated() where negationWords.contains(word) && index + 2 < words.count {
            let verb = words[index + 1]
            let object = words[(index + 2)...].first { !TextUnits.stopWords.contains($0) && $0.count >= 4 } ?? ""
            guard verb.count >= 3, !object.isEmpty, !TextUnits.stopWords.contains(verb) || verb == "see" else { continue }
            for (position, contextWord) in contextWords.enumerated() where contextWord == verb {
                let following = contextWords[(position + 1)...].prefix(3)
                let preceding = Set(contextWords[max(0, position - 3)..<position])
                if following.contains(object) && preceding.isDisjoint(with: negationWords) && preceding.isDisjoint(with: negatingVerbs) {
                    return ("not " + verb + " … " + object, verb + " … " + object, context)
                }
            }
        }
        return nil
    }

    /// Whether stems `a` and `b` occur within three content words of each other in `stems`.
    static func near(_ a: String, _ b: String, in stems: [String]) -> Bool {
        for (index, stem) in stems.enumerated() where stem == a || (a.count >= 5 && stem.hasPrefix(a)) {
            let window = stems[max(0, index - 3)..<min(stems.count, index + 4)]
            if window.contains(where: { $0 == b || (b.count >= 5 && $0.hasPrefix(b)) }) { return true }
        }
        return false
    }

    /// The context sentence that states one of the sentence's figures with the opposite direction
    /// or negation, if any.
    func directionConflict(_ sentence: String, in sources: [String]) -> String? {
        let figures = FigureScanner.quantities(in: sentence)
        guard !figures.isEmpty else { return nil }
        if let conflict = Self.figureConflict(sentence, context: sources.joined(separator: "\n")) { return conflict }
        let words = Set(TextUnits.words(sentence))
        let saysUp = !words.isDisjoint(with: Self.up), saysDown = !words.isDisjoint(with: Self.down)
        guard saysUp != saysDown else { return nil }
        for source in sources {
            let sourceFigures = FigureScanner.quantities(in: source)
            guard figures.contains(where: { figure in sourceFigures.contains { $0.kind == figure.kind && figure.matches($0.value) && $0.decimals == figure.decimals } }) else { continue }
            let sourceWords = Set(TextUnits.words(source))
            let sourceUp = !sourceWords.isDisjoint(with: Self.up), sourceDown = !sourceWords.isDisjoint(with: Self.down)
            if sourceUp != sourceDown && sourceUp != saysUp { return source }
        }
        return nil
    }

    /// Words that qualify a figure: a sentence that moves a figure to another qualifier
    /// ("GAAP EPS" for the context's non-GAAP EPS, "operating income" for its net income) misstates it.
    static let qualifiers: Set<String> = ["gaap", "nongaap", "adjusted", "diluted", "basic", "gross", "operating", "pretax", "organic", "free"]
    /// Words that mark a figure as the earlier period's when they come before it ("from", "compared with").
    static let priorBefore: Set<String> = ["from", "compared", "versus", "vs", "prior", "previous", "yearago"]
    /// Verbs that negate what follows them, as "not" does ("prohibits presenting").
    static let negatingVerbs: Set<String> = ["prohibits", "prohibit", "prohibited", "prevents", "prevent", "forbids", "bars", "exempt", "exempts", "without"]
    /// … or right after it ("a year earlier", "in the prior-year quarter").
    static let priorAfter: Set<String> = ["earlier", "ago", "prior", "previous", "yearago"]

    struct FigureWindow {
        var figure: Figure
        /// Words between the previous figure and this one (at most eight), and between this one and the next (at most six).
        var before: [String]
        var after: [String]
        var isPrior: Bool {
            let next = Array(after.prefix(6))
            // "held at $0.71, unchanged from the prior quarter" is both periods' figure.
            if !Set(next).isDisjoint(with: ["unchanged", "same", "flat", "maintained", "held"]) { return false }
            let pairedPrior = zip(next, next.dropFirst()).contains { ["prior", "previous"].contains($0) && ["year", "quarter", "period"].contains($1) }
            // "from $X" right before it, "compared with … $X" a little further ("cash flow from operations was $X" is not).
            return before.suffix(2).contains("from") || !Set(before.suffix(5)).isDisjoint(with: ["compared", "versus", "vs"])
                || !Set(before.suffix(6)).isDisjoint(with: ["prior", "previous", "yearago"])
                || !Set(next.prefix(5)).isDisjoint(with: ["earlier", "ago", "yearago"]) || pairedPrior
        }
        /// Whether the figure is one end of a range ("4%–5%", "$3.42 to $3.50"), whose period words belong to the range.
        var inRange = false
        /// The words that qualify the figure: after it when they follow "of" ("$2.09bn of free cash
        /// flow"), else the last words before it.
        var qualifying: Set<String> {
            if after.first == "of" || (after.count > 1 && after[1] == "of") { return Set(after.prefix(5)) }
            return Set(before.suffix(7))
        }
    }

    static func normalizedForFigures(_ text: String) -> String {
        var lowered = text.lowercased()
        for (from, to) in [("non-gaap", "nongaap"), ("non gaap", "nongaap"), ("pre-tax", "pretax"), ("year-ago", "yearago"), ("year ago", "yearago"),
                           ("prior-year", "prior year"), ("a year earlier", "earlier")] {
            lowered = lowered.replacingOccurrences(of: from, with: to)
        }
        return lowered
    }

    static func figureWindows(_ text: String) -> [FigureWindow] {
        let normalized = normalizedForFigures(text)
        let figures = FigureScanner.quantities(in: normalized)
        let utf16 = Array(normalized.utf16)
        func words(_ range: Range<Int>) -> [String] {
            let clamped = max(0, range.lowerBound)..<min(utf16.count, max(range.lowerBound, range.upperBound))
            return TextUnits.words(String(utf16CodeUnits: Array(utf16[clamped]), count: clamped.count))
        }
        return figures.enumerated().map { index, figure in
            let start = index > 0 ? figures[index - 1].offset + figures[index - 1].length : 0
            let end = index + 1 < figures.count ? figures[index + 1].offset : utf16.count
            let afterText = String(utf16CodeUnits: Array(utf16[min(utf16.count, figure.offset + figure.length)..<end]), count: max(0, end - figure.offset - figure.length))
            let clause = afterText.split(whereSeparator: { ".;".contains($0) }).first.map(String.init) ?? ""
            let beforeText = String(utf16CodeUnits: Array(utf16[start..<figure.offset]), count: figure.offset - start)
            let beforeClause = beforeText.split(omittingEmptySubsequences: false, whereSeparator: { ".;".contains($0) }).last.map(String.init) ?? ""
            var window = FigureWindow(figure: figure, before: Array(TextUnits.words(beforeClause).suffix(8)), after: Array(TextUnits.words(clause).prefix(6)))
            let gapAfter = index + 1 < figures.count ? String(utf16CodeUnits: Array(utf16[(figure.offset + figure.length)..<figures[index + 1].offset]), count: figures[index + 1].offset - figure.offset - figure.length) : "x"
            let gapBefore = index > 0 ? String(utf16CodeUnits: Array(utf16[(figures[index - 1].offset + figures[index - 1].length)..<figure.offset]), count: figure.offset - figures[index - 1].offset - figures[index - 1].length) : "x"
            let joins: (String) -> Bool = { gap in
                let trimmed = gap.trimmingCharacters(in: .whitespaces)
                return ["-", "–", "—", "to", "and"].contains(trimmed) || trimmed.isEmpty
            }
            window.inRange = joins(gapAfter) || joins(gapBefore)
            return window
        }
    }

    /// A figure of the sentence that the context states differently: with the opposite direction
    /// or sign word (net income vs net loss, raised vs lowered), another qualifier (GAAP vs
    /// non-GAAP), or as the earlier period's figure where the sentence gives it as the current one.
    static func figureConflict(_ sentence: String, context: String) -> String? {
        let contextWindows = figureWindows(context)
        let fold: (String) -> String = { up.contains($0) ? "increase" : down.contains($0) ? "decrease" : $0 }
        for window in figureWindows(sentence) where abs(window.figure.value) >= 1 || window.figure.decimals > 0 {
            let figure = window.figure
            let anchors = contextWindows.filter {
                $0.figure.kind == figure.kind && $0.figure.decimals == figure.decimals && abs(abs($0.figure.value) - abs(figure.value)) < 1e-9
            }
            guard !anchors.isEmpty else { continue }
            let here = Set(window.before)
            let there = anchors.map { Set($0.before) }
            // Opposites as written, then direction verbs folded ("rose" vs "declined").
            let sides: [(Set<String>, [Set<String>], [(String, String)])] = [
                (here, there, opposites),
                (Set(here.map(fold)), there.map { Set($0.map(fold)) }, [("increase", "decrease")]),
            ]
            for (mine, theirs, pairs) in sides {
                for (a, b) in pairs {
                    let flipped = (mine.contains(a) && !mine.contains(b) && theirs.allSatisfy { $0.contains(b) && !$0.contains(a) })
                        || (mine.contains(b) && !mine.contains(a) && theirs.allSatisfy { $0.contains(a) && !$0.contains(b) })
                    if flipped { return "\(figure.text): the context says \(theirs.first.map { $0.contains(a) ? a : b } ?? "")" }
                }
            }
            let myQualifiers = window.qualifying.intersection(qualifiers)
            let theirQualifiers = anchors.reduce(Set<String>()) { $0.union($1.qualifying.intersection(qualifiers)) }
            if let moved = myQualifiers.subtracting(theirQualifiers).first, !theirQualifiers.isEmpty {
                return "\(figure.text): the context's figure is \(theirQualifiers.sorted().joined(separator: " ")), not \(moved)"
            }
            if !window.inRange && !window.isPrior && anchors.allSatisfy({ $0.isPrior && !$0.inRange }) {
                return "\(figure.text): the context gives it for the earlier period"
            }
        }
        return nil
    }

    /// The `count` words before a UTF-16 offset of `text`.
    static func wordsBefore(_ offset: Int, in text: String, count: Int) -> [String] {
        let utf16 = Array(text.utf16)
        let prefix = String(utf16CodeUnits: Array(utf16[0..<min(max(0, offset), utf16.count)]), count: min(max(0, offset), utf16.count))
        return Array(TextUnits.words(prefix).suffix(count))
    }

    static func percent(_ value: Double) -> String { String(format: "%.0f%%", value * 100) }
}
