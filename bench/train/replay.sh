#!/usr/bin/env bash
# Does the replay buffer keep phase-1 knowledge through phase 2? The same generation run trains
# twice from the same base: once with --replay-ratio RATIO (default 0.3, the trainer's default),
# once with 0 (the control).
# Prints the held-out loss of the knowledge and skill leaves (target-weighted means over the leaves
# of each kind) before training, after phase 1 and after phase 2, and the checks:
#   phase 1 lowers knowledge loss                           (replay run)
#   phase 2 lowers skills loss                              (both runs)
#   with replay, knowledge after phase 2 <= phase 1 + MARGIN
#   without replay, knowledge after phase 2 is worse than with replay
# exits 1 if one fails. One run of each; the held-out sets are small (a fifth of each leaf), so
# read the numbers, not just the verdicts.
#
#   bench/train/replay.sh [DB]     # env: RATIO (0.3), SAMPLES_PER_LEAF (8), EPOCHS (2), LR (3e-4), MARGIN (0.05)
#   RATIO=0.6 EPOCHS=3 bench/train/replay.sh
#
# DB (default out/replay.sqlite) gets a generation run with the embedded teacher when it has none
# (SAMPLES_PER_LEAF samples per leaf, about 10 minutes on 2 cores); later runs reuse it.
# Needs a release build (`make release`) and the default model (`synthlab model pull`).
set -euo pipefail
cd "$(dirname "$0")/../.."

DB="${1:-out/replay.sqlite}"
RATIO="${RATIO:-0.3}" SAMPLES_PER_LEAF="${SAMPLES_PER_LEAF:-8}" EPOCHS="${EPOCHS:-2}" LR="${LR:-3e-4}" MARGIN="${MARGIN:-0.05}"
SYNTHLAB="${SYNTHLAB:-.build/release/synthlab}"
[[ -x "$SYNTHLAB" ]] || { echo "replay.sh: $SYNTHLAB is missing; run 'make release' first" >&2; exit 1; }
mkdir -p "$(dirname "$DB")"

if ! "$SYNTHLAB" runs list --db "$DB" 2>/dev/null | grep -q finished; then
    echo "== generating $SAMPLES_PER_LEAF samples per leaf into $DB (embedded teacher)"
    "$SYNTHLAB" generate --samples-per-leaf "$SAMPLES_PER_LEAF" --db "$DB"
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
for ratio in "$RATIO" 0; do
    echo "== train --replay-ratio $ratio --epochs $EPOCHS --lr $LR"
    start=$SECONDS
    "$SYNTHLAB" train --db "$DB" --run latest --epochs "$EPOCHS" --lr "$LR" --replay-ratio "$ratio" \
        -o "$WORK/ratio-$ratio" --json > "$WORK/ratio-$ratio.json"
    echo "   $((SECONDS - start)) s"
done

python3 - "$WORK/ratio-$RATIO.json" "$WORK/ratio-0.json" "$MARGIN" "$RATIO" <<'PY'
import json, sys
replay, control = (json.load(open(p)) for p in sys.argv[1:3])
margin, ratio = float(sys.argv[3]), sys.argv[4]

def means(job):
    """Per stage: {kind: target-weighted mean loss over the held-out sets of that kind}."""
    stages = []
    for stage in job["evaluations"]:
        sums = {}
        for r in stage["results"]:
            s = sums.setdefault(r["kind"], [0.0, 0])
            s[0] += r["loss"] * r["targets"]
            s[1] += r["targets"]
        stages.append((stage["stage"], {k: s[0] / s[1] for k, s in sums.items() if s[1] > 0}))
    return stages

r, c = means(replay), means(control)
if len(r) != 3 or len(c) != 3:
    sys.exit(f"replay.sh: expected 3 evaluation stages (base, phase 1, phase 2), got {len(r)} and {len(c)}")
kinds = [k for k in ("knowledge", "skill", "general") if k in r[0][1]]
print(f"{'held-out loss':<24}" + "".join(f"{name:>16}" for name, _ in r))
for label, stages in ((f"replay {ratio}", r), ("replay 0 (control)", c)):
    for kind in kinds:
        print(f"{label + ' ' + kind:<24}" + "".join(f"{values[kind]:>16.4f}" for _, values in stages))
k1, k2r, k2c = r[1][1]["knowledge"], r[2][1]["knowledge"], c[2][1]["knowledge"]
checks = [
    ("phase 1 lowers knowledge loss", r[1][1]["knowledge"] < r[0][1]["knowledge"],
     f"{r[0][1]['knowledge']:.4f} -> {k1:.4f}"),
    ("phase 2 lowers skills loss (replay)", r[2][1]["skill"] < r[1][1]["skill"], f"{r[1][1]['skill']:.4f} -> {r[2][1]['skill']:.4f}"),
    ("phase 2 lowers skills loss (control)", c[2][1]["skill"] < c[1][1]["skill"], f"{c[1][1]['skill']:.4f} -> {c[2][1]['skill']:.4f}"),
    (f"with replay, knowledge stays within +{margin} of phase 1", k2r <= k1 + margin, f"{k1:.4f} -> {k2r:.4f} ({k2r - k1:+.4f})"),
    ("without replay, knowledge ends worse than with", k2c > k2r, f"{k2c:.4f} vs {k2r:.4f} ({k2c - k2r:+.4f})"),
]
failed = False
for name, ok, detail in checks:
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
    failed |= not ok
sys.exit(1 if failed else 0)
PY
