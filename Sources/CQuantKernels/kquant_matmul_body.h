// The body of the batched integer products for the K-quants (Q4_K, Q5_K, Q6_K) against Q8_K
// activations, included once per instruction set by quant_kernels.c after quant_matmul_body.h
// (whose lane_totals, block_headers, prefetch_ahead and LAB_WITH_CONSTANT_K it uses).
//
// A 256-weight super-block has a scale per 32 (Q4_K, Q5_K) or per 16 weights (Q6_K). Eight rows
// are worked at once, as in the 32-weight formats: per 32-weight chunk each row's byte products
// are multiplied by its int16 scales in the same instruction that pairs them up (vpmaddwd), and
// the eight rows' sums reduced to one vector, row r in lane r. The super-block's total T (and,
// for Q4_K/Q5_K, the mins' term M = Σ_j min_j · Σ x over chunk j, from the activations' group
// sums) are exact integers; then, as the portable reference does:
//   Q4_K, Q5_K:  acc = fma(T, d · s, acc); acc = fma(−M, dmin · s, acc)
//   Q6_K:        T −= 32 · Σ_g scale_g · bsum_g (its zero point); acc = fma(T, d · s, acc)

#define LAB_KDOT(w, x, s) _mm256_madd_epi16(_mm256_maddubs_epi16((w), (x)), (s))
// acc + LAB_KDOT(w, x, s): one vpdpwssd with VNNI.
#ifdef LAB_HAS_UNSIGNED_DPBUSD
#define LAB_KDOT_ACC(acc, w, x, s) _mm256_dpwssd_epi32((acc), _mm256_maddubs_epi16((w), (x)), (s))
#else
#define LAB_KDOT_ACC(acc, w, x, s) _mm256_add_epi32((acc), LAB_KDOT((w), (x), (s)))
#endif

// Chunk j (weights 32j … 32j+31) of a Q4_K super-block: the low nibbles of qs[32·(j/2) …] for
// even j, the high nibbles for odd j.
static inline __attribute__((always_inline)) LAB_TARGET __m256i LAB_SUFFIX(q4_k_chunk)(const uint8_t *block, int j) {
    const __m256i v = _mm256_loadu_si256((const __m256i *)(block + 16 + 32 * (j >> 1)));
    const __m256i shifted = (j & 1) ? _mm256_srli_epi16(v, 4) : v;
    return _mm256_and_si256(shifted, _mm256_set1_epi8(0x0F));
}

// Q5_K: as Q4_K (nibbles at byte 48), plus bit j of qh[l] as the fifth bit of weight 32j + l.
static inline __attribute__((always_inline)) LAB_TARGET __m256i LAB_SUFFIX(q5_k_chunk)(const uint8_t *block, int j) {
    const __m256i v = _mm256_loadu_si256((const __m256i *)(block + 48 + 32 * (j >> 1)));
    const __m256i low = _mm256_and_si256((j & 1) ? _mm256_srli_epi16(v, 4) : v, _mm256_set1_epi8(0x0F));
    const __m256i qh = _mm256_loadu_si256((const __m256i *)(block + 16));
    const __m256i bit = _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(j)), _mm256_set1_epi8(1));
    return _mm256_or_si256(low, _mm256_slli_epi16(bit, 4));
}

// Q6_K chunk c (half h = c/4, quarter t = c%4): the low 4 bits from ql[64h + 32·(t%2) + l]
// (low nibble for t < 2, high nibble otherwise), the top 2 from bits 2t, 2t+1 of qh[32h + l];
// values 0–63 (the zero point 32 is taken off through the group sums).
static inline __attribute__((always_inline)) LAB_TARGET __m256i LAB_SUFFIX(q6_k_chunk)(const uint8_t *block, int c) {
    const int h = c >> 2, t = c & 3;
    const __m256i ql = _mm256_loadu_si256((const __m256i *)(block + 64 * h + 32 * (t & 1)));
    const __m256i low = _mm256_and_si256(t >= 2 ? _mm256_srli_epi16(ql, 4) : ql, _mm256_set1_epi8(0x0F));
    const __m256i qh = _mm256_loadu_si256((const __m256i *)(block + 128 + 32 * h));
    const __m256i top = _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(2 * t)), _mm256_set1_epi8(3));
    return _mm256_or_si256(low, _mm256_slli_epi16(top, 4));
}

// The scales and mins of super-block `offset` of eight rows (Q4_K/Q5_K): sc[i][j] is row i's
// scale for chunk j, mins[i] row i's mins as int16 pairs (m0, m0, m1, m1, …) to meet the
// input's 16-value group sums.
static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(k4_scales)(
    const uint8_t *row, size_t row_bytes, size_t offset, uint8_t sc[8][8], __m256i mins[8]) {
    for (int i = 0; i < 8; i++) {
        uint8_t mn[8];
        unpack_k4_scales(row + i * row_bytes + offset + 4, sc[i], mn);
        const __m128i m16 = _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)mn));
        mins[i] = _mm256_set_m128i(_mm_unpackhi_epi16(m16, m16), _mm_unpacklo_epi16(m16, m16));
    }
}

// acc + T·(d·s) − M·(dmin·s), M = Σ_j min_j · (group sums of chunk j), per row (Q4_K/Q5_K).
static inline __attribute__((always_inline)) LAB_TARGET __m256 LAB_SUFFIX(k4_finish)(
    __m256 acc, __m256i T, const __m256i mins[8], const int16_t *groups, float scale, __m256 d, __m256 dmin) {
    const __m256i g = _mm256_loadu_si256((const __m256i *)groups);
    __m256i p[8];
    for (int i = 0; i < 8; i++) p[i] = _mm256_madd_epi16(mins[i], g);
    const __m256 M = _mm256_cvtepi32_ps(LAB_SUFFIX(lane_totals)(p));
    const __m256 s = _mm256_set1_ps(scale);
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(T), _mm256_mul_ps(d, s), acc);
    return _mm256_fnmadd_ps(M, _mm256_mul_ps(dmin, s), acc);
}

// acc + (T − 32 · Σ_g scale_g · bsum_g)·(d·s) per row (Q6_K; scales[i] row i's 16 scales as int16).
static inline __attribute__((always_inline)) LAB_TARGET __m256 LAB_SUFFIX(q6_k_finish)(
    __m256 acc, __m256i T, const __m256i scales[8], const int16_t *groups, float scale, __m256 d) {
    const __m256i g = _mm256_loadu_si256((const __m256i *)groups);
    __m256i p[8];
    for (int i = 0; i < 8; i++) p[i] = _mm256_madd_epi16(scales[i], g);
    const __m256i t = _mm256_sub_epi32(T, _mm256_slli_epi32(LAB_SUFFIX(lane_totals)(p), 5));
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(t), _mm256_mul_ps(d, _mm256_set1_ps(scale)), acc);
}

// Q4_K and Q5_K differ only in the chunk decoder and block size: one body for both.
#define LAB_DEFINE_K4_ROWS8(kind, BYTES)                                                                          \
    static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(kind##_rows8)(                       \
        const uint8_t *row, size_t row_bytes, int blocks, const int8_t *q, size_t q_stride, const float *scale,   \
        const int16_t *bsums, float *out, size_t out_stride, const int K) {                                       \
        __m256 acc[8];                                                                                             \
        for (int k = 0; k < K; k++) acc[k] = _mm256_setzero_ps();                                                  \
        for (int b = 0; b < blocks; b++) {                                                                         \
            LAB_SUFFIX(prefetch_ahead)(row, row_bytes, b, blocks);                                                 \
            uint8_t sc[8][8];                                                                                      \
            __m256i scales[8], mins[8];                                                                            \
            LAB_SUFFIX(k4_scales)(row, row_bytes, BYTES * (size_t)b, sc, mins);                                    \
            /* each row's 8 scales as int16 in both halves, so one byte shuffle broadcasts any of them */         \
            for (int i = 0; i < 8; i++) scales[i] = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)sc[i]))); \
            __m256 d, dmin;                                                                                        \
            LAB_SUFFIX(block_headers)(row + BYTES * (size_t)b, row_bytes, &d, &dmin);                              \
            __m256i T[8];                                                                                          \
            for (int k = 0; k < K; k++) T[k] = _mm256_setzero_si256();                                             \
            /* One input (a decode step): each row's sums stay in its own vector over the eight      */           \
            /* chunks and meet the other rows' once per super-block (exact integers either way).     */           \
            __m256i rows1[8];                                                                                      \
            if (K == 1)                                                                                            \
                for (int i = 0; i < 8; i++) rows1[i] = _mm256_setzero_si256();                                     \
            for (int j = 0; j < 8; j++) {                                                                          \
                const __m256i pick = _mm256_set1_epi16((short)(((2 * j + 1) << 8) | (2 * j)));                     \
                __m256i w[8], s[8];                                                                                \
                for (int i = 0; i < 8; i++) {                                                                      \
                    w[i] = LAB_SUFFIX(kind##_chunk)(row + i * row_bytes + BYTES * (size_t)b, j);                   \
                    s[i] = _mm256_shuffle_epi8(scales[i], pick);                                                   \
                }                                                                                                  \
                if (K == 1) {                                                                                      \
                    const __m256i x = _mm256_loadu_si256((const __m256i *)(q + 256 * (size_t)b + 32 * j));         \
                    for (int i = 0; i < 8; i++) rows1[i] = LAB_KDOT_ACC(rows1[i], w[i], x, s[i]);                  \
                    continue;                                                                                      \
                }                                                                                                  \
                for (int k = 0; k < K; k++) {                                                                      \
                    const __m256i x = _mm256_loadu_si256((const __m256i *)(q + k * q_stride + 256 * (size_t)b + 32 * j)); \
                    __m256i p[8];                                                                                  \
                    for (int i = 0; i < 8; i++) p[i] = LAB_KDOT(w[i], x, s[i]);                                    \
                    T[k] = _mm256_add_epi32(T[k], LAB_SUFFIX(lane_totals)(p));                                     \
                }                                                                                                  \
            }                                                                                                      \
            if (K == 1) T[0] = LAB_SUFFIX(lane_totals)(rows1);                                                     \
            for (int k = 0; k < K; k++) {                                                                          \
                const size_t sb = k * (size_t)blocks + b;                                                          \
                acc[k] = LAB_SUFFIX(k4_finish)(acc[k], T[k], mins, bsums + 16 * sb, scale[sb], d, dmin);           \
            }                                                                                                      \
        }                                                                                                          \
        for (int k = 0; k < K; k++) _mm256_storeu_ps(out + k * out_stride, acc[k]);                                \
    }

LAB_DEFINE_K4_ROWS8(q4_k, 144)
LAB_DEFINE_K4_ROWS8(q5_k, 176)
#undef LAB_DEFINE_K4_ROWS8

static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(q6_k_rows8)(
    const uint8_t *row, size_t row_bytes, int blocks, const int8_t *q, size_t q_stride, const float *scale,
    const int16_t *bsums, float *out, size_t out_stride, const int K) {
    __m256 acc[8];
    for (int k = 0; k < K; k++) acc[k] = _mm256_setzero_ps();
    for (int b = 0; b < blocks; b++) {
        LAB_SUFFIX(prefetch_ahead)(row, row_bytes, b, blocks);
        __m256i scales[8];
        for (int i = 0; i < 8; i++) {
            scales[i] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(row + i * row_bytes + 210 * (size_t)b + 192)));
        }
        // Scales 2c and 2c+1 (one int32 lane of `scales`) broadcast to the low and high halves.
        const __m256i halves = _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1,
                                                2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3);
        __m256 d, unused;
        LAB_SUFFIX(block_headers)(row + 210 * (size_t)b + 208, row_bytes, &d, &unused);
        __m256i T[8];
        for (int k = 0; k < K; k++) T[k] = _mm256_setzero_si256();
        // One input: per-row sums over the whole super-block, as in the Q4_K/Q5_K body.
        __m256i rows1[8];
        if (K == 1)
            for (int i = 0; i < 8; i++) rows1[i] = _mm256_setzero_si256();
        for (int c = 0; c < 8; c++) {
            __m256i w[8], s[8];
            const __m256i lane = _mm256_set1_epi32(c);
            for (int i = 0; i < 8; i++) {
                w[i] = LAB_SUFFIX(q6_k_chunk)(row + i * row_bytes + 210 * (size_t)b, c);
                s[i] = _mm256_shuffle_epi8(_mm256_permutevar8x32_epi32(scales[i], lane), halves);
            }
            if (K == 1) {
                const __m256i x = _mm256_loadu_si256((const __m256i *)(q + 256 * (size_t)b + 32 * c));
                for (int i = 0; i < 8; i++) rows1[i] = LAB_KDOT_ACC(rows1[i], w[i], x, s[i]);
                continue;
            }
            for (int k = 0; k < K; k++) {
                const __m256i x = _mm256_loadu_si256((const __m256i *)(q + k * q_stride + 256 * (size_t)b + 32 * c));
                __m256i p[8];
                for (int i = 0; i < 8; i++) p[i] = LAB_KDOT(w[i], x, s[i]);
                T[k] = _mm256_add_epi32(T[k], LAB_SUFFIX(lane_totals)(p));
            }
        }
        if (K == 1) T[0] = LAB_SUFFIX(lane_totals)(rows1);
        for (int k = 0; k < K; k++) {
            const size_t sb = k * (size_t)blocks + b;
            acc[k] = LAB_SUFFIX(q6_k_finish)(acc[k], T[k], scales, bsums + 16 * sb, scale[sb], d);
        }
    }
    for (int k = 0; k < K; k++) _mm256_storeu_ps(out + k * out_stride, acc[k]);
}
#undef LAB_KDOT
#undef LAB_KDOT_ACC

// ---- Several inputs: the transposed path (see quant_matmul_body.h) -----------------------------
// Each 32-weight chunk of eight rows is transposed; a chunk's exact dot products come out one row
// per lane and are multiplied by the eight rows' scales for that chunk (or, for Q6_K, its two
// 16-weight halves), themselves transposed once per super-block. With fewer than
// LAB_KSTRIP_INPUTS inputs each group of inputs decodes the chunks as it goes (kind##_gemm8);
// with more, a strip of eight rows is decoded once into `lab_kstrip_block`s that every group
// reads (kind##_strip, kind##_strip_gemm8) instead of again per group of four (AVX2) or eight
// (VNNI): one Zen 4 core, 576×1536 × 256 inputs, Q6_K 5.3 → 3.0 ms (AVX2) and 3.9 → 1.7 (VNNI),
// Q5_K 5.5 → 3.2 and 3.7 → 1.7. Both paths run the same helpers in the same order: the same bits.

// Lane i of out[j] = v_i[j] for eight rows' eight small values each (int32).
static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(scales_by_chunk)(const __m128i rows[8], __m256i out[8], int sign) {
    for (int i = 0; i < 8; i++) out[i] = sign ? _mm256_cvtepi8_epi32(rows[i]) : _mm256_cvtepu8_epi32(rows[i]);
    LAB_SUFFIX(transpose8)(out);
}

#ifndef LAB_KSTRIP_BLOCK_DEFINED
#define LAB_KSTRIP_BLOCK_DEFINED
// Inputs from which a product decodes its strips once (below that, per group of inputs).
#define LAB_KSTRIP_INPUTS 16
// What a super-block's finish needs, and its scales by chunk.
typedef struct {
    __m256i scales[16];  // Q4_K/Q5_K: chunk j's scales by row (0–7); Q6_K: group g's (0–15)
    __m256i extra[8];    // Q4_K/Q5_K: mins (k4_scales); Q6_K: each row's 16 scales as int16
    __m256 d, dmin;
} lab_kblock_header;
typedef struct {
    __m256i g[8][8];  // chunk c's eight rows, transposed (transpose8)
    lab_kblock_header h;
} lab_kstrip_block;
#endif

#define LAB_DEFINE_K4_PARTS(kind, BYTES)                                                                          \
    static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(kind##_header)(                      \
        const uint8_t *row, size_t row_bytes, int b, lab_kblock_header *h) {                                      \
        uint8_t sc[8][8];                                                                                          \
        __m128i packed[8];                                                                                         \
        LAB_SUFFIX(k4_scales)(row, row_bytes, BYTES * (size_t)b, sc, h->extra);                                    \
        for (int i = 0; i < 8; i++) packed[i] = _mm_loadl_epi64((const __m128i *)sc[i]);                           \
        LAB_SUFFIX(scales_by_chunk)(packed, h->scales, 0);                                                         \
        LAB_SUFFIX(block_headers)(row + BYTES * (size_t)b, row_bytes, &h->d, &h->dmin);                            \
    }                                                                                                              \
    static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(kind##_chunk8)(                      \
        const uint8_t *row, size_t row_bytes, int b, int j, __m256i g[8]) {                                       \
        for (int i = 0; i < 8; i++) g[i] = LAB_SUFFIX(kind##_chunk)(row + i * row_bytes + BYTES * (size_t)b, j);   \
        LAB_SUFFIX(transpose8)(g);                                                                                 \
    }                                                                                                              \
    static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(kind##_chunk_gemm)(                  \
        const __m256i g[8], const lab_kblock_header *h, int b, int j, const int8_t *q, size_t q_stride,            \
        __m256i *T, const int K) {                                                                                 \
        for (int k = 0; k < K; k++) {                                                                              \
            const uint8_t *x = (const uint8_t *)(q + k * q_stride + 256 * (size_t)b + 32 * j);                     \
            __m256i t = _mm256_setzero_si256();                                                                    \
            for (int e = 0; e < 8; e++) t = LAB_DOT_ACC(t, g[e], _mm256_set1_epi32(load_u32(x + 4 * e)));          \
            T[k] = _mm256_add_epi32(T[k], _mm256_mullo_epi32(t, h->scales[j]));                                    \
        }                                                                                                          \
    }                                                                                                              \
    static inline __attribute__((always_inline)) LAB_TARGET __m256 LAB_SUFFIX(kind##_block_finish)(              \
        __m256 acc, __m256i T, const lab_kblock_header *h, const int16_t *groups, float scale) {                  \
        return LAB_SUFFIX(k4_finish)(acc, T, h->extra, groups, scale, h->d, h->dmin);                              \
    }

LAB_DEFINE_K4_PARTS(q4_k, 144)
LAB_DEFINE_K4_PARTS(q5_k, 176)
#undef LAB_DEFINE_K4_PARTS

static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(q6_k_header)(
    const uint8_t *row, size_t row_bytes, int b, lab_kblock_header *h) {
    __m128i first[8], second[8];
    for (int i = 0; i < 8; i++) {
        const uint8_t *sc = row + i * row_bytes + 210 * (size_t)b + 192;
        h->extra[i] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)sc));
        first[i] = _mm_loadl_epi64((const __m128i *)sc);
        second[i] = _mm_loadl_epi64((const __m128i *)(sc + 8));
    }
    // scales[g]: the eight rows' scale g, one row per lane.
    LAB_SUFFIX(scales_by_chunk)(first, h->scales, 1);
    LAB_SUFFIX(scales_by_chunk)(second, h->scales + 8, 1);
    LAB_SUFFIX(block_headers)(row + 210 * (size_t)b + 208, row_bytes, &h->d, &h->dmin);
}

static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(q6_k_chunk8)(
    const uint8_t *row, size_t row_bytes, int b, int c, __m256i g[8]) {
    for (int i = 0; i < 8; i++) g[i] = LAB_SUFFIX(q6_k_chunk)(row + i * row_bytes + 210 * (size_t)b, c);
    LAB_SUFFIX(transpose8)(g);
}

static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(q6_k_chunk_gemm)(
    const __m256i g[8], const lab_kblock_header *h, int b, int c, const int8_t *q, size_t q_stride, __m256i *T, const int K) {
    const __m256i s0 = h->scales[2 * c], s1 = h->scales[2 * c + 1];
    for (int k = 0; k < K; k++) {
        const uint8_t *x = (const uint8_t *)(q + k * q_stride + 256 * (size_t)b + 32 * c);
        __m256i t0 = _mm256_setzero_si256(), t1 = _mm256_setzero_si256();
        for (int e = 0; e < 4; e++) t0 = LAB_DOT_ACC(t0, g[e], _mm256_set1_epi32(load_u32(x + 4 * e)));
        for (int e = 4; e < 8; e++) t1 = LAB_DOT_ACC(t1, g[e], _mm256_set1_epi32(load_u32(x + 4 * e)));
        T[k] = _mm256_add_epi32(T[k], _mm256_add_epi32(_mm256_mullo_epi32(t0, s0), _mm256_mullo_epi32(t1, s1)));
    }
}

static inline __attribute__((always_inline)) LAB_TARGET __m256 LAB_SUFFIX(q6_k_block_finish)(
    __m256 acc, __m256i T, const lab_kblock_header *h, const int16_t *groups, float scale) {
    return LAB_SUFFIX(q6_k_finish)(acc, T, h->extra, groups, scale, h->d);
}

// The two paths over the parts above: per group of inputs, and through a decoded strip.
#define LAB_DEFINE_K_PATHS(kind)                                                                                  \
    static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(kind##_gemm8)(                       \
        const uint8_t *row, size_t row_bytes, int blocks, const int8_t *q, size_t q_stride, const float *scale,   \
        const int16_t *bsums, float *out, size_t out_stride, const int K) {                                       \
        __m256 acc[8];                                                                                             \
        for (int k = 0; k < K; k++) acc[k] = _mm256_setzero_ps();                                                  \
        for (int b = 0; b < blocks; b++) {                                                                         \
            LAB_SUFFIX(prefetch_ahead)(row, row_bytes, b, blocks);                                                 \
            lab_kblock_header h;                                                                                   \
            LAB_SUFFIX(kind##_header)(row, row_bytes, b, &h);                                                      \
            __m256i T[8];                                                                                          \
            for (int k = 0; k < K; k++) T[k] = _mm256_setzero_si256();                                             \
            for (int c = 0; c < 8; c++) {                                                                          \
                __m256i g[8];                                                                                      \
                LAB_SUFFIX(kind##_chunk8)(row, row_bytes, b, c, g);                                                \
                LAB_SUFFIX(kind##_chunk_gemm)(g, &h, b, c, q, q_stride, T, K);                                     \
            }                                                                                                      \
            for (int k = 0; k < K; k++) {                                                                          \
                const size_t sb = k * (size_t)blocks + b;                                                          \
                acc[k] = LAB_SUFFIX(kind##_block_finish)(acc[k], T[k], &h, bsums + 16 * sb, scale[sb]);            \
            }                                                                                                      \
        }                                                                                                          \
        for (int k = 0; k < K; k++) _mm256_storeu_ps(out + k * out_stride, acc[k]);                                \
    }                                                                                                              \
    static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(kind##_strip)(                       \
        const uint8_t *row, size_t row_bytes, int blocks, lab_kstrip_block *strip) {                              \
        for (int b = 0; b < blocks; b++) {                                                                         \
            LAB_SUFFIX(prefetch_ahead)(row, row_bytes, b, blocks);                                                 \
            LAB_SUFFIX(kind##_header)(row, row_bytes, b, &strip[b].h);                                             \
            for (int c = 0; c < 8; c++) LAB_SUFFIX(kind##_chunk8)(row, row_bytes, b, c, strip[b].g[c]);            \
        }                                                                                                          \
    }                                                                                                              \
    static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(kind##_strip_gemm8)(                 \
        const lab_kstrip_block *strip, int blocks, const int8_t *q, size_t q_stride, const float *scale,          \
        const int16_t *bsums, float *out, size_t out_stride, const int K) {                                       \
        __m256 acc[8];                                                                                             \
        for (int k = 0; k < K; k++) acc[k] = _mm256_setzero_ps();                                                  \
        for (int b = 0; b < blocks; b++) {                                                                         \
            __m256i T[8];                                                                                          \
            for (int k = 0; k < K; k++) T[k] = _mm256_setzero_si256();                                             \
            for (int c = 0; c < 8; c++) LAB_SUFFIX(kind##_chunk_gemm)(strip[b].g[c], &strip[b].h, b, c, q, q_stride, T, K); \
            for (int k = 0; k < K; k++) {                                                                          \
                const size_t sb = k * (size_t)blocks + b;                                                          \
                acc[k] = LAB_SUFFIX(kind##_block_finish)(acc[k], T[k], &strip[b].h, bsums + 16 * sb, scale[sb]);   \
            }                                                                                                      \
        }                                                                                                          \
        for (int k = 0; k < K; k++) _mm256_storeu_ps(out + k * out_stride, acc[k]);                                \
    }

LAB_DEFINE_K_PATHS(q4_k)
LAB_DEFINE_K_PATHS(q5_k)
LAB_DEFINE_K_PATHS(q6_k)
#undef LAB_DEFINE_K_PATHS

// The driver: tiles of rows, groups of inputs, eight rows at a time; rows left over from the
// eights go through the portable reference (equal by definition; real models have none).
#define LAB_DEFINE_KMATMUL(kind)                                                                                    \
    LAB_TARGET static void LAB_SUFFIX(matmul_##kind)(const void *weights, size_t row_bytes, int row_begin, int row_end, \
                                                     int blocks, int inputs, const int8_t *q, const float *scale,   \
                                                     const int16_t *bsums, float *out, size_t out_stride) {         \
        const size_t q_stride = 256 * (size_t)blocks;                                                               \
        /* Enough inputs to pay for the strip's decoding many times over: decode each strip once. */              \
        lab_kstrip_block *strip = inputs >= LAB_KSTRIP_INPUTS                                                      \
                                      ? aligned_alloc(32, sizeof(lab_kstrip_block) * (size_t)blocks)             \
                                      : NULL;                                                                       \
        if (strip) {                                                                                                \
            const int eights_end = row_begin + (row_end - row_begin) / 8 * 8;                                       \
            for (int r = row_begin; r < eights_end; r += 8) {                                                       \
                const uint8_t *row = (const uint8_t *)weights + (size_t)r * row_bytes;                              \
                LAB_SUFFIX(kind##_strip)(row, row_bytes, blocks, strip);                                            \
                for (int n = 0; n < inputs; n += LAB_GROUP) {                                                       \
                    const int K = inputs - n < LAB_GROUP ? inputs - n : LAB_GROUP;                                  \
                    const int8_t *qn = q + n * q_stride;                                                            \
                    const float *sn = scale + (size_t)n * blocks;                                                   \
                    const int16_t *bn = bsums + (size_t)n * blocks * 16;                                            \
                    float *o = out + n * out_stride + r;                                                            \
                    if (K >= 4) {                                                                                   \
                        LAB_WITH_CONSTANT_K(K, LAB_KSTRIP_CALL_##kind)                                             \
                    } else {                                                                                        \
                        LAB_WITH_CONSTANT_K(K, LAB_KROWS8_CALL_##kind)                                             \
                    }                                                                                               \
                }                                                                                                   \
            }                                                                                                       \
            free(strip);                                                                                            \
            if (eights_end < row_end)                                                                               \
                matmul_##kind##_portable(weights, row_bytes, eights_end, row_end, blocks, inputs, q, scale, bsums, out, out_stride); \
            return;                                                                                                 \
        }                                                                                                           \
        for (int tile = row_begin; tile < row_end; tile += LAB_ROW_TILE) {                                          \
            const int tile_end = tile + LAB_ROW_TILE < row_end ? tile + LAB_ROW_TILE : row_end;                     \
            const int eights_end = tile + (tile_end - tile) / 8 * 8;                                                \
            for (int n = 0; n < inputs; n += LAB_GROUP) {                                                           \
                const int K = inputs - n < LAB_GROUP ? inputs - n : LAB_GROUP;                                      \
                const int8_t *qn = q + n * q_stride;                                                                \
                const float *sn = scale + (size_t)n * blocks;                                                       \
                const int16_t *bn = bsums + (size_t)n * blocks * 16;                                                \
                for (int r = tile; r < eights_end; r += 8) {                                                        \
                    const uint8_t *row = (const uint8_t *)weights + (size_t)r * row_bytes;                          \
                    float *o = out + n * out_stride + r;                                                            \
                    if (K >= 4) {                                                                                   \
                        LAB_WITH_CONSTANT_K(K, LAB_KGEMM8_CALL_##kind)                                             \
                    } else {                                                                                        \
                        LAB_WITH_CONSTANT_K(K, LAB_KROWS8_CALL_##kind)                                             \
                    }                                                                                               \
                }                                                                                                   \
            }                                                                                                       \
            if (eights_end < tile_end)                                                                              \
                matmul_##kind##_portable(weights, row_bytes, eights_end, tile_end, blocks, inputs, q, scale, bsums, out, out_stride); \
        }                                                                                                           \
    }

#define LAB_KROWS8_CALL_q4_k(K) LAB_SUFFIX(q4_k_rows8)(row, row_bytes, blocks, qn, q_stride, sn, bn, o, out_stride, K)
#define LAB_KROWS8_CALL_q5_k(K) LAB_SUFFIX(q5_k_rows8)(row, row_bytes, blocks, qn, q_stride, sn, bn, o, out_stride, K)
#define LAB_KROWS8_CALL_q6_k(K) LAB_SUFFIX(q6_k_rows8)(row, row_bytes, blocks, qn, q_stride, sn, bn, o, out_stride, K)
#define LAB_KGEMM8_CALL_q4_k(K) LAB_SUFFIX(q4_k_gemm8)(row, row_bytes, blocks, qn, q_stride, sn, bn, o, out_stride, K)
#define LAB_KGEMM8_CALL_q5_k(K) LAB_SUFFIX(q5_k_gemm8)(row, row_bytes, blocks, qn, q_stride, sn, bn, o, out_stride, K)
#define LAB_KGEMM8_CALL_q6_k(K) LAB_SUFFIX(q6_k_gemm8)(row, row_bytes, blocks, qn, q_stride, sn, bn, o, out_stride, K)
#define LAB_KSTRIP_CALL_q4_k(K) LAB_SUFFIX(q4_k_strip_gemm8)(strip, blocks, qn, q_stride, sn, bn, o, out_stride, K)
#define LAB_KSTRIP_CALL_q5_k(K) LAB_SUFFIX(q5_k_strip_gemm8)(strip, blocks, qn, q_stride, sn, bn, o, out_stride, K)
#define LAB_KSTRIP_CALL_q6_k(K) LAB_SUFFIX(q6_k_strip_gemm8)(strip, blocks, qn, q_stride, sn, bn, o, out_stride, K)
LAB_DEFINE_KMATMUL(q4_k)
LAB_DEFINE_KMATMUL(q5_k)
LAB_DEFINE_KMATMUL(q6_k)
#undef LAB_KROWS8_CALL_q4_k
#undef LAB_KROWS8_CALL_q5_k
#undef LAB_KROWS8_CALL_q6_k
#undef LAB_KGEMM8_CALL_q4_k
#undef LAB_KGEMM8_CALL_q5_k
#undef LAB_KGEMM8_CALL_q6_k
#undef LAB_KSTRIP_CALL_q4_k
#undef LAB_KSTRIP_CALL_q5_k
#undef LAB_KSTRIP_CALL_q6_k
#undef LAB_DEFINE_KMATMUL
#undef LAB_WITH_CONSTANT_K
