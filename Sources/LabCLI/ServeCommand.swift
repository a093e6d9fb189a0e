import ArgumentParser
import Foundation
import LabCore
import LabLLM
import LabTokenizer
import LabServer

/// `synthlab serve`: the local model behind an OpenAI-compatible HTTP API.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a GGUF model over the OpenAI-compatible API (chat, completions, streaming).",
        discussion: """
            One loaded model can then feed many runs and clients: `synthlab generate --endpoint`, \
            the official openai clients, or anything else that speaks the API. Concurrent requests \
            are decoded together. Routes: GET /health (200 once ready; never needs a key), \
            GET /v1/models, POST /v1/chat/completions and POST /v1/completions (both with \
            "stream": true as server-sent events).

            The server binds 127.0.0.1 unless --host says otherwise. With --api-key-env VAR (or \
            --api-key), every /v1 request needs "Authorization: Bearer <key>". Ctrl-C or SIGTERM \
            stops it after the requests in flight finish.

            Examples:
              synthlab serve
              synthlab serve --model ~/models/other.gguf --port 8080
              SYNTHLAB_API_KEY=secret synthlab serve --api-key-env SYNTHLAB_API_KEY --host 0.0.0.0
              synthlab serve --port 0        # a free port, printed on the first line
            """
    )

    @Option(help: ArgumentHelp("The GGUF model (default: the one `synthlab model pull` installs).", valueName: "gguf"))
    var model: String?
    @Option(name: .customLong("chat-template"), help: ArgumentHelp(
        "A chat format for a model whose file has none, or to override its own: \(ChatTemplate.names.joined(separator: ", ")).",
        valueName: "name"))
    var chatTemplate: String?
    @Option(help: "The address to listen on; 0.0.0.0 makes the server reachable from other machines.") var host = "127.0.0.1"
    @Option(help: "The port to listen on (0: any free port).") var port = 8000
    @Option(name: .customLong("api-key"), help: "Require this bearer token (visible to other users in `ps`; prefer --api-key-env).")
    var apiKey: String?
    @Option(name: .customLong("api-key-env"), help: ArgumentHelp("Require the bearer token held in this environment variable.", valueName: "var"))
    var apiKeyVariable: String?
    @Option(name: .customLong("model-name"), help: "The model id clients see (default: the file name without .gguf).") var modelName: String?
    @Option(name: .customLong("max-body-bytes"), help: "Refuse request bodies larger than this (413).") var maxBodyBytes = 1 << 20
    @Option(name: .customLong("max-tokens-limit"), help: "The largest max_tokens a request may ask for.") var maxTokensLimit = 2048
    @Option(name: .customLong("max-batch"), help: "Sequences decoded together at most.") var maxBatch = 16
    @Option(help: "Threads for the model's kernels (default: every core).") var threads: Int?

    func validate() throws {
        if !(0...65_535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
        if apiKey != nil && apiKeyVariable != nil { throw ValidationError("give --api-key or --api-key-env, not both") }
        if maxBodyBytes < 1_024 { throw ValidationError("--max-body-bytes must be at least 1024") }
        if maxTokensLimit < 1 { throw ValidationError("--max-tokens-limit must be at least 1") }
        if maxBatch < 1 { throw ValidationError("--max-batch must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() async throws {
        var key = apiKey
        if let apiKeyVariable {
            guard let value = ProcessInfo.processInfo.environment[apiKeyVariable], !value.isEmpty else {
                throw CLIError("$\(apiKeyVariable) is not set", hint: "export it with the key clients must send, or drop --api-key-env")
            }
            key = value
        }
        let url = model.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath) } ?? SynthlabHome().defaultModel
        let name = modelName ?? url.deletingPathExtension().lastPathComponent
        let teacher = try TeacherLoading.load(model, threads: threads, identity: name, chatTemplate: chatTemplate,
                                              configuration: .init(maxBatchSize: maxBatch))
        let server = OpenAIServer(teacher: teacher, configuration: .init(
            host: host, port: port, apiKey: key, modelName: name, maxBodyBytes: maxBodyBytes, maxTokensLimit: maxTokensLimit))
        let host = host
        let secured = key != nil
        do {
            try await server.run { port in
                // The first line on stdout is the API root, for scripts that start a server on port 0.
                StandardOutput.write("http://\(host):\(port)/v1\n")
                StandardError.write("serving \(name) (context \(teacher.contextLength) tokens)"
                                    + (secured ? ", bearer token required" : "") + "; Ctrl-C stops\n")
            }
        } catch {
            throw CLIError("the server stopped: \(error)", hint: "is port \(port) already in use? pick another with --port (0: any free one)")
        }
    }
}
