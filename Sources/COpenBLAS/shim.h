// OpenBLAS's CBLAS declarations (Debian: libopenblas-dev).
#include <cblas.h>

// LAPACK's divide-and-conquer SVD (OpenBLAS exports it; Debian's lapack.h is not always installed).
void sgesdd_(const char *jobz, const int *m, const int *n, float *a, const int *lda, float *s, float *u, const int *ldu,
             float *vt, const int *ldvt, float *work, const int *lwork, int *iwork, int *info);
