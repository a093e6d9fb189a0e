#!/usr/bin/env bash
# Installs the system packages synthlab builds against, only those missing.
# Debian/Ubuntu; run as root (or with sudo available). Safe to run repeatedly.
#   scripts/install-deps.sh          what building and running need
#   scripts/install-deps.sh --test   also what the tests need: headless Chromium (the review page's
#                                    browser test) and a font for its screenshots, and the PostgreSQL
#                                    server (the PostgreSQL store's tests start a private cluster)
#                                    and gdb (a test whose child process hangs reports its stacks)
#   scripts/install-deps.sh --bench  also what building the benchmark peer (llama.cpp) and measuring
#                                    need: cmake, a C++ compiler, GNU time
set -euo pipefail

packages=(libsqlite3-dev libcurl4-openssl-dev libopenblas-dev zlib1g-dev pkg-config sqlite3 python3-pip)
if [ "${1:-}" = "--test" ]; then
  packages+=(chromium fonts-dejavu-core postgresql gdb)
fi
if [ "${1:-}" = "--bench" ]; then
  packages+=(cmake g++ time curl)
fi
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
# pip may come from python3-pip or from a separately installed Python; either will do.
if python3 -m pip --version >/dev/null 2>&1; then
  filtered=()
  for package in "${missing[@]}"; do [ "$package" = python3-pip ] || filtered+=("$package"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "synthlab: installing system packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "error: need root to install ${missing[*]} (hint: run as root, or install them yourself)" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
