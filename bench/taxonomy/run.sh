#!/usr/bin/env bash
# Times `synthlab taxonomy check` on a generated 1,000-leaf taxonomy (release build).
# Target (issue: foundation): under 5 s. Prints the median of 5 runs.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
leaves="${1:-1000}"
swift build -c release --product synthlab --package-path "$root" >/dev/null
bin="$root/.build/release/synthlab"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 "$root/bench/taxonomy/generate.py" "$work" "$leaves"
cd "$work"
python3 - "$bin" <<'PY'
import subprocess, sys, time, statistics
times = []
for _ in range(5):
    start = time.perf_counter()
    result = subprocess.run([sys.argv[1], "taxonomy", "check", "taxonomy"], capture_output=True, text=True)
    times.append(time.perf_counter() - start)
    if result.returncode != 0:
        sys.exit(f"check failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
print(result.stdout.strip().splitlines()[-1])
median = statistics.median(times)
print(f"taxonomy check, release build: median {median:.3f} s over 5 runs (target < 5 s): {'PASS' if median < 5 else 'FAIL'}")
PY
