// The body of the batched integer products, included once per instruction set by
// quant_kernels.c. Before including, define:
//   LAB_SUFFIX(name)  the function name for this variant
//   LAB_TARGET        a target attribute for this variant (or nothing)
//   LAB_GROUP         inputs per pass over a weight row (at most 8)
//   LAB_DOT(w, x)     8 int32 partial sums of (u8 w) · (s8 x) over a 32-byte pair of vectors
//
// The activation scales arrive broadcast (scale8: 8 copies of each block's scale), so the
// per-input work of a block is one dot, one conversion and two vector multiplies.
//
// A group of K ≤ LAB_GROUP inputs (4 with AVX2's 16 vector registers, 8 with AVX-512's 32)
// shares each decoded weight block, so a block is unpacked once per group; every output is still computed exactly as the single-input kernel would, block
// by block in the same order, so a sequence's results don't depend on its batch.

// One block of a Q4_1 row against K inputs, into accumulator set `a` (even or odd blocks: two
// sets halve the dependency chains through the multiply-adds, which otherwise bound one input).
#define LAB_Q4_1_BLOCK(b, a)                                                                                        \
    do {                                                                                                            \
        const uint8_t *block = row + 20 * (b);                                                                      \
        const __m128i packed = _mm_loadu_si128((const __m128i *)(block + 4));                                      \
        /* Weights 0–15 are the low nibbles, 16–31 the high ones. */                                                \
        const __m256i w = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(packed, 4), low_mask), _mm_and_si128(packed, low_mask)); \
        const __m256 d = _mm256_set1_ps(half_to_float(load_u16(block)));                                           \
        const float m = half_to_float(load_u16(block + 2));                                                         \
        for (int k = 0; k < K; k++) {                                                                               \
            const size_t s = k * (size_t)blocks + (b);                                                              \
            const __m256i x = _mm256_loadu_si256((const __m256i *)(q + k * q_stride + 32 * (size_t)(b)));          \
            const __m256 xs = _mm256_mul_ps(_mm256_cvtepi32_ps(LAB_DOT(w, x)), _mm256_loadu_ps(scale8 + 8 * s));   \
            acc[a][k] = _mm256_fmadd_ps(d, xs, acc[a][k]);                                                          \
            offset[a][k] += m * sum[s];                                                                             \
        }                                                                                                           \
    } while (0)

#ifndef LAB_ROW_TILE
#define LAB_ROW_TILE 32
#endif

static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(q4_1_group)(
    const uint8_t *row, int blocks, const int8_t *q, size_t q_stride, const float *scale8, const float *sum,
    float *out, size_t out_stride, const int K) {
    __m256 acc[2][8];
    float offset[2][8];
    for (int k = 0; k < K; k++) {
        acc[0][k] = acc[1][k] = _mm256_setzero_ps();
        offset[0][k] = offset[1][k] = 0;
    }
    const __m128i low_mask = _mm_set1_epi8(0x0F);
    int b = 0;
    for (; b + 1 < blocks; b += 2) {
        LAB_Q4_1_BLOCK(b, 0);
        LAB_Q4_1_BLOCK(b + 1, 1);
    }
    if (b < blocks) LAB_Q4_1_BLOCK(b, 0);
    for (int k = 0; k < K; k++) {
        out[k * out_stride] = horizontal_sum(_mm256_add_ps(acc[0][k], acc[1][k])) + (offset[0][k] + offset[1][k]);
    }
}

#define LAB_Q8_0_BLOCK(b, a)                                                                                        \
    do {                                                                                                            \
        const uint8_t *block = row + 34 * (b);                                                                      \
        const __m256i w = _mm256_loadu_si256((const __m256i *)(block + 2));                                        \
        /* The byte products take unsigned weights: move each weight's sign onto the input. */                      \
        const __m256i magnitude = _mm256_sign_epi8(w, w);                                                           \
        const __m256 d = _mm256_set1_ps(half_to_float(load_u16(block)));                                           \
        for (int k = 0; k < K; k++) {                                                                               \
            const size_t s = k * (size_t)blocks + (b);                                                              \
            const __m256i x = _mm256_loadu_si256((const __m256i *)(q + k * q_stride + 32 * (size_t)(b)));          \
            const __m256i dot = LAB_DOT(magnitude, _mm256_sign_epi8(x, w));                                         \
            const __m256 xs = _mm256_mul_ps(_mm256_cvtepi32_ps(dot), _mm256_loadu_ps(scale8 + 8 * s));             \
            acc[a][k] = _mm256_fmadd_ps(d, xs, acc[a][k]);                                                          \
        }                                                                                                           \
    } while (0)

static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(q8_0_group)(
    const uint8_t *row, int blocks, const int8_t *q, size_t q_stride, const float *scale8, const float *sum,
    float *out, size_t out_stride, const int K) {
    (void)sum;  // Q8_0 has no offset term; the parameter keeps one driver for both formats
    __m256 acc[2][8];
    for (int k = 0; k < K; k++) acc[0][k] = acc[1][k] = _mm256_setzero_ps();
    int b = 0;
    for (; b + 1 < blocks; b += 2) {
        LAB_Q8_0_BLOCK(b, 0);
        LAB_Q8_0_BLOCK(b + 1, 1);
    }
    if (b < blocks) LAB_Q8_0_BLOCK(b, 0);
    for (int k = 0; k < K; k++) out[k * out_stride] = horizontal_sum(_mm256_add_ps(acc[0][k], acc[1][k]));
}

// The driver for both formats: rows in tiles that stay in L2 while each group of inputs (in
// L1) passes over them; the switch makes each group size a constant, so its loops unroll.
#define LAB_DEFINE_MATMUL(kind)                                                                                     \
    LAB_TARGET static void LAB_SUFFIX(matmul_##kind)(const void *weights, size_t row_bytes, int row_begin, int row_end, \
                                                     int blocks, int inputs, const int8_t *q, const float *scale8,  \
                                                     const float *sum, float *out, size_t out_stride) {             \
        const size_t q_stride = 32 * (size_t)blocks;                                                                \
        for (int tile = row_begin; tile < row_end; tile += LAB_ROW_TILE) {                                          \
            const int tile_end = tile + LAB_ROW_TILE < row_end ? tile + LAB_ROW_TILE : row_end;                     \
            for (int n = 0; n < inputs; n += LAB_GROUP) {                                                           \
                const int K = inputs - n < LAB_GROUP ? inputs - n : LAB_GROUP;                                      \
                const int8_t *qn = q + n * q_stride;                                                                \
                const float *sn = scale8 + 8 * (size_t)n * blocks, *un = sum ? sum + (size_t)n * blocks : NULL;     \
                for (int r = tile; r < tile_end; r++) {                                                             \
                    const uint8_t *row = (const uint8_t *)weights + (size_t)r * row_bytes;                          \
                    float *o = out + n * out_stride + r;                                                            \
                    switch (K) {                                                                                    \
                    case 1: LAB_SUFFIX(kind##_group)(row, blocks, qn, q_stride, sn, un, o, out_stride, 1); break;    \
                    case 2: LAB_SUFFIX(kind##_group)(row, blocks, qn, q_stride, sn, un, o, out_stride, 2); break;    \
                    case 3: LAB_SUFFIX(kind##_group)(row, blocks, qn, q_stride, sn, un, o, out_stride, 3); break;    \
                    case 4: LAB_SUFFIX(kind##_group)(row, blocks, qn, q_stride, sn, un, o, out_stride, 4); break;    \
                    case 5: LAB_SUFFIX(kind##_group)(row, blocks, qn, q_stride, sn, un, o, out_stride, 5); break;    \
                    case 6: LAB_SUFFIX(kind##_group)(row, blocks, qn, q_stride, sn, un, o, out_stride, 6); break;    \
                    case 7: LAB_SUFFIX(kind##_group)(row, blocks, qn, q_stride, sn, un, o, out_stride, 7); break;    \
                    default: LAB_SUFFIX(kind##_group)(row, blocks, qn, q_stride, sn, un, o, out_stride, 8); break;   \
                    }                                                                                               \
                }                                                                                                   \
            }                                                                                                       \
        }                                                                                                           \
    }

LAB_DEFINE_MATMUL(q4_1)
LAB_DEFINE_MATMUL(q8_0)

#undef LAB_Q4_1_BLOCK
#undef LAB_Q8_0_BLOCK
#undef LAB_DEFINE_MATMUL
