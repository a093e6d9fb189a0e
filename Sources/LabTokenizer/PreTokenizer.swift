/// Splits text into the pieces ("words") that BPE merges within, as chosen by `tokenizer.ggml.pre`.
///
/// Each pre-tokenizer is a list of regexes applied one after another, each to every piece the
/// previous one produced, keeping the text between matches as pieces too — llama.cpp's
/// `unicode_regex_split` (src/unicode.cpp) with the regex lists of `llm_tokenizer_bpe`
/// (src/llama-vocab.cpp). The regexes are implemented as hand-written scanners over Unicode
/// scalars that reproduce llama.cpp's own scanners (`unicode_regex_split_custom_gpt2`,
/// `…_llama3`, `…_qwen35`, `…_newlines`) decision by decision, including where they differ from
/// a textbook regex engine. The regexes llama.cpp hands to `std::regex` (DeepSeek's) follow that
/// engine: leftmost match, greedy, with `\p{…}` classes and `\s` as llama.cpp's collapsed text
/// sees them (`ScalarSet`).
public struct PreTokenizer: Sendable, Hashable {
    /// One regex of the list.
    enum Pass: Sendable, Hashable {
        /// `\p{N}`: every number character alone (SmolLM, StarCoder, DeepSeek Coder).
        case isolateNumbers
        /// `[\r\n]`: every carriage return and line feed alone (DeepSeek).
        case isolateLineBreaks
        /// `\p{N}+`.
        case numberRuns
        /// `[\p{P}…]+` with extra ASCII symbols.
        case punctuationRuns(extra: [UInt32])
        /// `[set]+`, such as DeepSeek's `[一-龥ࠀ-一가-퟿]+`.
        case runs(ScalarSet)
        /// `\s?[set]+`, such as DeepSeek Coder's `\s?\p{L}+`.
        case optionalWhitespaceThenRun(ScalarSet)
        /// `\s+$`: the whitespace that ends a piece.
        case trailingWhitespace
        /// `[0-9][0-9][0-9]`.
        case asciiDigitTriples
        /// `[^\n]+|[\n]+`: runs of line feeds and runs of everything else (Gemma 4).
        case lineFeedRuns
        /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`.
        case gpt2
        /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
        /// with `marksAreLetters` every `\p{L}` is `[\p{L}\p{M}]` (Qwen 3.5).
        case llama3(maxDigits: Int, marksAreLetters: Bool)
    }

    /// The `tokenizer.ggml.pre` value this was built from (`default` when the key is absent).
    public let name: String
    let passes: [Pass]
    /// llama.cpp's `ignore_merges`: a piece that is itself a token is emitted without merging.
    let ignoresMerges: Bool
    /// Whether this family adds BOS when `tokenizer.ggml.add_bos_token` is absent.
    let addsBeginOfSequenceByDefault: Bool
    /// llama.cpp's `byte_encode`: tokens spell bytes with GPT-2's byte-to-character mapping. When
    /// false (Gemma 4) tokens are raw UTF-8 with `▁` for a space, and bytes fall back to `<0xAB>`.
    let mapsBytes: Bool

    /// The pre-tokenizer names this module implements, for error messages and `--help`.
    public static let supportedNames: [String] = [
        "default", "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b",
        "gpt-2", "gpt2", "phi-2", "roberta-bpe", "mpt", "olmo", "jais",
        "llama3", "llama-v3", "llama-bpe", "falcon3", "dbrx", "smaug-bpe",
        "qwen2", "stablelm2", "megrez", "qwen35", "falcon", "deepseek-llm", "deepseek-coder",
        "gemma4", "granite-embed-multi-311m", "sarvam-moe",
    ]

    /// The pre-tokenizer for a `tokenizer.ggml.pre` value; nil or empty means `default`.
    ///
    /// Throws `TokenizerError.unsupportedPreTokenizer` naming the value when it is unknown.
    public init(ggmlName: String?) throws {
        let name = (ggmlName?.isEmpty ?? true) ? "default" : (ggmlName ?? "default")
        self.name = name
        var ignoresMerges = false
        var addsBOS = false
        var mapsBytes = true
        switch name {
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b":
            passes = [.isolateNumbers, .gpt2]
        case "gpt-2", "gpt2", "phi-2", "roberta-bpe", "mpt", "olmo", "jais":
            passes = [.gpt2]
        case "llama3", "llama-v3", "llama-bpe", "falcon3":
            passes = [.llama3(maxDigits: 3, marksAreLetters: false)]
            ignoresMerges = true
            addsBOS = true
        case "dbrx", "smaug-bpe":
            passes = [.llama3(maxDigits: 3, marksAreLetters: false)]
        case "qwen2", "stablelm2", "megrez":
            passes = [.llama3(maxDigits: 1, marksAreLetters: false)]
        case "qwen35":
            passes = [.llama3(maxDigits: 1, marksAreLetters: true)]
        case "deepseek-llm":
            passes = [
                .isolateLineBreaks, .optionalWhitespaceThenRun(.ranges(Self.deepSeekLetters)),
                .optionalWhitespaceThenRun(.ranges(Self.deepSeekPunctuation)), .trailingWhitespace,
                .runs(.ranges(Self.deepSeekHanAndHangul)), .numberRuns,
            ]
        case "deepseek-coder":
            passes = [
                .isolateLineBreaks, .optionalWhitespaceThenRun(.classes(.letter)),
                .optionalWhitespaceThenRun(.classes(.punctuation)), .runs(.ranges(Self.deepSeekHanAndHangul)),
                .isolateNumbers,
            ]
        case "gemma4", "granite-embed-multi-311m", "sarvam-moe":
            passes = [.lineFeedRuns]
            mapsBytes = false
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
        self.mapsBytes = mapsBytes
    }

    private static func scalars(_ text: String) -> [UInt32] { text.unicodeScalars.map(\.value) }

    /// DeepSeek LLM's letter class, `[A-Za-zµÀ-ÖØ-öø-ƺ…𞤀-𞥃]` in src/llama-vocab.cpp, range by range.
    static let deepSeekLetters: [ClosedRange<UInt32>] = [
        0x41...0x5A, 0x61...0x7A, 0xB5...0xB5, 0xC0...0xD6, 0xD8...0xF6, 0xF8...0x1BA, 0x1BC...0x1BF,
        0x1C4...0x293, 0x295...0x2AF, 0x370...0x373, 0x376...0x377, 0x37B...0x37D, 0x37F...0x37F,
        0x386...0x386, 0x388...0x38A, 0x38C...0x38C, 0x38E...0x3A1, 0x3A3...0x3F5, 0x3F7...0x481,
        0x48A...0x52F, 0x531...0x556, 0x10A0...0x10C5, 0x13A0...0x13F5, 0x13F8...0x13FD, 0x1C90...0x1CBA,
        0x1CBD...0x1CBF, 0x1D00...0x1D2B, 0x1D6B...0x1D77, 0x1D79...0x1D9A, 0x1E00...0x1F15, 0x1F18...0x1F1D,
        0x1F20...0x1F45, 0x1F48...0x1F4D, 0x1F50...0x1F57, 0x1F59...0x1F59, 0x1F5B...0x1F5B, 0x1F5D...0x1F5D,
        0x1F5F...0x1F7D, 0x1F80...0x1FB4, 0x1FB6...0x1FBC, 0x1FBE...0x1FBE, 0x1FC2...0x1FC4, 0x1FC6...0x1FCC,
        0x1FD0...0x1FD3, 0x1FD6...0x1FDB, 0x1FE0...0x1FEC, 0x1FF2...0x1FF4, 0x1FF6...0x1FFC, 0x2102...0x2102,
        0x2107...0x2107, 0x210A...0x2113, 0x2115...0x2115, 0x2119...0x211D, 0x2124...0x2124, 0x2126...0x2126,
        0x2128...0x2128, 0x212A...0x212D, 0x212F...0x2134, 0x2139...0x2139, 0x213C...0x213F, 0x2145...0x2149,
        0x214E...0x214E, 0x2183...0x2184, 0x2C00...0x2C7B, 0x2C7E...0x2CE4, 0x2CEB...0x2CEE, 0x2CF2...0x2CF3,
        0xA640...0xA66D, 0xA680...0xA69B, 0xA722...0xA76F, 0xA771...0xA787, 0xA78B...0xA78E, 0xAB70...0xABBF,
        0xFB00...0xFB06, 0xFB13...0xFB17, 0xFF21...0xFF3A, 0xFF41...0xFF5A, 0x10400...0x1044F,
        0x104B0...0x104D3, 0x104D8...0x104FB, 0x10C80...0x10CB2, 0x10CC0...0x10CF2, 0x118A0...0x118DF,
        0x1E900...0x1E943,
    ]

    /// DeepSeek LLM's punctuation class, `[!-/:-~！-／：-～‘-‟　-。]`.
    static let deepSeekPunctuation: [ClosedRange<UInt32>] = [
        0x21...0x2F, 0x3A...0x7E, 0xFF01...0xFF0F, 0xFF1A...0xFF5E, 0x2018...0x201F, 0x3000...0x3002,
    ]

    /// DeepSeek's `[一-龥ࠀ-一가-퟿]`: CJK ideographs, U+0800 up to them, and Hangul syllables.
    static let deepSeekHanAndHangul: [ClosedRange<UInt32>] = [0x4E00...0x9FA5, 0x800...0x4E00, 0xAC00...0xD7FF]

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
                case .isolateNumbers: scanner.isolate { _, classes in classes.contains(.number) }
                case .isolateLineBreaks: scanner.isolate { value, _ in value == 0x0D || value == 0x0A }
                case .numberRuns: scanner.runs { $1.contains(.number) }
                case .punctuationRuns(let extra):
                    scanner.runs { value, classes in classes.contains(.punctuation) || extra.contains(value) }
                case .runs(let set): scanner.runs(set.contains)
                case .optionalWhitespaceThenRun(let set): scanner.optionalWhitespaceThenRun(set)
                case .trailingWhitespace: scanner.trailingWhitespace()
                case .asciiDigitTriples: scanner.asciiDigitTriples()
                case .lineFeedRuns: scanner.lineFeedRuns()
                case .gpt2: scanner.gpt2()
                case .llama3(let maxDigits, let marksAreLetters):
                    scanner.llama3(maxDigits: maxDigits, letters: marksAreLetters ? [.letter, .mark] : .letter)
                }
                start = end
            }
            swap(&current, &scanner.ends)
        }
        ends.append(contentsOf: current)
        scratch = current
    }

    /// Calls `body` with the byte range of every piece of `bytes[range]` (whole UTF-8 characters),
    /// in order.
    func forEachPiece(
        of bytes: [UInt8], _ range: Range<Int>, workspace: inout PieceWorkspace, _ body: (Range<Int>) -> Void
    ) {
        workspace.decode(bytes, range)
        workspace.ends.removeAll(keepingCapacity: true)
        split(
            workspace.scalars, classes: workspace.classes, range: 0..<workspace.scalars.count,
            into: &workspace.ends, scratch: &workspace.scratch)
        var startScalar = 0
        for endScalar in workspace.ends {
            body(workspace.offsets[startScalar]..<workspace.offsets[endScalar])
            startScalar = endScalar
        }
    }
}

/// A regex character class as the regex engine llama.cpp hands it to sees it.
///
/// llama.cpp runs a regex with `\p{…}` on "collapsed" text, where every non-ASCII character is
/// replaced by one byte standing for its class, and a regex of literal ranges on the code points
/// with non-ASCII whitespace replaced by U+000B (`unicode_regex_split`, src/unicode.cpp). Either way
/// a whitespace character is only ever `\s`.
enum ScalarSet: Sendable, Hashable {
    /// `\p{L}`, `\p{P}`, …: characters in any of these classes.
    case classes(CharacterClass)
    /// `[A-Za-z…]`: code points in these ranges (non-ASCII whitespace never is).
    case ranges([ClosedRange<UInt32>])

    func contains(_ value: UInt32, _ classes: CharacterClass) -> Bool {
        switch self {
        case .classes(let wanted):
            return !classes.isDisjoint(with: wanted)
        case .ranges(let ranges):
            let seen: UInt32 = value >= 0x80 && classes.contains(.whitespace) ? 0x0B : value
            return ranges.contains { $0.contains(seen) }
        }
    }
}

/// Per-call buffers for splitting text into pieces, reused across fragments.
struct PieceWorkspace {
    var scalars: [UInt32] = []
    var classes: [CharacterClass] = []
    /// Byte offset of each scalar, plus the end offset.
    var offsets: [Int] = []
    var ends: [Int] = []
    var scratch: [Int] = []

    /// Decodes the UTF-8 in `bytes[range]` (valid: it comes from a `String`, cut at scalar boundaries).
    mutating func decode(_ bytes: [UInt8], _ range: Range<Int>) {
        scalars.removeAll(keepingCapacity: true)
        classes.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        var index = range.lowerBound
        let end = range.upperBound
        while index < end {
            let lead = bytes[index]
            let length = min(SentencePieceBPE.sequenceLength(leadByte: lead), end - index)
            var value: UInt32
            switch length {
            case 2: value = UInt32(lead & 0x1F)
            case 3: value = UInt32(lead & 0x0F)
            case 4: value = UInt32(lead & 0x07)
            default: value = UInt32(lead)
            }
            if length > 1 {
                for offset in 1..<length {
                    value = value << 6 | UInt32(bytes[index + offset] & 0x3F)
                }
            }
            scalars.append(value)
            classes.append(CharacterClass.of(value))
            offsets.append(index)
            index += length
        }
        offsets.append(end)
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

    /// Every matching character alone; the text between them as pieces (a one-character regex).
    mutating func isolate(_ matches: (UInt32, CharacterClass) -> Bool) {
        var position = start
        while position < end {
            if matches(scalars[position], classes[position]) {
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

    /// `\s?[set]+` as a backtracking regex engine finds it: a whitespace character joins the run
    /// that follows it; one with no run after it is left between matches.
    mutating func optionalWhitespaceThenRun(_ set: ScalarSet) {
        var position = start
        while position < end {
            var runStart = position
            if classes[position].contains(.whitespace) && position + 1 < end
                && set.contains(scalars[position + 1], classes[position + 1]) {
                runStart = position + 1
            } else if !set.contains(scalars[position], classes[position]) {
                position += 1
                continue
            }
            add(position)
            position = runStart + 1
            while position < end && set.contains(scalars[position], classes[position]) {
                position += 1
            }
            add(position)
        }
        add(end)
    }

    /// `\s+$`: the leftmost match is the whole run of whitespace that ends the piece.
    mutating func trailingWhitespace() {
        var runStart = end
        while runStart > start && classes[runStart - 1].contains(.whitespace) {
            runStart -= 1
        }
        add(runStart)
        add(end)
    }

    /// `[^\n]+|[\n]+`, as llama.cpp's `unicode_regex_split_custom_newlines` scans it.
    mutating func lineFeedRuns() {
        var position = start
        while position < end {
            let isLineFeed = scalars[position] == Self.lineFeed
            while position < end && (scalars[position] == Self.lineFeed) == isLineFeed {
                position += 1
            }
            add(position)
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
    /// `unicode_regex_split_custom_llama3` scans it; with `letters` `[.letter, .mark]` it is
    /// Qwen 3.5's (`…_qwen35`), where marks join letters and never start punctuation.
    mutating func llama3(maxDigits: Int, letters: CharacterClass) {
        let notPunctuation = letters.union([.whitespace, .number])
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
                if !valueClass.isDisjoint(with: letters) || !classAt(position + 1).isDisjoint(with: letters) {
                    position += 1
                    while !classAt(position).isDisjoint(with: letters) { position += 1 }
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
            if nextClass.isDisjoint(with: notPunctuation) {
                position += leadingSpace ? 1 : 0
                while position < end && classes[position].isDisjoint(with: notPunctuation) {
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
