"""Teacher-forced logits and a greedy continuation of one GGUF in llama.cpp and in synthlab.

    python3 compare_llamacpp.py MODEL.gguf SYNTHLAB [--prompt-tokens 24] [--generate 32]

llama.cpp runs through the llama-cpp-python package built from the same pinned sdist
(vendor/llama.cpp, build 0c1e570), which gives every position's logits; synthlab through
`synthlab model logits`. Prints one JSON line: the largest absolute logit difference over the
prompt, the logits' scale, the greedy tokens of both and how many agree.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import llama_cpp

p = argparse.ArgumentParser()
p.add_argument("model")
p.add_argument("synthlab")
p.add_argument("--prompt-tokens", type=int, default=24)
p.add_argument("--generate", type=int, default=32)
p.add_argument("--seed", type=int, default=7)
p.add_argument("--activations", default="float", help="synthlab's activations: float, or int8 as llama.cpp rounds them for block formats")
p.add_argument("--fixture", help="also write llama.cpp's logits at a few positions and its greedy tokens here (JSON)")
args = p.parse_args()

# The K/V cache in float32 (llama.cpp's default is binary16, which alone moves logits by ~1e-3
# relative): then only summation order separates the two engines.
llm = llama_cpp.Llama(model_path=args.model, n_ctx=128, n_batch=128, n_ubatch=128, logits_all=True,
                      n_threads=2, verbose=False, flash_attn=False, type_k=0, type_v=0)
V = llm.n_vocab()
rng = np.random.default_rng(args.seed)
prompt = [int(t) for t in rng.integers(100, min(V, 20000), size=args.prompt_tokens)]

llm.reset()
llm.eval(prompt)
theirs = np.array(llm.scores[: len(prompt)], dtype=np.float32)
greedy_theirs = []
last = theirs[-1]
for _ in range(args.generate):
    token = int(np.argmax(last))
    greedy_theirs.append(token)
    if len(greedy_theirs) == args.generate:
        break
    llm.eval([token])
    last = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)

if args.fixture:
    positions = sorted({0, len(prompt) // 3, 2 * len(prompt) // 3, len(prompt) - 1})
    with open(args.fixture, "w") as f:
        json.dump({"source": f"llama.cpp via llama-cpp-python {llama_cpp.__version__} (vendor/llama.cpp of the pinned sdist), "
                             "written by bench/architectures/compare_llamacpp.py",
                   "prompt": prompt, "positions": positions,
                   "logits": [[round(float(x), 6) for x in theirs[i]] for i in positions],
                   "greedy": greedy_theirs}, f)
        f.write("\n")

with tempfile.TemporaryDirectory() as work:
    out = os.path.join(work, "logits.f32")
    run = subprocess.run([args.synthlab, "model", "logits", args.model, "--tokens", ",".join(map(str, prompt)),
                          "--generate", str(args.generate), "--logits-out", out, "--threads", "2", "--json",
                          "--activations", args.activations],
                         capture_output=True, text=True)
    if run.returncode != 0:
        print(json.dumps({"model": args.model, "error": run.stderr.strip()[-400:]}))
        sys.exit(1)
    ours_json = json.loads(run.stdout)
    ours = np.fromfile(out, dtype=np.float32).reshape(len(prompt), V)

diff = float(np.max(np.abs(ours - theirs)))
scale = float(np.max(np.abs(theirs)))
greedy_ours = ours_json["generated"]
agree = 0
for a, b in zip(greedy_ours, greedy_theirs):
    if a != b:
        break
    agree += 1
print(json.dumps({
    "model": os.path.basename(args.model), "architecture": ours_json["architecture"], "vocabulary": V,
    "max_abs_logit_diff": diff, "max_abs_logit": scale, "greedy_agree": agree, "greedy_total": args.generate,
    "argmax_agree_prompt": int(np.sum(np.argmax(ours, 1) == np.argmax(theirs, 1))), "prompt": len(prompt),
}))
