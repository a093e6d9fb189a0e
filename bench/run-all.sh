#!/usr/bin/env bash
# Runs every benchmark once and prints their ratios (see each script for its peer and targets).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
echo "== taxonomy check, 1,000 leaves"
"$here/taxonomy/run.sh"
echo
echo "== engine vs llama.cpp (llama-cpp-python)"
"$here/engine/run.sh"
echo
echo "== C integer kernels vs their Swift SIMD twin (decode tokens/s)"
"$here/kernels/run.sh"
echo
echo "== OpenAI client vs a fixed-latency stub (64 in flight, 200 ms)"
"$here/openai-client/run.sh"
echo
echo "== compatibility: our client vs llama.cpp's server, the openai client vs synthlab serve"
"$here/openai-compat/run.sh"
