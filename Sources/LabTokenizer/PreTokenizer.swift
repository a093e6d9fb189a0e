/// Splits text into the pieces BPE runs on, the way llama.cpp's `tokenizer.ggml.pre` regexes do,
/// written as scanners over Unicode scalars (exact and much faster than a regex engine).
///
/// - `gpt2`/`default`: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
/// - `smollm` (and starcoder, refact, command-r, codeshell, exaone, minerva): first every `\p{N}`
///   becomes its own piece, then the gpt2 rules.
/// - `llama-bpe`/`llama3`: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
///   ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
struct PreTokenizer: Sendable {
    enum Rules: Sendable { case gpt2, digitsThenGPT2, llama3 }

    let rules: Rules

    init?(name: String) {
        switch name {
        case "default", "gpt2", "gpt-2", "olmo", "jais", "mpt", "phi-2", "stablelm2", "poro-chat", "viking", "bloom":
            rules = .gpt2
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva":
            rules = .digitsThenGPT2
        case "llama-bpe", "llama3", "llama-v3", "falcon3", "pixtral", "dbrx", "smaug-bpe":
            rules = .llama3
        default:
            return nil
        }
    }

    /// The pieces of `text`, as ranges into its scalars.
    func split(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        switch rules {
        case .gpt2:
            Self.gpt2(scalars, 0..<scalars.count, into: &pieces)
        case .llama3:
            Self.llama3(scalars, into: &pieces)
        case .digitsThenGPT2:
            var start = 0
            for index in scalars.indices where Self.isNumber(scalars[index]) {
                if start < index { Self.gpt2(scalars, start..<index, into: &pieces) }
                pieces.append(index..<index + 1)
                start = index + 1
            }
            if start < scalars.count { Self.gpt2(scalars, start..<scalars.count, into: &pieces) }
        }
        return pieces
    }

    // MARK: Character classes (Unicode general categories, as llama.cpp's tables)

    @inline(__always) static func isLetter(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII { return (s.value | 0x20) >= 0x61 && (s.value | 0x20) <= 0x7A }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    @inline(__always) static func isNumber(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII { return s.value >= 0x30 && s.value <= 0x39 }
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    @inline(__always) static func isSpace(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII { return s.value == 0x20 || (s.value >= 0x09 && s.value <= 0x0D) }
        return s.properties.isWhitespace
    }

    @inline(__always) static func isOther(_ s: Unicode.Scalar) -> Bool { !isSpace(s) && !isLetter(s) && !isNumber(s) }

    // MARK: Scanners

    static func gpt2(_ s: [Unicode.Scalar], _ range: Range<Int>, into pieces: inout [Range<Int>]) {
        let end = range.upperBound
        var i = range.lowerBound
        func run(from start: Int, while test: (Unicode.Scalar) -> Bool) -> Int {
            var j = start
            while j < end && test(s[j]) { j += 1 }
            return j
        }
        while i < end {
            let c = s[i]
            // 's 't 're 've 'm 'll 'd (case-sensitive in GPT-2's pattern)
            if c == "'" && i + 1 < end {
                let n = s[i + 1]
                if n == "s" || n == "t" || n == "m" || n == "d" { pieces.append(i..<i + 2); i += 2; continue }
                if i + 2 < end && ((n == "r" && s[i + 2] == "e") || (n == "v" && s[i + 2] == "e") || (n == "l" && s[i + 2] == "l")) {
                    pieces.append(i..<i + 3); i += 3; continue
                }
            }
            // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional single space, then one class.
            let start = i
            let head = (c == " " && i + 1 < end && !isSpace(s[i + 1])) ? i + 1 : i
            let h = s[head]
            if isLetter(h) { i = run(from: head, while: isLetter); pieces.append(start..<i); continue }
            if isNumber(h) { i = run(from: head, while: isNumber); pieces.append(start..<i); continue }
            if !isSpace(h) { i = run(from: head, while: isOther); pieces.append(start..<i); continue }
            // Whitespace: `\s+(?!\S)` leaves the last space of a run for the next word; else `\s+`.
            let runEnd = run(from: i, while: isSpace)
            if runEnd < end && runEnd - i > 1 {
                pieces.append(i..<runEnd - 1)
                i = runEnd - 1
            } else {
                pieces.append(i..<runEnd)
                i = runEnd
            }
        }
    }

    static func llama3(_ s: [Unicode.Scalar], into pieces: inout [Range<Int>]) {
        let end = s.count
        var i = 0
        func run(from start: Int, limit: Int = .max, while test: (Unicode.Scalar) -> Bool) -> Int {
            var j = start
            while j < end && j - start < limit && test(s[j]) { j += 1 }
            return j
        }
        func isNewline(_ c: Unicode.Scalar) -> Bool { c == "\r" || c == "\n" }
        while i < end {
            let c = s[i]
            if c == "'" && i + 1 < end {
                let n = Character(s[i + 1]).lowercased()
                if ["s", "t", "m", "d"].contains(n) { pieces.append(i..<i + 2); i += 2; continue }
                if i + 2 < end {
                    let pair = n + Character(s[i + 2]).lowercased()
                    if ["re", "ve", "ll"].contains(pair) { pieces.append(i..<i + 3); i += 3; continue }
                }
            }
            // `[^\r\n\p{L}\p{N}]?\p{L}+`
            if isLetter(c) { let j = run(from: i, while: isLetter); pieces.append(i..<j); i = j; continue }
            if !isNewline(c) && !isNumber(c) && i + 1 < end && isLetter(s[i + 1]) {
                let j = run(from: i + 1, while: isLetter); pieces.append(i..<j); i = j; continue
            }
            // `\p{N}{1,3}`
            if isNumber(c) { let j = run(from: i, limit: 3, while: isNumber); pieces.append(i..<j); i = j; continue }
            // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
            let head = (c == " " && i + 1 < end && isOther(s[i + 1])) ? i + 1 : i
            if isOther(s[head]) {
                var j = run(from: head, while: isOther)
                j = run(from: j, while: isNewline)
                pieces.append(i..<j); i = j; continue
            }
            // Whitespace: `\s*[\r\n]+` (up to the last newline of the run), `\s+(?!\S)`, `\s+`.
            let runEnd = run(from: i, while: isSpace)
            if let lastNewline = (i..<runEnd).last(where: { isNewline(s[$0]) }) {
                pieces.append(i..<lastNewline + 1); i = lastNewline + 1; continue
            }
            if runEnd < end && runEnd - i > 1 {
                pieces.append(i..<runEnd - 1); i = runEnd - 1
            } else {
                pieces.append(i..<runEnd); i = runEnd
            }
        }
    }
}
