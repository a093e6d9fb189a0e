// The body of the batched integer products for the 32-weight block formats (Q4_0, Q4_1, Q5_0,
// Q5_1, Q8_0), included once per instruction set by quant_kernels.c. Before including, define:
//   LAB_SUFFIX(name)  the function name for this variant
//   LAB_TARGET        a target attribute for this variant (or nothing)
//   LAB_GROUP         inputs per pass over a group of weight rows (at most 8)
//   LAB_DOT(w, x)     8 int32 partial sums of (u8 w) · (s8 x) over a 32-byte pair of vectors
//
// Eight weight rows are worked at once, one row per vector lane. For each block the eight
// rows' partial sums are added up to one vector of exact integer block sums (row r in lane r),
// so the Float work of a block (conversion, scale, multiply-add) is done once for eight rows
// instead of once per row, and the eight results leave in one store. Each row decoded into
// registers serves every input of the group.
//
// Every output is computed as the portable reference in quant_kernels.c does, block by block:
//   acc = fma(T_b, d_b · s_b, acc), then for formats with an offset acc = fma(m_b, sum_b, acc)
// with T_b the exact integer dot product of the block, so every variant, every batch width and
// every row position gives bit-identical results.

// Lane i of the result is the sum of the eight lanes of p[i]: exact, the adds are integer.
static inline __attribute__((always_inline)) LAB_TARGET __m256i LAB_SUFFIX(lane_totals)(const __m256i p[8]) {
    const __m256i a = _mm256_hadd_epi32(_mm256_hadd_epi32(p[0], p[1]), _mm256_hadd_epi32(p[2], p[3]));
    const __m256i b = _mm256_hadd_epi32(_mm256_hadd_epi32(p[4], p[5]), _mm256_hadd_epi32(p[6], p[7]));
    // a holds rows 0–3 (halves 0–3 of each row in its low 128 bits, halves 4–7 in its high
    // 128 bits), b rows 4–7 the same way.
    return _mm256_add_epi32(_mm256_blend_epi32(a, b, 0xF0), _mm256_permute2x128_si256(a, b, 0x21));
}

static inline __attribute__((always_inline)) LAB_TARGET int32_t LAB_SUFFIX(total)(__m256i p) {
    __m128i t = _mm_add_epi32(_mm256_castsi256_si128(p), _mm256_extracti128_si256(p, 1));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, _MM_SHUFFLE(1, 0, 3, 2)));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(t);
}

// The binary16 pair at the start of block b of eight rows (row_bytes apart), as two vectors of
// eight floats: first and second half of each pair (d and m; for formats without m the second
// half is unused bytes).
static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(block_headers)(
    const uint8_t *first, size_t rb, __m256 *low, __m256 *high) {
    const __m256i words = _mm256_setr_epi32(load_u32(first), load_u32(first + rb), load_u32(first + 2 * rb), load_u32(first + 3 * rb),
                                            load_u32(first + 4 * rb), load_u32(first + 5 * rb), load_u32(first + 6 * rb), load_u32(first + 7 * rb));
    const __m256i split = _mm256_shuffle_epi8(words, _mm256_setr_epi8(0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15,
                                                                      0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15));
    const __m256i ordered = _mm256_permute4x64_epi64(split, _MM_SHUFFLE(3, 1, 2, 0));
    *low = _mm256_cvtph_ps(_mm256_castsi256_si128(ordered));
    *high = _mm256_cvtph_ps(_mm256_extracti128_si256(ordered, 1));
}

// Eight rows are read block by block, eight streams at once, which the hardware prefetcher
// follows poorly once the matrix is larger than the caches (the output head, or every matrix
// in single-stream decode). So, spread over the block loop, a later group of eight rows is
// fetched into L1 in address order: the whole groups that fit in LAB_PREFETCH_BYTES ahead (at
// least one), because lines fetched much earlier than they are read are evicted from the
// 32–48 KiB L1 before use. Measured on one Zen 4 core, one input,
// weights streamed from DRAM: two groups ahead (the old fixed distance) was 1.2× (Q4_K, Q5_K)
// to 1.8× (Q6_K, 10 KB groups at 1536 columns) slower than one, while 576-column Q8_0
// (4.9 KB groups) lost 10 % at one group instead of two.
#ifndef LAB_PREFETCH_BYTES
#define LAB_PREFETCH_BYTES 10240
#endif
static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(prefetch_ahead)(
    const uint8_t *row, size_t row_bytes, int b, int blocks) {
    // floor(LAB_PREFETCH_BYTES / span) in 1…4 by comparisons: a division here, once per block,
    // cost the 576-column Q8_0 product 12 %.
    const size_t span = 8 * row_bytes;
    const size_t groups = 2 * span > LAB_PREFETCH_BYTES ? 1 : 3 * span > LAB_PREFETCH_BYTES ? 2 : 4 * span > LAB_PREFETCH_BYTES ? 3 : 4;
    const uint8_t *ahead = row + groups * span;
    const size_t from = span * b / blocks & ~(size_t)63, to = span * (b + 1) / blocks;
    for (size_t o = from; o < to; o += 64) _mm_prefetch((const char *)(ahead + o), _MM_HINT_T0);
}

// 16 bytes of nibbles as 32 values: the low nibbles first (values 0–15), then the high ones.
static inline __attribute__((always_inline)) LAB_TARGET __m256i LAB_SUFFIX(nibbles)(const uint8_t *qs) {
    const __m128i packed = _mm_loadu_si128((const __m128i *)qs);
    const __m128i low_mask = _mm_set1_epi8(0x0F);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(packed, 4), low_mask), _mm_and_si128(packed, low_mask));
}

// The 32 bits at qh as 32 bytes: byte j is 0x10 when bit j is set, else 0 (Q5's fifth bits).
static inline __attribute__((always_inline)) LAB_TARGET __m256i LAB_SUFFIX(fifth_bits)(const uint8_t *qh) {
    const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32(load_u32(qh)),
                                               _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                                                2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
    const __m256i bit = _mm256_set1_epi64x(0x8040201008040201LL);
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit), _mm256_set1_epi8(0x10));
}

// Each format's 32 weights as bytes: unsigned for the formats with an offset m (Q4_1, Q5_1),
// signed otherwise, with the format's zero point subtracted.
static inline __attribute__((always_inline)) LAB_TARGET __m256i LAB_SUFFIX(weights_q4_0)(const uint8_t *block) {
    return _mm256_sub_epi8(LAB_SUFFIX(nibbles)(block + 2), _mm256_set1_epi8(8));
}
static inline __attribute__((always_inline)) LAB_TARGET __m256i LAB_SUFFIX(weights_q4_1)(const uint8_t *block) {
    return LAB_SUFFIX(nibbles)(block + 4);
}
static inline __attribute__((always_inline)) LAB_TARGET __m256i LAB_SUFFIX(weights_q5_0)(const uint8_t *block) {
    const __m256i q = _mm256_or_si256(LAB_SUFFIX(nibbles)(block + 6), LAB_SUFFIX(fifth_bits)(block + 2));
    return _mm256_sub_epi8(q, _mm256_set1_epi8(16));
}
static inline __attribute__((always_inline)) LAB_TARGET __m256i LAB_SUFFIX(weights_q5_1)(const uint8_t *block) {
    return _mm256_or_si256(LAB_SUFFIX(nibbles)(block + 8), LAB_SUFFIX(fifth_bits)(block + 4));
}
static inline __attribute__((always_inline)) LAB_TARGET __m256i LAB_SUFFIX(weights_q8_0)(const uint8_t *block) {
    return _mm256_loadu_si256((const __m256i *)(block + 2));
}

// Unsigned weight bytes with the format's zero point z kept (Q4_0: 8, Q5_0: 16; Q8_0 with VNNI:
// the sign bit flipped makes w + 128 unsigned, which vpdpbusd takes without saturating). A block
// sum is then Σ (w + z)·x − z·Σ x, the same exact integer as Σ w·x, with Σ x the input's block
// total: no sign moves in the loop.
static inline __attribute__((always_inline)) LAB_TARGET __m256i LAB_SUFFIX(raw_q4_0)(const uint8_t *block) {
    return LAB_SUFFIX(nibbles)(block + 2);
}
static inline __attribute__((always_inline)) LAB_TARGET __m256i LAB_SUFFIX(raw_q5_0)(const uint8_t *block) {
    return _mm256_or_si256(LAB_SUFFIX(nibbles)(block + 6), LAB_SUFFIX(fifth_bits)(block + 2));
}
#ifdef LAB_HAS_UNSIGNED_DPBUSD
static inline __attribute__((always_inline)) LAB_TARGET __m256i LAB_SUFFIX(raw_q8_0)(const uint8_t *block) {
    return _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(block + 2)), _mm256_set1_epi8((char)0x80));
}
#endif

// The byte products take unsigned weights; a signed weight's sign moves onto the input.
#define LAB_SIGNED_DOT(w, x) LAB_DOT(_mm256_sign_epi8((w), (w)), _mm256_sign_epi8((x), (w)))
#define LAB_UNSIGNED_DOT(w, x) LAB_DOT((w), (x))

// rows8: eight rows from `row` against K inputs, out[k * out_stride + i] for rows i < 8.
// row: one row against K inputs, the same operations on one lane (rows left over from eights).
//   RAW, ZERO: the unsigned bytes and zero point that kind##_rows8_raw uses when the inputs'
//   block totals are at hand (ZERO 0: the format has none, or this variant cannot use it). The
//   two are separate functions, not a branch in the block loop: the branch cost VNNI's Q8_0
//   decode a fifth of its speed in spilled registers.
#define LAB_ROWS8_BODY(WEIGHTS, DOT, BYTES, OFFSET, ZERO)                                                                 \
    __m256 acc[8];                                                                                                 \
    for (int k = 0; k < K; k++) acc[k] = _mm256_setzero_ps();                                                      \
    for (int b = 0; b < blocks; b++) {                                                                             \
        LAB_SUFFIX(prefetch_ahead)(row, row_bytes, b, blocks);                                                     \
        __m256i w[8];                                                                                              \
        for (int i = 0; i < 8; i++) w[i] = WEIGHTS(row + i * row_bytes + BYTES * (size_t)b);                       \
        __m256 d, m;                                                                                               \
        LAB_SUFFIX(block_headers)(row + BYTES * (size_t)b, row_bytes, &d, &m);                                     \
        (void)m;                                                                                                   \
        for (int k = 0; k < K; k++) {                                                                              \
            const __m256i x = _mm256_loadu_si256((const __m256i *)(q + k * q_stride + 32 * (size_t)b));            \
            const size_t s = k * (size_t)blocks + b;                                                               \
            __m256i p[8];                                                                                          \
            for (int i = 0; i < 8; i++) p[i] = DOT(w[i], x);                                                       \
            __m256i exact = LAB_SUFFIX(lane_totals)(p);                                                            \
            if (ZERO) exact = _mm256_sub_epi32(exact, _mm256_set1_epi32((ZERO) * totals[s]));                      \
            const __m256 t = _mm256_cvtepi32_ps(exact);                                                            \
            acc[k] = _mm256_fmadd_ps(t, _mm256_mul_ps(d, _mm256_set1_ps(scale[s])), acc[k]);                       \
            if (OFFSET) acc[k] = _mm256_fmadd_ps(m, _mm256_set1_ps(sum[s]), acc[k]);                               \
        }                                                                                                          \
    }                                                                                                              \
    for (int k = 0; k < K; k++) _mm256_storeu_ps(out + k * out_stride, acc[k]);

#define LAB_DEFINE_BLOCK32(kind, BYTES, DOT, OFFSET, RAW, ZERO)                                                    \
    static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(kind##_rows8)(                       \
        const uint8_t *row, size_t row_bytes, int blocks, const int8_t *q, size_t q_stride, const float *scale,   \
        const float *sum, float *out, size_t out_stride, const int K) {                                           \
        const int32_t *totals = NULL;                                                                              \
        (void)totals;                                                                                              \
        LAB_ROWS8_BODY(LAB_SUFFIX(weights_##kind), DOT, BYTES, OFFSET, 0)                                         \
    }                                                                                                              \
    static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(kind##_rows8_raw)(                   \
        const uint8_t *row, size_t row_bytes, int blocks, const int8_t *q, size_t q_stride, const float *scale,   \
        const float *sum, const int32_t *totals, float *out, size_t out_stride, const int K) {                    \
        LAB_ROWS8_BODY(RAW, LAB_DOT, BYTES, OFFSET, ZERO)                                                          \
    }                                                                                                              \
    static const int LAB_SUFFIX(kind##_zero) = ZERO;                                                               \
    static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(kind##_row)(                         \
        const uint8_t *row, int blocks, const int8_t *q, size_t q_stride, const float *scale, const float *sum,    \
        float *out, size_t out_stride, const int K) {                                                              \
        float acc[8];                                                                                              \
        for (int k = 0; k < K; k++) acc[k] = 0;                                                                    \
        for (int b = 0; b < blocks; b++) {                                                                         \
            const uint8_t *block = row + BYTES * (size_t)b;                                                        \
            const __m256i w = LAB_SUFFIX(weights_##kind)(block);                                                   \
            const float d = half_to_float(load_u16(block));                                                        \
            const float m = OFFSET ? half_to_float(load_u16(block + 2)) : 0;                                       \
            for (int k = 0; k < K; k++) {                                                                          \
                const __m256i x = _mm256_loadu_si256((const __m256i *)(q + k * q_stride + 32 * (size_t)b));        \
                const size_t s = k * (size_t)blocks + b;                                                           \
                acc[k] = fmaf((float)LAB_SUFFIX(total)(DOT(w, x)), d * scale[s], acc[k]);                          \
                if (OFFSET) acc[k] = fmaf(m, sum[s], acc[k]);                                                      \
            }                                                                                                      \
        }                                                                                                          \
        for (int k = 0; k < K; k++) out[k * out_stride] = acc[k];                                                  \
    }

LAB_DEFINE_BLOCK32(q4_0, 18, LAB_SIGNED_DOT, 0, LAB_SUFFIX(raw_q4_0), 8)
LAB_DEFINE_BLOCK32(q4_1, 20, LAB_UNSIGNED_DOT, 1, LAB_SUFFIX(weights_q4_1), 0)
LAB_DEFINE_BLOCK32(q5_0, 22, LAB_SIGNED_DOT, 0, LAB_SUFFIX(raw_q5_0), 16)
LAB_DEFINE_BLOCK32(q5_1, 24, LAB_UNSIGNED_DOT, 1, LAB_SUFFIX(weights_q5_1), 0)
// Q8_0 keeps the signed products for one input: its unsigned form (sign bit flipped, for VNNI)
// measured 30 % slower in decoding (122 against 173 tokens/s), where it wins in the transposed path.
LAB_DEFINE_BLOCK32(q8_0, 34, LAB_SIGNED_DOT, 0, LAB_SUFFIX(weights_q8_0), 0)
#undef LAB_DEFINE_BLOCK32
#undef LAB_ROWS8_BODY
#undef LAB_SIGNED_DOT
#undef LAB_UNSIGNED_DOT


// ---- Several inputs: eight rows transposed once per block, no horizontal sums ----------------
//
// With four or more inputs in a group, each block of eight rows is transposed in registers so
// that vector g[q] holds bytes 4q … 4q+3 of every row (row i in lane i); each input's four bytes
// at 4q are then broadcast to all lanes, and one multiply-add per q leaves row i's exact block
// sum in lane i. The transposition is paid once per block for the whole group of inputs, and the
// horizontal sums of the one-input path disappear. Weights enter as unsigned bytes with their
// zero point z (Q4_0: 8, Q5_0: 16, Q8_0 with VNNI: 128 after flipping the sign bit) taken off
// afterwards through the input's block total: T = Σ (w + z)·x − z·Σ x, the same exact integer.
// (Q8_0 with AVX2 moves the weights' signs onto the inputs instead.)

static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(transpose8)(__m256i r[8]) {
    const __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
    const __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
    const __m256i t4 = _mm256_unpacklo_epi32(r[4], r[5]), t5 = _mm256_unpackhi_epi32(r[4], r[5]);
    const __m256i t6 = _mm256_unpacklo_epi32(r[6], r[7]), t7 = _mm256_unpackhi_epi32(r[6], r[7]);
    const __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
    const __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
    const __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
    const __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
    r[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
    r[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
    r[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
    r[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
    r[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
    r[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
    r[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
    r[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}


// LAB_SUM16(kind): how many of the eight byte products can be added as int16 before one
// widening to int32 (AVX2 only: VNNI's vpdpbusd widens in the same instruction). A pair of
// 4-bit weights (0–15) against int8 inputs (|x| ≤ 127) sums to at most 3,810, so eight pairs fit
// in int16 exactly (30,480); 5-bit weights (0–31) allow four (31,496); Q8_0 none.
#ifdef LAB_HAS_UNSIGNED_DPBUSD
#define LAB_SUM16(n) 0
#else
#define LAB_SUM16(n) (n)
#endif

// ---- Many inputs: a strip of eight rows transposed once -----------------------------------
// As above, but the eight rows' blocks are decoded, transposed (and, for AVX2's Q8_0, split into
// magnitudes and signs) once into a strip buffer that every group of inputs then reads, rather
// than once per group of four (AVX2) or eight (VNNI) inputs. Same sums in the same order: the
// transposed path's bits.
#ifndef LAB_STRIP32_BLOCK_DEFINED
#define LAB_STRIP32_BLOCK_DEFINED
// Inputs from which a product transposes its strips once (below that, per group).
#define LAB_STRIP32_INPUTS 16
typedef struct {
    __m256i g[8];  // bytes 4j … 4j+3 of each row (row i in lane i); for signed Q8_0, the magnitudes
    __m256i s[8];  // signed Q8_0 only: the weights themselves, whose signs move onto the inputs
    __m256 d, m;
} lab_strip32_block;
#endif

// One block of a strip: decode and transpose (block), then every input of a group against it
// (block_gemm). The strip path keeps the decoded blocks in a buffer; the per-group path (fewer
// inputs than LAB_STRIP32_INPUTS) decodes each block into a local and uses it at once.
#define LAB_DEFINE_BLOCK32_STRIP(kind, BYTES, RAW, ZERO, OFFSET, SIGNED, SUM16)                                   \
    static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(kind##_block)(                       \
        const uint8_t *row, size_t row_bytes, int b, lab_strip32_block *sb) {                                     \
        __m256i g[8];                                                                                              \
        for (int i = 0; i < 8; i++) g[i] = RAW(row + i * row_bytes + BYTES * (size_t)b);                           \
        LAB_SUFFIX(transpose8)(g);                                                                                 \
        for (int j = 0; j < 8; j++) {                                                                              \
            sb->g[j] = SIGNED ? _mm256_sign_epi8(g[j], g[j]) : g[j];                                               \
            if (SIGNED) sb->s[j] = g[j];                                                                           \
        }                                                                                                          \
        LAB_SUFFIX(block_headers)(row + BYTES * (size_t)b, row_bytes, &sb->d, &sb->m);                             \
    }                                                                                                              \
    static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(kind##_block_gemm)(                  \
        const lab_strip32_block *sb, int b, int blocks, const int8_t *q, size_t q_stride, const float *scale,     \
        const float *sum, const int32_t *totals, __m256 *acc, const int K) {                                      \
        for (int k = 0; k < K; k++) {                                                                              \
            const uint8_t *x = (const uint8_t *)(q + k * q_stride + 32 * (size_t)b);                               \
            const size_t s = k * (size_t)blocks + b;                                                               \
            __m256i t = _mm256_set1_epi32(-(ZERO) * totals[s]);                                                    \
            if (SUM16 > 0) {                                                                                       \
                __m256i pairs = _mm256_setzero_si256();                                                            \
                for (int j = 0; j < 8; j++) {                                                                      \
                    const __m256i bx = _mm256_set1_epi32(load_u32(x + 4 * j));                                     \
                    pairs = _mm256_add_epi16(pairs, _mm256_maddubs_epi16(sb->g[j], bx));                           \
                    if ((j + 1) % (SUM16 > 0 ? SUM16 : 1) == 0) {                                                  \
                        t = _mm256_add_epi32(t, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));                   \
                        pairs = _mm256_setzero_si256();                                                            \
                    }                                                                                              \
                }                                                                                                  \
            } else {                                                                                               \
                for (int j = 0; j < 8; j++) {                                                                      \
                    const __m256i bx = _mm256_set1_epi32(load_u32(x + 4 * j));                                     \
                    t = SIGNED ? LAB_DOT_ACC(t, sb->g[j], _mm256_sign_epi8(bx, sb->s[j])) : LAB_DOT_ACC(t, sb->g[j], bx); \
                }                                                                                                  \
            }                                                                                                      \
            acc[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(t), _mm256_mul_ps(sb->d, _mm256_set1_ps(scale[s])), acc[k]); \
            if (OFFSET) acc[k] = _mm256_fmadd_ps(sb->m, _mm256_set1_ps(sum[s]), acc[k]);                           \
        }                                                                                                          \
    }                                                                                                              \
    static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(kind##_strip)(                       \
        const uint8_t *row, size_t row_bytes, int blocks, lab_strip32_block *strip) {                             \
        for (int b = 0; b < blocks; b++) {                                                                         \
            LAB_SUFFIX(prefetch_ahead)(row, row_bytes, b, blocks);                                                 \
            LAB_SUFFIX(kind##_block)(row, row_bytes, b, strip + b);                                                \
        }                                                                                                          \
    }                                                                                                              \
    static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(kind##_strip_gemm8)(                 \
        const lab_strip32_block *strip, int blocks, const int8_t *q, size_t q_stride, const float *scale,         \
        const float *sum, const int32_t *totals, float *out, size_t out_stride, const int K) {                    \
        __m256 acc[8];                                                                                             \
        for (int k = 0; k < K; k++) acc[k] = _mm256_setzero_ps();                                                  \
        for (int b = 0; b < blocks; b++)                                                                           \
            LAB_SUFFIX(kind##_block_gemm)(strip + b, b, blocks, q, q_stride, scale, sum, totals, acc, K);          \
        for (int k = 0; k < K; k++) _mm256_storeu_ps(out + k * out_stride, acc[k]);                                \
    }                                                                                                              \
    static inline __attribute__((always_inline)) LAB_TARGET void LAB_SUFFIX(kind##_gemm8)(                       \
        const uint8_t *row, size_t row_bytes, int blocks, const int8_t *q, size_t q_stride, const float *scale,   \
        const float *sum, const int32_t *totals, float *out, size_t out_stride, const int K) {                    \
        __m256 acc[8];                                                                                             \
        for (int k = 0; k < K; k++) acc[k] = _mm256_setzero_ps();                                                  \
        for (int b = 0; b < blocks; b++) {                                                                         \
            LAB_SUFFIX(prefetch_ahead)(row, row_bytes, b, blocks);                                                 \
            lab_strip32_block sb;                                                                                  \
            LAB_SUFFIX(kind##_block)(row, row_bytes, b, &sb);                                                      \
            LAB_SUFFIX(kind##_block_gemm)(&sb, b, blocks, q, q_stride, scale, sum, totals, acc, K);                \
        }                                                                                                          \
        for (int k = 0; k < K; k++) _mm256_storeu_ps(out + k * out_stride, acc[k]);                                \
    }

LAB_DEFINE_BLOCK32_STRIP(q4_0, 18, LAB_SUFFIX(raw_q4_0), 8, 0, 0, LAB_SUM16(8))
LAB_DEFINE_BLOCK32_STRIP(q4_1, 20, LAB_SUFFIX(weights_q4_1), 0, 1, 0, LAB_SUM16(8))
LAB_DEFINE_BLOCK32_STRIP(q5_0, 22, LAB_SUFFIX(raw_q5_0), 16, 0, 0, LAB_SUM16(4))
LAB_DEFINE_BLOCK32_STRIP(q5_1, 24, LAB_SUFFIX(weights_q5_1), 0, 1, 0, LAB_SUM16(4))
#ifdef LAB_HAS_UNSIGNED_DPBUSD
LAB_DEFINE_BLOCK32_STRIP(q8_0, 34, LAB_SUFFIX(raw_q8_0), 128, 0, 0, 0)
#else
LAB_DEFINE_BLOCK32_STRIP(q8_0, 34, LAB_SUFFIX(weights_q8_0), 0, 0, 1, 0)
#endif
#undef LAB_DEFINE_BLOCK32_STRIP

#undef LAB_SUM16

#ifndef LAB_ROW_TILE
#define LAB_ROW_TILE 32
#endif

// Calls f with K a constant, so its loops over inputs unroll.
#define LAB_WITH_CONSTANT_K(K, call)                                                                                \
    switch (K) {                                                                                                    \
    case 1: call(1); break;                                                                                         \
    case 2: call(2); break;                                                                                         \
    case 3: call(3); break;                                                                                         \
    case 4: call(4); break;                                                                                         \
    case 5: call(5); break;                                                                                         \
    case 6: call(6); break;                                                                                         \
    case 7: call(7); break;                                                                                         \
    default: call(8); break;                                                                                        \
    }

// The driver for every format: rows in tiles that stay in L1/L2 while each group of inputs
// passes over them, eight rows at a time, and the rows left over one at a time.
#define LAB_DEFINE_MATMUL(kind)                                                                                     \
    LAB_TARGET static void LAB_SUFFIX(matmul_##kind)(const void *weights, size_t row_bytes, int row_begin, int row_end, \
                                                     int blocks, int inputs, const int8_t *q, const float *scale,   \
                                                     const float *sum, const int32_t *totals, float *out,           \
                                                     size_t out_stride) {                                           \
        const int32_t *tn_base = totals;                                                                            \
        const size_t q_stride = 32 * (size_t)blocks;                                                                \
        /* Many inputs: transpose each strip of eight rows once for all of them. */                                 \
        lab_strip32_block *strip = totals != NULL && inputs >= LAB_STRIP32_INPUTS                                  \
                                       ? aligned_alloc(32, sizeof(lab_strip32_block) * (size_t)blocks)            \
                                       : NULL;                                                                      \
        if (strip) {                                                                                                \
            const int eights_end = row_begin + (row_end - row_begin) / 8 * 8;                                       \
            for (int r = row_begin; r < row_end; r += 8) {                                                          \
                const int whole = r < eights_end;                                                                   \
                const uint8_t *row = (const uint8_t *)weights + (size_t)r * row_bytes;                              \
                if (whole) LAB_SUFFIX(kind##_strip)(row, row_bytes, blocks, strip);                                 \
                for (int n = 0; n < inputs; n += LAB_GROUP) {                                                       \
                    const int K = inputs - n < LAB_GROUP ? inputs - n : LAB_GROUP;                                  \
                    const int8_t *qn = q + n * q_stride;                                                            \
                    const float *sn = scale + (size_t)n * blocks, *un = sum ? sum + (size_t)n * blocks : NULL;      \
                    const int32_t *tn = tn_base + (size_t)n * blocks;                                               \
                    if (whole) {                                                                                    \
                        float *o = out + n * out_stride + r;                                                        \
                        if (K >= 4) {                                                                               \
                            LAB_WITH_CONSTANT_K(K, LAB_STRIP_CALL_##kind)                                          \
                        } else {                                                                                    \
                            LAB_WITH_CONSTANT_K(K, LAB_ROWS8_CALL_##kind)                                          \
                        }                                                                                           \
                        continue;                                                                                   \
                    }                                                                                               \
                    for (int rr = r; rr < row_end; rr++) {                                                          \
                        const uint8_t *row1 = (const uint8_t *)weights + (size_t)rr * row_bytes;                    \
                        float *o = out + n * out_stride + rr;                                                       \
                        { const uint8_t *row = row1; LAB_WITH_CONSTANT_K(K, LAB_ROW_CALL_##kind) }                  \
                    }                                                                                               \
                }                                                                                                   \
            }                                                                                                       \
            free(strip);                                                                                            \
            return;                                                                                                 \
        }                                                                                                           \
        for (int tile = row_begin; tile < row_end; tile += LAB_ROW_TILE) {                                          \
            const int tile_end = tile + LAB_ROW_TILE < row_end ? tile + LAB_ROW_TILE : row_end;                     \
            for (int n = 0; n < inputs; n += LAB_GROUP) {                                                           \
                const int K = inputs - n < LAB_GROUP ? inputs - n : LAB_GROUP;                                      \
                const int8_t *qn = q + n * q_stride;                                                                \
                const float *sn = scale + (size_t)n * blocks, *un = sum ? sum + (size_t)n * blocks : NULL;          \
                const int32_t *tn = tn_base ? tn_base + (size_t)n * blocks : NULL;                                  \
                (void)tn;                                                                                           \
                int r = tile;                                                                                       \
                const int transposed = totals != NULL && K >= 4;                                                  \
                for (; r + 8 <= tile_end; r += 8) {                                                                 \
                    const uint8_t *row = (const uint8_t *)weights + (size_t)r * row_bytes;                          \
                    float *o = out + n * out_stride + r;                                                            \
                    if (transposed) {                                                                               \
                        LAB_WITH_CONSTANT_K(K, LAB_GEMM8_CALL_##kind)                                              \
                    } else {                                                                                        \
                        LAB_WITH_CONSTANT_K(K, LAB_ROWS8_CALL_##kind)                                              \
                    }                                                                                               \
                }                                                                                                   \
                for (; r < tile_end; r++) {                                                                         \
                    const uint8_t *row = (const uint8_t *)weights + (size_t)r * row_bytes;                          \
                    float *o = out + n * out_stride + r;                                                            \
                    LAB_WITH_CONSTANT_K(K, LAB_ROW_CALL_##kind)                                                    \
                }                                                                                                   \
            }                                                                                                       \
        }                                                                                                           \
    }

#define LAB_ROWS8_CALL_q4_0(K)                                                                                       \
    if (tn && LAB_SUFFIX(q4_0_zero)) LAB_SUFFIX(q4_0_rows8_raw)(row, row_bytes, blocks, qn, q_stride, sn, un, tn, o, out_stride, K); \
    else LAB_SUFFIX(q4_0_rows8)(row, row_bytes, blocks, qn, q_stride, sn, un, o, out_stride, K)
#define LAB_ROW_CALL_q4_0(K) LAB_SUFFIX(q4_0_row)(row, blocks, qn, q_stride, sn, un, o, out_stride, K)
#define LAB_ROWS8_CALL_q4_1(K)                                                                                       \
    if (tn && LAB_SUFFIX(q4_1_zero)) LAB_SUFFIX(q4_1_rows8_raw)(row, row_bytes, blocks, qn, q_stride, sn, un, tn, o, out_stride, K); \
    else LAB_SUFFIX(q4_1_rows8)(row, row_bytes, blocks, qn, q_stride, sn, un, o, out_stride, K)
#define LAB_ROW_CALL_q4_1(K) LAB_SUFFIX(q4_1_row)(row, blocks, qn, q_stride, sn, un, o, out_stride, K)
#define LAB_ROWS8_CALL_q5_0(K)                                                                                       \
    if (tn && LAB_SUFFIX(q5_0_zero)) LAB_SUFFIX(q5_0_rows8_raw)(row, row_bytes, blocks, qn, q_stride, sn, un, tn, o, out_stride, K); \
    else LAB_SUFFIX(q5_0_rows8)(row, row_bytes, blocks, qn, q_stride, sn, un, o, out_stride, K)
#define LAB_ROW_CALL_q5_0(K) LAB_SUFFIX(q5_0_row)(row, blocks, qn, q_stride, sn, un, o, out_stride, K)
#define LAB_ROWS8_CALL_q5_1(K)                                                                                       \
    if (tn && LAB_SUFFIX(q5_1_zero)) LAB_SUFFIX(q5_1_rows8_raw)(row, row_bytes, blocks, qn, q_stride, sn, un, tn, o, out_stride, K); \
    else LAB_SUFFIX(q5_1_rows8)(row, row_bytes, blocks, qn, q_stride, sn, un, o, out_stride, K)
#define LAB_ROW_CALL_q5_1(K) LAB_SUFFIX(q5_1_row)(row, blocks, qn, q_stride, sn, un, o, out_stride, K)
#define LAB_ROWS8_CALL_q8_0(K)                                                                                       \
    if (tn && LAB_SUFFIX(q8_0_zero)) LAB_SUFFIX(q8_0_rows8_raw)(row, row_bytes, blocks, qn, q_stride, sn, un, tn, o, out_stride, K); \
    else LAB_SUFFIX(q8_0_rows8)(row, row_bytes, blocks, qn, q_stride, sn, un, o, out_stride, K)
#define LAB_ROW_CALL_q8_0(K) LAB_SUFFIX(q8_0_row)(row, blocks, qn, q_stride, sn, un, o, out_stride, K)

#define LAB_GEMM8_CALL_q4_0(K) LAB_SUFFIX(q4_0_gemm8)(row, row_bytes, blocks, qn, q_stride, sn, un, tn, o, out_stride, K)
#define LAB_GEMM8_CALL_q4_1(K) LAB_SUFFIX(q4_1_gemm8)(row, row_bytes, blocks, qn, q_stride, sn, un, tn, o, out_stride, K)
#define LAB_GEMM8_CALL_q5_0(K) LAB_SUFFIX(q5_0_gemm8)(row, row_bytes, blocks, qn, q_stride, sn, un, tn, o, out_stride, K)
#define LAB_GEMM8_CALL_q5_1(K) LAB_SUFFIX(q5_1_gemm8)(row, row_bytes, blocks, qn, q_stride, sn, un, tn, o, out_stride, K)
#define LAB_GEMM8_CALL_q8_0(K) LAB_SUFFIX(q8_0_gemm8)(row, row_bytes, blocks, qn, q_stride, sn, un, tn, o, out_stride, K)
#define LAB_STRIP_CALL_q4_0(K) LAB_SUFFIX(q4_0_strip_gemm8)(strip, blocks, qn, q_stride, sn, un, tn, o, out_stride, K)
#define LAB_STRIP_CALL_q4_1(K) LAB_SUFFIX(q4_1_strip_gemm8)(strip, blocks, qn, q_stride, sn, un, tn, o, out_stride, K)
#define LAB_STRIP_CALL_q5_0(K) LAB_SUFFIX(q5_0_strip_gemm8)(strip, blocks, qn, q_stride, sn, un, tn, o, out_stride, K)
#define LAB_STRIP_CALL_q5_1(K) LAB_SUFFIX(q5_1_strip_gemm8)(strip, blocks, qn, q_stride, sn, un, tn, o, out_stride, K)
#define LAB_STRIP_CALL_q8_0(K) LAB_SUFFIX(q8_0_strip_gemm8)(strip, blocks, qn, q_stride, sn, un, tn, o, out_stride, K)

LAB_DEFINE_MATMUL(q4_0)
LAB_DEFINE_MATMUL(q4_1)
LAB_DEFINE_MATMUL(q5_0)
LAB_DEFINE_MATMUL(q5_1)
LAB_DEFINE_MATMUL(q8_0)
#undef LAB_GEMM8_CALL_q4_0
#undef LAB_GEMM8_CALL_q4_1
#undef LAB_GEMM8_CALL_q5_0
#undef LAB_GEMM8_CALL_q5_1
#undef LAB_GEMM8_CALL_q8_0
#undef LAB_STRIP_CALL_q4_0
#undef LAB_STRIP_CALL_q4_1
#undef LAB_STRIP_CALL_q5_0
#undef LAB_STRIP_CALL_q5_1
#undef LAB_STRIP_CALL_q8_0

#undef LAB_ROWS8_CALL_q4_0
#undef LAB_ROW_CALL_q4_0
#undef LAB_ROWS8_CALL_q4_1
#undef LAB_ROW_CALL_q4_1
#undef LAB_ROWS8_CALL_q5_0
#undef LAB_ROW_CALL_q5_0
#undef LAB_ROWS8_CALL_q5_1
#undef LAB_ROW_CALL_q5_1
#undef LAB_ROWS8_CALL_q8_0
#undef LAB_ROW_CALL_q8_0
#undef LAB_DEFINE_MATMUL
