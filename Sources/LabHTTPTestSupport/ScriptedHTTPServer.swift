import Foundation
public import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 server on 127.0.0.1 whose every answer is chosen by a script, including
/// the ways real servers fail: slow answers, connections reset mid-request, bodies cut short,
/// broken JSON, streams that stop. Client tests and the client benchmark run against it.
public final class ScriptedHTTPServer: @unchecked Sendable {
    /// A request as the server received it.
    public struct Received: Sendable {
        public var method: String
        public var path: String
        public var headers: [String: String]
        public var body: String

        /// The header's value (names are case-insensitive).
        public func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }
    }

    /// What the server does with a request.
    public enum Reply: Sendable {
        /// A whole response after `delay` seconds.
        case respond(status: Int = 200, headers: [String: String] = ["Content-Type": "application/json"], body: String, delay: Double = 0)
        /// Headers announcing `Content-Length: declaredLength`, then only `body`, then the connection closes.
        case truncated(declaredLength: Int, body: String)
        /// The connection is reset without a response.
        case reset
        /// A `text/event-stream` of `data:` events, `interval` seconds apart; `done` ends with `[DONE]`,
        /// otherwise the connection closes after the last event.
        case events([String], interval: Double = 0, done: Bool = true)
    }

    public typealias Script = @Sendable (_ request: Received, _ number: Int) -> Reply

    private let script: Script
    private let group: MultiThreadedEventLoopGroup
    private var channel: (any Channel)?
    private let lock = NSLock()
    private var received: [Received] = []

    /// The port the server listens on (after `start`).
    public private(set) var port = 0

    /// - Parameter script: the reply to the `number`th request (0-based, in arrival order).
    public init(threads: Int = 1, script: @escaping Script) {
        self.script = script
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

    /// Starts listening on a free port of 127.0.0.1 and returns the API root, `http://127.0.0.1:PORT/v1`.
    @discardableResult
    public func start() async throws -> String {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                    channel.pipeline.addHandler(ScriptedHandler(server: self))
                }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        self.channel = channel
        port = channel.localAddress?.port ?? 0
        return "http://127.0.0.1:\(port)/v1"
    }

    /// Stops listening and closes the event loops.
    public func stop() async {
        try? await channel?.close()
        try? await group.shutdownGracefully()
    }

    /// Every request so far, in arrival order.
    public var requests: [Received] {
        lock.withLock { received }
    }

    fileprivate func reply(to request: Received) -> Reply {
        let number = lock.withLock {
            received.append(request)
            return received.count - 1
        }
        return script(request, number)
    }
}

private final class ScriptedHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: ScriptedHTTPServer
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(server: ScriptedHTTPServer) {
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            guard let head else { return }
            let request = ScriptedHTTPServer.Received(
                method: head.method.rawValue, path: head.uri,
                headers: Dictionary(head.headers.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first }),
                body: String(buffer: body))
            perform(server.reply(to: request), context: context, keepAlive: head.isKeepAlive)
        }
    }

    private func perform(_ reply: ScriptedHTTPServer.Reply, context: ChannelHandlerContext, keepAlive: Bool) {
        let loop = context.eventLoop
        switch reply {
        case .respond(let status, let headers, let text, let delay):
            let send = {
                var head = HTTPResponseHead(version: .http1_1, status: .init(statusCode: status))
                for (name, value) in headers { head.headers.add(name: name, value: value) }
                head.headers.replaceOrAdd(name: "Content-Length", value: String(text.utf8.count))
                if !keepAlive { head.headers.replaceOrAdd(name: "Connection", value: "close") }
                context.write(self.wrapOutboundOut(.head(head)), promise: nil)
                context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
                context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in
                    if !keepAlive { context.close(promise: nil) }
                }
            }
            if delay > 0 {
                loop.scheduleTask(in: .nanoseconds(Int64(delay * 1e9))) { send() }
            } else {
                send()
            }
        case .truncated(let declaredLength, let text):
            var head = HTTPResponseHead(version: .http1_1, status: .ok)
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Content-Length", value: String(declaredLength))
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text))))).whenComplete { _ in
                context.close(promise: nil)
            }
        case .reset:
            // SO_LINGER 0: close sends a TCP reset instead of an orderly shutdown.
            if let provider = context.channel as? any SocketOptionProvider {
                provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in context.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
        case .events(let events, let interval, let done):
            var head = HTTPResponseHead(version: .http1_1, status: .ok)
            head.headers.add(name: "Content-Type", value: "text/event-stream")
            head.headers.add(name: "Transfer-Encoding", value: "chunked")
            context.writeAndFlush(wrapOutboundOut(.head(head)), promise: nil)
            let payloads = events.map { "data: \($0)\n\n" } + (done ? ["data: [DONE]\n\n"] : [])
            for (index, payload) in payloads.enumerated() {
                loop.scheduleTask(in: .nanoseconds(Int64(interval * 1e9 * Double(index)))) {
                    context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: payload)))), promise: nil)
                    guard index == payloads.count - 1 else { return }
                    if done {
                        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
                    } else {
                        context.close(promise: nil)
                    }
                }
            }
        }
    }
}
