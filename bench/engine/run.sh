#!/usr/bin/env bash
# Engine benchmark: synthlab's LlamaModel against llama.cpp (PyPI llama-cpp-python) on the same
# GGUF file and thread count: prompt processing (pp) and single-stream decode (tg), tokens/s and
# the ratio ours/llama.cpp. Run on an otherwise idle machine; both engines run in the same call.
#
#   bench/engine/run.sh [MODEL.gguf] [--threads N] [--prompt-tokens N] [--gen-tokens N] [--repeat N]
#
# Needs: a release build of synthlab (`make release`), and llama-cpp-python in the Python that
# $PYTHON names (default python3): `pip install llama-cpp-python` (it compiles llama.cpp).
set -euo pipefail
cd "$(dirname "$0")/../.."

MODEL="${HOME}/.cache/synthlab/models/SmolLM2-135M-Instruct.Q4_1.gguf"
if [[ $# -gt 0 && "$1" != --* ]]; then MODEL="$1"; shift; fi
THREADS=2 PROMPT=512 GEN=128 REPEAT=3
while [[ $# -gt 0 ]]; do
    case "$1" in
        --threads) THREADS="$2"; shift 2 ;;
        --prompt-tokens) PROMPT="$2"; shift 2 ;;
        --gen-tokens) GEN="$2"; shift 2 ;;
        --repeat) REPEAT="$2"; shift 2 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
PYTHON="${PYTHON:-python3}"
SYNTHLAB=.build/release/synthlab
[[ -x "$SYNTHLAB" ]] || { echo "run.sh: $SYNTHLAB is missing; run 'make release' first" >&2; exit 1; }
[[ -f "$MODEL" ]] || { echo "run.sh: $MODEL is missing; run 'synthlab model pull' first" >&2; exit 1; }
"$PYTHON" -c "import llama_cpp" 2>/dev/null || { echo "run.sh: llama_cpp not importable by $PYTHON; pip install llama-cpp-python" >&2; exit 1; }

ARGS=(--prompt-tokens "$PROMPT" --gen-tokens "$GEN" --threads "$THREADS")
ours=() theirs=()
for i in $(seq "$REPEAT"); do
    ours+=("$("$SYNTHLAB" model bench "$MODEL" "${ARGS[@]}" --json)")
    theirs+=("$("$PYTHON" bench/engine/llamacpp_bench.py "$MODEL" "${ARGS[@]}")")
done

"$PYTHON" - "$THREADS" "$PROMPT" "$GEN" "${#ours[@]}" "${ours[@]}" "${theirs[@]}" <<'PY'
import json, statistics, sys
threads, prompt, gen, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
runs = [json.loads(line) for line in sys.argv[5:]]
ours, theirs = runs[:n], runs[n:]
def median(rows, key): return statistics.median(r[key] for r in rows)
print(f"threads {threads}, medians of {n} interleaved runs")
print(f"{'test':<8}{'synthlab':>12}{'llama.cpp':>12}{'ratio':>8}")
for label, key in ((f"pp{prompt}", "prompt_tokens_per_second"), (f"tg{gen}", "gen_tokens_per_second")):
    a, b = median(ours, key), median(theirs, key)
    print(f"{label:<8}{a:>12.1f}{b:>12.1f}{a / b:>8.2f}")
PY
