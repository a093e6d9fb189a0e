#!/usr/bin/env bash
# Precision and recall of the verifiers' accept decision on the labelled sets, per leaf and per
# failure class, with the confusion counts.
#   bench/quality/run.sh                 # --no-teacher, both sets
#   bench/quality/run.sh --model FILE    # with a teacher (the consistency block runs)
#   SYNTHLAB=.build/debug/synthlab bench/quality/run.sh
# tune.jsonl was used while building the verifiers; heldout.jsonl was not: quote both.
# generated.jsonl and generated2.jsonl are real candidates of the embedded teacher (generated2 labelled
# blind: LABELS.md). classes.jsonl (make_classes.py) holds the issue's named failure classes, 20 each with correct
# twins, built from templates after the verifiers were written: enough items per class to measure.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${SYNTHLAB:-.build/release/synthlab}"
[ -x "$bin" ] || bin=.build/debug/synthlab
[ -x "$bin" ] || { echo "error: build synthlab first (make release)" >&2; exit 1; }
teacher=("$@")
[ ${#teacher[@]} -eq 0 ] && teacher=(--no-teacher)
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') · teacher: ${teacher[*]}"
for set in tune tune2 heldout classes generated generated2; do
  "$bin" verify --input "bench/quality/$set.jsonl" --json "${teacher[@]}" > "$out/$set.jsonl"
  # Details (which good candidates were lost) only for the tuning set: the held-out set stays unseen.
  python3 bench/quality/score.py "bench/quality/$set.jsonl" "$out/$set.jsonl" $([ "$set" != heldout ] && [ -n "${VERBOSE:-}" ] && echo --verbose)
  echo
done
