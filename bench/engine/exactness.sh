#!/usr/bin/env bash
# Exactness on every format, synthlab against llama.cpp (built natively by scripts/build-llama-cpp.sh)
# on the same files (made by llama-quantize from the default model, as bench/engine/run.sh makes them):
#   - perplexity on the reference text (bench/engine/ppl_text.txt, 256-token chunks), llama-perplexity
#     against `synthlab model perplexity --activations int8` (the generation path's rounding).
#     llama.cpp is run twice: with its default 512-token micro-batches, whose matrix products for
#     some formats (Q8_0, Q4_0, Q4_K: repacked weights, tinyBLAS) round differently from its
#     decoding path, and with 16-token micro-batches (-ub 16), the products it decodes with; the
#     difference is against the latter;
#   - 32 greedy tokens after each of three prompts, llama-simple against `synthlab serve`'s
#     /v1/completions at temperature 0: identical, or where they part. llama.cpp's own AVX2-only
#     build (scripts/build-llama-cpp.sh --avx2) is run too, and the last column says whether the
#     two llama.cpp builds agree with each other: on quantized formats they part at near-ties
#     (their dot products sum in different orders), which bounds how far "the same tokens as
#     llama.cpp" can hold for any third implementation. "ours = a build" counts a prompt where we
#     match either build.
#
#   bench/engine/exactness.sh [--formats "F32 F16 …"] [--threads 2]
set -euo pipefail
cd "$(dirname "$0")/../.."
FORMATS="F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q4_K_M Q5_K_M Q6_K"
THREADS=2
while [[ $# -gt 0 ]]; do
    if [[ "$1" == --* && "$1" != --help && $# -lt 2 ]]; then echo "exactness.sh: $1 needs a value (see --help)" >&2; exit 2; fi
    case "$1" in
        --formats) FORMATS="${2//,/ }"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        -h|--help) sed -n 2,18p "$0"; exit 0 ;;
        *) echo "exactness.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
PYTHON="${PYTHON:-python3}"
SYNTHLAB="${SYNTHLAB:-.build/release/synthlab}"
[[ -x "$SYNTHLAB" ]] || { echo "exactness.sh: $SYNTHLAB is missing; run 'make release' first" >&2; exit 1; }
PEER="$(scripts/build-llama-cpp.sh)"
PEER_AVX2="$(scripts/build-llama-cpp.sh --avx2)" || { echo "exactness.sh: could not build llama.cpp for AVX2; run 'make bench-deps'" >&2; exit 1; }
source bench/engine/formats.sh
TEXT=bench/engine/ppl_text.txt
PROMPTS=("The balance sheet shows" "In 2023 the company reported revenue of" "Question: What is working capital? Answer:")
WORK="$(mktemp -d)"
SERVER=""
cleanup() { [[ -n "$SERVER" ]] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
port="$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"

compare() {  # prompt, reference text, other text → "same" or where they part
    "$PYTHON" -c '
import sys
prompt, peer, ours = sys.argv[1], sys.argv[2], sys.argv[3]
peer = peer[len(prompt):] if peer.startswith(prompt) else peer
ours = ours[len(prompt):] if ours.startswith(prompt) else ours
peer, ours = peer.rstrip("\n"), ours.rstrip("\n")
if peer == ours:
    print("same")
else:
    n = next((i for i, (a, b) in enumerate(zip(peer, ours)) if a != b), min(len(peer), len(ours)))
    print(f"part at char {n} ({peer[n:n+12]!r} vs {ours[n:n+12]!r})")
' "$1" "$2" "$3"
}

printf "%-8s %11s %11s %10s %8s  %-13s %-17s  %s\n" format "llama -ub512" "llama -ub16" "ours PPL" "diff %" "ours = native" "ours = a build" "native = avx2 build"
DETAILS=()
for format in $FORMATS; do
    model="$(model_for "$format")"
    batched="$("$PEER/llama-perplexity" -m "$model" -f "$TEXT" -c 256 -t "$THREADS" 2>&1 | sed -nE 's/.*Final estimate: PPL = ([0-9.]+).*/\1/p')"
    theirs="$("$PEER/llama-perplexity" -m "$model" -f "$TEXT" -c 256 -ub 16 -t "$THREADS" 2>&1 | sed -nE 's/.*Final estimate: PPL = ([0-9.]+).*/\1/p')"
    ours="$("$SYNTHLAB" model perplexity "$model" "$TEXT" --ctx 256 --activations int8 --threads "$THREADS" 2>/dev/null | sed -nE 's/^PPL = ([0-9.]+)/\1/p')"
    "$SYNTHLAB" serve --model "$model" --threads "$THREADS" --port "$port" >"$WORK/serve.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 240); do curl -sf "http://127.0.0.1:$port/v1/models" >/dev/null && break; sleep 0.5; done
    same_native=0 same_either=0 same_builds=0
    for prompt in "${PROMPTS[@]}"; do
        peer_text="$("$PEER/llama-simple" -m "$model" -n 32 "$prompt" 2>/dev/null)"
        avx2_text="$("$PEER_AVX2/llama-simple" -m "$model" -n 32 "$prompt" 2>/dev/null)"
        our_text="$(curl -sf "http://127.0.0.1:$port/v1/completions" -H 'Content-Type: application/json' \
            -d "$("$PYTHON" -c 'import json,sys; print(json.dumps({"prompt": sys.argv[1], "max_tokens": 32, "temperature": 0}))' "$prompt")" \
            | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["choices"][0]["text"], end="")')"
        native="$(compare "$prompt" "$peer_text" "$our_text")"
        avx2="$(compare "$prompt" "$avx2_text" "$our_text")"
        builds="$(compare "$prompt" "$peer_text" "$avx2_text")"
        [[ "$native" == same ]] && same_native=$((same_native + 1))
        [[ "$native" == same || "$avx2" == same ]] && same_either=$((same_either + 1))
        [[ "$builds" == same ]] && same_builds=$((same_builds + 1))
        [[ "$native" == same ]] || DETAILS+=("$format \"$prompt\": ours vs native $native; vs avx2 build $avx2; native vs avx2 build $builds")
    done
    kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true; SERVER=""
    diff="$("$PYTHON" -c "print(f'{(float(\"$ours\") / float(\"$theirs\") - 1) * 100:+.2f}')")"
    printf "%-8s %11s %11s %10s %8s  %-13s %-17s  %s\n" "$format" "$batched" "$theirs" "$ours" "$diff" \
        "$same_native/${#PROMPTS[@]}" "$same_either/${#PROMPTS[@]}" "$same_builds/${#PROMPTS[@]}"
done
if [[ ${#DETAILS[@]} -gt 0 ]]; then
    echo; echo "Where our greedy text parts from llama.cpp's native build:"
    printf '  %s\n' "${DETAILS[@]}"
fi
