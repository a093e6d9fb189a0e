#!/usr/bin/env bash
# Prints the OpenBLAS kernel this CPU can run (SkylakeX with AVX-512, Haswell with AVX2+FMA), or
# nothing. Debian's OpenBLAS 0.3.21 falls back to its slow generic "Prescott" kernel on CPUs it
# does not recognise; `synthlab` re-launches itself with the right OPENBLAS_CORETYPE (see
# LabTensor's BLASCore), and `make test` sets it this way for the in-process tests.
flags="$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)"
has() { for f in "$@"; do [[ " $flags " == *" $f "* ]] || return 1; done; }
if has avx512f avx512bw avx512vl avx512dq avx512cd; then echo SkylakeX
elif has avx2 fma; then echo Haswell
fi
