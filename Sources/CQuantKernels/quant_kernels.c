#include "quant_kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#include <immintrin.h>
#define LAB_AVX2 1
#endif

static inline float half_to_float(uint16_t h) {
#ifdef LAB_AVX2
    return _cvtsh_ss(h);
#else
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF;
    float value;
    if (exponent == 0) {
        value = (float)mantissa * (1.0f / 16777216.0f);
        return sign ? -value : value;
    }
    uint32_t bits = exponent == 31 ? (sign | 0x7F800000u | (mantissa << 13)) : (sign | ((exponent + 112) << 23) | (mantissa << 13));
    memcpy(&value, &bits, 4);
    return value;
#endif
}

static inline uint16_t load_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline int32_t load_u32(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

// ---------------------------------------------------------------------------------------------
// Activations

__attribute__((unused)) static void quantize_portable(const float *x, int blocks, int8_t *q, float *scale, float *sum, int32_t *totals);

#ifdef LAB_AVX2
// One block of lab_quantize_q8 in AVX2: the same products and the same rounding (vroundps to
// nearest-even is nearbyintf in the default mode), so the same bytes.
static inline void quantize_block_avx2(const float *xb, int8_t *qb, float *scale, float *sum, int32_t *total) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 v[4];
    for (int i = 0; i < 4; i++) v[i] = _mm256_loadu_ps(xb + 8 * i);
    const __m256 a = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, v[0]), _mm256_andnot_ps(sign, v[1])),
                                   _mm256_max_ps(_mm256_andnot_ps(sign, v[2]), _mm256_andnot_ps(sign, v[3])));
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    const float amax = _mm_cvtss_f32(m);
    const float d = amax / 127.0f, inverse = amax > 0 ? 127.0f / amax : 0.0f;
    const __m256 scaleBy = _mm256_set1_ps(inverse);
    __m256i i32[4];
    for (int i = 0; i < 4; i++) {
        i32[i] = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v[i], scaleBy), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
    const __m256i total8 = _mm256_add_epi32(_mm256_add_epi32(i32[0], i32[1]), _mm256_add_epi32(i32[2], i32[3]));
    __m128i t = _mm_add_epi32(_mm256_castsi256_si128(total8), _mm256_extracti128_si256(total8, 1));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, _MM_SHUFFLE(1, 0, 3, 2)));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, _MM_SHUFFLE(2, 3, 0, 1)));
    // The packs work within 128-bit lanes; the permutation puts the 4-byte groups back in order.
    const __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(i32[0], i32[1]), _mm256_packs_epi32(i32[2], i32[3]));
    _mm256_storeu_si256((__m256i *)qb, _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
    *scale = (float)(_Float16)d;
    *sum = *scale * (float)_mm_cvtsi128_si32(t);
    if (total) *total = _mm_cvtsi128_si32(t);
}
#endif

void lab_quantize_q8(const float *x, int blocks, int8_t *q, float *scale, float *sum, int32_t *totals) {
#ifdef LAB_AVX2
    for (int b = 0; b < blocks; b++) quantize_block_avx2(x + 32 * b, q + 32 * b, scale + b, sum + b, totals ? totals + b : NULL);
#else
    quantize_portable(x, blocks, q, scale, sum, totals);
#endif
}

static void quantize_portable(const float *x, int blocks, int8_t *q, float *scale, float *sum, int32_t *totals) {
    for (int b = 0; b < blocks; b++) {
        const float *xb = x + 32 * b;
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(xb[j]));
        // As llama.cpp's Q8_0/Q8_1 activation blocks: the scale kept (and used) is d rounded to
        // binary16, the values are rounded with the unrounded 127 / max|x|.
        const float d = amax / 127.0f, inverse = amax > 0 ? 127.0f / amax : 0.0f;
        int total = 0;
        for (int j = 0; j < 32; j++) {
            const int v = (int)nearbyintf(xb[j] * inverse);
            q[32 * b + j] = (int8_t)v;
            total += v;
        }
        // sum is exactly scale · Σ q, so the offset term of Q4_1/Q5_1 equals what a Float
        // product of the rounded activations gives (the sgemm path): a sequence's logits don't
        // depend on how wide a batch it is decoded in.
        scale[b] = (float)(_Float16)d;
        sum[b] = scale[b] * (float)total;
        if (totals) totals[b] = total;
    }
}

void lab_quantize_q8_k(const float *x, int blocks, int8_t *q, float *scale, int16_t *bsums) {
    for (int b = 0; b < blocks; b++) {
        const float *xb = x + 256 * b;
        int8_t *qb = q + 256 * b;
        // The value of largest magnitude, the first one on a tie, sign kept (llama.cpp's rule).
        float amax = 0, vmax = 0;
        for (int j = 0; j < 256; j++) {
            const float a = fabsf(xb[j]);
            if (a > amax) {
                amax = a;
                vmax = xb[j];
            }
        }
        if (amax == 0) {
            scale[b] = 0;
            memset(qb, 0, 256);
            memset(bsums + 16 * b, 0, 16 * sizeof(int16_t));
            continue;
        }
        const float inverse = -127.0f / vmax;
        for (int j = 0; j < 256; j++) {
            const int v = (int)nearbyintf(inverse * xb[j]);
            qb[j] = (int8_t)(v < 127 ? v : 127);
        }
        for (int g = 0; g < 16; g++) {
            int total = 0;
            for (int j = 0; j < 16; j++) total += qb[16 * g + j];
            bsums[16 * b + g] = (int16_t)total;
        }
        scale[b] = 1 / inverse;
    }
}

// binary32 → bfloat16 as ggml's ggml_compute_fp32_to_bf16: to nearest even, NaN kept quiet.
static inline float round_to_bf16(float value) {
    uint32_t u;
    memcpy(&u, &value, 4);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) {
        u = (u | (64u << 16)) & 0xFFFF0000u;
    } else {
        u = ((u + (0x7FFFu + ((u >> 16) & 1))) >> 16) << 16;
    }
    float out;
    memcpy(&out, &u, 4);
    return out;
}

void lab_round_activations(int format, const float *x, size_t count, float *out) {
    switch (format) {
    case LAB_FORMAT_F16:
        for (size_t i = 0; i < count; i++) out[i] = (float)(_Float16)x[i];
        break;
    case LAB_FORMAT_BF16:
        for (size_t i = 0; i < count; i++) out[i] = round_to_bf16(x[i]);
        break;
    default:
        if (out != x) memcpy(out, x, count * sizeof(float));
    }
}

void lab_float_weights(int format, const void *src, size_t count, float *dst) {
    const uint8_t *p = (const uint8_t *)src;
    size_t i = 0;
#ifdef LAB_AVX2
    if (format == LAB_FORMAT_F16) {
        for (; i + 8 <= count; i += 8) _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + 2 * i))));
    } else if (format == LAB_FORMAT_BF16) {
        for (; i + 8 <= count; i += 8) {
            const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(p + 2 * i)));
            _mm256_storeu_ps(dst + i, _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16)));
        }
    }
#endif
    for (; i < count; i++) {
        switch (format) {
        case LAB_FORMAT_F16: dst[i] = half_to_float(load_u16(p + 2 * i)); break;
        case LAB_FORMAT_BF16: {
            const uint32_t bits = (uint32_t)load_u16(p + 2 * i) << 16;
            memcpy(dst + i, &bits, 4);
            break;
        }
        default: memcpy(dst + i, p + 4 * i, 4);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The portable products: plain C for hosts without AVX2, and the definition every variant must
// equal bit for bit.

// Bytes per block of the 32-weight formats.
static inline int block32_bytes(int format) {
    switch (format) {
    case LAB_FORMAT_Q4_0: return 18;
    case LAB_FORMAT_Q4_1: return 20;
    case LAB_FORMAT_Q5_0: return 22;
    case LAB_FORMAT_Q5_1: return 24;
    default: return 34;
    }
}

// The 32 weights of a block as integers, zero point taken off (Q4_0: q − 8, Q5_0: q − 16); for
// Q4_1/Q5_1 the raw q, whose offset m the caller adds.
static inline void decode_block32(int format, const uint8_t *block, int8_t w[32]) {
    switch (format) {
    case LAB_FORMAT_Q8_0:
        memcpy(w, block + 2, 32);
        return;
    case LAB_FORMAT_Q4_0:
    case LAB_FORMAT_Q4_1: {
        const uint8_t *qs = block + (format == LAB_FORMAT_Q4_0 ? 2 : 4);
        const int zero = format == LAB_FORMAT_Q4_0 ? 8 : 0;
        for (int j = 0; j < 16; j++) {
            w[j] = (int8_t)((qs[j] & 0x0F) - zero);
            w[j + 16] = (int8_t)((qs[j] >> 4) - zero);
        }
        return;
    }
    default: {  // Q5_0, Q5_1: bit j of the 32-bit qh is the fifth bit of weight j
        const int offset = format == LAB_FORMAT_Q5_0 ? 2 : 4;
        const uint32_t qh = (uint32_t)load_u32(block + offset);
        const uint8_t *qs = block + offset + 4;
        const int zero = format == LAB_FORMAT_Q5_0 ? 16 : 0;
        for (int j = 0; j < 16; j++) {
            w[j] = (int8_t)(((qs[j] & 0x0F) | (((qh >> j) & 1) << 4)) - zero);
            w[j + 16] = (int8_t)(((qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - zero);
        }
    }
    }
}

// Per block the exact integer dot product T, then acc = fma(T, d · s, acc) and, for Q4_1/Q5_1,
// acc = fma(m, sum, acc). The integer sum is exact in any order, so the vector variants may add
// it up however suits them; the Float steps are these, in this order.
static void matmul_block32_portable(int format, const void *weights, size_t row_bytes, int row_begin, int row_end, int blocks,
                                    int inputs, const int8_t *q, const float *scale, const float *sum, float *out,
                                    size_t out_stride) {
    const int bytes = block32_bytes(format);
    const int offset = format == LAB_FORMAT_Q4_1 || format == LAB_FORMAT_Q5_1;
    for (int n = 0; n < inputs; n++) {
        const int8_t *qn = q + (size_t)n * 32 * blocks;
        const float *sn = scale + (size_t)n * blocks, *un = sum + (size_t)n * blocks;
        for (int r = row_begin; r < row_end; r++) {
            const uint8_t *row = (const uint8_t *)weights + (size_t)r * row_bytes;
            float acc = 0;
            for (int b = 0; b < blocks; b++) {
                const uint8_t *block = row + (size_t)bytes * b;
                int8_t w[32];
                decode_block32(format, block, w);
                int32_t dot = 0;
                for (int j = 0; j < 32; j++) dot += w[j] * qn[32 * b + j];
                acc = fmaf((float)dot, half_to_float(load_u16(block)) * sn[b], acc);
                if (offset) acc = fmaf(half_to_float(load_u16(block + 2)), un[b], acc);
            }
            out[n * out_stride + r] = acc;
        }
    }
}

// The 6-bit scale and min of each of the 8 chunks of a Q4_K/Q5_K super-block, from its 12
// packed bytes (ggml's get_scale_min_k4).
static inline void unpack_k4_scales(const uint8_t *s, uint8_t sc[8], uint8_t mn[8]) {
    for (int j = 0; j < 4; j++) {
        sc[j] = s[j] & 63;
        mn[j] = s[j + 4] & 63;
        sc[j + 4] = (s[j + 8] & 0x0F) | ((s[j] >> 6) << 4);
        mn[j + 4] = (s[j + 8] >> 4) | ((s[j + 4] >> 6) << 4);
    }
}

// Weight 32j + l of a Q4_K (fifth = 0) or Q5_K super-block, as 0–15 or 0–31.
static inline int k4_weight(const uint8_t *block, int fifth, int j, int l) {
    const uint8_t *qs = block + (fifth ? 48 : 16) + 32 * (j >> 1);
    int v = (j & 1) ? qs[l] >> 4 : qs[l] & 0x0F;
    if (fifth) v |= ((block[16 + l] >> j) & 1) << 4;
    return v;
}

// Per super-block T = Σ_j sc_j · Σ_l w·x and M = Σ_j min_j · (bsum_2j + bsum_2j+1), exact;
// then acc = fma(T, d · s, acc); acc = fma(−M, dmin · s, acc).
static void matmul_k4_portable(int fifth, const void *weights, size_t row_bytes, int row_begin, int row_end, int blocks,
                               int inputs, const int8_t *q, const float *scale, const int16_t *bsums, float *out,
                               size_t out_stride) {
    const int bytes = fifth ? 176 : 144;
    for (int n = 0; n < inputs; n++) {
        for (int r = row_begin; r < row_end; r++) {
            const uint8_t *row = (const uint8_t *)weights + (size_t)r * row_bytes;
            float acc = 0;
            for (int b = 0; b < blocks; b++) {
                const uint8_t *block = row + (size_t)bytes * b;
                const size_t sb = (size_t)n * blocks + b;
                const int8_t *x = q + 256 * sb;
                const int16_t *groups = bsums + 16 * sb;
                uint8_t sc[8], mn[8];
                unpack_k4_scales(block + 4, sc, mn);
                int32_t T = 0, M = 0;
                for (int j = 0; j < 8; j++) {
                    int32_t dot = 0;
                    for (int l = 0; l < 32; l++) dot += k4_weight(block, fifth, j, l) * x[32 * j + l];
                    T += sc[j] * dot;
                    M += mn[j] * (groups[2 * j] + groups[2 * j + 1]);
                }
                acc = fmaf((float)T, half_to_float(load_u16(block)) * scale[sb], acc);
                acc = fmaf(-(float)M, half_to_float(load_u16(block + 2)) * scale[sb], acc);
            }
            out[n * out_stride + r] = acc;
        }
    }
}

static void matmul_q4_k_portable(const void *weights, size_t row_bytes, int row_begin, int row_end, int blocks, int inputs,
                                 const int8_t *q, const float *scale, const int16_t *bsums, float *out, size_t out_stride) {
    matmul_k4_portable(0, weights, row_bytes, row_begin, row_end, blocks, inputs, q, scale, bsums, out, out_stride);
}

static void matmul_q5_k_portable(const void *weights, size_t row_bytes, int row_begin, int row_end, int blocks, int inputs,
                                 const int8_t *q, const float *scale, const int16_t *bsums, float *out, size_t out_stride) {
    matmul_k4_portable(1, weights, row_bytes, row_begin, row_end, blocks, inputs, q, scale, bsums, out, out_stride);
}

// Weight e (0–255) of a Q6_K super-block as 0–63 (the zero point 32 not yet taken off); its
// scale is scales[e / 16].
static inline int q6_k_weight(const uint8_t *block, int e) {
    const int h = e >> 7, t = (e >> 5) & 3, l = e & 31;
    const uint8_t low = block[64 * h + 32 * (t & 1) + l];
    const int nibble = t >= 2 ? low >> 4 : low & 0x0F;
    return nibble | (((block[128 + 32 * h + l] >> (2 * t)) & 3) << 4);
}

// Per super-block T = Σ_g scale_g · (Σ w·x − 32 · bsum_g), exact; then acc = fma(T, d · s, acc).
static void matmul_q6_k_portable(const void *weights, size_t row_bytes, int row_begin, int row_end, int blocks, int inputs,
                                 const int8_t *q, const float *scale, const int16_t *bsums, float *out, size_t out_stride) {
    for (int n = 0; n < inputs; n++) {
        for (int r = row_begin; r < row_end; r++) {
            const uint8_t *row = (const uint8_t *)weights + (size_t)r * row_bytes;
            float acc = 0;
            for (int b = 0; b < blocks; b++) {
                const uint8_t *block = row + 210 * (size_t)b;
                const size_t sb = (size_t)n * blocks + b;
                const int8_t *x = q + 256 * sb;
                const int8_t *sc = (const int8_t *)(block + 192);
                int32_t T = 0;
                for (int g = 0; g < 16; g++) {
                    int32_t dot = 0;
                    for (int l = 0; l < 16; l++) dot += q6_k_weight(block, 16 * g + l) * x[16 * g + l];
                    T += sc[g] * (dot - 32 * bsums[16 * sb + g]);
                }
                acc = fmaf((float)T, half_to_float(load_u16(block + 208)) * scale[sb], acc);
            }
            out[n * out_stride + r] = acc;
        }
    }
}

static inline float float_weight(int format, const uint8_t *row, int c) {
    switch (format) {
    case LAB_FORMAT_F16: return half_to_float(load_u16(row + 2 * (size_t)c));
    case LAB_FORMAT_BF16: {
        const uint32_t bits = (uint32_t)load_u16(row + 2 * (size_t)c) << 16;
        float value;
        memcpy(&value, &bits, 4);
        return value;
    }
    default: {
        float value;
        memcpy(&value, row + 4 * (size_t)c, 4);
        return value;
    }
    }
}

static void matmul_float_portable(int format, const void *weights, size_t row_bytes, int row_begin, int row_end, int columns,
                                  int inputs, const float *x, float *out, size_t out_stride) {
    for (int n = 0; n < inputs; n++) {
        const float *xn = x + (size_t)n * columns;
        for (int r = row_begin; r < row_end; r++) {
            const uint8_t *row = (const uint8_t *)weights + (size_t)r * row_bytes;
            float l[32] = {0}, v[8];
            for (int c = 0; c < columns; c++) l[c & 31] = fmaf(float_weight(format, row, c), xn[c], l[c & 31]);
            for (int m = 0; m < 8; m++) v[m] = (l[m] + l[m + 8]) + (l[m + 16] + l[m + 24]);
            out[n * out_stride + r] = ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The vector variants

#ifdef LAB_AVX2

// AVX2: bytes multiplied in pairs to int16 (vpmaddubsw; no saturation here, weights are at
// most 63, or 128 with the sign moved to the input), then pairs of those added to int32.
#define LAB_SUFFIX(name) name##_avx2
#define LAB_TARGET
#define LAB_GROUP 4
#define LAB_DOT(w, x) _mm256_madd_epi16(_mm256_maddubs_epi16((w), (x)), _mm256_set1_epi16(1))
#define LAB_DOT_ACC(acc, w, x) _mm256_add_epi32((acc), LAB_DOT((w), (x)))
#include "quant_matmul_body.h"
#include "kquant_matmul_body.h"
#include "float_matmul_body.h"
#undef LAB_SUFFIX
#undef LAB_TARGET
#undef LAB_GROUP
#undef LAB_DOT
#undef LAB_DOT_ACC

// AVX-512 VNNI: the same sums in one instruction (vpdpbusd), on 256-bit vectors; the K-quants'
// scaled pairs stay vpmaddwd, with AVX-512's 32 vector registers.
#define LAB_SUFFIX(name) name##_vnni
#define LAB_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512vnni")))
#define LAB_GROUP 8
#define LAB_DOT(w, x) _mm256_dpbusd_epi32(_mm256_setzero_si256(), (w), (x))
#define LAB_DOT_ACC(acc, w, x) _mm256_dpbusd_epi32((acc), (w), (x))
#define LAB_HAS_UNSIGNED_DPBUSD 1
#include "quant_matmul_body.h"
#include "kquant_matmul_body.h"
#undef LAB_SUFFIX
#undef LAB_TARGET
#undef LAB_GROUP
#undef LAB_DOT
#undef LAB_DOT_ACC
#undef LAB_HAS_UNSIGNED_DPBUSD
#endif

int lab_integer_kernel_best(void) {
#ifdef LAB_AVX2
    static int best = -1;
    if (best < 0) {
        __builtin_cpu_init();
        best = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw")
                   ? LAB_KERNEL_VNNI : LAB_KERNEL_AVX2;
    }
    return best;
#else
    return LAB_KERNEL_PORTABLE;
#endif
}

// The variant to run: the one asked for, or the next one down that this CPU has.
static inline int runnable(int kernel) {
    const int best = lab_integer_kernel_best();
    return kernel < best ? kernel : best;
}

#define LAB_DISPATCH32(kind, ...)                                                                                   \
    switch (variant) {                                                                                              \
    case LAB_KERNEL_VNNI: matmul_##kind##_vnni(__VA_ARGS__); return;                                                \
    case LAB_KERNEL_AVX2: matmul_##kind##_avx2(__VA_ARGS__); return;                                                \
    default: break;                                                                                                 \
    }

void lab_matmul_integer(int kernel, int format, const void *weights, size_t row_bytes, int row_begin, int row_end, int columns,
                        int inputs, const int8_t *q, const float *scale, const void *sums, const int32_t *totals, float *out,
                        size_t out_stride) {
    const int variant = runnable(kernel);
    (void)variant;
    const float *fsum = (const float *)sums;
    const int16_t *bsums = (const int16_t *)sums;
    switch (format) {
    case LAB_FORMAT_Q4_K:
    case LAB_FORMAT_Q5_K:
    case LAB_FORMAT_Q6_K: {
        const int blocks = columns / 256;
#ifdef LAB_AVX2
        if (format == LAB_FORMAT_Q4_K) { LAB_DISPATCH32(q4_k, weights, row_bytes, row_begin, row_end, blocks, inputs, q, scale, bsums, out, out_stride) }
        if (format == LAB_FORMAT_Q5_K) { LAB_DISPATCH32(q5_k, weights, row_bytes, row_begin, row_end, blocks, inputs, q, scale, bsums, out, out_stride) }
        if (format == LAB_FORMAT_Q6_K) { LAB_DISPATCH32(q6_k, weights, row_bytes, row_begin, row_end, blocks, inputs, q, scale, bsums, out, out_stride) }
#endif
        if (format == LAB_FORMAT_Q6_K) {
            matmul_q6_k_portable(weights, row_bytes, row_begin, row_end, blocks, inputs, q, scale, bsums, out, out_stride);
        } else {
            matmul_k4_portable(format == LAB_FORMAT_Q5_K, weights, row_bytes, row_begin, row_end, blocks, inputs, q, scale, bsums, out,
                               out_stride);
        }
        return;
    }
    default: {
        const int blocks = columns / 32;
#ifdef LAB_AVX2
        switch (format) {
        case LAB_FORMAT_Q4_0: LAB_DISPATCH32(q4_0, weights, row_bytes, row_begin, row_end, blocks, inputs, q, scale, fsum, totals, out, out_stride) break;
        case LAB_FORMAT_Q4_1: LAB_DISPATCH32(q4_1, weights, row_bytes, row_begin, row_end, blocks, inputs, q, scale, fsum, totals, out, out_stride) break;
        case LAB_FORMAT_Q5_0: LAB_DISPATCH32(q5_0, weights, row_bytes, row_begin, row_end, blocks, inputs, q, scale, fsum, totals, out, out_stride) break;
        case LAB_FORMAT_Q5_1: LAB_DISPATCH32(q5_1, weights, row_bytes, row_begin, row_end, blocks, inputs, q, scale, fsum, totals, out, out_stride) break;
        default: LAB_DISPATCH32(q8_0, weights, row_bytes, row_begin, row_end, blocks, inputs, q, scale, fsum, totals, out, out_stride) break;
        }
#endif
        matmul_block32_portable(format, weights, row_bytes, row_begin, row_end, blocks, inputs, q, scale, fsum, out, out_stride);
    }
    }
}
#undef LAB_DISPATCH32

void lab_matmul_float(int kernel, int format, const void *weights, size_t row_bytes, int row_begin, int row_end, int columns,
                      int inputs, const float *x, float *out, size_t out_stride) {
#ifdef LAB_AVX2
    if (runnable(kernel) != LAB_KERNEL_PORTABLE) {
        switch (format) {
        case LAB_FORMAT_F16: matmul_f16_avx2(weights, row_bytes, row_begin, row_end, columns, inputs, x, out, out_stride); return;
        case LAB_FORMAT_BF16: matmul_bf16_avx2(weights, row_bytes, row_begin, row_end, columns, inputs, x, out, out_stride); return;
        default: matmul_f32_avx2(weights, row_bytes, row_begin, row_end, columns, inputs, x, out, out_stride); return;
        }
    }
#else
    (void)kernel;
#endif
    matmul_float_portable(format, weights, row_bytes, row_begin, row_end, columns, inputs, x, out, out_stride);
}
