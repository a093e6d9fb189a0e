#!/usr/bin/env bash
# The engine's default thread count on a shared machine: single-stream decode (tg) and prompt
# processing (pp) with the default settings, --threads 1 and --threads N (every core), first on an
# idle machine, then with one core kept busy by `yes > /dev/null`. The default should never be
# slower than one thread under load, nor slower than every core when idle.
#
#   bench/engine/threads-under-load.sh [SYNTHLAB_BIN] [MODEL]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-.build/release/synthlab}
MODEL=${2:-${SYNTHLAB_HOME:-$HOME/.cache/synthlab}/models/SmolLM2-135M-Instruct.Q4_1.gguf}
CORES=$(nproc)
RUNS=${RUNS:-3}
[ -x "$BIN" ] || { echo "no binary at $BIN (make release)" >&2; exit 1; }

# median tokens/s of RUNS runs: bench ARGS... -> "pp tg"
measure() {
    for _ in $(seq "$RUNS"); do
        "$BIN" model bench "$MODEL" --prompt-tokens 128 --gen-tokens 64 --json "$@" 2>/dev/null
    done | python3 -c '
import json, statistics, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
pp = statistics.median(r["prompt_tokens_per_second"] for r in rows)
tg = statistics.median(r["gen_tokens_per_second"] for r in rows)
print(f"{pp:.0f} {tg:.0f}")'
}

report() {
    local label=$1
    read -r dpp dtg <<<"$(measure)"
    read -r opp otg <<<"$(measure --threads 1)"
    read -r app atg <<<"$(measure --threads "$CORES")"
    printf '%-22s default %5s / %4s   1 thread %5s / %4s   %d threads %5s / %4s   default vs 1 thread: decode %.2fx\n' \
        "$label" "$dpp" "$dtg" "$opp" "$otg" "$CORES" "$app" "$atg" "$(python3 -c "print($dtg / $otg)")"
}

echo "$(date -u +%Y-%m-%d), CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $CORES cores; pp / tg tokens/s, median of $RUNS"
report "idle machine"
yes > /dev/null &
LOAD=$!
trap 'kill $LOAD 2>/dev/null' EXIT
sleep 1
report "one core busy (yes)"
