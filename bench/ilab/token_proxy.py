#!/usr/bin/env python3
"""A token-counting HTTP proxy in front of an OpenAI-compatible server (stdlib only).

Both generators under test talk to the teacher through one of these, so their requests and tokens
are counted the same way: it forwards every request unchanged, sums `usage.prompt_tokens` and
`usage.completion_tokens` from the JSON (or server-sent event) replies, counts the completion
requests, and measures the time at least one request was in flight (the teacher was busy). The
totals are rewritten to --totals after every request and once more on SIGTERM/SIGINT.

    token_proxy.py --upstream http://127.0.0.1:8000 --port-file PORT --totals totals.json
"""
import argparse
import http.client
import http.server
import json
import os
import signal
import sys
import threading
import time
import urllib.parse

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
              "content-length"}


class Totals:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.requests = 0          # POSTs to a completions route
        self.other_requests = 0    # everything else (/v1/models, ...)
        self.errors = 0            # completion requests answered with a status >= 400 or not at all
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.missing_usage = 0     # completion replies without a usage object
        self.in_flight = 0
        self.busy_since = 0.0
        self.busy_seconds = 0.0
        self.first_start = None
        self.last_end = None

    def begin(self):
        with self.lock:
            now = time.monotonic()
            if self.in_flight == 0:
                self.busy_since = now
            if self.first_start is None:
                self.first_start = now
            self.in_flight += 1

    def end(self, completion, status, usage):
        with self.lock:
            now = time.monotonic()
            self.in_flight -= 1
            if self.in_flight == 0:
                self.busy_seconds += now - self.busy_since
            self.last_end = now
            if completion:
                self.requests += 1
                if status is None or status >= 400:
                    self.errors += 1
                elif usage is None:
                    self.missing_usage += 1
                else:
                    self.prompt_tokens += int(usage.get("prompt_tokens") or 0)
                    self.completion_tokens += int(usage.get("completion_tokens") or 0)
            else:
                self.other_requests += 1
        self.write()

    def write(self):
        with self.lock:
            busy = self.busy_seconds + (time.monotonic() - self.busy_since if self.in_flight else 0.0)
            data = {
                "requests": self.requests, "other_requests": self.other_requests, "errors": self.errors,
                "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "missing_usage": self.missing_usage, "busy_seconds": round(busy, 4),
                "span_seconds": round((self.last_end or 0) - (self.first_start or 0), 4) if self.first_start else 0.0,
            }
            tmp = self.path + ".tmp"
            with open(tmp, "w") as f:
                json.dump(data, f)
            os.replace(tmp, self.path)


def usage_of(body, content_type):
    """The usage object of a reply: the JSON body's, or the last one an event stream carried."""
    text = body.decode("utf-8", errors="replace")
    if "text/event-stream" in content_type:
        usage = None
        for line in text.splitlines():
            if line.startswith("data:") and line[5:].strip() not in ("", "[DONE]"):
                try:
                    chunk = json.loads(line[5:])
                except ValueError:
                    continue
                if isinstance(chunk, dict) and chunk.get("usage"):
                    usage = chunk["usage"]
        return usage
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data.get("usage") if isinstance(data, dict) else None


def make_handler(upstream, totals):
    host, port = upstream.hostname, upstream.port or 80
    prefix = upstream.path.rstrip("/")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            completion = self.command == "POST" and self.path.rstrip("/").endswith("completions")
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP and k.lower() != "host"}
            totals.begin()
            status, usage = None, None
            try:
                connection = http.client.HTTPConnection(host, port, timeout=900)
                connection.request(self.command, prefix + self.path, body=body, headers=headers)
                reply = connection.getresponse()
                data = reply.read()
                status = reply.status
                if completion and status < 400:
                    usage = usage_of(data, reply.getheader("Content-Type") or "")
                self.send_response(reply.status, reply.reason)
                for k, v in reply.getheaders():
                    if k.lower() not in HOP_BY_HOP:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                connection.close()
            except (OSError, http.client.HTTPException) as error:
                try:
                    message = json.dumps({"error": {"message": f"token_proxy: upstream failed: {error}"}}).encode()
                    self.send_response(502)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(message)))
                    self.end_headers()
                    self.wfile.write(message)
                except OSError:
                    pass
            finally:
                totals.end(completion, status, usage)

        do_GET = do_POST = do_PUT = do_DELETE = forward

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="the server's root, e.g. http://127.0.0.1:8000")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free one)")
    parser.add_argument("--port-file", help="write the port listened on here once ready")
    parser.add_argument("--totals", required=True, help="JSON file for the running totals")
    args = parser.parse_args()

    totals = Totals(args.totals)
    totals.write()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(urllib.parse.urlsplit(args.upstream), totals))
    server.daemon_threads = True

    def stop(signum, frame):
        totals.write()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(server.server_address[1]))
        os.replace(tmp, args.port_file)
    try:
        server.serve_forever()
    finally:
        totals.write()


if __name__ == "__main__":
    main()
