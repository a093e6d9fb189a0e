#!/usr/bin/env bash
# The C integer kernels (CQuantKernels: int8 activations, AVX-512 VNNI or AVX2 byte dot products) against their
# Swift SIMD twin (Float activations), on the real decode workload: single-stream tokens/s of
# `synthlab model bench`, alternating the two, medians of --repeat runs, and the ratio. This is
# the measurement that keeps the C kernel in the project (STYLE: C only where it beats Swift).
#
#   bench/kernels/run.sh [MODEL.gguf] [--threads N] [--repeat N]
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL="${HOME}/.cache/synthlab/models/SmolLM2-135M-Instruct.Q4_1.gguf"
if [[ $# -gt 0 && "$1" != --* ]]; then MODEL="$1"; shift; fi
THREADS=2 REPEAT=5
while [[ $# -gt 0 ]]; do
    case "$1" in
        --threads) THREADS="$2"; shift 2 ;;
        --repeat) REPEAT="$2"; shift 2 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
SYNTHLAB=.build/release/synthlab
[[ -x "$SYNTHLAB" ]] || { echo "run.sh: $SYNTHLAB is missing; run 'make release' first" >&2; exit 1; }
integer=() float=()
for _ in $(seq "$REPEAT"); do
    integer+=("$("$SYNTHLAB" model bench "$MODEL" --prompt-tokens 16 --gen-tokens 128 --threads "$THREADS" --json)")
    float+=("$("$SYNTHLAB" model bench "$MODEL" --prompt-tokens 16 --gen-tokens 128 --threads "$THREADS" --float-activations --json)")
done
python3 - "$REPEAT" "${integer[@]}" "${float[@]}" <<'PY'
import json, statistics, sys
n = int(sys.argv[1])
rows = [json.loads(x) for x in sys.argv[2:]]
def tg(r):
    for key in ("gen_tokens_per_second",):
        if key in r: return float(r[key])
    raise SystemExit(f"no decode rate in {r}")
ints, floats = [tg(r) for r in rows[:n]], [tg(r) for r in rows[n:]]
a, b = statistics.median(ints), statistics.median(floats)
print(f"decode, int8 activations (C kernels):  {a:7.1f} tok/s (median of {n})")
print(f"decode, Float activations (Swift SIMD): {b:7.1f} tok/s")
print(f"ratio C / Swift: {a / b:.2f}x")
PY
