#!/usr/bin/env bash
# Builds the benchmark peer: llama.cpp from the tree vendored in the pinned llama-cpp-python sdist
# (scripts/fetch-llama-cpp-vendor.sh), the way a user builds it for their own CPU
# (-DGGML_NATIVE=ON, Release), and only the tools the benchmarks run. Cached outside the
# repository under $SYNTHLAB_HOME; a build for another CPU model is kept apart, since
# GGML_NATIVE compiles for the CPU at hand.
#   scripts/build-llama-cpp.sh     build if missing, print the folder holding the binaries
set -euo pipefail
cd "$(dirname "$0")/.."

vendor=$(scripts/fetch-llama-cpp-vendor.sh --full)
home="${SYNTHLAB_HOME:-$HOME/.cache/synthlab}"
cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//; s/[^A-Za-z0-9]/-/g')
build="$home/llama.cpp-native/${cpu:-unknown-cpu}"
tools=(llama-bench llama-batched-bench llama-server llama-quantize llama-perplexity llama-cli llama-simple)

have_all() {
  for tool in "${tools[@]}"; do [ -x "$build/bin/$tool" ] || return 1; done
}
if have_all; then echo "$build/bin"; exit 0; fi

for command in cmake c++; do
  if ! command -v "$command" >/dev/null 2>&1; then
    echo "error: building llama.cpp needs $command (hint: scripts/install-deps.sh --bench)" >&2
    exit 1
  fi
done
echo "synthlab: building llama.cpp (llama-cpp-python 0.3.36's vendored tree) with -DGGML_NATIVE=ON in $build" >&2
cmake -S "$vendor" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=ON -DLLAMA_BUILD_SERVER=ON -DBUILD_SHARED_LIBS=OFF >&2
cmake --build "$build" --config Release -j "$(nproc)" --target "${tools[@]}" >&2
have_all || { echo "error: the llama.cpp build in $build did not produce every tool" >&2; exit 1; }
echo "$build/bin"
