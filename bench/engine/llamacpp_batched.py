#!/usr/bin/env python3
"""llama.cpp's batched decoding through PyPI llama-cpp-python's low-level API, like its
llama-batched-bench: N sequences of --prompt-tokens random tokens are prefilled, then decode
--gen-tokens greedy tokens together, one llama_decode per step with one token per sequence.
Prints one JSON line with the aggregate decode tokens/s, with flash attention off and on (the
peer's best is the larger)."""
import argparse
import ctypes
import json
import random
import time

import llama_cpp as L
import numpy as np


def run(model, args, flash: bool) -> float:
    n, prompt, gen = args.parallel, args.prompt_tokens, args.gen_tokens
    params = L.llama_context_default_params()
    params.n_ctx = n * (prompt + gen) + 16
    params.n_batch = max(n * prompt, n)
    params.n_ubatch = 512
    params.n_seq_max = n
    params.n_threads = args.threads
    params.n_threads_batch = args.threads
    params.flash_attn_type = 1 if flash else 0
    ctx = L.llama_init_from_model(model, params)
    if not ctx:
        raise SystemExit("llama_init_from_model failed")
    vocab = L.llama_model_get_vocab(model)
    n_vocab = L.llama_vocab_n_tokens(vocab)
    batch = L.llama_batch_init(max(n * prompt, n), 0, n)
    rng = random.Random(42)

    def add(token, pos, seq, logits):
        i = batch.n_tokens
        batch.token[i], batch.pos[i], batch.n_seq_id[i] = token, pos, 1
        batch.seq_id[i][0] = seq
        batch.logits[i] = logits
        batch.n_tokens += 1
        return i

    def greedy(index):
        return int(np.ctypeslib.as_array(L.llama_get_logits_ith(ctx, index), shape=(n_vocab,)).argmax())

    batch.n_tokens = 0
    last = [add(rng.randrange(n_vocab), p, s, p == prompt - 1) for s in range(n) for p in range(prompt)]
    if L.llama_decode(ctx, batch) != 0:
        raise SystemExit("prefill failed")
    rows = [last[s * prompt + prompt - 1] for s in range(n)]
    tokens = [greedy(i) for i in rows]
    start = time.perf_counter()
    for step in range(gen):
        batch.n_tokens = 0
        rows = [add(tokens[s], prompt + step, s, True) for s in range(n)]
        if L.llama_decode(ctx, batch) != 0:
            raise SystemExit(f"decode step {step} failed")
        tokens = [greedy(i) for i in rows]
    seconds = time.perf_counter() - start
    L.llama_batch_free(batch)
    L.llama_free(ctx)
    return n * gen / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model")
    parser.add_argument("--parallel", type=int, default=16)
    parser.add_argument("--prompt-tokens", type=int, default=128)
    parser.add_argument("--gen-tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    L.llama_backend_init()
    global _quiet
    _quiet = L.llama_log_callback(lambda level, text, data: None)
    L.llama_log_set(_quiet, ctypes.c_void_p())
    model = L.llama_model_load_from_file(args.model.encode(), L.llama_model_default_params())
    if not model:
        raise SystemExit(f"cannot load {args.model}")
    plain, flash = run(model, args, False), run(model, args, True)
    print(json.dumps({
        "parallel": args.parallel, "threads": args.threads,
        "decode_tokens_per_second": plain, "decode_tokens_per_second_flash_attention": flash,
        "best_decode_tokens_per_second": max(plain, flash),
    }))


if __name__ == "__main__":
    main()
