#!/usr/bin/env python3
"""llama.cpp's side of bench/engine: prompt processing and single-stream decode speed through
PyPI llama-cpp-python on a GGUF file, printed as one JSON line (same fields as
`synthlab model bench --json`)."""
import argparse
import json
import random
import time

from llama_cpp import Llama


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model")
    parser.add_argument("--prompt-tokens", type=int, default=512)
    parser.add_argument("--gen-tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    n_ctx = max(args.prompt_tokens, args.gen_tokens + 1) + 16
    llm = Llama(
        model_path=args.model, n_ctx=n_ctx, n_batch=args.prompt_tokens, n_ubatch=args.prompt_tokens,
        n_threads=args.threads, n_threads_batch=args.threads, logits_all=False, verbose=False,
    )
    rng = random.Random(42)
    prompt = [rng.randrange(llm.n_vocab()) for _ in range(args.prompt_tokens)]

    llm.eval(prompt[:16])  # warm-up: page the weights in
    llm.reset()

    start = time.perf_counter()
    llm.eval(prompt)
    prompt_seconds = time.perf_counter() - start
    llm.reset()

    # Decode: one token per step from an empty cache, greedy on the returned logits.
    token = prompt[0]
    start = time.perf_counter()
    for _ in range(args.gen_tokens):
        llm.eval([token])
        logits = llm.scores[llm.n_tokens - 1]
        token = int(logits.argmax())
    decode_seconds = time.perf_counter() - start

    print(json.dumps({
        "threads": args.threads,
        "prompt_tokens": args.prompt_tokens,
        "prompt_tokens_per_second": args.prompt_tokens / prompt_seconds,
        "gen_tokens": args.gen_tokens,
        "gen_tokens_per_second": args.gen_tokens / decode_seconds,
    }))


if __name__ == "__main__":
    main()
