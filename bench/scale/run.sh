#!/usr/bin/env bash
# Workers against one PostgreSQL run: 1, 2, 4 and 8 `synthlab` processes (generate + workers) on a
# private cluster, the teacher a stub OpenAI endpoint with a fixed latency (openai-stub), the
# taxonomy the sample one with its skill leaves copied to 39 leaves. Prints samples/s, units/s,
# the store's time per committed unit (measured inside each process around the unit's transaction),
# speed-up over one worker, then what one PostgreSQL server sustains here (pgbench) and the store's
# bytes per sample, for the README's sizing of big runs. "CPU busy" is the whole machine's (workers,
# server and stub together), "CPU ms/unit" the CPU time all of them spent per committed unit: where
# CPU busy nears 100 %, the machine's cores — not the store or the protocol — are where scaling stops.
#   bench/scale/run.sh                      defaults: 100 ms latency, 10 samples per leaf, 6 copies
#   LATENCY_MS=50 WORKERS="1 2 4" DEDUP=0 bench/scale/run.sh   (DEDUP=0: skip dedup-bench at the end)
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
LATENCY_MS="${LATENCY_MS:-100}"
SAMPLES="${SAMPLES:-10}"
COPIES="${COPIES:-6}"
WORKERS="${WORKERS:-1 2 4 8}"
MAX_LEAVES="${MAX_LEAVES:-2}"

swift build -c release --product synthlab >/dev/null
swift build -c release --product openai-stub >/dev/null
swift build -c release --product dedup-bench >/dev/null
bin="$root/.build/release"
work="$(mktemp -d /tmp/synthlab-scale.XXXXXX)"
chmod 755 "$work"
cleanup() {
  [ -n "${stub_pid:-}" ] && kill "$stub_pid" 2>/dev/null || true
  scripts/postgres-cluster.sh stop "$work/pg" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

url="$(scripts/postgres-cluster.sh start "$work/pg" | tail -1)"
base="${url%/synthlab}"
"$bin/openai-stub" --latency-ms "$LATENCY_MS" --threads 2 >"$work/stub.url" &
stub_pid=$!
for _ in $(seq 50); do [ -s "$work/stub.url" ] && break; sleep 0.1; done
endpoint="$(cat "$work/stub.url")"
leaves="$(python3 bench/scale/make_taxonomy.py taxonomy "$work/taxonomy" "$COPIES")"
ln -s "$root/documents" "$work/documents"
pipeline="$root/Tests/LabGenerationTests/Fixtures/pipelines/mechanics"
psql_() { psql -h 127.0.0.1 -p "${base##*:}" -U postgres -qAt "$@"; }

echo "bench/scale — $(date -u +%Y-%m-%dT%H:%MZ), CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo "PostgreSQL $(psql_ -d postgres -c 'SHOW server_version'), stub latency ${LATENCY_MS} ms, ${leaves} leaves, ${SAMPLES} samples per leaf, ${MAX_LEAVES} leaves per worker"
# Busy CPU time of the whole machine (every process: workers, server, stub), from /proc/stat.
busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
printf '%-8s %8s %9s %10s %9s %13s %9s %9s %12s\n' workers seconds samples samples/s units/s "store ms/unit" speed-up "CPU busy" "CPU ms/unit"
first_rate=""
for workers in $WORKERS; do
  db="scale_w${workers}"
  psql_ -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  store="$base/$db"
  start=$(date +%s.%N)
  busy_start=$(busy_ticks)
  "$bin/synthlab" generate --json --store "$store" --taxonomy "$work/taxonomy" --pipeline "$pipeline" --endpoint "$endpoint" \
    --api-model stub-teacher --samples-per-leaf "$SAMPLES" --seed 1 >"$work/w0.json" 2>"$work/w0.err" &
  pids=($!)
  until [ "$(psql_ -d "$db" -c 'SELECT count(*) FROM leaves' 2>/dev/null || echo 0)" -gt 0 ]; do sleep 0.05; done
  for i in $(seq 1 $((workers - 1))); do
    "$bin/synthlab" worker --json --store "$store" --run 1 --taxonomy "$work/taxonomy" --max-leaves "$MAX_LEAVES" \
      >"$work/w$i.json" 2>"$work/w$i.err" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || { echo "a worker failed:"; tail -3 "$work"/w*.err; exit 1; }; done
  end=$(date +%s.%N)
  busy=$(( $(busy_ticks) - busy_start ))
  python3 - "$work" "$workers" "$start" "$end" "$first_rate" "$(psql_ -d "$db" -c 'SELECT count(*) FROM samples')" \
    "$(psql_ -d "$db" -c 'SELECT count(*) FROM completed_units')" "$busy" "$(getconf CLK_TCK)" "$(nproc)" <<'PY' | tee "$work/row"
import json, sys
work, workers, start, end, first, samples, units = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], int(sys.argv[6]), int(sys.argv[7])
busy_seconds, cores = int(sys.argv[8]) / int(sys.argv[9]), int(sys.argv[10])
outs = [json.load(open(f"{work}/w{i}.json")) for i in range(workers)]
committed = sum(o["units_committed_here"] for o in outs)
store_ms = 1000 * sum(o["commit_seconds_here"] for o in outs) / max(1, committed)
seconds = end - start
rate = samples / seconds
speedup = rate / float(first) if first else 1.0
print(f"{workers:<8} {seconds:8.1f} {samples:9d} {rate:10.1f} {units / seconds:9.1f} {store_ms:13.2f} {speedup:8.2f}x"
      f" {100 * busy_seconds / (seconds * cores):8.0f}% {1000 * busy_seconds / max(1, units):12.1f}")
PY
  [ -z "$first_rate" ] && first_rate="$(awk '{print $4}' "$work/row")"
done

last_db="scale_w${WORKERS##* }"
echo
echo "store size per sample (run of ${last_db#scale_w} workers): $(psql_ -d "$last_db" -c "
  SELECT round(sum(pg_total_relation_size(c.oid)) / (SELECT count(*) FROM samples))
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'") bytes,
  rows per sample: $(psql_ -d "$last_db" -c "
  SELECT round(((SELECT count(*) FROM samples) + (SELECT count(*) FROM verdicts) + (SELECT count(*) FROM sample_seeds)
        + (SELECT count(*) FROM responses) + (SELECT count(*) FROM requests) + (SELECT count(*) FROM run_requests)
        + (SELECT count(*) FROM completed_units))::numeric / (SELECT count(*) FROM samples), 1)")"
psql_ -d postgres -c "CREATE DATABASE pgbench"
pgbench -h 127.0.0.1 -p "${base##*:}" -U postgres -i -s 10 -q pgbench >/dev/null 2>&1
echo "pgbench (TPC-B-like, 8 clients, 15 s; one transaction = 5 statements, 3 updates + 1 insert):"
pgbench -h 127.0.0.1 -p "${base##*:}" -U postgres -c 8 -j 2 -T 15 pgbench 2>/dev/null | grep -E "^tps|latency average"

[ "${DEDUP:-1}" = 0 ] && exit 0
echo
echo "run-wide duplicate check, ${DEDUP_ACCEPTED:-100000} accepted samples in the index:"
"$bin/dedup-bench" --store "$work/dedup.sqlite" --accepted "${DEDUP_ACCEPTED:-100000}" --probes 1000
psql_ -d postgres -c "CREATE DATABASE dedup"
"$bin/dedup-bench" --store "$base/dedup" --accepted "${DEDUP_ACCEPTED:-100000}" --probes 1000
