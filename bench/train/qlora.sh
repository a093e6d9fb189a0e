#!/usr/bin/env bash
# QLoRA against LoRA over the float base: the same adapters (rank R on every projection), the same
# data (the reference text's first tokens), the same steps, one process each so peak memory is
# each method's own; each with activations kept and with activation checkpointing (QLoRA's
# default). Prints peak resident memory, the ratio at equal settings, the loss after the last
# step and its difference from LoRA's, tokens/s, and the CPU.
#
#   bench/train/qlora.sh [MODEL.gguf]   # env: RANK (16), STEPS (20), SEQ_LEN (256), BATCH (1), LR (2e-4), SYNTHLAB
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL="${1:-${SYNTHLAB_HOME:-$HOME/.cache/synthlab}/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
RANK="${RANK:-16}" STEPS="${STEPS:-20}" SEQ_LEN="${SEQ_LEN:-256}" BATCH="${BATCH:-1}" LR="${LR:-2e-4}"
SYNTHLAB="${SYNTHLAB:-.build/release/synthlab}"
[[ -x "$SYNTHLAB" ]] || { echo "qlora.sh: $SYNTHLAB is missing; run 'make release' first" >&2; exit 1; }
IDS=Tests/LabTrainTests/Fixtures/ppl_text_ids.json
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)"
echo "$MODEL; rank $RANK on every projection, $STEPS steps of $BATCH x $SEQ_LEN tokens, lr $LR"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
common=(model bench-train "$MODEL" --ids "$IDS" --batch "$BATCH" --seq-len "$SEQ_LEN" --steps "$STEPS" --lr "$LR" --lora-rank "$RANK" --json)
"$SYNTHLAB" "${common[@]}" > "$WORK/lora.json"
"$SYNTHLAB" "${common[@]}" --qlora > "$WORK/qlora.json"
"$SYNTHLAB" "${common[@]}" --checkpoint-activations > "$WORK/lora-ckpt.json"
"$SYNTHLAB" "${common[@]}" --checkpoint-activations --qlora > "$WORK/qlora-ckpt.json"
python3 - "$WORK" <<'PY'
import json, sys, os
w = sys.argv[1]
r = {n: json.load(open(os.path.join(w, n + ".json"))) for n in ("lora", "qlora", "lora-ckpt", "qlora-ckpt")}
print(f"{'':<44}{'peak RSS':>10}{'loss first -> last':>22}{'tokens/s':>10}")
for key, name in (("lora", "LoRA, float base"), ("qlora", "QLoRA"), ("lora-ckpt", "LoRA, float base, activation checkpointing"),
                  ("qlora-ckpt", "QLoRA, activation checkpointing")):
    x = r[key]
    print(f"{name:<44}{x['peak_rss_bytes'] / 1e6:>7.0f} MB{x['losses'][0]:>12.4f} -> {x['losses'][-1]:.4f}{x['tokens_per_second']:>10.0f}")
for a, b, what in (("qlora", "lora", "activations kept"), ("qlora-ckpt", "lora-ckpt", "activation checkpointing"),
                   ("qlora-ckpt", "lora", "QLoRA's default vs LoRA's default")):
    print(f"memory ratio QLoRA / LoRA, {what}: {r[a]['peak_rss_bytes'] / r[b]['peak_rss_bytes']:.3f}")
d = r["qlora"]["losses"][-1] - r["lora"]["losses"][-1]
print(f"loss after {len(r['lora']['losses']) - 1} steps, QLoRA - LoRA: {d:+.6f} ({100 * d / r['lora']['losses'][-1]:+.4f} %)")
PY
