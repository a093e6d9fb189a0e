import Foundation
import LabCore
import LabGGUF
import LabLLM
import LabTokenizer

/// Loads a GGUF model as a local teacher for a command, turning every way that can fail into a
/// `CLIError` that says what to do.
enum TeacherLoading {
    /// - Parameters:
    ///   - path: the `--model` value, or nil for the model `synthlab model pull` installs.
    ///   - identity: what identifies the teacher in caches; nil hashes the whole file (needed
    ///     wherever answers are cached, not for a chat).
    ///   - chatTemplate: a `--chat-template` name, for a model whose file has no template (or one
    ///     to override); nil uses the file's own.
    static func load(_ path: String?, threads: Int?, identity: String? = nil, chatTemplate: String? = nil,
                     configuration: BatchScheduler.Configuration = .init()) throws -> LocalTeacher {
        let url = path.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath) } ?? SynthlabHome().defaultModel
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw path == nil
                ? CLIError("the default model is not installed at \(url.path)", hint: "run `synthlab model pull` (or pass --model FILE.gguf)")
                : CLIError("no model file at \(url.path)", hint: "check the path given to --model")
        }
        do {
            let template = try chatTemplate.map { try ChatTemplate(named: $0) }
            return try LocalTeacher(modelAt: url, threads: threads, template: template,
                                    identity: identity.map { base in chatTemplate.map { "\(base)+\($0)" } ?? base }, configuration: configuration)
        } catch let error as GGUFError {
            throw CLIError(error.description)
        } catch let error as ModelError {
            throw CLIError(error.description)
        } catch let error as TokenizerError {
            throw CLIError(error.message, hint: error.hint)
        }
    }
}
