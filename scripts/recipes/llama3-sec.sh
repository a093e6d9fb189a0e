#!/usr/bin/env bash
# The Llama-3-SEC recipe at small scale, on the default model and the sample documents:
#   1. continued pre-training (CPT) on the raw text of documents/finance, mixed with general text
#      (and, for comparison, the same CPT without the general text);
#   2. the CPT model merged back into the instruct model with TIES (mergekit's method);
#   3. the two LAB phases (knowledge, then skills with replay) on the merged model.
# At every stage it prints the held-out document perplexity, the general-text perplexity and, for
# the LAB phases, the per-leaf held-out evaluation.
#
# Usage: scripts/recipes/llama3-sec.sh            (or: make recipe-sec)
# A step whose JSON output is already in $OUT is not run again, so a rerun continues where it stopped
# (delete $OUT to start over).
# Knobs (environment): BIN, DB, OUT, DOCS, CPT_EPOCHS, CPT_LR, REPLAY, MERGE_WEIGHT, MERGE_DENSITY,
#   LAB_EPOCHS, LAB_MAX_STEPS, SAMPLES_PER_LEAF, MC_ITEMS.
set -euo pipefail
cd "$(dirname "$0")/../.."

BIN=${BIN:-.build/release/synthlab}
OUT=${OUT:-out/sec}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)   # absolute: the merge config names files by path
DB=${DB:-$OUT/sec.sqlite}
DOCS=${DOCS:-documents/finance}
CPT_EPOCHS=${CPT_EPOCHS:-4}
CPT_LR=${CPT_LR:-2e-4}
REPLAY=${REPLAY:-1}
MERGE_WEIGHT=${MERGE_WEIGHT:-1.0}
MERGE_DENSITY=${MERGE_DENSITY:-0.5}
LAB_EPOCHS=${LAB_EPOCHS:-2}
LAB_MAX_STEPS=${LAB_MAX_STEPS:-6}
SAMPLES_PER_LEAF=${SAMPLES_PER_LEAF:-3}
MC_ITEMS=${MC_ITEMS:-200}
# One sequence length and chunking for every job, so they hold out the same document chunks.
COMMON=(--max-seq-len 512 --cpt-documents "$DOCS" --cpt-chunk-tokens 256 --general-mc-items "$MC_ITEMS")

[ -x "$BIN" ] || { echo "no synthlab binary at $BIN (hint: make release, or BIN=path)" >&2; exit 1; }
mkdir -p "$OUT"
INSTRUCT=$("$BIN" model pull --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["path"])')
[ -f "$INSTRUCT" ] || { echo "the default model is not at $INSTRUCT" >&2; exit 1; }

echo "== 0. Samples for the LAB phases (their held-out split is scored at every stage, from the start)"
if [ "$("$BIN" runs list --db "$DB" --json 2>/dev/null || echo '[]')" = "[]" ]; then
    "$BIN" generate --taxonomy taxonomy --samples-per-leaf "$SAMPLES_PER_LEAF" --db "$DB"
fi

echo "== 1. CPT on $DOCS with general text (replay ratio $REPLAY), and without"
# step NAME COMMAND…: runs COMMAND with its stdout in $OUT/NAME unless that file is already there.
step() {
    local name=$1; shift
    if [ -s "$OUT/$name" ]; then echo "   (reusing $OUT/$name)"; return; fi
    "$@" > "$OUT/$name.partial" && mv "$OUT/$name.partial" "$OUT/$name"
}
step cpt.json "$BIN" train --db "$DB" --run latest --phases cpt "${COMMON[@]}" --cpt-replay-ratio "$REPLAY" --epochs "$CPT_EPOCHS" --lr "$CPT_LR" \
    --batch-size 4 -o "$OUT/cpt" --json
step cpt-no-replay.json "$BIN" train --db "$DB" --run latest --phases cpt "${COMMON[@]}" --cpt-replay-ratio 0 --epochs "$CPT_EPOCHS" --lr "$CPT_LR" \
    --batch-size 4 -o "$OUT/cpt-no-replay" --json
CPT_JOB=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["training_id"])' "$OUT/cpt.json")

echo "== 1b. Novelty scores: the documents against general text; trained against held-out chunks"
# Against Wikipedia paragraphs the instruct model has most likely seen (zlib ratio: no reference needed).
step novelty-instruct.json "$BIN" documents score "$DOCS" --model "$INSTRUCT" --general 40 --json
# Membership with known answers: the CPT model (trained on some chunks) against the instruct model as reference.
step novelty-cpt.json "$BIN" documents score "$DOCS" --model "$OUT/cpt/phase1.gguf" --reference "$INSTRUCT" --json
python3 scripts/recipes/membership.py "$DB" "$CPT_JOB" "$OUT/novelty-cpt.json" > "$OUT/membership.txt"

echo "== 2. TIES merge of the CPT model into the instruct model"
cat > "$OUT/merge.yaml" <<YAML
# Llama-3-SEC's last step: the CPT model merged back into the instruct model with TIES.
merge_method: ties
base_model: $INSTRUCT
models:
  - model: $OUT/cpt/phase1.gguf
    parameters:
      weight: $MERGE_WEIGHT
      density: $MERGE_DENSITY
dtype: float32
YAML
step merge.json "$BIN" merge --config "$OUT/merge.yaml" -o "$OUT/merged.gguf" --json
step merged.json "$BIN" eval --db "$DB" --training "$CPT_JOB" --model "$OUT/merged.gguf" --json

echo "== 3. LAB phases (knowledge, skills) on the merged model"
step lab.json "$BIN" train --db "$DB" --run latest --base "$OUT/merged.gguf" "${COMMON[@]}" --epochs "$LAB_EPOCHS" \
    --max-steps "$LAB_MAX_STEPS" -o "$OUT/lab" --json

echo "== Summary"
python3 scripts/recipes/summarize.py "$OUT"
echo
python3 -c 'import json,sys; [print(l["text"]) for l in json.load(open(sys.argv[1]))["summary"]]' "$OUT/novelty-instruct.json"
cat "$OUT/membership.txt"
