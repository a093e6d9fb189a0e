#!/usr/bin/env bash
# A checkpoint synthlab's trainer writes runs in llama.cpp with the same greedy output as in
# synthlab's engine:
#   1. `synthlab train` a few steps on a small JSONL (both phases) from the default model;
#   2. greedy continuations of a few prompts from phase2.gguf in llama.cpp (PyPI llama-cpp-python)
#      and in `synthlab serve` (/v1/completions, raw prompt, temperature 0);
#   3. "same greedy output: yes" only if every continuation is identical.
#
#   bench/checkpoint-compat/run.sh [MODEL.gguf]        PRECISION=f32|f16|q8_0 (default f32)
#
# Needs: a release build (`make release`) and `pip install llama-cpp-python` in $PYTHON.
set -euo pipefail
cd "$(dirname "$0")/../.."

MODEL="${1:-${HOME}/.cache/synthlab/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
PYTHON="${PYTHON:-python3}"
SYNTHLAB="${SYNTHLAB:-.build/release/synthlab}"
PRECISION="${PRECISION:-f32}"
[[ -x "$SYNTHLAB" ]] || { echo "run.sh: $SYNTHLAB is missing; run 'make release' first" >&2; exit 1; }
[[ -f "$MODEL" ]] || { echo "run.sh: $MODEL is missing; run 'synthlab model pull' first" >&2; exit 1; }
"$PYTHON" -c "import llama_cpp" 2>/dev/null || { echo "run.sh: pip install llama-cpp-python (into $PYTHON)" >&2; exit 1; }

WORK="$(mktemp -d)"
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

"$PYTHON" - "$WORK/train.jsonl" <<'PY'
import json, sys
rows = []
facts = [("What does EBITDA stand for?", "EBITDA stands for earnings before interest, taxes, depreciation and amortization."),
         ("What is a Form 10-K?", "A Form 10-K is the annual report a US public company files with the SEC."),
         ("What is free cash flow?", "Free cash flow is operating cash flow minus capital expenditures."),
         ("What is a dividend?", "A dividend is a payment a company makes to its shareholders out of its profits.")]
for i, (q, a) in enumerate(facts):
    rows.append({"id": f"k{i}", "messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}],
                 "metadata": json.dumps({"leaf": "knowledge/finance"}), "unmask": True})
    rows.append({"id": f"s{i}", "messages": [{"role": "user", "content": "Explain simply: " + q}, {"role": "assistant", "content": a}],
                 "metadata": json.dumps({"leaf": "skills/explain"}), "unmask": False})
open(sys.argv[1], "w").write("".join(json.dumps(r) + "\n" for r in rows))
PY

echo "== training 2 steps per phase from $(basename "$MODEL") (precision $PRECISION)"
"$SYNTHLAB" train --db "$WORK/train.sqlite" --jsonl "$WORK/train.jsonl" --base "$MODEL" --held-out 0 --max-steps 2 \
    --batch-size 4 --lr 1e-4 --precision "$PRECISION" -o "$WORK/out" --json >"$WORK/train.json" 2>"$WORK/train.err" \
    || { echo "FAIL synthlab train: $(tail -3 "$WORK/train.err")"; exit 1; }
CHECKPOINT="$WORK/out/phase2.gguf"
echo "ok   wrote $(basename "$CHECKPOINT") ($(du -h "$CHECKPOINT" | cut -f1))"

"$SYNTHLAB" serve --model "$CHECKPOINT" --port 0 --threads 2 >"$WORK/serve.out" 2>"$WORK/serve.err" &
PIDS+=($!)
for _ in $(seq 240); do [[ -s "$WORK/serve.out" ]] && break; sleep 0.5; done
OURS="$(head -1 "$WORK/serve.out")"
[[ -n "$OURS" ]] || { echo "FAIL synthlab serve did not start: $(tail -3 "$WORK/serve.err")"; exit 1; }

"$PYTHON" - "$CHECKPOINT" "$OURS" <<'PY'
import json, sys, urllib.request
import llama_cpp
checkpoint, ours = sys.argv[1], sys.argv[2]
prompts = ["<|im_start|>user\nWhat does EBITDA stand for?<|im_end|>\n<|im_start|>assistant\n",
           "The river rose in the spring and",
           "<|im_start|>user\nWhat is a dividend?<|im_end|>\n<|im_start|>assistant\n"]
llm = llama_cpp.Llama(model_path=checkpoint, n_ctx=512, n_threads=2, verbose=False)
same = True
for prompt in prompts:
    theirs = llm.create_completion(prompt=prompt, max_tokens=24, temperature=0.0)["choices"][0]["text"]
    body = json.dumps({"model": "m", "prompt": prompt, "max_tokens": 24, "temperature": 0}).encode()
    request = urllib.request.Request(ours + "/completions", data=body, headers={"Content-Type": "application/json"})
    mine = json.load(urllib.request.urlopen(request, timeout=300))["choices"][0]["text"]
    ok = mine == theirs
    same &= ok
    print(("ok  " if ok else "DIFF") + f" {prompt[-40:]!r}\n     llama.cpp: {theirs!r}\n     synthlab:  {mine!r}")
print("same greedy output: " + ("yes" if same else "NO"))
sys.exit(0 if same else 1)
PY
