import Foundation
import LabCore
import LabGGUF
import LabTestSupport
@testable import LabTokenizer
import Testing

/// llama.cpp's own tokenizer test vectors: `models/ggml-vocab-<name>.gguf` (a vocabulary-only
/// GGUF) with `.inp` (test texts, each followed by a `__ggml_vocab_test__` line) and `.out` (the
/// expected ids, one line per text, space-separated), as read by llama.cpp's
/// `tests/test-tokenizer-0.cpp`. They come from the `vendor/llama.cpp` tree of the
/// llama-cpp-python sdist that `scripts/fetch-llama-cpp-vendor.sh` caches; nothing is committed.
enum LlamaCppVocabularies {
    /// The vocabularies llama.cpp's `tests/CMakeLists.txt` runs `test-tokenizer-0` on.
    static let names = [
        "bert-bge", "command-r", "deepseek-coder", "deepseek-llm", "falcon", "gemma-4", "gpt-2", "llama-bpe",
        "llama-spm", "mpt", "phi-3", "qwen2", "qwen35", "refact", "starcoder",
    ]

    /// `<SYNTHLAB_HOME or ~/.cache/synthlab>/llama-cpp-python-0.3.36/…/vendor/llama.cpp/models`,
    /// the directory the fetch script unpacks.
    static var modelsDirectory: URL {
        SynthlabHome().root
            .appendingPathComponent("llama-cpp-python-0.3.36/llama_cpp_python-0.3.36/vendor/llama.cpp/models", isDirectory: true)
    }

    /// One test text and the ids llama.cpp gives it (add_special = false, parse_special = false).
    struct Case {
        var text: String
        var ids: [Int32]
    }

    static func url(_ name: String, _ suffix: String = "") throws -> URL {
        let url = modelsDirectory.appendingPathComponent("ggml-vocab-\(name).gguf\(suffix)")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw MissingFixture(description: """
                \(url.path) is missing: run `scripts/fetch-llama-cpp-vendor.sh` (or `make test-deps`) to fetch \
                llama.cpp's tokenizer test vectors from the llama-cpp-python sdist on PyPI
                """)
        }
        return url
    }

    /// The cases of one vocabulary, split as `read_tests` in llama.cpp's test-tokenizer-0.cpp does:
    /// texts separated by "\n__ggml_vocab_test__\n" (a non-empty remainder after the last one is a
    /// case too), one `.out` line per text.
    static func cases(_ name: String) throws -> [Case] {
        let input = try [UInt8](Data(contentsOf: url(name, ".inp")))
        let output = try String(decoding: Data(contentsOf: url(name, ".out")), as: UTF8.self)
        let separator = Array("\n__ggml_vocab_test__\n".utf8)
        var texts: [String] = []
        var start = 0
        var position = 0
        while position + separator.count <= input.count {
            if input[position..<(position + separator.count)].elementsEqual(separator) {
                texts.append(String(decoding: input[start..<position], as: UTF8.self))
                position += separator.count
                start = position
            } else {
                position += 1
            }
        }
        if start < input.count { texts.append(String(decoding: input[start...], as: UTF8.self)) }
        var lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard lines.count == texts.count else {
            throw MissingFixture(description: "ggml-vocab-\(name).gguf: \(texts.count) texts in .inp but \(lines.count) lines in .out")
        }
        return try zip(texts, lines).enumerated().map { index, pair in
            let ids = try pair.1.split(separator: " ").map { field in
                guard let id = Int32(field) else {
                    throw MissingFixture(description: "ggml-vocab-\(name).gguf.out line \(index + 1): '\(field)' is not a token id")
                }
                return id
            }
            return Case(text: pair.0, ids: ids)
        }
    }

    static func tokenizer(_ name: String) throws -> Tokenizer {
        try Tokenizer(TokenizerVocabulary(gguf: GGUFFile(url: url(name))))
    }
}

@Suite struct LlamaCppVocabularyTests {
    @Test func theVendoredTestSetIsTheFifteenVocabulariesThisSuiteNames() throws {
        let directory = LlamaCppVocabularies.modelsDirectory
        _ = try LlamaCppVocabularies.url("gpt-2", ".inp")
        let found = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasPrefix("ggml-vocab-") && $0.hasSuffix(".gguf.inp") }
            .map { String($0.dropFirst("ggml-vocab-".count).dropLast(".gguf.inp".count)) }
        #expect(found.sorted() == LlamaCppVocabularies.names.sorted())
    }

    /// Every case of `test-tokenizer-0 ggml-vocab-<name>.gguf`: no BOS/EOS, special tokens not parsed.
    @Test(arguments: LlamaCppVocabularies.names)
    func everyTestTextGivesLlamaCppsIds(vocabulary name: String) throws {
        let cases = try LlamaCppVocabularies.cases(name)
        #expect(cases.count >= 45, "ggml-vocab-\(name).gguf has only \(cases.count) cases")
        let tokenizer = try LlamaCppVocabularies.tokenizer(name)
        var failures: [String] = []
        for (index, reference) in cases.enumerated() {
            let ids = tokenizer.encode(reference.text, addSpecial: false, parseSpecial: false)
            guard ids != reference.ids else { continue }
            func show(_ ids: [Int32]) -> String {
                ids.map { "\($0) \((tokenizer.tokenText(of: $0) ?? "?").debugDescription)" }.joined(separator: ", ")
            }
            failures.append("""
                case \(index + 1) \(reference.text.debugDescription)
                  expected: \(show(reference.ids))
                  got:      \(show(ids))
                """)
        }
        #expect(failures.isEmpty, "ggml-vocab-\(name).gguf: \(failures.count) of \(cases.count) cases differ from llama.cpp\n\(failures.prefix(8).joined(separator: "\n"))")
    }
}
