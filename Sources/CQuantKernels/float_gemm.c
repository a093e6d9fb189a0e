// Products of Float weights (F32, F16, BF16) with many inputs at once: a prompt's rows. Where
// lab_matmul_float streams one weight row per input pair (the decode step, bound by memory), these
// keep a tile of rows × inputs in registers (4×4 on AVX-512), so each weight and each activation
// loaded feeds several multiply-adds, and walk the inputs in blocks that stay in L2 while a thread's rows
// stream past. Weights are converted in registers (F16C, or a shift for BF16); on CPUs with
// AVX-512 BF16 the BF16 pairs go through vdpbf16ps, as llama.cpp's tinyBLAS does.
//
// Every variant gives the portable kernel's bits (tests check it): per row and input,
//   F32/F16: lane j mod 16 accumulates w[j]·x[j] by fused multiply-add in column order;
//   BF16:    per 32 columns, lane i accumulates w[2i+1]·x[2i+1], then w[2i]·x[2i] (vdpbf16ps's
//            order, products exact), denormals flushed to zero as that instruction does;
// then lanes fold as v[m] = l[m] + l[m+8] and sum as ((v0+v4)+(v2+v6)) + ((v1+v5)+(v3+v7)).
#include "quant_kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LAB_X86 1
#endif

// Inputs per block: 64 rows of up to 1536 Floats (384 KiB) stay in L2 while a thread's weight
// rows stream past.
#define LAB_INPUT_BLOCK 64

static inline float lanes16_total(const float l[16]) {
    float v[8];
    for (int m = 0; m < 8; m++) v[m] = l[m] + l[m + 8];
    return ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]));
}

static inline float bf16_value(uint16_t h) {
    const uint32_t bits = (uint32_t)h << 16;
    float value;
    memcpy(&value, &bits, 4);
    return value;
}

// x rounded to bfloat16 already (lab_round_activations): its upper halves, packed.
static void pack_bf16(const float *x, size_t count, uint16_t *out) {
    for (size_t i = 0; i < count; i++) {
        uint32_t bits;
        memcpy(&bits, &x[i], 4);
        out[i] = (uint16_t)(bits >> 16);
    }
}

// Denormals in and out flushed to zero while a BF16 product runs, as vdpbf16ps does (DAZ, FTZ).
typedef struct {
    unsigned int saved;
} lab_flush_state;

static inline lab_flush_state flush_denormals_begin(void) {
    lab_flush_state state = {0};
#ifdef LAB_X86
    state.saved = _mm_getcsr();
    _mm_setcsr(state.saved | 0x8040);  // FTZ (bit 15) | DAZ (bit 6)
#endif
    return state;
}

static inline void flush_denormals_end(lab_flush_state state) {
#ifdef LAB_X86
    _mm_setcsr(state.saved);
#else
    (void)state;
#endif
}

// ---------------------------------------------------------------------------------------------
// Portable: the definition.

static void gemm_portable(int format, const void *weights, size_t row_bytes, int row_begin, int row_end, int columns, int inputs,
                          const float *x, const uint16_t *xb, float *out, size_t out_stride) {
    for (int r = row_begin; r < row_end; r++) {
        const uint8_t *row = (const uint8_t *)weights + (size_t)r * row_bytes;
        for (int n = 0; n < inputs; n++) {
            float l[16] = {0};
            if (format == LAB_FORMAT_BF16) {
                const uint16_t *w = (const uint16_t *)row, *xn = xb + (size_t)n * columns;
                for (int c = 0; c < columns; c += 32) {
                    for (int i = 0; i < 16; i++) {
                        l[i] = fmaf(bf16_value(w[c + 2 * i + 1]), bf16_value(xn[c + 2 * i + 1]), l[i]);
                        l[i] = fmaf(bf16_value(w[c + 2 * i]), bf16_value(xn[c + 2 * i]), l[i]);
                    }
                }
            } else {
                const float *xn = x + (size_t)n * columns;
                for (int c = 0; c < columns; c++) {
                    float w;
                    if (format == LAB_FORMAT_F16) {
                        uint16_t h;
                        memcpy(&h, row + 2 * (size_t)c, 2);
                        float converted[1];
                        lab_float_weights(LAB_FORMAT_F16, &h, 1, converted);
                        w = converted[0];
                    } else {
                        memcpy(&w, row + 4 * (size_t)c, 4);
                    }
                    l[c % 16] = fmaf(w, xn[c], l[c % 16]);
                }
            }
            out[(size_t)n * out_stride + r] = lanes16_total(l);
        }
    }
}

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define LAB_GEMM_AVX2 1

// ---------------------------------------------------------------------------------------------
// AVX2: 16 lanes as two 8-lane halves.

static inline __attribute__((always_inline)) __m256 load8_avx2(int format, const uint8_t *row, int c) {
    return format == LAB_FORMAT_F16 ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + 2 * (size_t)c)))
                                    : _mm256_loadu_ps((const float *)(row + 4 * (size_t)c));
}

static inline __attribute__((always_inline)) float total_avx2(__m256 low, __m256 high) {
    const __m256 v = _mm256_add_ps(low, high);
    __m128 t = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));  // v0+v4 … v3+v7
    t = _mm_add_ps(t, _mm_movehl_ps(t, t));
    return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
}

// Lanes 0–7 and lanes 8–15 never meet before the final fold, so each half is a pass of its own
// over the tile's columns (the second from L1): R·K accumulators rather than 2·R·K, which keeps
// a 4×3 tile (F32: 12 accumulators, 3 inputs, 1 weight), a 6×2 tile (F16: 12 accumulators,
// 2 inputs, 1 converted weight and the next one converting) or a 2×4 tile (BF16, whose pairs
// take two registers each) inside the 16 registers without spills.
// F32/F16 inputs come from the split copy (split_halves): each row's lanes 0–7 of every 16
// columns first and lanes 8–15 after them, so a pass reads whole cache lines of half the row
// rather than half of every line, which halves the inputs' traffic from L2 (72 → 87 GFLOP/s for
// F32 with the earlier 3×3 tile on one Zen 4 core, 1536×576 × 512 inputs). A product's threads
// share one copy (lab_gemm_float_prepare).
// BF16 reads 32 columns per step, and splitting those did not pay (76 → 74 with 3×2 tiles).
// The two half passes of a tile, R·K accumulators each: lanes 0–7 are kept in `low` after the
// first and folded with lanes 8–15 at the end of the second. BODY adds half h's products.
#define LAB_HALF_PASSES_AVX2(R, K, BODY)                                                                            \
    do {                                                                                                            \
        float low[R][K][8];                                                                                         \
        for (int h = 0; h < 2; h++) {                                                                               \
            __m256 acc[R][K];                                                                                       \
            for (int i = 0; i < R; i++)                                                                             \
                for (int k = 0; k < K; k++) acc[i][k] = _mm256_setzero_ps();                                        \
            BODY;                                                                                                   \
            for (int i = 0; i < R; i++)                                                                             \
                for (int k = 0; k < K; k++) {                                                                       \
                    if (h == 0) _mm256_storeu_ps(low[i][k], acc[i][k]);                                             \
                    else out[(size_t)(n + k) * out_stride + r + i] = total_avx2(_mm256_loadu_ps(low[i][k]), acc[i][k]); \
                }                                                                                                   \
        }                                                                                                           \
    } while (0)

#define LAB_BODY_BF16_AVX2(R, K)                                                                                    \
    const __m256i mask = _mm256_set1_epi32((int)0xFFFF0000u);                                                       \
    for (int c = 16 * h; c < columns; c += 32) {                                                                    \
        __m256 wo[R], we[R];                                                                                        \
        for (int i = 0; i < R; i++) {                                                                               \
            const __m256i d = _mm256_loadu_si256((const __m256i *)(rows[i] + 2 * (size_t)c));                       \
            wo[i] = _mm256_castsi256_ps(_mm256_and_si256(d, mask));                                                 \
            we[i] = _mm256_castsi256_ps(_mm256_slli_epi32(d, 16));                                                  \
        }                                                                                                           \
        for (int k = 0; k < K; k++) {                                                                               \
            const __m256i d = _mm256_loadu_si256((const __m256i *)(xb + (size_t)(n + k) * columns + c));            \
            const __m256 xo = _mm256_castsi256_ps(_mm256_and_si256(d, mask));                                       \
            const __m256 xe = _mm256_castsi256_ps(_mm256_slli_epi32(d, 16));                                        \
            for (int i = 0; i < R; i++) acc[i][k] = _mm256_fmadd_ps(we[i], xe, _mm256_fmadd_ps(wo[i], xo, acc[i][k])); \
        }                                                                                                           \
    }

// F32/F16 tiles, one function per format so the conversion is known at compile time. Per half
// pass and 16 columns the K inputs' eight lanes are loaded into registers once, then each row's
// eight weights are loaded (converted, for F16) and meet all K of them, as llama.cpp's tinyBLAS
// does. Against the 3×3 tile this replaced (inputs read as memory operands for every row), on one
// Zen 4 core shared with another tenant, 576×576 × 512 inputs, the same minutes: F32 4×3 75–98
// GFLOP/s vs 59–86; F16 6×2 81–99 vs 66–94 (F16 4×3 spilled an accumulator: 45–54; F32 6×2
// 70–90).
#define LAB_BODY_FLOAT_AVX2(R, K, F16)                                                                              \
    const float *half = halves + (size_t)h * (columns / 2);                                                         \
    for (int c = 8 * h, j = 0; c < columns; c += 16, j += 8) {                                                      \
        __m256 xk[K];                                                                                               \
        for (int k = 0; k < K; k++) xk[k] = _mm256_loadu_ps(half + (size_t)k * columns + j);                        \
        for (int i = 0; i < R; i++) {                                                                               \
            const __m256 w = (F16) ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(rows[i] + 2 * (size_t)c)))   \
                                   : _mm256_loadu_ps((const float *)(rows[i] + 4 * (size_t)c));                     \
            for (int k = 0; k < K; k++) acc[i][k] = _mm256_fmadd_ps(w, xk[k], acc[i][k]);                           \
        }                                                                                                           \
    }

// `halves` is input n's row in the split copy (F32/F16); `xb` the packed BF16 inputs.
#define LAB_DEFINE_TILE_AVX2(R, K)                                                                                  \
    static void tile_bf16_avx2_##R##_##K(const uint8_t *const *rows, int r, int n, int columns, const float *halves, \
                                         const uint16_t *xb, float *out, size_t out_stride) {                       \
        (void)halves;                                                                                               \
        LAB_HALF_PASSES_AVX2(R, K, LAB_BODY_BF16_AVX2(R, K));                                                       \
    }
#define LAB_DEFINE_FLOAT_TILE_AVX2(R, K)                                                                            \
    static void tile_f32_avx2_##R##_##K(const uint8_t *const *rows, int r, int n, int columns, const float *halves,  \
                                        const uint16_t *xb, float *out, size_t out_stride) {                        \
        (void)xb;                                                                                                   \
        LAB_HALF_PASSES_AVX2(R, K, LAB_BODY_FLOAT_AVX2(R, K, 0));                                                   \
    }                                                                                                               \
    static void tile_f16_avx2_##R##_##K(const uint8_t *const *rows, int r, int n, int columns, const float *halves,  \
                                        const uint16_t *xb, float *out, size_t out_stride) {                        \
        (void)xb;                                                                                                   \
        LAB_HALF_PASSES_AVX2(R, K, LAB_BODY_FLOAT_AVX2(R, K, 1));                                                   \
    }
LAB_DEFINE_TILE_AVX2(2, 4)
LAB_DEFINE_TILE_AVX2(2, 3)
LAB_DEFINE_TILE_AVX2(2, 2)
LAB_DEFINE_TILE_AVX2(2, 1)
LAB_DEFINE_TILE_AVX2(1, 4)
LAB_DEFINE_TILE_AVX2(1, 3)
LAB_DEFINE_TILE_AVX2(1, 2)
LAB_DEFINE_TILE_AVX2(1, 1)
LAB_DEFINE_FLOAT_TILE_AVX2(6, 3)
LAB_DEFINE_FLOAT_TILE_AVX2(6, 2)
LAB_DEFINE_FLOAT_TILE_AVX2(6, 1)
LAB_DEFINE_FLOAT_TILE_AVX2(5, 3)
LAB_DEFINE_FLOAT_TILE_AVX2(5, 2)
LAB_DEFINE_FLOAT_TILE_AVX2(5, 1)
LAB_DEFINE_FLOAT_TILE_AVX2(4, 3)
LAB_DEFINE_FLOAT_TILE_AVX2(4, 2)
LAB_DEFINE_FLOAT_TILE_AVX2(4, 1)
LAB_DEFINE_FLOAT_TILE_AVX2(3, 3)
LAB_DEFINE_FLOAT_TILE_AVX2(3, 2)
LAB_DEFINE_FLOAT_TILE_AVX2(3, 1)
LAB_DEFINE_FLOAT_TILE_AVX2(2, 3)
LAB_DEFINE_FLOAT_TILE_AVX2(2, 2)
LAB_DEFINE_FLOAT_TILE_AVX2(2, 1)
LAB_DEFINE_FLOAT_TILE_AVX2(1, 3)
LAB_DEFINE_FLOAT_TILE_AVX2(1, 2)
LAB_DEFINE_FLOAT_TILE_AVX2(1, 1)

typedef void (*lab_tile_avx2)(const uint8_t *const *, int, int, int, const float *, const uint16_t *, float *, size_t);

// The input block n0 ..< n1 with each row split into halves (see LAB_HALF_PASSES_AVX2): lanes 0–7 of
// every 16 columns, then lanes 8–15.
static void split_halves(const float *x, int n0, int n1, int columns, float *halves) {
    for (int n = n0; n < n1; n++) {
        const float *src = x + (size_t)n * columns;
        float *dst = halves + (size_t)(n - n0) * columns;
        for (int c = 0, j = 0; c < columns; c += 16, j += 8) {
            _mm256_storeu_ps(dst + j, _mm256_loadu_ps(src + c));
            _mm256_storeu_ps(dst + columns / 2 + j, _mm256_loadu_ps(src + c + 8));
        }
    }
}

// Returns −1 when the split copy could not be allocated (nothing written).
// `split`: every input split as split_halves does (F32/F16), or NULL to split each block here.
static int gemm_avx2(int format, const void *weights, size_t row_bytes, int row_begin, int row_end, int columns, int inputs,
                     const float *x, const float *split, const uint16_t *xb, float *out, size_t out_stride) {
    static const lab_tile_avx2 bf16_tiles[3][5] = {{0},
                                                   {0, tile_bf16_avx2_1_1, tile_bf16_avx2_1_2, tile_bf16_avx2_1_3, tile_bf16_avx2_1_4},
                                                   {0, tile_bf16_avx2_2_1, tile_bf16_avx2_2_2, tile_bf16_avx2_2_3, tile_bf16_avx2_2_4}};
    static const lab_tile_avx2 f32_tiles[7][4] = {{0},
                                                  {0, tile_f32_avx2_1_1, tile_f32_avx2_1_2, tile_f32_avx2_1_3},
                                                  {0, tile_f32_avx2_2_1, tile_f32_avx2_2_2, tile_f32_avx2_2_3},
                                                  {0, tile_f32_avx2_3_1, tile_f32_avx2_3_2, tile_f32_avx2_3_3},
                                                  {0, tile_f32_avx2_4_1, tile_f32_avx2_4_2, tile_f32_avx2_4_3},
                                                  {0, tile_f32_avx2_5_1, tile_f32_avx2_5_2, tile_f32_avx2_5_3},
                                                  {0, tile_f32_avx2_6_1, tile_f32_avx2_6_2, tile_f32_avx2_6_3}};
    static const lab_tile_avx2 f16_tiles[7][4] = {{0},
                                                  {0, tile_f16_avx2_1_1, tile_f16_avx2_1_2, tile_f16_avx2_1_3},
                                                  {0, tile_f16_avx2_2_1, tile_f16_avx2_2_2, tile_f16_avx2_2_3},
                                                  {0, tile_f16_avx2_3_1, tile_f16_avx2_3_2, tile_f16_avx2_3_3},
                                                  {0, tile_f16_avx2_4_1, tile_f16_avx2_4_2, tile_f16_avx2_4_3},
                                                  {0, tile_f16_avx2_5_1, tile_f16_avx2_5_2, tile_f16_avx2_5_3},
                                                  {0, tile_f16_avx2_6_1, tile_f16_avx2_6_2, tile_f16_avx2_6_3}};
    // Measured on one Zen 4 core (576×576 weights, 512 inputs): 4×3 for F32/F16 (see
    // LAB_BODY_FLOAT_AVX2), 2×4 for BF16 (87 GFLOP/s; 3×2 76, 3×3 52).
    const int bf16 = format == LAB_FORMAT_BF16, f16 = format == LAB_FORMAT_F16;
    const int height = bf16 ? 2 : f16 ? 6 : 4, width = bf16 ? 4 : f16 ? 2 : 3;
    float *halves = bf16 || split ? NULL : malloc(sizeof(float) * LAB_INPUT_BLOCK * (size_t)columns);
    if (!bf16 && !split && !halves) return -1;
    for (int n0 = 0; n0 < inputs; n0 += LAB_INPUT_BLOCK) {
        const int n1 = inputs - n0 < LAB_INPUT_BLOCK ? inputs : n0 + LAB_INPUT_BLOCK;
        if (halves) split_halves(x, n0, n1, columns, halves);
        for (int r = row_begin; r < row_end;) {
            const int R = row_end - r >= height ? height : row_end - r;
            const uint8_t *rows[6];
            for (int i = 0; i < R; i++) rows[i] = (const uint8_t *)weights + (size_t)(r + i) * row_bytes;
            for (int n = n0; n < n1; n += width) {
                const int K = n1 - n >= width ? width : n1 - n;
                const lab_tile_avx2 tile = bf16 ? bf16_tiles[R][K] : format == LAB_FORMAT_F16 ? f16_tiles[R][K] : f32_tiles[R][K];
                const float *input = split ? split + (size_t)n * columns : halves ? halves + (size_t)(n - n0) * columns : NULL;
                tile(rows, r, n, columns, input, xb, out, out_stride);
            }
            r += R;
        }
    }
    free(halves);
    return 0;
}

// ---------------------------------------------------------------------------------------------
// AVX-512: 16 lanes in one register; tiles of up to four rows × four inputs (16 accumulators).

#define LAB_TARGET512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq")))
#define LAB_TARGET512BF16 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx512bf16")))

static inline __attribute__((always_inline)) LAB_TARGET512 float total_512(__m512 l) {
    return total_avx2(_mm512_castps512_ps256(l), _mm512_extractf32x8_ps(l, 1));
}

#define LAB_TILE_512(R, K, BODY)                                                                                    \
    do {                                                                                                            \
        __m512 acc[R][K];                                                                                           \
        for (int i = 0; i < R; i++)                                                                                 \
            for (int k = 0; k < K; k++) acc[i][k] = _mm512_setzero_ps();                                            \
        BODY;                                                                                                       \
        for (int i = 0; i < R; i++)                                                                                 \
            for (int k = 0; k < K; k++) out[(size_t)(n + k) * out_stride + r + i] = total_512(acc[i][k]);          \
    } while (0)

#define LAB_BODY_FLOAT(R, K)                                                                                        \
    for (int c = 0; c < columns; c += 16) {                                                                         \
        __m512 w[R];                                                                                                \
        for (int i = 0; i < R; i++)                                                                                 \
            w[i] = format == LAB_FORMAT_F16 ? _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(rows[i] + 2 * (size_t)c))) \
                                            : _mm512_loadu_ps((const float *)(rows[i] + 4 * (size_t)c));          \
        for (int k = 0; k < K; k++) {                                                                               \
            const __m512 xk = _mm512_loadu_ps(x + (size_t)(n + k) * columns + c);                                   \
            for (int i = 0; i < R; i++) acc[i][k] = _mm512_fmadd_ps(w[i], xk, acc[i][k]);                           \
        }                                                                                                           \
    }

#define LAB_BODY_BF16(R, K)                                                                                         \
    for (int c = 0; c < columns; c += 32) {                                                                         \
        __m512bh w[R];                                                                                              \
        for (int i = 0; i < R; i++) w[i] = (__m512bh)_mm512_loadu_si512((const void *)(rows[i] + 2 * (size_t)c));   \
        for (int k = 0; k < K; k++) {                                                                               \
            const __m512bh xk = (__m512bh)_mm512_loadu_si512((const void *)(xb + (size_t)(n + k) * columns + c));   \
            for (int i = 0; i < R; i++) acc[i][k] = _mm512_dpbf16_ps(acc[i][k], w[i], xk);                          \
        }                                                                                                           \
    }

#define LAB_DEFINE_TILE_512(R, K)                                                                                   \
    LAB_TARGET512 static void tile_512_##R##_##K(int format, const uint8_t *const *rows, int r, int n, int columns, \
                                                 const float *x, float *out, size_t out_stride) {                   \
        LAB_TILE_512(R, K, LAB_BODY_FLOAT(R, K));                                                                   \
    }                                                                                                               \
    LAB_TARGET512BF16 static void tile_bf16_##R##_##K(const uint8_t *const *rows, int r, int n, int columns,        \
                                                      const uint16_t *xb, float *out, size_t out_stride) {          \
        LAB_TILE_512(R, K, LAB_BODY_BF16(R, K));                                                                    \
    }
LAB_DEFINE_TILE_512(4, 4)
LAB_DEFINE_TILE_512(4, 3)
LAB_DEFINE_TILE_512(4, 2)
LAB_DEFINE_TILE_512(4, 1)
LAB_DEFINE_TILE_512(1, 4)
LAB_DEFINE_TILE_512(1, 3)
LAB_DEFINE_TILE_512(1, 2)
LAB_DEFINE_TILE_512(1, 1)

typedef void (*lab_tile512)(int, const uint8_t *const *, int, int, int, const float *, float *, size_t);
typedef void (*lab_tile_bf16)(const uint8_t *const *, int, int, int, const uint16_t *, float *, size_t);

static void gemm_512(int format, int native_bf16, const void *weights, size_t row_bytes, int row_begin, int row_end, int columns,
                     int inputs, const float *x, const uint16_t *xb, float *out, size_t out_stride) {
    static const lab_tile512 four[5] = {0, tile_512_4_1, tile_512_4_2, tile_512_4_3, tile_512_4_4};
    static const lab_tile512 one[5] = {0, tile_512_1_1, tile_512_1_2, tile_512_1_3, tile_512_1_4};
    static const lab_tile_bf16 four_bf16[5] = {0, tile_bf16_4_1, tile_bf16_4_2, tile_bf16_4_3, tile_bf16_4_4};
    static const lab_tile_bf16 one_bf16[5] = {0, tile_bf16_1_1, tile_bf16_1_2, tile_bf16_1_3, tile_bf16_1_4};
    for (int n0 = 0; n0 < inputs; n0 += LAB_INPUT_BLOCK) {
        const int n1 = inputs - n0 < LAB_INPUT_BLOCK ? inputs : n0 + LAB_INPUT_BLOCK;
        for (int r = row_begin; r < row_end;) {
            const int R = row_end - r >= 4 ? 4 : 1;
            const uint8_t *rows[4];
            for (int i = 0; i < R; i++) rows[i] = (const uint8_t *)weights + (size_t)(r + i) * row_bytes;
            for (int n = n0; n < n1; n += 4) {
                const int K = n1 - n >= 4 ? 4 : n1 - n;
                if (format == LAB_FORMAT_BF16 && native_bf16) (R == 4 ? four_bf16 : one_bf16)[K](rows, r, n, columns, xb, out, out_stride);
                else (R == 4 ? four : one)[K](format, rows, r, n, columns, x, out, out_stride);
            }
            r += R;
        }
    }
}
#endif

static int cpu_has_avx512_bf16(void) {
#if defined(LAB_GEMM_AVX2) && (defined(__GNUC__) || defined(__clang__))
    static int known = -1;
    if (known < 0) known = __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512f");
    return known;
#else
    return 0;
#endif
}

// The inputs in the layout the variant reads: BF16 packed to 16 bits (every variant); F32/F16
// split into halves for AVX2; nothing for the rest. `kernel` is already clamped to the CPU's.
static void *prepare_inputs(int kernel, int format, int columns, int inputs, const float *x) {
    if (format == LAB_FORMAT_BF16) {
        uint16_t *xb = malloc(sizeof(uint16_t) * (size_t)inputs * columns);
        if (xb) pack_bf16(x, (size_t)inputs * columns, xb);
        return xb;
    }
#ifdef LAB_GEMM_AVX2
    if (kernel == LAB_KERNEL_AVX2) {
        float *split = malloc(sizeof(float) * (size_t)inputs * columns);
        if (split) split_halves(x, 0, inputs, columns, split);
        return split;
    }
#else
    (void)kernel;
    (void)x;
#endif
    return NULL;
}

void *lab_gemm_float_prepare(int kernel, int format, int columns, int inputs, const float *x) {
    if (inputs <= 0) return NULL;
    if (kernel > lab_integer_kernel_best()) kernel = lab_integer_kernel_best();
    return prepare_inputs(kernel, format, columns, inputs, x);
}

void lab_gemm_float_release(void *prepared) { free(prepared); }

void lab_gemm_float(int kernel, int format, const void *weights, size_t row_bytes, int row_begin, int row_end, int columns,
                    int inputs, const float *x, const void *prepared, float *out, size_t out_stride) {
    if (row_begin >= row_end || inputs <= 0) return;
    if (kernel > lab_integer_kernel_best()) kernel = lab_integer_kernel_best();
    void *own = NULL;
    if (!prepared) prepared = own = prepare_inputs(kernel, format, columns, inputs, x);
    const uint16_t *xb = format == LAB_FORMAT_BF16 ? prepared : NULL;
    const float *split = format == LAB_FORMAT_BF16 ? NULL : prepared;
    if (format == LAB_FORMAT_BF16 && !xb) {
        // No room for the packed copy: the decode kernel gives a product of the same rounding of
        // the inputs, in another summation order.
        lab_matmul_float(kernel, format, weights, row_bytes, row_begin, row_end, columns, inputs, x, out, out_stride);
        return;
    }
    lab_flush_state flush = {0};
    if (format == LAB_FORMAT_BF16) flush = flush_denormals_begin();
#ifdef LAB_GEMM_AVX2
    if (kernel == LAB_KERNEL_VNNI && (format != LAB_FORMAT_BF16 || cpu_has_avx512_bf16()))
        gemm_512(format, cpu_has_avx512_bf16(), weights, row_bytes, row_begin, row_end, columns, inputs, x, xb, out, out_stride);
    else if (kernel < LAB_KERNEL_AVX2 ||
             gemm_avx2(format, weights, row_bytes, row_begin, row_end, columns, inputs, x, split, xb, out, out_stride) != 0)
#endif
        gemm_portable(format, weights, row_bytes, row_begin, row_end, columns, inputs, x, xb, out, out_stride);
    if (format == LAB_FORMAT_BF16) flush_denormals_end(flush);
    free(own);
}
