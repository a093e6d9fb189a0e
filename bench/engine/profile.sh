#!/usr/bin/env bash
# Per-function profile of single-stream decoding, synthlab against llama.cpp (built natively by
# scripts/build-llama-cpp.sh) on the same file and thread count: `perf record` with the cpu-clock
# software event (works in VMs without hardware counters), then the functions above 0.5 % of the
# samples, by share. Each engine decodes --gen-tokens tokens after a one-token prompt.
#
#   bench/engine/profile.sh [MODEL.gguf] [--threads 2] [--gen-tokens 256]
set -euo pipefail
cd "$(dirname "$0")/../.."
HOME_DIR="${SYNTHLAB_HOME:-$HOME/.cache/synthlab}"
MODEL="$HOME_DIR/models/SmolLM2-135M-Instruct.Q4_1.gguf"
if [[ $# -gt 0 && "$1" != --* ]]; then MODEL="$1"; shift; fi
THREADS=2 GEN=256
while [[ $# -gt 0 ]]; do
    case "$1" in
        --threads) THREADS="$2"; shift 2 ;;
        --gen-tokens) GEN="$2"; shift 2 ;;
        *) echo "profile.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
SYNTHLAB="${SYNTHLAB:-.build/release/synthlab}"
command -v perf >/dev/null || { echo "profile.sh: perf is missing (apt-get install linux-perf)" >&2; exit 1; }
[[ -x "$SYNTHLAB" ]] || { echo "profile.sh: $SYNTHLAB is missing; run 'make release' first" >&2; exit 1; }
PEER="$(scripts/build-llama-cpp.sh)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

report() {
    perf report -i "$1" --no-children --sort dso,symbol --stdio --percent-limit 0.5 2>/dev/null \
        | grep -E '^ +[0-9.]+%' | sed -E 's/ +- +- *$//; s/  +/  /g' | cut -c1-150
}
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $(basename "$MODEL"); threads $THREADS; tg$GEN"
perf record -q -e cpu-clock -F 2000 -o "$WORK/ours.data" -- "$SYNTHLAB" model bench "$MODEL" --prompt-tokens 1 --gen-tokens "$GEN" \
    --threads "$THREADS" >"$WORK/ours.txt" 2>/dev/null
perf record -q -e cpu-clock -F 2000 -o "$WORK/peer.data" -- "$PEER/llama-bench" -m "$MODEL" -p 0 -n "$GEN" -r 1 -t "$THREADS" \
    >"$WORK/peer.txt" 2>/dev/null
echo; echo "== synthlab ($(grep -o 'tg[0-9]*: [0-9.]* tokens/s' "$WORK/ours.txt"))"; report "$WORK/ours.data"
echo; echo "== llama.cpp ($(grep -o 'tg[0-9]* *| *[0-9.]*' "$WORK/peer.txt" | tr -s ' '))"; report "$WORK/peer.data"
