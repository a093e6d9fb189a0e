// OpenBLAS's CBLAS declarations (Debian: libopenblas-dev).
#include <cblas.h>
