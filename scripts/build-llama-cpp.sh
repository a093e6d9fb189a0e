#!/usr/bin/env bash
# Builds the benchmark peer: llama.cpp from the tree vendored in the pinned llama-cpp-python sdist
# (scripts/fetch-llama-cpp-vendor.sh), the way a user builds it for their own CPU
# (-DGGML_NATIVE=ON, Release), and only the tools the benchmarks run. Cached outside the
# repository under $SYNTHLAB_HOME; a build for another CPU model is kept apart, since
# GGML_NATIVE compiles for the CPU at hand.
#   scripts/build-llama-cpp.sh          build if missing, print the folder holding the binaries
#   scripts/build-llama-cpp.sh --avx2   the same tree built as GGML_NATIVE builds it on an AVX2-only
#                                       CPU (AVX2, FMA, F16C, BMI2; no AVX-512): the peer of our
#                                       forced AVX2 kernels, so both are measured on any machine
set -euo pipefail
cd "$(dirname "$0")/.."
variant=native
if [ "${1:-}" = --avx2 ]; then variant=avx2; fi

vendor=$(scripts/fetch-llama-cpp-vendor.sh --full)
home="${SYNTHLAB_HOME:-$HOME/.cache/synthlab}"
cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//; s/[^A-Za-z0-9]/-/g')
build="$home/llama.cpp-$variant/${cpu:-unknown-cpu}"
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
if [ "$variant" = avx2 ]; then
  # What -march=native enables on an AVX2-only x86-64 (Haswell to Alder Lake, Zen 1–3).
  cpu_flags=(-DGGML_NATIVE=OFF -DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
             -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF -DGGML_AVX_VNNI=OFF)
else
  cpu_flags=(-DGGML_NATIVE=ON)
fi
echo "synthlab: building llama.cpp (llama-cpp-python 0.3.36's vendored tree) with ${cpu_flags[*]} in $build" >&2
cmake -S "$vendor" -B "$build" -DCMAKE_BUILD_TYPE=Release "${cpu_flags[@]}" -DLLAMA_CURL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=ON -DLLAMA_BUILD_SERVER=ON -DBUILD_SHARED_LIBS=OFF >&2
cmake --build "$build" --config Release -j "$(nproc)" --target "${tools[@]}" >&2
have_all || { echo "error: the llama.cpp build in $build did not produce every tool" >&2; exit 1; }
echo "$build/bin"
