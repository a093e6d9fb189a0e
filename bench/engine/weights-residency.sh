#!/usr/bin/env bash
# Decode speed with the weights in 2 MiB huge pages (the default) against the file kept mapped in
# 4 KiB pages (SYNTHLAB_WEIGHTS=mapped): paired runs in alternating order, so a slow phase of a
# shared machine hits both sides, and the median of the per-pair ratios.
#
#   bench/engine/weights-residency.sh [--rounds N] [--formats F16,Q6_K,...] [--bin SYNTHLAB]
#
# Formats are the files bench/engine/formats.sh made (~/.cache/synthlab/bench-formats).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=.build/release/synthlab
rounds=8
formats="F16,Q6_K,Q4_0,F32"
usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
    -h|--help) usage; exit 0 ;;
    --rounds|--formats|--bin)
        [ $# -ge 2 ] || { echo "weights-residency.sh: $1 needs a value (see --help)" >&2; exit 2; }
        case "$1" in --rounds) rounds=$2 ;; --formats) formats=$2 ;; --bin) bin=$2 ;; esac
        shift 2 ;;
    *) echo "weights-residency.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ -x "$bin" ] || { echo "no binary at $bin (make release)" >&2; exit 1; }
dir=${SYNTHLAB_HOME:-$HOME/.cache/synthlab}/bench-formats
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') · $(nproc) cores · $(date -u '+%Y-%m-%d %H:%M UTC') · $(git rev-parse --short HEAD)"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for fmt in ${formats//,/ }; do
    model="$dir/SmolLM2-135M-Instruct.$fmt.gguf"
    [ -f "$model" ] || { echo "no $model (run bench/engine/formats.sh)" >&2; exit 1; }
    : >"$out"
    for r in $(seq "$rounds"); do
        order="mapped huge-pages"
        [ $((r % 2)) = 0 ] && order="huge-pages mapped"
        for residency in $order; do
            tg=$(SYNTHLAB_WEIGHTS=$residency "$bin" model bench "$model" --prompt-tokens 16 --gen-tokens 256 --json |
                python3 -c 'import json, sys; print(json.load(sys.stdin)["gen_tokens_per_second"])')
            echo "$r $residency $tg" >>"$out"
        done
    done
    python3 - "$fmt" "$out" <<'PY'
import statistics, sys
fmt, path = sys.argv[1], sys.argv[2]
pairs = {}
for line in open(path):
    r, residency, tg = line.split()
    pairs.setdefault(r, {})[residency] = float(tg)
ratios = [p["huge-pages"] / p["mapped"] for p in pairs.values() if len(p) == 2]
mapped = statistics.median(p["mapped"] for p in pairs.values())
huge = statistics.median(p["huge-pages"] for p in pairs.values())
print(f"{fmt:6} tg256 mapped {mapped:6.1f} t/s · huge pages {huge:6.1f} t/s · paired ratio median {statistics.median(ratios):.3f}"
      f" (range {min(ratios):.2f}–{max(ratios):.2f}, {len(ratios)} pairs)")
PY
done
