#!/usr/bin/env bash
# Fetches the llama-cpp-python sdist from PyPI once (pinned, checksummed) and unpacks the parts of
# its vendored llama.cpp tree the tests and benchmarks use: the tokenizer test vectors
# (models/ggml-vocab-*.gguf with .inp/.out) and the real chat templates (models/templates/).
# Nothing of it is committed; it is cached under $SYNTHLAB_HOME (default ~/.cache/synthlab).
#   scripts/fetch-llama-cpp-vendor.sh          fetch if missing, print the vendor directory
#   scripts/fetch-llama-cpp-vendor.sh --full   also unpack the whole tree (to build llama.cpp)
set -euo pipefail

version=0.3.36
sha256=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e
url="https://files.pythonhosted.org/packages/ec/e9/e7de2b0463ea3ffbf0ede6cb21b58c1258a8f6521aae45ca773a59fe7cf3/llama_cpp_python-${version}.tar.gz"

home="${SYNTHLAB_HOME:-$HOME/.cache/synthlab}"
root="$home/llama-cpp-python-$version"
archive="$root/llama_cpp_python-$version.tar.gz"
vendor="$root/llama_cpp_python-$version/vendor/llama.cpp"
mkdir -p "$root"

if [ ! -f "$archive" ]; then
  echo "synthlab: fetching llama-cpp-python $version (sdist, 77 MB) from PyPI" >&2
  tmp="$archive.part"
  if ! curl -fsSL --retry 3 -o "$tmp" "$url"; then
    rm -f "$tmp"
    echo "error: could not download $url (hint: this needs access to files.pythonhosted.org)" >&2
    exit 1
  fi
  actual=$(sha256sum "$tmp" | cut -d' ' -f1)
  if [ "$actual" != "$sha256" ]; then
    rm -f "$tmp"
    echo "error: $url has sha256 $actual, expected $sha256 (the download is corrupt; run again)" >&2
    exit 1
  fi
  mv "$tmp" "$archive"
fi

if [ ! -d "$vendor/models/templates" ]; then
  tar -xzf "$archive" -C "$root" \
    "llama_cpp_python-$version/vendor/llama.cpp/models" \
    "llama_cpp_python-$version/vendor/llama.cpp/LICENSE"
fi
if [ "${1:-}" = "--full" ] && [ ! -f "$vendor/CMakeLists.txt" ]; then
  tar -xzf "$archive" -C "$root"
fi
echo "$vendor"
