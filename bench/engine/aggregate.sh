#!/usr/bin/env bash
# Continuous-batching benchmark: aggregate decode tokens/s of synthlab's batch scheduler (the
# engine behind LocalTeacher) at 1, 8 and 16 concurrent sequences, each a --prompt-tokens random
# prompt followed by --gen-tokens greedy tokens, like llama.cpp's llama-batched-bench "S_TG".
# Medians of --repeat runs. The peer is llama.cpp's batched decoding run in the same call, on the
# same file and thread count (llamacpp_batched.py through PyPI llama-cpp-python, its best of
# flash attention off and on); without llama_cpp the ratio is against the figures recorded on
# this kind of machine (8 → 152, 16 → 174 tokens/s), which is indicative only.
#
#   bench/engine/aggregate.sh [MODEL.gguf] [--threads N] [--prompt-tokens N] [--gen-tokens N] [--repeat N] [--parallel "1 8 16"]
#
# Needs a release build of synthlab (`make release`).
set -euo pipefail
cd "$(dirname "$0")/../.."

MODEL="${HOME}/.cache/synthlab/models/SmolLM2-135M-Instruct.Q4_1.gguf"
if [[ $# -gt 0 && "$1" != --* ]]; then MODEL="$1"; shift; fi
THREADS=2 PROMPT=128 GEN=128 REPEAT=3 PARALLEL="1 8 16"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --threads) THREADS="$2"; shift 2 ;;
        --prompt-tokens) PROMPT="$2"; shift 2 ;;
        --gen-tokens) GEN="$2"; shift 2 ;;
        --repeat) REPEAT="$2"; shift 2 ;;
        --parallel) PARALLEL="$2"; shift 2 ;;
        *) echo "aggregate.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
PYTHON="${PYTHON:-python3}"
SYNTHLAB="${SYNTHLAB:-.build/release/synthlab}"
[[ -x "$SYNTHLAB" ]] || { echo "aggregate.sh: $SYNTHLAB is missing; run 'make release' first" >&2; exit 1; }
[[ -f "$MODEL" ]] || { echo "aggregate.sh: $MODEL is missing; run 'synthlab model pull' first" >&2; exit 1; }

HAVE_PEER=0
"$PYTHON" -c "import llama_cpp" 2>/dev/null && HAVE_PEER=1
runs=() peers=()
for i in $(seq "$REPEAT"); do
    for n in $PARALLEL; do
        runs+=("$("$SYNTHLAB" model bench "$MODEL" --parallel "$n" --prompt-tokens "$PROMPT" --gen-tokens "$GEN" --threads "$THREADS" --json)")
        if [[ $HAVE_PEER == 1 && $n -gt 1 ]]; then
            peers+=("$("$PYTHON" bench/engine/llamacpp_batched.py "$MODEL" --parallel "$n" --prompt-tokens "$PROMPT" --gen-tokens "$GEN" --threads "$THREADS")")
        fi
    done
done

"$PYTHON" - "$THREADS" "$PROMPT" "$GEN" "$REPEAT" "${#runs[@]}" "${runs[@]}" "${peers[@]}" <<'PY'
import json, statistics, sys
threads, prompt, gen, repeat, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
runs = [json.loads(line) for line in sys.argv[6:6 + count]]
measured = [json.loads(line) for line in sys.argv[6 + count:]]
if measured:
    peer = {n: statistics.median(r["best_decode_tokens_per_second"] for r in measured if r["parallel"] == n)
            for n in {r["parallel"] for r in measured}}
    source = "llama.cpp measured in this run (best of flash attention off/on)"
else:
    peer = {8: 152.0, 16: 174.0, 32: 160.0}
    source = "llama.cpp figures recorded on this kind of machine (llama_cpp not importable)"
print(f"threads {threads}, prompt {prompt}, generate {gen}; medians of {repeat} runs; peer: {source}")
print(f"{'sequences':>9}{'decode tok/s':>14}{'end-to-end':>12}{'prefill':>10}{'llama.cpp':>11}{'ratio':>7}")
for n in sorted({r["parallel"] for r in runs}):
    rows = [r for r in runs if r["parallel"] == n]
    decode = statistics.median(r["decode_tokens_per_second"] for r in rows)
    e2e = statistics.median(r["end_to_end_tokens_per_second"] for r in rows)
    prefill = statistics.median(r["prefill_tokens_per_second"] for r in rows)
    ref = peer.get(n)
    print(f"{n:>9}{decode:>14.1f}{e2e:>12.1f}{prefill:>10.1f}" + (f"{ref:>11.1f}{decode / ref:>7.2f}" if ref else f"{'':>11}{'':>7}"))
PY
