#!/usr/bin/env bash
# The C kernels against their Swift SIMD twins, on the real decode workload, alternating the two,
# medians of --repeat runs, and the ratios. This is the measurement that keeps C in the project
# (STYLE: C only where it beats Swift):
#   - CQuantKernels (int8 activations, AVX-512 VNNI or AVX2 byte dot products) against the Swift
#     Float-activation products: single-stream decode tokens/s;
#   - CAttentionKernel against its bit-identical Swift twin (--swift-attention): aggregate decode
#     at 16 sequences, where attention over long caches is a fifth of the time.
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
integer=() float=() c_attention=() swift_attention=()
for _ in $(seq "$REPEAT"); do
    integer+=("$("$SYNTHLAB" model bench "$MODEL" --prompt-tokens 16 --gen-tokens 128 --threads "$THREADS" --json)")
    float+=("$("$SYNTHLAB" model bench "$MODEL" --prompt-tokens 16 --gen-tokens 128 --threads "$THREADS" --float-activations --json)")
    c_attention+=("$("$SYNTHLAB" model bench "$MODEL" --parallel 16 --prompt-tokens 128 --gen-tokens 128 --threads "$THREADS" --json)")
    swift_attention+=("$("$SYNTHLAB" model bench "$MODEL" --parallel 16 --prompt-tokens 128 --gen-tokens 128 --threads "$THREADS" --swift-attention --json)")
done
python3 - "$REPEAT" "${integer[@]}" "${float[@]}" "${c_attention[@]}" "${swift_attention[@]}" <<'PY'
import json, statistics, sys
n = int(sys.argv[1])
rows = [json.loads(x) for x in sys.argv[2:2 + 2 * n]]
aggregate = [json.loads(x)["decode_tokens_per_second"] for x in sys.argv[2 + 2 * n:]]
def tg(r):
    for key in ("gen_tokens_per_second",):
        if key in r: return float(r[key])
    raise SystemExit(f"no decode rate in {r}")
ints, floats = [tg(r) for r in rows[:n]], [tg(r) for r in rows[n:]]
a, b = statistics.median(ints), statistics.median(floats)
print(f"decode, int8 activations (C kernels):  {a:7.1f} tok/s (median of {n})")
print(f"decode, Float activations (Swift SIMD): {b:7.1f} tok/s")
print(f"ratio C / Swift: {a / b:.2f}x")
c, swift = statistics.median(aggregate[:n]), statistics.median(aggregate[n:])
print(f"16-sequence decode, C attention:        {c:7.1f} tok/s (median of {n})")
print(f"16-sequence decode, Swift attention:    {swift:7.1f} tok/s")
print(f"ratio C / Swift: {c / swift:.2f}x")
PY
