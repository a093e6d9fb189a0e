import ArgumentParser
import Foundation
import LabCore
import LabGGUF
import LabTokenizer

struct ModelTokenizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of a text as a JSON array.",
        discussion: """
            Uses the tokenizer stored in the GGUF file, exactly as llama.cpp does: control tokens \
            such as <|im_start|> written in the text are recognised unless --no-special is given, \
            and BOS (and EOS, or BERT's [CLS] … [SEP]) is added when the model asks for it unless \
            --no-bos is given. --no-bos --no-special is llama.cpp's add_special=false, \
            parse_special=false, the setting of its tokenizer tests (test-tokenizer-0).

            Examples:
              synthlab model tokenize model.gguf "Net income rose 12% in 2024."
              synthlab model tokenize model.gguf "<|im_start|>user" --no-special
              synthlab model tokenize model.gguf " continued text" --no-bos
              synthlab model tokenize bert.gguf "Hello world" --no-bos --no-special
              synthlab model tokenize model.gguf "What is EBITDA?" --show-pieces
              synthlab model tokenize model.gguf -- "-0.0001"      # text starting with -
            """
    )

    @Argument(help: "The GGUF file.")
    var model: String

    @Argument(help: "The text to tokenize.")
    var text: String

    @Flag(name: .customLong("no-special"), help: "Treat control-token text as plain text.")
    var noSpecial = false

    @Flag(name: .customLong("no-bos"), help: "Add no BOS or EOS (nor [CLS]/[SEP]) around the text.")
    var noBOS = false

    @Flag(help: "Also print each token's id and text, one per line, on standard error.")
    var showPieces = false

    func run() async throws {
        let tokenizer = try loadTokenizer(URL(fileURLWithPath: model))
        let ids = tokenizer.encode(text, addSpecial: !noBOS, parseSpecial: !noSpecial)
        print("[" + ids.map(String.init).joined(separator: ", ") + "]")
        if showPieces {
            for id in ids {
                let piece = String(decoding: tokenizer.bytes(of: id), as: UTF8.self)
                StandardError.write("\(id)\t\(piece.debugDescription)\n")
            }
        }
    }
}

/// Opens a GGUF file and builds its tokenizer, turning both modules' errors into CLI errors.
func loadTokenizer(_ url: URL) throws -> Tokenizer {
    do {
        let file = try GGUFFile(url: url)
        return try Tokenizer(TokenizerVocabulary(gguf: file))
    } catch let error as GGUFError {
        throw CLIError(error.description)
    } catch let error as TokenizerError {
        throw CLIError("\(error.path ?? url.path): \(error.message)", hint: error.hint)
    }
}
