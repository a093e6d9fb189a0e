#!/usr/bin/env bash
# What each continual-learning method buys: the same generation run trains three times from the
# same base — the two LAB phases with a replay buffer (the default), OSFT without replay (each
# matrix's top singular subspace frozen), and neither (plain full fine-tuning, no replay) — and
# prints, per method, before training / after knowledge / after skills:
#   task accuracy per leaf (the student's greedy answers to held-out and seed questions, graded
#   by the leaf's verifiers), the held-out knowledge loss, the general-text loss and the general
#   multiple-choice score (ARC-Easy, acc_norm).
# One run of each, small held-out sets: read the numbers, not just the ranking.
#
#   bench/train/forgetting.sh [DB]   # env: SAMPLES_PER_LEAF (8), EPOCHS (2), LR (3e-4), RATIO (0.3),
#                                    #      UNFREEZE (0.25), MC_ITEMS (400), SYNTHLAB (.build/release/synthlab)
#
# DB (default out/forgetting.sqlite) gets a generation run with the embedded teacher when it has
# none (SAMPLES_PER_LEAF per leaf, about 10 minutes on 2 cores); later runs reuse it. Needs a build
# (`make release`) and the default model (`synthlab model pull`).
set -euo pipefail
cd "$(dirname "$0")/../.."

DB="${1:-out/forgetting.sqlite}"
SAMPLES_PER_LEAF="${SAMPLES_PER_LEAF:-8}" EPOCHS="${EPOCHS:-2}" LR="${LR:-3e-4}" RATIO="${RATIO:-0.3}"
UNFREEZE="${UNFREEZE:-0.25}" MC_ITEMS="${MC_ITEMS:-400}"
SYNTHLAB="${SYNTHLAB:-.build/release/synthlab}"
[[ -x "$SYNTHLAB" ]] || { echo "forgetting.sh: $SYNTHLAB is missing; run 'make release' first" >&2; exit 1; }
mkdir -p "$(dirname "$DB")"

if ! "$SYNTHLAB" runs list --db "$DB" 2>/dev/null | grep -q finished; then
    echo "== generating $SAMPLES_PER_LEAF samples per leaf into $DB (embedded teacher)"
    "$SYNTHLAB" generate --samples-per-leaf "$SAMPLES_PER_LEAF" --db "$DB"
fi

WORK="${WORK:-$(mktemp -d)}"
mkdir -p "$WORK"
echo "== jobs write to $WORK"
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)"
declare -A FLAGS=(
    [replay]="--replay-ratio $RATIO"
    [osft]="--replay-ratio 0 --method osft --unfreeze-rank-ratio $UNFREEZE"
    [neither]="--replay-ratio 0"
)
for method in replay osft neither; do
    echo "== $method: train ${FLAGS[$method]} --epochs $EPOCHS --lr $LR"
    start=$SECONDS
    # shellcheck disable=SC2086
    "$SYNTHLAB" train --db "$DB" --run latest --epochs "$EPOCHS" --lr "$LR" ${FLAGS[$method]} --general-mc-items "$MC_ITEMS" \
        -o "$WORK/$method" --json > "$WORK/$method.json"
    echo "   $((SECONDS - start)) s"
done

python3 - "$WORK" <<'PY'
import json, sys, os
work = sys.argv[1]
methods = ["replay", "osft", "neither"]
jobs = {m: json.load(open(os.path.join(work, m + ".json"))) for m in methods}

def loss(stage, kind):
    rows = [r for r in stage["results"] if r["kind"] == kind]
    targets = sum(r["targets"] for r in rows)
    return sum(r["loss"] * r["targets"] for r in rows) / targets if targets else float("nan")

stages = [s["stage"] for s in jobs["replay"]["evaluations"]]
print()
print(f"{'':<34}" + "".join(f"{s:>18}" for s in stages))
for m in methods:
    job = jobs[m]
    print(f"-- {m}")
    acc = {s["stage"]: s for s in job.get("task_accuracy", [])}
    total = lambda st: (sum(l["correct"] for l in st["leaves"]), sum(l["asked"] for l in st["leaves"]))
    print(f"{'  task accuracy, all leaves':<34}" + "".join(f"{'%d/%d' % total(acc[s]):>18}" if s in acc else f"{'-':>18}" for s in stages))
    for kind in ("knowledge", "skill"):
        rows = {s: [l for l in acc[s]["leaves"] if l["kind"] == kind] for s in stages if s in acc}
        cell = lambda ls: "%d/%d" % (sum(l["correct"] for l in ls), sum(l["asked"] for l in ls))
        print(f"{'  task accuracy, ' + kind + ' leaves':<34}" + "".join(f"{cell(rows[s]):>18}" if s in rows else f"{'-':>18}" for s in stages))
    ev = {s["stage"]: s for s in job["evaluations"]}
    print(f"{'  held-out knowledge loss':<34}" + "".join(f"{loss(ev[s], 'knowledge'):>18.4f}" for s in stages))
    print(f"{'  held-out skill loss':<34}" + "".join(f"{loss(ev[s], 'skill'):>18.4f}" for s in stages))
    print(f"{'  general-text loss':<34}" + "".join(f"{loss(ev[s], 'general'):>18.4f}" for s in stages))
    mc = {b["stage"]: b for b in job.get("benchmarks", [])}
    print(f"{'  ARC-Easy acc_norm':<34}" + "".join(f"{100 * mc[s]['correct'] / mc[s]['items']:>17.1f}%" if s in mc else f"{'-':>18}" for s in stages))
print()
print("per-leaf task accuracy after skills (correct/asked):")
leaves = sorted({l["leaf"] for m in methods for st in jobs[m].get("task_accuracy", []) for l in st["leaves"]})
print(f"{'leaf':<66}" + "".join(f"{m:>10}" for m in ["base"] + methods))
for leaf in leaves:
    cells = []
    first = jobs["replay"]["task_accuracy"][0]["leaves"]
    base = next((l for l in first if l["leaf"] == leaf), None)
    cells.append("%d/%d" % (base["correct"], base["asked"]) if base else "-")
    for m in methods:
        last = jobs[m]["task_accuracy"][-1]["leaves"]
        found = next((l for l in last if l["leaf"] == leaf), None)
        cells.append("%d/%d" % (found["correct"], found["asked"]) if found else "-")
    print(f"{leaf:<66}" + "".join(f"{c:>10}" for c in cells))
PY
