#!/usr/bin/env bash
# Training speed: synthlab's in-process trainer (`synthlab model bench-train`) against PyTorch full
# fine-tuning (fp32, transformers loading the same GGUF, AdamW lr 1e-5, betas 0.9/0.95) on the same
# model, the same token ids (bench/train/ids.json), the same batch and sequence length, 2 threads.
# Each side: one untimed warm-up step, then STEPS timed steps of forward, backward, AdamW step.
# They run one after the other, never at once; one run each. Prints both and the ratios:
#   tokens/s  synthlab/PyTorch  PASS when >= 1.2
#   peak RSS  synthlab/PyTorch  PASS when <= 1.0
# and exits 1 if either fails. Run on an otherwise idle machine.
#
#   bench/train/run.sh [MODEL.gguf]          # env: BATCH (1), SEQ_LEN (512), STEPS (3)
#   BATCH=4 bench/train/run.sh
#
# Needs: a release build (`make release`) with `synthlab model bench-train`, the default model
# (`synthlab model pull`), and python3 with venv: the first run makes a venv with torch,
# transformers<5, gguf and accelerate from PyPI (bench/train/setup.sh; about 5.6 GB, a few minutes) and later
# runs reuse it.
set -euo pipefail
cd "$(dirname "$0")/../.."

MODEL="${1:-${HOME}/.cache/synthlab/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
BATCH="${BATCH:-1}" SEQ_LEN="${SEQ_LEN:-512}" STEPS="${STEPS:-3}" THREADS=2
SYNTHLAB="${SYNTHLAB:-.build/release/synthlab}"
IDS=bench/train/ids.json
[[ -x "$SYNTHLAB" ]] || { echo "run.sh: $SYNTHLAB is missing; run 'make release' first" >&2; exit 1; }
[[ -f "$MODEL" ]] || { echo "run.sh: $MODEL is missing; run '$SYNTHLAB model pull' first" >&2; exit 1; }
"$SYNTHLAB" model bench-train --help >/dev/null 2>&1 \
    || { echo "run.sh: $SYNTHLAB has no 'model bench-train' command; rebuild it ('make release')" >&2; exit 1; }
for n in "$BATCH" "$SEQ_LEN" "$STEPS"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: BATCH, SEQ_LEN and STEPS must be positive integers" >&2; exit 2; }
done
available="$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$IDS")"
(( BATCH * SEQ_LEN <= available )) \
    || { echo "run.sh: BATCH x SEQ_LEN = $((BATCH * SEQ_LEN)) tokens, $IDS has $available; lower one of them" >&2; exit 2; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "== Python environment (set-up time is not part of the benchmark)"
setup_start=$SECONDS
PY="$(bench/train/setup.sh)" || { echo "run.sh: bench/train/setup.sh failed (see above)" >&2; exit 1; }
echo "set-up: $((SECONDS - setup_start)) s"

echo "== synthlab model bench-train: batch $BATCH x $SEQ_LEN tokens, $STEPS timed steps + 1 warm-up, $THREADS threads"
if ! ours="$("$SYNTHLAB" model bench-train "$MODEL" --batch "$BATCH" --seq-len "$SEQ_LEN" --steps "$STEPS" \
        --threads "$THREADS" --ids "$IDS" --json 2>"$WORK/synthlab.err")"; then
    echo "run.sh: synthlab model bench-train failed:" >&2; tail -20 "$WORK/synthlab.err" >&2; exit 1
fi
echo "$ours"

echo "== PyTorch: the same"
if ! theirs="$("$PY" bench/train/pytorch_train.py "$MODEL" --batch "$BATCH" --seq-len "$SEQ_LEN" --steps "$STEPS" \
        --threads "$THREADS" --ids "$IDS" 2>"$WORK/pytorch.err")"; then
    echo "run.sh: bench/train/pytorch_train.py failed:" >&2; tail -20 "$WORK/pytorch.err" >&2; exit 1
fi
echo "$theirs"
echo

python3 - "$BATCH" "$SEQ_LEN" "$STEPS" "$ours" "$theirs" <<'PY'
import json, sys
batch, seq_len, steps = map(int, sys.argv[1:4])
ours, theirs = json.loads(sys.argv[4]), json.loads(sys.argv[5])
for name, r in (("synthlab", ours), ("PyTorch", theirs)):
    got = (r.get("batch"), r.get("seq_len"), r.get("steps"))
    if got != (batch, seq_len, steps):
        sys.exit(f"run.sh: {name} reports batch/seq_len/steps {got}, asked for {(batch, seq_len, steps)}")
gb = 1e9
print(f"batch {batch} x {seq_len} tokens, {steps} timed steps after 1 warm-up, 2 threads, one run each")
print(f"{'':<10}{'tokens/s':>10}{'peak RSS GB':>13}{'first loss':>12}{'last loss':>11}")
for name, r in (("synthlab", ours), ("PyTorch", theirs)):
    losses = r.get("losses") or [float("nan")]
    print(f"{name:<10}{r['tokens_per_second']:>10.1f}{r['peak_rss_bytes'] / gb:>13.2f}{losses[0]:>12.4f}{losses[-1]:>11.4f}")
speed = ours["tokens_per_second"] / theirs["tokens_per_second"]
memory = ours["peak_rss_bytes"] / theirs["peak_rss_bytes"]
ok_speed, ok_memory = speed >= 1.2, memory <= 1.0
print(f"tokens/s  synthlab/PyTorch {speed:6.2f}  (target >= 1.2)  {'PASS' if ok_speed else 'FAIL'}")
print(f"peak RSS  synthlab/PyTorch {memory:6.2f}  (target <= 1.0)  {'PASS' if ok_memory else 'FAIL'}")
a, b = (ours.get("losses") or [None])[0], (theirs.get("losses") or [None])[0]
if a is not None and b is not None and abs(a - b) > 0.01 * abs(b):
    print(f"note: first losses differ by {abs(a - b) / abs(b):.1%}: the two sides may not train the same model on the same tokens")
sys.exit(0 if ok_speed and ok_memory else 1)
PY
