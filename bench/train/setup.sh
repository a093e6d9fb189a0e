#!/usr/bin/env bash
# Creates (or reuses) the Python environment bench/train/pytorch_train.py runs in and prints its
# python's path on stdout; everything else goes to stderr.
#
#   bench/train/setup.sh            # venv in ${XDG_CACHE_HOME:-$HOME/.cache}/synthlab/bench-train-venv
#   BENCH_TRAIN_VENV=/path bench/train/setup.sh
#
# torch: PyPI's Linux x86-64 wheel is a CUDA build. First `pip install --no-deps torch` with its
# pure-Python dependencies is tried and kept if it imports and trains a tensor on the CPU; when it
# doesn't (the wheel links the CUDA libraries, so it needs the nvidia-* and triton wheels: the venv
# grows from 1.3 to 5.6 GB), the full dependency set is installed. TORCH_SPEC (default `torch`)
# picks another requirement, e.g. TORCH_SPEC='torch==2.13.0+cpu' where pip's find-links offers a
# CPU-only wheel (then no nvidia-*: 1.2 GB in all).
# The venv is reused once it is complete (the marker .bench-train-ready); delete it to start over.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV="${BENCH_TRAIN_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/synthlab/bench-train-venv}"
BASE_PYTHON="${BASE_PYTHON:-python3}"
TORCH_SPEC="${TORCH_SPEC:-torch}"
PY="$VENV/bin/python"
MARKER="$VENV/.bench-train-ready"
log() { echo "setup.sh: $*" >&2; }

# Trains one tiny tensor on the CPU with 2 threads: what the benchmark needs of torch.
torch_works() {
    "$PY" - <<'EOF' >&2 2>/dev/null
import torch
torch.set_num_threads(2)
w = torch.randn(64, 64, requires_grad=True)
opt = torch.optim.AdamW([w], lr=1e-3)
(w @ w).square().mean().backward()
opt.step()
print("torch", torch.__version__, "works on the CPU")
EOF
}

if [[ -f "$MARKER" ]] && "$PY" -c "import torch, transformers, gguf, numpy, accelerate" 2>/dev/null; then
    log "reusing $VENV ($(cat "$MARKER"))"
    echo "$PY"
    exit 0
fi

start=$SECONDS
command -v "$BASE_PYTHON" >/dev/null || { log "$BASE_PYTHON not found; install python3 (apt-get install python3 python3-venv)"; exit 1; }
if [[ ! -x "$PY" ]]; then
    log "creating $VENV"
    mkdir -p "$(dirname "$VENV")"
    "$BASE_PYTHON" -m venv "$VENV" >&2 \
        || { log "'$BASE_PYTHON -m venv' failed; apt-get install python3-venv"; exit 1; }
fi
PIP=("$PY" -m pip install --disable-pip-version-check --quiet)

if ! torch_works; then
    log "installing $TORCH_SPEC without its dependencies (plus filelock, typing-extensions, sympy, networkx, jinja2, fsspec, setuptools)"
    "${PIP[@]}" --no-deps "$TORCH_SPEC" >&2
    "${PIP[@]}" filelock 'typing-extensions>=4.13' 'sympy>=1.13.3' 'networkx>=2.5.1' jinja2 'fsspec>=0.8.5' 'setuptools>=77' >&2
    if torch_works; then
        log "torch without its nvidia-* dependencies works on the CPU; keeping it"
    else
        log "torch without its dependencies does not import on the CPU (it links the CUDA libraries);"
        log "installing $TORCH_SPEC with its full dependency set (nvidia-*, triton: about 4 GB more)"
        "${PIP[@]}" "$TORCH_SPEC" >&2
        torch_works || { log "torch still does not work in $VENV; delete it and rerun, or set TORCH_SPEC"; exit 1; }
    fi
fi
log "installing transformers<5, gguf, numpy, accelerate (transformers needs it to load a GGUF)"
"${PIP[@]}" 'transformers<5' gguf numpy accelerate >&2
"$PY" -c "import torch, transformers, gguf, numpy, accelerate" \
    || { log "the venv's packages don't import; delete $VENV and rerun"; exit 1; }

versions="$("$PY" -c 'from importlib.metadata import version; print(", ".join(n + " " + version(n) for n in ("torch", "transformers", "gguf", "numpy", "accelerate")))')"
echo "$versions" >"$MARKER"
log "ready in $((SECONDS - start)) s: $versions; $(du -sh "$VENV" | cut -f1) on disk"
echo "$PY"
