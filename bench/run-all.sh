#!/usr/bin/env bash
# Runs every benchmark once and prints their ratios (see each script for its peer and targets).
# A benchmark that misses its target (or fails) is reported and the others still run; the exit
# status says whether all of them passed.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
failed=()
run() {
    local title="$1"; shift
    echo "== $title"
    "$@" || failed+=("$title")
    echo
}
run "taxonomy check, 1,000 leaves" "$here/taxonomy/run.sh"
run "engine vs llama.cpp (built natively)" "$here/engine/run.sh"
run "C integer kernels vs their Swift SIMD twin (decode tokens/s)" "$here/kernels/run.sh"
run "OpenAI client vs a fixed-latency stub (64 in flight, 200 ms)" "$here/openai-client/run.sh"
run "compatibility: our client vs llama.cpp's server, the openai client vs synthlab serve" "$here/openai-compat/run.sh"
run "generation vs ilab data generate, same teacher on llama.cpp's server" "$here/ilab/run.sh"
run "training vs PyTorch full fine-tuning (tokens/s, peak memory)" "$here/train/run.sh"
run "a trained checkpoint in llama.cpp vs our engine (greedy text)" "$here/checkpoint-compat/run.sh"
run "phase 2 with and without the replay buffer (held-out knowledge loss)" "$here/train/replay.sh"
if [[ ${#failed[@]} -gt 0 ]]; then
    printf 'missed or failed: %s\n' "${failed[@]}"
    exit 1
fi
