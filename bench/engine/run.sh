#!/usr/bin/env bash
# Engine benchmark against llama.cpp built from source for this CPU (-DGGML_NATIVE=ON, the tree
# vendored in the pinned llama-cpp-python sdist; scripts/build-llama-cpp.sh), on the same files,
# thread count and machine, in one run:
#   1. every format, made from the default model by llama-quantize (cached): pp512 and tg128
#      (llama-bench, its best of flash attention off/on, run before and after ours), with ours in
#      every kernel variant asked for (the CPU's best, and AVX2 forced through SYNTHLAB_KERNEL);
#   2. aggregate decode at 1/4/8/16/32 sequences (llama-batched-bench, best of flash attention
#      off/on) for --aggregate-formats;
#   3. `synthlab serve` against `llama-server -np 8` under 8 concurrent chat requests
#      (serve_load.py: tokens/s, p50/p95 latency) for --serve-formats;
#   4. peak RSS of every process (/usr/bin/time).
# With the avx2 kernel among --kernels, the peer is also built as GGML_NATIVE builds it on an
# AVX2-only CPU (scripts/build-llama-cpp.sh --avx2) and measured alongside: our forced AVX2 kernels
# are compared with it (the pair an AVX2-only machine would see) and with the native build.
# Prints the CPU model, the kernel variants, the peer's version, medians and ratios ours/peer.
#
#   bench/engine/run.sh [--formats "F32 F16 …"] [--threads 2] [--repeat 3] [--kernels "best avx2"]
#                       [--aggregate-formats "Q4_1"] [--parallel "1 4 8 16 32"] [--serve-formats "Q4_1"]
#                       [--json FILE]
#
# Needs: `make release`, `make bench-deps` (builds the peer), the default model (`synthlab model pull`).
set -euo pipefail
cd "$(dirname "$0")/../.."

FORMATS="F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q4_K_M Q5_K_M Q6_K"
THREADS=2 REPEAT=3 KERNELS="best avx2" AGG_FORMATS="Q4_1 Q4_K_M" PARALLEL="1 4 8 16 32" SERVE_FORMATS="Q4_1" JSON_OUT=""
while [[ $# -gt 0 ]]; do
    if [[ "$1" == --* && "$1" != --help && $# -lt 2 ]]; then echo "run.sh: $1 needs a value (see --help)" >&2; exit 2; fi
    case "$1" in
        --formats) FORMATS="${2//,/ }"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --repeat) REPEAT="$2"; shift 2 ;;
        --kernels) KERNELS="${2//,/ }"; shift 2 ;;
        --aggregate-formats) AGG_FORMATS="${2//,/ }"; shift 2 ;;
        --parallel) PARALLEL="${2//,/ }"; shift 2 ;;
        --serve-formats) SERVE_FORMATS="${2//,/ }"; shift 2 ;;
        --json) JSON_OUT="$2"; shift 2 ;;
        -h|--help) sed -n 2,20p "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
PYTHON="${PYTHON:-python3}"
SYNTHLAB="${SYNTHLAB:-.build/release/synthlab}"
[[ -x "$SYNTHLAB" ]] || { echo "run.sh: $SYNTHLAB is missing; run 'make release' first" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "run.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
PEER="$(scripts/build-llama-cpp.sh)" || { echo "run.sh: could not build llama.cpp; run 'make bench-deps'" >&2; exit 1; }
PEER_BUILDS="native"
if [[ " $KERNELS " == *" avx2 "* ]]; then
    PEER_AVX2="$(scripts/build-llama-cpp.sh --avx2)" || { echo "run.sh: could not build llama.cpp for AVX2; run 'make bench-deps'" >&2; exit 1; }
    PEER_BUILDS="native avx2"
fi
peer_dir() { [[ "$1" == avx2 ]] && echo "$PEER_AVX2" || echo "$PEER"; }

source bench/engine/formats.sh

WORK="$(mktemp -d)"
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
RESULTS="$WORK/results.jsonl"
: >"$RESULTS"
record() { echo "$1" >>"$RESULTS"; }
# Runs a command under /usr/bin/time; prints its stdout; the peak RSS (KiB) goes to $WORK/rss.
measured() { /usr/bin/time -f "%M" -o "$WORK/rss" "$@"; }
rss() { tail -1 "$WORK/rss"; }
kernel_env() { [[ "$1" == best ]] && echo "SYNTHLAB_KERNEL=" || echo "SYNTHLAB_KERNEL=$1"; }

peer_bench() {  # format model build
    local out
    out="$(measured "$(peer_dir "$3")/llama-bench" -m "$2" -t "$THREADS" -p 512 -n 128 -r 1 -fa 0,1 -o json 2>/dev/null)"
    record "$("$PYTHON" -c '
import json, sys
rows = json.loads(sys.argv[1])
pp = max(r["avg_ts"] for r in rows if r["n_prompt"] > 0)
tg = max(r["avg_ts"] for r in rows if r["n_gen"] > 0)
print(json.dumps({"kind": "single", "engine": "llama.cpp", "peer": sys.argv[4], "format": sys.argv[2], "pp": pp, "tg": tg, "rss_kib": int(sys.argv[3]),
                  "build": rows[0].get("build_commit", "?") + "/" + str(rows[0].get("build_number", "?")), "cpu": rows[0].get("cpu_info", "?")}))
' "$out" "$1" "$(rss)" "$3")"
}

ours_bench() {  # format model kernel
    local out
    out="$(env "$(kernel_env "$3")" /usr/bin/time -f "%M" -o "$WORK/rss" "$SYNTHLAB" model bench "$2" --prompt-tokens 512 --gen-tokens 128 --threads "$THREADS" --json 2>/dev/null)"
    record "$("$PYTHON" -c '
import json, sys
r = json.loads(sys.argv[1])
print(json.dumps({"kind": "single", "engine": "synthlab", "kernel": sys.argv[3], "format": sys.argv[2], "pp": r["prompt_tokens_per_second"],
                  "tg": r["gen_tokens_per_second"], "rss_kib": int(sys.argv[4])}))
' "$out" "$1" "$3" "$(rss)")"
}

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); threads $THREADS; peer: $PEER" >&2
for format in $FORMATS; do
    model="$(model_for "$format")"
    echo "== $format ($model)" >&2
    for i in $(seq "$REPEAT"); do
        for build in $PEER_BUILDS; do peer_bench "$format" "$model" "$build"; done
        for kernel in $KERNELS; do ours_bench "$format" "$model" "$kernel"; done
        for build in $PEER_BUILDS; do peer_bench "$format" "$model" "$build"; done
    done
done

# Aggregate decode: N sequences of 128 prompt tokens each generating 128.
for format in $AGG_FORMATS; do
    model="$(model_for "$format")"
    echo "== aggregate $format" >&2
    npl="$(echo "$PARALLEL" | tr ' ' ',')"
    max="$(echo "$PARALLEL" | tr ' ' '\n' | sort -n | tail -1)"
    for i in $(seq "$REPEAT"); do
        for build in $PEER_BUILDS; do for fa in off on; do
            out="$(measured "$(peer_dir "$build")/llama-batched-bench" -m "$model" -t "$THREADS" -c $((max * 256 + 256)) -b 2048 -ub 512 \
                -npp 128 -ntg 128 -npl "$npl" -fa "$fa" --output-format jsonl 2>/dev/null | grep '^{' || true)"
            peak="$(rss)"
            while read -r line; do
                [[ -n "$line" ]] || continue
                record "$("$PYTHON" -c '
import json, sys
r = json.loads(sys.argv[1])
print(json.dumps({"kind": "aggregate", "engine": "llama.cpp", "peer": sys.argv[5], "format": sys.argv[2], "fa": sys.argv[3], "parallel": r["pl"],
                  "decode": r["speed_tg"], "rss_kib": int(sys.argv[4])}))
' "$line" "$format" "$fa" "$peak" "$build")"
            done <<<"$out"
        done; done
        for kernel in $KERNELS; do
            for n in $PARALLEL; do
                out="$(env "$(kernel_env "$kernel")" /usr/bin/time -f "%M" -o "$WORK/rss" "$SYNTHLAB" model bench "$model" --parallel "$n" \
                    --prompt-tokens 128 --gen-tokens 128 --threads "$THREADS" --json 2>/dev/null)"
                record "$("$PYTHON" -c '
import json, sys
r = json.loads(sys.argv[1])
print(json.dumps({"kind": "aggregate", "engine": "synthlab", "kernel": sys.argv[3], "format": sys.argv[2], "parallel": r["parallel"],
                  "decode": r["decode_tokens_per_second"], "rss_kib": int(sys.argv[4])}))
' "$out" "$format" "$kernel" "$(rss)")"
            done
        done
    done
done

# Serving: 8 concurrent chat requests (32 in all, 128 tokens each) against each server.
free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 240); do curl -sf "$1" >/dev/null && return 0; sleep 0.5; done; echo "run.sh: $1 never answered" >&2; return 1; }
serve_round() {  # engine format kernel model
    local port pid out
    port="$(free_port)"
    if [[ "$1" == llama.cpp ]]; then
        /usr/bin/time -f "%M" -o "$WORK/rss" "$(peer_dir "$3")/llama-server" -m "$4" -t "$THREADS" -np 8 -c 8192 --port "$port" \
            >"$WORK/server.log" 2>&1 &
    else
        env "$(kernel_env "$3")" /usr/bin/time -f "%M" -o "$WORK/rss" "$SYNTHLAB" serve --model "$4" --threads "$THREADS" \
            --port "$port" >"$WORK/server.log" 2>&1 &
    fi
    pid=$!
    PIDS+=("$pid")
    wait_for "http://127.0.0.1:$port/v1/models"
    out="$("$PYTHON" bench/engine/serve_load.py "http://127.0.0.1:$port" --requests 32 --concurrency 8 --max-tokens 128)"
    # Stop the server (the child of time), then let time write the peak RSS.
    pkill -INT -P "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    record "$("$PYTHON" -c '
import json, sys
r = json.loads(sys.argv[1])
r.update({"kind": "serve", "engine": sys.argv[2], "format": sys.argv[3], "kernel": sys.argv[4], "rss_kib": int(sys.argv[5] or 0)})
if sys.argv[2] == "llama.cpp":
    r["peer"] = sys.argv[4]
print(json.dumps(r))
' "$out" "$1" "$2" "$3" "$(rss 2>/dev/null || echo 0)")"
}
for format in $SERVE_FORMATS; do
    model="$(model_for "$format")"
    echo "== serve $format" >&2
    for i in $(seq "$REPEAT"); do
        for build in $PEER_BUILDS; do serve_round llama.cpp "$format" "$build" "$model"; done
        for kernel in $KERNELS; do serve_round synthlab "$format" "$kernel" "$model"; done
    done
done

[[ -n "$JSON_OUT" ]] && cp "$RESULTS" "$JSON_OUT"
"$PYTHON" bench/engine/summarize.py "$RESULTS" --threads "$THREADS" --kernels "$KERNELS"
