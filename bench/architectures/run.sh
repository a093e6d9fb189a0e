#!/usr/bin/env bash
# Every registered architecture against llama.cpp (inference) and PyTorch (training):
#   1. a tiny random-weight GGUF per architecture, written with gguf-py as llama.cpp's converter
#      lays it out (make_tiny.py), with a real vocabulary from llama.cpp's ggml-vocab-*.gguf files;
#   2. teacher-forced logits of a 24-token prompt and 32 greedy tokens, synthlab (`model logits`)
#      vs llama.cpp (llama-cpp-python built from the same pinned sdist's vendor/llama.cpp, K/V
#      cache in F32) — compare_llamacpp.py;
#   3. the trainer's loss and gradients (`model gradients`) vs PyTorch through Hugging Face
#      transformers, which loads the same GGUF — pytorch_gradients.py.
# Pass: max |Δlogit| ≤ 1e-3 of the largest |logit|, 32/32 greedy tokens, |Δloss| ≤ 1e-5 of the
# loss, max |Δgrad| ≤ 1e-4 of the tensor's largest gradient. (Everything is F32; what is left is
# summation order, and for the Gemmas llama.cpp's binary16 GELU table, which the engine
# reproduces but whose steps turn a last-bit difference in a gate into a binary16 ulp.)
#
#   bench/architectures/run.sh [REAL.gguf ...]     extra real models: greedy tokens vs llama.cpp
#                                                  with int8 activations (as llama.cpp rounds them)
#
# Needs: a synthlab build (SYNTHLAB, default .build/release/synthlab, else .build/debug/synthlab).
# Installs on first use: the sdist's vendor tree (scripts/fetch-llama-cpp-vendor.sh --full),
# numpy, llama-cpp-python from that sdist (a ~15 min compile on 2 cores), and PyTorch with
# transformers (bench/train/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."

SYNTHLAB="${SYNTHLAB:-}"
if [[ -z "$SYNTHLAB" ]]; then
  for candidate in .build/release/synthlab .build/debug/synthlab; do
    [[ -x "$candidate" ]] && { SYNTHLAB="$candidate"; break; }
  done
fi
[[ -n "$SYNTHLAB" && -x "$SYNTHLAB" ]] || { echo "run.sh: no synthlab build; run 'make release' (or swift build) first" >&2; exit 1; }
SYNTHLAB="$(cd "$(dirname "$SYNTHLAB")" && pwd)/$(basename "$SYNTHLAB")"

VENDOR="$(scripts/fetch-llama-cpp-vendor.sh --full)"
SDIST="$(dirname "$(dirname "$(dirname "$VENDOR")")")/llama_cpp_python-0.3.36.tar.gz"
export PYTHONPATH="$VENDOR/gguf-py${PYTHONPATH:+:$PYTHONPATH}"
python3 -c 'import numpy' 2>/dev/null || python3 -m pip install --quiet numpy
if ! python3 -c 'import llama_cpp, sys; sys.exit(llama_cpp.__version__ != "0.3.36")' 2>/dev/null; then
  echo "run.sh: building llama-cpp-python 0.3.36 from $SDIST (GGML_NATIVE=ON; ~15 min on 2 cores)" >&2
  CMAKE_ARGS="-DGGML_NATIVE=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF" \
    CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" python3 -m pip install --quiet "$SDIST" >&2
fi
TORCH_PY="$(bench/train/setup.sh)"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
declare -A VOCAB=([llama]=llama-spm [qwen2]=qwen2 [qwen3]=qwen2 [gemma2]=gemma-4 [gemma3]=gemma-4 [granite]=refact [phi3]=phi-3)

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') · synthlab $("$SYNTHLAB" --version 2>/dev/null || echo '?') · llama.cpp from llama-cpp-python 0.3.36 · $("$TORCH_PY" -c 'import torch, transformers; print(f"torch {torch.__version__}, transformers {transformers.__version__}")')"
printf '%-8s %-10s %8s %12s %11s %8s %12s %11s  %s\n' arch vocab tokens "|Δlogit|" "max|logit|" greedy "|Δloss|" "Δgrad rel" result
failed=0
for arch in llama qwen2 qwen3 gemma2 gemma3 granite phi3; do
  model="$WORK/$arch.gguf"
  python3 bench/architectures/make_tiny.py "$arch" "$VENDOR/models/ggml-vocab-${VOCAB[$arch]}.gguf" "$model" >/dev/null
  infer="$(python3 bench/architectures/compare_llamacpp.py "$model" "$SYNTHLAB" 2>/dev/null | tail -1)"
  train="$("$TORCH_PY" bench/architectures/pytorch_gradients.py "$model" "$SYNTHLAB" 2>/dev/null | tail -1)"
  python3 - "$arch" "${VOCAB[$arch]}" "$infer" "$train" <<'PY' || failed=1
import json, sys
arch, vocab, infer, train = sys.argv[1], sys.argv[2], json.loads(sys.argv[3] or "{}"), json.loads(sys.argv[4] or "{}")
if "error" in infer or "error" in train or not infer or not train:
    print(f"{arch:8s} FAIL {infer.get('error', '')} {train.get('error', '')}")
    sys.exit(1)
dloss = abs(train["loss_ours"] - train["loss_pytorch"])
ok = (infer["max_abs_logit_diff"] <= 1e-3 * infer["max_abs_logit"] and infer["greedy_agree"] == infer["greedy_total"]
      and dloss <= 1e-5 * abs(train["loss_pytorch"]) and train["max_rel_grad_diff"] <= 1e-4 and not train["unmatched"])
print(f"{arch:8s} {vocab:10s} {infer['vocabulary']:8d} {infer['max_abs_logit_diff']:12.2e} {infer['max_abs_logit']:11.2f} "
      f"{infer['greedy_agree']:3d}/{infer['greedy_total']:<4d} {dloss:12.2e} {train['max_rel_grad_diff']:11.2e}  {'pass' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PY
done

if [[ $# -gt 0 ]]; then
  echo
  echo "real models: greedy tokens of a random 24-token prompt vs llama.cpp, int8 activations"
  for real in "$@"; do
    python3 bench/architectures/compare_llamacpp.py "$real" "$SYNTHLAB" --activations int8 2>/dev/null | tail -1 | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
print("{architecture:8s} {model}: greedy {greedy_agree}/{greedy_total}, prompt argmax {argmax_agree_prompt}/{prompt}, "
      "max |dlogit| {max_abs_logit_diff:.2f} of {max_abs_logit:.1f}".format(**r))'
  done
fi
exit $failed
