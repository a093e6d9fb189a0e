#!/usr/bin/env bash
# The review page on a big store: builds a store of N samples (default 100,000) through the store's
# own API, serves it with `synthlab review`, and times each page 20 times with curl (time to the
# last byte, on loopback), printing the median and the budget (samples pages 200 ms, a sample 50 ms).
#
#   bench/review/run.sh                 # 100,000 samples in /tmp/review-bench.sqlite (kept for reruns)
#   SAMPLES=20000 bench/review/run.sh   # another size (the store is rebuilt when its size differs)
set -euo pipefail
cd "$(dirname "$0")/../.."
SAMPLES=${SAMPLES:-100000}
DB=${DB:-/tmp/review-bench.sqlite}
REPEATS=${REPEATS:-20}

log=$(mktemp)
for product in synthlab review-bench-store; do
  swift build -c release --product "$product" >"$log" 2>&1 || { cat "$log"; echo "error: the release build of $product failed" >&2; exit 1; }
done
rm -f "$log"
have=$(sqlite3 "$DB" "SELECT count(*) FROM samples" 2>/dev/null || echo 0)
if [ "$have" != "$SAMPLES" ]; then .build/release/review-bench-store --db "$DB" --samples "$SAMPLES"; fi

out=$(mktemp); err=$(mktemp)
.build/release/synthlab review --db "$DB" --port 0 >"$out" 2>"$err" &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$out" "$err"' EXIT
for _ in $(seq 300); do [ -s "$out" ] && break; kill -0 $server 2>/dev/null || break; sleep 0.1; done
base=$(head -1 "$out" | sed 's#/$##')
[ -n "$base" ] || { cat "$err" >&2; echo "error: the review server did not start" >&2; exit 1; }

leaf=$(sqlite3 "$DB" "SELECT taxonomy_path FROM leaves ORDER BY id LIMIT 1" | python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.stdin.read().strip()))')
middle=$(( SAMPLES / 2 ))
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') ($(nproc) cores); store: $SAMPLES samples, $(du -h "$DB" | cut -f1)"
printf '%-72s %10s %8s\n' "page" "median ms" "budget"
for entry in \
  "200|/runs/1/samples" \
  "200|/runs/1/samples?status=rejected&rejected_by=claims" \
  "200|/runs/1/samples?leaf=$leaf&status=accepted" \
  "200|/runs/1/samples?q=net+income" \
  "200|/runs/1/samples?curator=unreviewed&page=$(( SAMPLES / 100 ))" \
  "50|/samples/$middle" \
  "-|/" ; do
  budget=${entry%%|*}; path=${entry#*|}
  times=$(for _ in $(seq "$REPEATS"); do curl -s -o /dev/null -w '%{time_total}\n' "$base$path"; done)
  median=$(printf '%s\n' "$times" | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m*1000}')
  verdict="-"
  if [ "$budget" != "-" ]; then verdict=$(awk -v m="$median" -v b="$budget" 'BEGIN {print (m < b) ? "ok <" b : "OVER " b}'); fi
  printf '%-72s %10s %8s\n' "${path:0:72}" "$median" "$verdict"
done
