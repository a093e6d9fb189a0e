/// Splits text into the pieces ("words") that byte-level BPE merges within, as chosen by
/// `tokenizer.ggml.pre`.
///
/// Each pre-tokenizer is a list of regexes applied one after another, each to every piece the
/// previous one produced, keeping the text between matches as pieces too — llama.cpp's
/// `unicode_regex_split` (src/unicode.cpp) with the regex lists of `llm_tokenizer_bpe`
/// (src/llama-vocab.cpp). The regexes are implemented as hand-written scanners over Unicode
/// scalars that reproduce llama.cpp's own scanners (`unicode_regex_split_custom_gpt2`,
/// `…_llama3`) decision by decision, including where they differ from a textbook regex engine.
public struct PreTokenizer: Sendable, Hashable {
    /// One regex of the list.
    enum Pass: Sendable, Hashable {
        /// `\p{N}`: every number character alone (SmolLM, StarCoder).
        case isolateNumbers
        /// `\p{N}+`.
        case numberRuns
        /// `[\p{P}…]+` with extra ASCII symbols.
        case punctuationRuns(extra: [UInt32])
        /// `[0-9][0-9][0-9]`.
        case asciiDigitTriples
        /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`.
        case gpt2
        /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
        case llama3(maxDigits: Int)
    }

    /// The `tokenizer.ggml.pre` value this was built from (`default` when the key is absent).
    public let name: String
    let passes: [Pass]
    /// llama.cpp's `ignore_merges`: a piece that is itself a token is emitted without merging.
    let ignoresMerges: Bool
    /// Whether this family adds BOS when `tokenizer.ggml.add_bos_token` is absent.
    let addsBeginOfSequenceByDefault: Bool

    /// The pre-tokenizer names this module implements, for error messages and `--help`.
    public static let supportedNames: [String] = [
        "default", "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b",
        "gpt-2", "gpt2", "phi-2", "roberta-bpe", "mpt", "olmo", "jais",
        "llama3", "llama-v3", "llama-bpe", "falcon3", "dbrx", "smaug-bpe",
        "qwen2", "stablelm2", "megrez", "falcon",
    ]

    /// The pre-tokenizer for a `tokenizer.ggml.pre` value; nil or empty means `default`.
    ///
    /// Throws `TokenizerError.unsupportedPreTokenizer` naming the value when it is unknown.
    public init(ggmlName: String?) throws {
        let name = (ggmlName?.isEmpty ?? true) ? "default" : (ggmlName ?? "default")
        self.name = name
        var ignoresMerges = false
        var addsBOS = false
        switch name {
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b":
            passes = [.isolateNumbers, .gpt2]
        case "gpt-2", "gpt2", "phi-2", "roberta-bpe", "mpt", "olmo", "jais":
            passes = [.gpt2]
        case "llama3", "llama-v3", "llama-bpe", "falcon3":
            passes = [.llama3(maxDigits: 3)]
            ignoresMerges = true
            addsBOS = true
        case "dbrx", "smaug-bpe":
            passes = [.llama3(maxDigits: 3)]
        case "qwen2", "stablelm2", "megrez":
            passes = [.llama3(maxDigits: 1)]
        case "falcon":
            passes = [.punctuationRuns(extra: Self.scalars("$+<=>^~|`")), .gpt2, .asciiDigitTriples]
        case "default":
            passes = [.punctuationRuns(extra: Self.scalars("$+<=>^~|")), .gpt2, .numberRuns, .asciiDigitTriples]
        default:
            throw TokenizerError(
                .unsupportedPreTokenizer, "unsupported pre-tokenizer tokenizer.ggml.pre = '\(name)'",
                hint: "supported: \(Self.supportedNames.joined(separator: ", "))")
        }
        self.ignoresMerges = ignoresMerges
        self.addsBeginOfSequenceByDefault = addsBOS
    }

    private static func scalars(_ text: String) -> [UInt32] { text.unicodeScalars.map(\.value) }

    /// Splits `scalars[range]` and appends the end index of every piece to `ends`.
    ///
    /// `classes[i]` must be `CharacterClass.of(scalars[i])`; `scratch` is reused between calls.
    func split(
        _ scalars: [UInt32], classes: [CharacterClass], range: Range<Int>,
        into ends: inout [Int], scratch: inout [Int]
    ) {
        guard !range.isEmpty else { return }
        var current = scratch
        current.removeAll(keepingCapacity: true)
        current.append(range.upperBound)
        var scanner = PieceScanner(scalars: scalars, classes: classes)
        scanner.ends.reserveCapacity(range.count / 3 + 4)
        for pass in passes {
            scanner.ends.removeAll(keepingCapacity: true)
            var start = range.lowerBound
            for end in current {
                scanner.reset(start: start, end: end)
                switch pass {
                case .isolateNumbers: scanner.isolate(.number)
                case .numberRuns: scanner.runs { $1.contains(.number) }
                case .punctuationRuns(let extra):
                    scanner.runs { value, classes in classes.contains(.punctuation) || extra.contains(value) }
                case .asciiDigitTriples: scanner.asciiDigitTriples()
                case .gpt2: scanner.gpt2()
                case .llama3(let maxDigits): scanner.llama3(maxDigits: maxDigits)
                }
                start = end
            }
            swap(&current, &scanner.ends)
        }
        ends.append(contentsOf: current)
        scratch = current
    }
}

/// Scans pieces one at a time and records where their sub-pieces end.
private struct PieceScanner {
    let scalars: [UInt32]
    let classes: [CharacterClass]
    /// Ends of the sub-pieces found so far, over every piece scanned since the last clear.
    var ends: [Int] = []
    private var start = 0
    private var end = 0
    private var previousEnd = 0

    init(scalars: [UInt32], classes: [CharacterClass]) {
        self.scalars = scalars
        self.classes = classes
    }

    /// Moves on to the piece `[start, end)`.
    mutating func reset(start: Int, end: Int) {
        self.start = start
        self.end = end
        self.previousEnd = start
    }

    private static let whitespaceLetterNumber: CharacterClass = [.whitespace, .letter, .number]
    private static let apostrophe = UInt32(UInt8(ascii: "'"))
    private static let space = UInt32(UInt8(ascii: " "))
    private static let carriageReturn = UInt32(UInt8(ascii: "\r"))
    private static let lineFeed = UInt32(UInt8(ascii: "\n"))

    /// Ends a sub-piece at `position` (empty ones are dropped, like llama.cpp's `_add_token`).
    private mutating func add(_ position: Int) {
        if position > previousEnd {
            ends.append(position)
        }
        previousEnd = position
    }

    @inline(__always) private func classAt(_ position: Int) -> CharacterClass {
        position < end ? classes[position] : []
    }

    /// Every character of `kind` alone; the text between them as pieces (a one-character regex).
    mutating func isolate(_ kind: CharacterClass) {
        var position = start
        while position < end {
            if classes[position].contains(kind) {
                add(position)
                add(position + 1)
            }
            position += 1
        }
        add(end)
    }

    /// Maximal runs of matching characters; the text between them as pieces.
    mutating func runs(_ matches: (UInt32, CharacterClass) -> Bool) {
        var position = start
        while position < end {
            if matches(scalars[position], classes[position]) {
                add(position)
                while position < end && matches(scalars[position], classes[position]) {
                    position += 1
                }
                add(position)
            } else {
                position += 1
            }
        }
        add(end)
    }

    /// `[0-9][0-9][0-9]` found left to right without overlap.
    mutating func asciiDigitTriples() {
        func isDigit(_ value: UInt32) -> Bool { value >= 0x30 && value <= 0x39 }
        var position = start
        while position + 3 <= end {
            if isDigit(scalars[position]) && isDigit(scalars[position + 1]) && isDigit(scalars[position + 2]) {
                add(position)
                add(position + 3)
                position += 3
            } else {
                position += 1
            }
        }
        add(end)
    }

    /// The contraction suffix starting at an apostrophe at `position`, as its length (2 or 3), or 0.
    private func contractionLength(at position: Int, caseInsensitive: Bool) -> Int {
        guard scalars[position] == Self.apostrophe, position + 1 < end else { return 0 }
        func folded(_ value: UInt32) -> UInt32 {
            caseInsensitive && value >= 0x41 && value <= 0x5A ? value + 0x20 : value
        }
        let next = folded(scalars[position + 1])
        switch Unicode.Scalar(next) {
        case "s", "t", "m", "d": return 2
        default: break
        }
        guard position + 2 < end else { return 0 }
        let nextNext = folded(scalars[position + 2])
        switch (Unicode.Scalar(next), Unicode.Scalar(nextNext)) {
        case ("r", "e"), ("v", "e"), ("l", "l"): return 3
        default: return 0
        }
    }

    /// Whitespace run length from `position`, and the end of its last `\r`/`\n` (0 when none).
    private func whitespaceRun(from position: Int) -> (count: Int, lastNewlineEnd: Int) {
        var count = 0
        var lastNewlineEnd = 0
        while position + count < end && classes[position + count].contains(.whitespace) {
            let value = scalars[position + count]
            if value == Self.carriageReturn || value == Self.lineFeed {
                lastNewlineEnd = position + count + 1
            }
            count += 1
        }
        return (count, lastNewlineEnd)
    }

    /// GPT-2's regex, as llama.cpp's `unicode_regex_split_custom_gpt2` scans it.
    mutating func gpt2() {
        var position = start
        while position < end {
            let value = scalars[position]
            let contraction = contractionLength(at: position, caseInsensitive: false)
            if contraction > 0 {
                position += contraction
                add(position)
                continue
            }
            let leadingSpace = value == Self.space
            let nextClass = leadingSpace ? classAt(position + 1) : classes[position]
            let nextExists = !leadingSpace || position + 1 < end
            // ` ?\p{L}+`
            if nextClass.contains(.letter) {
                position += leadingSpace ? 1 : 0
                while classAt(position).contains(.letter) { position += 1 }
                add(position)
                continue
            }
            // ` ?\p{N}+`
            if nextClass.contains(.number) {
                position += leadingSpace ? 1 : 0
                while classAt(position).contains(.number) { position += 1 }
                add(position)
                continue
            }
            // ` ?[^\s\p{L}\p{N}]+`
            if nextExists && nextClass.isDisjoint(with: Self.whitespaceLetterNumber) {
                position += leadingSpace ? 1 : 0
                while position < end && classes[position].isDisjoint(with: Self.whitespaceLetterNumber) {
                    position += 1
                }
                add(position)
                continue
            }
            let run = whitespaceRun(from: position).count
            // `\s+(?!\S)`: a run followed by more text leaves its last character to the next piece.
            if run > 1 && position + run < end {
                position += run - 1
                add(position)
                continue
            }
            if run > 0 {
                position += run
                add(position)
                continue
            }
            position += 1
            add(position)
        }
        add(end)
    }

    /// Llama-3's regex (Qwen2's with `maxDigits` 1), as llama.cpp's
    /// `unicode_regex_split_custom_llama3` scans it.
    mutating func llama3(maxDigits: Int) {
        var position = start
        while position < end {
            let value = scalars[position]
            let valueClass = classes[position]
            let contraction = contractionLength(at: position, caseInsensitive: true)
            if contraction > 0 {
                position += contraction
                add(position)
                continue
            }
            // `[^\r\n\p{L}\p{N}]?\p{L}+`
            if !(value == Self.carriageReturn || value == Self.lineFeed || valueClass.contains(.number)) {
                if valueClass.contains(.letter) || classAt(position + 1).contains(.letter) {
                    position += 1
                    while classAt(position).contains(.letter) { position += 1 }
                    add(position)
                    continue
                }
            }
            // `\p{N}{1,maxDigits}`
            if valueClass.contains(.number) {
                var groupStart = position
                while classAt(position).contains(.number) {
                    position += 1
                    if position - groupStart >= maxDigits {
                        add(position)
                        groupStart = position
                    }
                }
                add(position)
                continue
            }
            // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
            let leadingSpace = value == Self.space
            let nextClass = leadingSpace ? classAt(position + 1) : valueClass
            if nextClass.isDisjoint(with: Self.whitespaceLetterNumber) {
                position += leadingSpace ? 1 : 0
                while position < end && classes[position].isDisjoint(with: Self.whitespaceLetterNumber) {
                    position += 1
                }
                while position < end && (scalars[position] == Self.carriageReturn || scalars[position] == Self.lineFeed) {
                    position += 1
                }
                add(position)
                continue
            }
            let run = whitespaceRun(from: position)
            // `\s*[\r\n]+`
            if run.lastNewlineEnd > 0 {
                position = run.lastNewlineEnd
                add(position)
                continue
            }
            // `\s+(?!\S)`
            if run.count > 1 && position + run.count < end {
                position += run.count - 1
                add(position)
                continue
            }
            // `\s+`
            if run.count > 0 {
                position += run.count
                add(position)
                continue
            }
            position += 1
            add(position)
        }
        add(end)
    }
}
