import Foundation

/// An OpenAI-compatible chat endpoint on `ScriptedHTTPServer` whose answers are a pure function of
/// the request (the last message, the seed, the choice index), after a fixed latency: a teacher
/// for tests and benchmarks that many workers can share, answering the same prompt the same way
/// whoever asks and in whatever order.
public enum OpenAIStub {
    public typealias Reply = @Sendable (_ prompt: String, _ seed: UInt64, _ index: Int) -> String

    public static func server(latency: Double = 0, threads: Int = 1, reply: @escaping Reply) -> ScriptedHTTPServer {
        ScriptedHTTPServer(threads: threads) { request, _ in
            guard request.path.hasSuffix("/chat/completions"),
                  let body = try? JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any],
                  let messages = body["messages"] as? [[String: Any]], let prompt = messages.last?["content"] as? String else {
                if request.path.hasSuffix("/models") {
                    return .respond(body: #"{"object":"list","data":[{"id":"stub-teacher","object":"model"}]}"#, delay: latency)
                }
                return .respond(status: 400, body: #"{"error":{"message":"the stub answers chat completions only"}}"#)
            }
            let seed = UInt64(truncatingIfNeeded: (body["seed"] as? NSNumber)?.int64Value ?? 0)
            let count = max(1, (body["n"] as? NSNumber)?.intValue ?? 1)
            let choices = (0..<count).map { index -> [String: Any] in
                ["index": index, "message": ["role": "assistant", "content": reply(prompt, seed, index)], "finish_reason": "stop"]
            }
            let response: [String: Any] = [
                "id": "stub", "object": "chat.completion", "model": body["model"] as? String ?? "stub-teacher", "choices": choices,
                "usage": ["prompt_tokens": prompt.utf8.count / 4, "completion_tokens": 12 * count, "total_tokens": prompt.utf8.count / 4 + 12 * count],
            ]
            let data = (try? JSONSerialization.data(withJSONObject: response)) ?? Data()
            return .respond(body: String(decoding: data, as: UTF8.self), delay: latency)
        }
    }
}
