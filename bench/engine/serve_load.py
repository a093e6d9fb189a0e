#!/usr/bin/env python3
"""Concurrent chat load against an OpenAI-compatible server (synthlab serve or llama-server).

Sends --requests chat completions, --concurrency at a time, each a different short question
answered greedily with max_tokens --max-tokens, and prints one JSON line: aggregate completion
tokens/s over the wall time, p50/p95 request latency, and the tokens counted from `usage`.
Standard library only.

    serve_load.py URL [--requests 32] [--concurrency 8] [--max-tokens 128] [--model NAME]
"""
import argparse, json, statistics, sys, threading, time, urllib.request

TOPICS = ["revenue recognition", "a balance sheet", "working capital", "deferred revenue", "operating margin",
          "free cash flow", "goodwill impairment", "a cash flow statement", "accounts receivable", "inventory turnover",
          "earnings per share", "a 10-K filing", "segment reporting", "lease accounting", "share buybacks", "dividends"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--requests", type=int, default=32)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--model", default="default")
    args = parser.parse_args()

    latencies, tokens, errors = [], [], []
    lock = threading.Lock()
    next_index = [0]

    def worker():
        while True:
            with lock:
                i = next_index[0]
                if i >= args.requests:
                    return
                next_index[0] += 1
            body = json.dumps({
                "model": args.model, "temperature": 0, "max_tokens": args.max_tokens,
                "messages": [{"role": "user", "content": f"Explain {TOPICS[i % len(TOPICS)]} in detail (question {i})."}],
            }).encode()
            request = urllib.request.Request(args.url.rstrip("/") + "/v1/chat/completions", data=body,
                                             headers={"Content-Type": "application/json"})
            start = time.monotonic()
            try:
                with urllib.request.urlopen(request, timeout=600) as response:
                    answer = json.load(response)
                elapsed = time.monotonic() - start
                with lock:
                    latencies.append(elapsed)
                    tokens.append(int(answer["usage"]["completion_tokens"]))
            except Exception as error:  # reported, not hidden: a failed request fails the benchmark
                with lock:
                    errors.append(str(error))

    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    wall = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - wall
    if errors:
        print(json.dumps({"errors": errors[:3], "failed": len(errors)}))
        sys.exit(1)
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(round(0.95 * (len(latencies) - 1))))]
    print(json.dumps({
        "requests": len(latencies), "completion_tokens": sum(tokens), "wall_seconds": round(wall, 3),
        "tokens_per_second": round(sum(tokens) / wall, 2),
        "latency_p50": round(statistics.median(latencies), 3), "latency_p95": round(p95, 3),
    }))


if __name__ == "__main__":
    main()
