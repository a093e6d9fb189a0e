import ArgumentParser
import Foundation
import LabCore
import LabGGUF
import LabLLM
import LabOpenAI
import LabTokenizer
#if canImport(Glibc)
import Glibc
#endif

/// `synthlab chat`: talk to a GGUF model in the terminal, or get one reply for a script.
struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Chat with a model: one reply with --prompt, else an interactive conversation.",
        discussion: """
            The reply is streamed to standard output as it is generated; everything else (the \
            interactive prompt, notes) goes to standard error. Without --prompt, each line read from \
            standard input is a user turn and the conversation is kept; /reset forgets it, /exit or \
            end of input quits. Decoding is greedy unless --temperature is above 0; a fixed --seed \
            makes sampled replies repeatable.

            Examples:
              synthlab chat --prompt "What is a Form 10-K?"
              synthlab chat --system "Answer in one sentence." --prompt "Define EBITDA."
              synthlab chat --temperature 0.7 --top-p 0.9 --seed 42 --prompt "Name three ratios."
              synthlab chat --model ~/models/other.gguf
              synthlab chat --prompt "Define free cash flow." --json
              synthlab chat --endpoint http://127.0.0.1:8000/v1 --prompt "What is a 10-Q?"
              OPENAI_API_KEY=... synthlab chat --endpoint https://api.example.com/v1 --api-model big-model
            """
    )

    @Option(help: "The GGUF model (default: the one `synthlab model pull` installs).")
    var model: String?

    @Option(name: .customLong("chat-template"), help: ArgumentHelp(
        "A chat format for a model whose file has none, or to override its own: \(ChatTemplate.names.joined(separator: ", ")).",
        valueName: "name"))
    var chatTemplate: String?

    @Option(help: "Ask this one question, print the reply and exit.")
    var prompt: String?

    @Option(help: "A system message sent before the conversation.")
    var system: String?

    @OptionGroup var sampling: SamplingOptions

    @OptionGroup(title: "Remote teacher") var remote: EndpointOptions

    @Option(help: "Threads for the model's kernels (default: every core).")
    var threads: Int?

    @Flag(help: "With --prompt: print the reply and its accounting as one JSON object instead of streaming text.")
    var json = false

    func validate() throws {
        if json && prompt == nil { throw ValidationError("--json needs --prompt") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if remote.endpoint != nil && model != nil { throw ValidationError("--model and --endpoint name two teachers; give one") }
    }

    func run() async throws {
        let teacher: any StreamingTextGenerator = remote.endpoint != nil ? try await remote.makeTeacher() : try loadTeacher()
        let session = ChatSession(teacher: teacher, systemPrompt: system, parameters: sampling.parameters)
        if let prompt {
            try await answerOnce(prompt, session: session)
        } else {
            try await converse(session)
        }
    }

    /// The model at --model (or the default one), as a local teacher; errors become hints.
    private func loadTeacher() throws -> LocalTeacher {
        let name = model.map { URL(fileURLWithPath: $0).lastPathComponent } ?? SynthlabHome().defaultModel.lastPathComponent
        // The identity (a hash of the whole file) is only needed by caches, not by a chat.
        return try TeacherLoading.load(model, threads: threads, identity: name, chatTemplate: chatTemplate)
    }

    private func answerOnce(_ prompt: String, session: ChatSession) async throws {
        let reply: ChatSession.Reply
        let json = json
        do {
            if json {
                reply = try await session.send(prompt, onText: nil)
            } else {
                reply = try await session.send(prompt) { piece in StandardOutput.write(piece) }
            }
        } catch let error as ModelError {
            throw CLIError(error.description)
        } catch let error as TokenizerError {
            throw CLIError(error.message, hint: error.hint)
        } catch let error as OpenAIError {
            throw CLIError(error.description)
        }
        if json {
            let object = ChatJSONReply(
                text: reply.completion.text, finishReason: reply.completion.finishReason.rawValue, promptTokens: reply.promptTokens,
                completionTokens: reply.completion.completionTokens
            )
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            StandardOutput.write(String(decoding: try encoder.encode(object), as: UTF8.self) + "\n")
        } else {
            StandardOutput.write("\n")
            noteIfCut(reply)
        }
    }

    private func converse(_ session: ChatSession) async throws {
        let interactive = isatty(STDIN_FILENO) != 0
        if interactive { StandardError.write("Type a message; /reset forgets the conversation, /exit or Ctrl-D quits.\n") }
        while true {
            if interactive { StandardError.write("> ") }
            guard let line = readLine() else { break }
            let text = line.trimmingCharacters(in: .whitespaces)
            switch text {
            case "": continue
            case "/exit": return
            case "/reset":
                session.reset()
                StandardError.write("(conversation forgotten)\n")
                continue
            default: break
            }
            do {
                let reply = try await session.send(text) { StandardOutput.write($0) }
                StandardOutput.write("\n")
                noteIfCut(reply)
            } catch let error as ModelError {
                // One failed turn (e.g. the conversation outgrew the context) doesn't end the chat.
                StandardOutput.write("\n")
                StandardError.write("error: \(error.description)\n  hint: /reset starts a new conversation\n")
            } catch let error as OpenAIError where !error.stopsRun {
                // A timeout or a server error fails this turn only.
                StandardOutput.write("\n")
                StandardError.write("error: \(error.description)\n")
            } catch let error as OpenAIError {
                throw CLIError(error.description)
            } catch let error as TokenizerError {
                throw CLIError(error.message, hint: error.hint)
            }
        }
    }

    private func noteIfCut(_ reply: ChatSession.Reply) {
        if reply.completion.finishReason == .length {
            StandardError.write("(reply cut at \(reply.completion.completionTokens) tokens: raise --max-tokens for longer replies)\n")
        }
    }
}

/// `chat --json` output.
private struct ChatJSONReply: Encodable {
    var text: String
    var finishReason: String
    var promptTokens: Int
    var completionTokens: Int

    enum CodingKeys: String, CodingKey {
        case text
        case finishReason = "finish_reason"
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
    }
}

/// Writes to standard output immediately (streamed replies must not sit in a buffer).
enum StandardOutput {
    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
