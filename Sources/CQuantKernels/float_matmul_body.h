// The body of the products with Float weights (F32, F16, BF16), included by quant_kernels.c for
// the AVX2 variant. Each (row, input) product sees the portable reference's operations in its
// order: lane j mod 32 += w[j] · x[j] in column order; lanes folded to eight as
// (l[m] + l[m+8]) + (l[m+16] + l[m+24]); then ((v0+v4)+(v2+v6)) + ((v1+v5)+(v3+v7)).

static inline __attribute__((always_inline)) LAB_TARGET __m256 LAB_SUFFIX(load8)(int format, const uint8_t *row, int c) {
    switch (format) {
    case LAB_FORMAT_F16: return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + 2 * (size_t)c)));
    case LAB_FORMAT_BF16:
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(row + 2 * (size_t)c))), 16));
    default: return _mm256_loadu_ps((const float *)(row + 4 * (size_t)c));
    }
}

static inline __attribute__((always_inline)) LAB_TARGET float LAB_SUFFIX(lanes_total)(__m256 a) {
    __m128 t = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));  // l0+l4 … l3+l7
    t = _mm_add_ps(t, _mm_movehl_ps(t, t));                                       // (l0+l4)+(l2+l6), (l1+l5)+(l3+l7)
    return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
}

// R rows × K inputs (R·K ≤ 2), four accumulators of eight lanes each: one or two sequential
// streams of weights per thread, which the hardware prefetcher follows at full speed.
#define LAB_FLOAT_ROWS(R, K)                                                                                       \
    do {                                                                                                           \
        __m256 acc[R][K][4];                                                                                       \
        for (int i = 0; i < R; i++)                                                                                \
            for (int k = 0; k < K; k++)                                                                            \
                for (int q = 0; q < 4; q++) acc[i][k][q] = _mm256_setzero_ps();                                    \
        for (int c = 0; c < columns; c += 32) {                                                                    \
            for (int q = 0; q < 4; q++) {                                                                          \
                __m256 x[K];                                                                                       \
                for (int k = 0; k < K; k++) x[k] = _mm256_loadu_ps(xn + (size_t)k * columns + c + 8 * q);          \
                for (int i = 0; i < R; i++) {                                                                      \
                    const __m256 w = LAB_SUFFIX(load8)(format, row + i * row_bytes, c + 8 * q);                    \
                    for (int k = 0; k < K; k++) acc[i][k][q] = _mm256_fmadd_ps(w, x[k], acc[i][k][q]);             \
                }                                                                                                  \
            }                                                                                                      \
        }                                                                                                          \
        for (int i = 0; i < R; i++)                                                                                \
            for (int k = 0; k < K; k++) {                                                                          \
                const __m256 v = _mm256_add_ps(_mm256_add_ps(acc[i][k][0], acc[i][k][1]),                          \
                                               _mm256_add_ps(acc[i][k][2], acc[i][k][3]));                         \
                out[(n + k) * out_stride + r + i] = LAB_SUFFIX(lanes_total)(v);                                    \
            }                                                                                                      \
    } while (0)

// One instantiation per format, so the format switch in load8 folds away.
#define LAB_DEFINE_FLOAT_MATMUL(kind, FORMAT)                                                                      \
    LAB_TARGET static void LAB_SUFFIX(matmul_##kind)(const void *weights, size_t row_bytes, int row_begin, int row_end, \
                                                     int columns, int inputs, const float *x, float *out, size_t out_stride) { \
        const int format = FORMAT;                                                                                 \
        for (int n = 0; n < inputs; n += 2) {                                                                      \
            const float *xn = x + (size_t)n * columns;                                                             \
            const int pair = inputs - n >= 2;                                                                      \
            int r = row_begin;                                                                                     \
            if (pair) {                                                                                            \
                for (; r < row_end; r++) {                                                                         \
                    const uint8_t *row = (const uint8_t *)weights + (size_t)r * row_bytes;                         \
                    LAB_FLOAT_ROWS(1, 2);                                                                          \
                }                                                                                                  \
            } else {                                                                                               \
                for (; r < row_end; r++) {                                                                         \
                    const uint8_t *row = (const uint8_t *)weights + (size_t)r * row_bytes;                         \
                    LAB_FLOAT_ROWS(1, 1);                                                                          \
                }                                                                                                  \
            }                                                                                                      \
        }                                                                                                          \
    }

LAB_DEFINE_FLOAT_MATMUL(f32, LAB_FORMAT_F32)
LAB_DEFINE_FLOAT_MATMUL(f16, LAB_FORMAT_F16)
LAB_DEFINE_FLOAT_MATMUL(bf16, LAB_FORMAT_BF16)
#undef LAB_DEFINE_FLOAT_MATMUL
#undef LAB_FLOAT_ROWS
