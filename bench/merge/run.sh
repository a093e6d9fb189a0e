#!/usr/bin/env bash
# `synthlab merge` against mergekit (the reference) on the default model, SmolLM2-135M-Instruct:
#   1. inputs: base = the default model (Q4_1/Q8_0/F32, dequantized to F32 as base-f32.gguf); a, b = two
#      fine-tuned checkpoints out/model/*.gguf if there are at least two, else base + seeded random
#      deltas (N(0, SCALE * rms(tensor)) per tensor, F32; scripts/reference/merge_reference.py variants);
#   2. per method (bench/merge/configs/*.yaml, model paths relative to the config): `synthlab merge` and
#      `mergekit-yaml` (on HF copies of the same F32 inputs), each under /usr/bin/time -v;
#   3. per-tensor comparison (merge_reference.py compare --mergekit-out), then one table: wall time and
#      peak RSS of each tool, worst relative error (max|diff| / max|ref| over tensors), pass/fail.
# DARE methods are random: their rows show statistics, not pass/fail.
#
#   bench/merge/run.sh [SYNTHLAB_BIN]       (default .build/release/synthlab)
#   OURS=synthlab|numpy|mergekit            who plays "ours": the binary (default); the numpy
#                                            re-implementation in merge_reference.py (self-check, no DARE);
#                                            or mergekit itself (deterministic methods reuse its output,
#                                            DARE runs again with another seed)
#   METHODS="linear ties ..."               subset of bench/merge/configs (default: all)
#   PRECISION=f32|f16|q8_0 SEED=42 SCALE=0.05 KEEP=1 (keep the work dir) MERGEKIT_VENV=/opt/mergekit-ref
#
# Installs the mergekit venv (scripts/reference/requirements-merge.txt) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

SYNTHLAB="${1:-${SYNTHLAB:-.build/release/synthlab}}"
OURS="${OURS:-synthlab}"
VENV="${MERGEKIT_VENV:-/opt/mergekit-ref}"
PRECISION="${PRECISION:-f32}"
SEED="${SEED:-42}"
SCALE="${SCALE:-0.05}"
METHODS="${METHODS:-linear task-arithmetic ties slerp slerp-gradient dare_ties dare_linear}"
HOME_DIR="${SYNTHLAB_HOME:-${HOME}/.cache/synthlab}"
MODEL="${MODEL:-${HOME_DIR}/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
REF=scripts/reference/merge_reference.py
CONFIGS=bench/merge/configs

# ---- the mergekit venv
if [[ ! -x "$VENV/bin/mergekit-yaml" ]]; then
    echo "== installing mergekit into $VENV (scripts/reference/requirements-merge.txt)"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet -r scripts/reference/requirements-merge.txt
fi
PY="$VENV/bin/python"

# ---- ours
case "$OURS" in
    synthlab)
        [[ -x "$SYNTHLAB" ]] || { echo "run.sh: $SYNTHLAB is missing; run 'make release' first (or OURS=numpy|mergekit)" >&2; exit 1; }
        "$SYNTHLAB" merge --help >/dev/null 2>&1 \
            || { echo "run.sh: $SYNTHLAB has no 'merge' command yet (try OURS=numpy or OURS=mergekit)" >&2; exit 1; } ;;
    numpy|mergekit) ;;
    *) echo "run.sh: OURS must be synthlab, numpy or mergekit" >&2; exit 1 ;;
esac

# ---- the default model
if [[ ! -f "$MODEL" ]]; then
    if [[ -x "$SYNTHLAB" ]]; then
        "$SYNTHLAB" model pull
    else
        echo "run.sh: $MODEL is missing; run 'synthlab model pull' first" >&2; exit 1
    fi
fi

WORK="${WORK:-$(mktemp -d /tmp/mk-bench-XXXXXX)}"
mkdir -p "$WORK"
cleanup() { [[ "${KEEP:-0}" == 1 ]] || rm -rf "$WORK"; }
trap cleanup EXIT
export MERGE_REF_CACHE="$WORK/hf"   # HF copies of the inputs live (and die) with the work dir

# ---- inputs
shopt -s nullglob
CHECKPOINTS=(out/model/*.gguf)
shopt -u nullglob
"$PY" "$REF" variants "$MODEL" "$WORK/inputs" --scale "$SCALE" >/dev/null
ln -sf "$WORK/inputs/base-f32.gguf" "$WORK/base.gguf"
if (( ${#CHECKPOINTS[@]} >= 2 )); then
    echo "== inputs: base $(basename "$MODEL"); a, b = ${CHECKPOINTS[0]}, ${CHECKPOINTS[1]}"
    ln -sf "$(realpath "${CHECKPOINTS[0]}")" "$WORK/a.gguf"
    ln -sf "$(realpath "${CHECKPOINTS[1]}")" "$WORK/b.gguf"
    rm -f "$WORK/inputs/variant-a.gguf" "$WORK/inputs/variant-b.gguf"
else
    echo "== inputs: base $(basename "$MODEL") as F32; a, b = base + seeded N(0, ${SCALE}*rms) deltas"
    ln -sf "$WORK/inputs/variant-a.gguf" "$WORK/a.gguf"
    ln -sf "$WORK/inputs/variant-b.gguf" "$WORK/b.gguf"
fi
echo "== ours: $OURS$( [[ $OURS == synthlab ]] && echo " ($SYNTHLAB, --precision $PRECISION)"); mergekit $("$PY" -c 'import importlib.metadata as m; print(m.version("mergekit"))'), torch $("$PY" -c 'import torch; print(torch.__version__)')"

# seconds and peak RSS (MB) from a /usr/bin/time -v report
elapsed() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.1f", s }' "$1"; }
peak_mb() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"; }

ROWS=()
FAILED=0
for m in $METHODS; do
    [[ -f "$CONFIGS/$m.yaml" ]] || { echo "run.sh: no $CONFIGS/$m.yaml" >&2; exit 1; }
    cp "$CONFIGS/$m.yaml" "$WORK/$m.yaml"
    random=0; [[ "$m" == dare* ]] && random=1
    if [[ "$OURS" == numpy && $random == 1 ]]; then
        echo "== $m: skipped (the numpy re-implementation covers deterministic methods only)"; continue
    fi
    echo "== $m"
    # mergekit (its input conversion is done first and not timed)
    "$PY" "$REF" hfconfig "$WORK/$m.yaml" -o "$WORK/hf-$m.yaml" >/dev/null
    MKCMD=("$VENV/bin/mergekit-yaml" "$WORK/hf-$m.yaml" "$WORK/mk-$m" --no-copy-tokenizer --no-write-model-card
           --device cpu --quiet --random-seed "$SEED")
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 /usr/bin/time -v -o "$WORK/time-mk-$m.txt" "${MKCMD[@]}" \
        >"$WORK/mk-$m.log" 2>&1 || { echo "FAIL mergekit $m: $(tail -3 "$WORK/mk-$m.log")"; exit 1; }
    # ours
    case "$OURS" in
        synthlab)
            /usr/bin/time -v -o "$WORK/time-ours-$m.txt" "$SYNTHLAB" merge --config "$WORK/$m.yaml" \
                -o "$WORK/ours-$m.gguf" --precision "$PRECISION" --seed "$SEED" >"$WORK/ours-$m.log" 2>&1 \
                || { echo "FAIL synthlab merge $m: $(tail -3 "$WORK/ours-$m.log")"; FAILED=1; continue; } ;;
        numpy)
            /usr/bin/time -v -o "$WORK/time-ours-$m.txt" "$PY" "$REF" numpy "$WORK/$m.yaml" -o "$WORK/ours-$m.gguf" \
                >"$WORK/ours-$m.log" 2>&1 || { echo "FAIL numpy $m: $(tail -3 "$WORK/ours-$m.log")"; FAILED=1; continue; } ;;
        mergekit)
            if (( random )); then
                /usr/bin/time -v -o "$WORK/time-ours-$m.txt" "$PY" "$REF" mergekit "$WORK/$m.yaml" \
                    -o "$WORK/ours-$m.gguf" --seed "$((SEED + 1))" >"$WORK/ours-$m.log" 2>&1
            else
                /usr/bin/time -v -o "$WORK/time-ours-$m.txt" "$PY" "$REF" mergekit "$WORK/$m.yaml" \
                    -o "$WORK/ours-$m.gguf" --mergekit-out "$WORK/mk-$m" >"$WORK/ours-$m.log" 2>&1
            fi ;;
    esac
    set +e
    "$PY" "$REF" compare "$WORK/$m.yaml" "$WORK/ours-$m.gguf" --mergekit-out "$WORK/mk-$m" \
        --json "$WORK/cmp-$m.json" >"$WORK/cmp-$m.txt" 2>&1
    rc=$?
    set -e
    grep -E '^(summary|  problem)' "$WORK/cmp-$m.txt" || tail -5 "$WORK/cmp-$m.txt"
    (( rc == 0 )) || FAILED=1
    worst="$("$PY" - "$WORK/cmp-$m.json" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
rows = [r for r in rep["rows"] if "rel" in r]
if rep["deterministic"]:
    w = max(rows, key=lambda r: r["rel"])
    print(f"{w['rel']:.2e} ({w['tensor']})")
else:
    import statistics
    eq = statistics.mean(r.get("frac_equal_base_ours", float("nan")) for r in rows)
    eqm = statistics.mean(r.get("frac_equal_base_mergekit", float("nan")) for r in rows)
    ratio = statistics.mean(r.get("delta_norm_ratio", float("nan")) for r in rows)
    print(f"=base {eq:.3f} vs {eqm:.3f}; |d| ratio {ratio:.3f}")
PY
)"
    if (( random )); then status="random"; elif (( rc == 0 )); then status="PASS"; else status="FAIL"; fi
    ROWS+=("$(printf '%-15s %8s %8s %9s %9s  %-6s %s' "$m" \
        "$(elapsed "$WORK/time-ours-$m.txt")" "$(peak_mb "$WORK/time-ours-$m.txt")" \
        "$(elapsed "$WORK/time-mk-$m.txt")" "$(peak_mb "$WORK/time-mk-$m.txt")" "$status" "$worst")")
    rm -rf "$WORK/mk-$m" "$WORK/ours-$m.gguf"   # 0.5 GB each
done

echo
echo "== merge benchmark: ours=$OURS vs mergekit (times in s, peak RSS in MB; worst = max|diff|/max|ref| over tensors)"
echo "   $(date -u +%Y-%m-%d), CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
printf '%-15s %8s %8s %9s %9s  %-6s %s\n' method ours_s ours_MB mergekit_s mergekit_MB status worst
for r in "${ROWS[@]}"; do echo "$r"; done
[[ "${KEEP:-0}" == 1 ]] && echo "work dir kept: $WORK"
exit "$FAILED"
