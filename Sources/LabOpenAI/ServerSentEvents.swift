/// Splits a `text/event-stream` body into the `data` payloads of its events, as bytes arrive.
///
/// Only what the OpenAI streaming API uses is kept: `data:` lines (several in one event are
/// joined by a newline); comments (`:`), `event:`, `id:` and `retry:` lines are skipped.
struct ServerSentEventParser {
    private var buffer: [UInt8] = []
    private var data: [String] = []

    /// The payloads of the events completed by `bytes`.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [String] {
        buffer.append(contentsOf: bytes)
        var events: [String] = []
        var lineStart = 0
        var index = 0
        while index < buffer.count {
            let byte = buffer[index]
            guard byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") else {
                index += 1
                continue
            }
            // A CR immediately followed by LF is one line end; wait for more bytes if it may be.
            if byte == UInt8(ascii: "\r"), index + 1 == buffer.count { break }
            let line = String(decoding: buffer[lineStart..<index], as: UTF8.self)
            index += (byte == UInt8(ascii: "\r") && buffer[index + 1] == UInt8(ascii: "\n")) ? 2 : 1
            lineStart = index
            if line.isEmpty {
                if !data.isEmpty { events.append(data.joined(separator: "\n")) }
                data.removeAll()
            } else if line.hasPrefix("data:") {
                var payload = line.dropFirst(5)
                if payload.first == " " { payload = payload.dropFirst() }
                data.append(String(payload))
            }
        }
        buffer.removeFirst(lineStart)
        return events
    }

    /// The last event, when the stream ended without the blank line that closes it.
    mutating func finish() -> String? {
        let rest = feed([UInt8(ascii: "\n"), UInt8(ascii: "\n")])
        return rest.last
    }
}
