#include "quant_kernels.h"

#include <math.h>
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

__attribute__((unused)) static void quantize_portable(const float *x, int blocks, int8_t *q, float *scale, float *sum);

#ifdef LAB_AVX2
// One block of lab_quantize_q8 in AVX2: the same products and the same rounding (vroundps to
// nearest-even is nearbyintf in the default mode), so the same bytes.
static inline void quantize_block_avx2(const float *xb, int8_t *qb, float *scale, float *sum) {
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
}
#endif

void lab_quantize_q8(const float *x, int blocks, int8_t *q, float *scale, float *sum) {
#ifdef LAB_AVX2
    for (int b = 0; b < blocks; b++) quantize_block_avx2(x + 32 * b, q + 32 * b, scale + b, sum + b);
#else
    quantize_portable(x, blocks, q, scale, sum);
#endif
}

static void quantize_portable(const float *x, int blocks, int8_t *q, float *scale, float *sum) {
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
        // sum is exactly scale · Σ q, so the Q4_1 offset term equals what a Float product of
        // the rounded activations gives (the sgemm path): a sequence's logits don't depend on
        // how wide a batch it is decoded in.
        scale[b] = (float)(_Float16)d;
        sum[b] = scale[b] * (float)total;
    }
}

#ifdef LAB_AVX2

// AVX2: bytes multiplied in pairs to int16 (vpmaddubsw; no saturation here, weights are at
// most 15, or 128 with the sign moved to the input), then pairs of those added to int32.
#define LAB_SUFFIX(name) name##_avx2
#define LAB_TARGET
#define LAB_GROUP 4
#define LAB_DOT(w, x) _mm256_madd_epi16(_mm256_maddubs_epi16((w), (x)), _mm256_set1_epi16(1))
#include "quant_matmul_body.h"
#undef LAB_SUFFIX
#undef LAB_TARGET
#undef LAB_GROUP
#undef LAB_DOT

// AVX-512 VNNI: the same sums in one instruction (vpdpbusd), on 256-bit vectors.
#define LAB_SUFFIX(name) name##_vnni
#define LAB_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512vnni")))
#define LAB_GROUP 8
#define LAB_DOT(w, x) _mm256_dpbusd_epi32(_mm256_setzero_si256(), (w), (x))
#include "quant_matmul_body.h"
#undef LAB_SUFFIX
#undef LAB_TARGET
#undef LAB_GROUP
#undef LAB_DOT
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

// Plain C, for hosts without AVX2, and the definition every variant must equal bit for bit:
// per block the exact integer dot product T, then acc = fma(T, d · s, acc) and, for Q4_1,
// acc = fma(m, sum, acc). The integer sum is exact in any order, so the vector variants may add
// it up however suits them; the Float steps are these, in this order.
static void matmul_q4_1_portable(const void *weights, size_t row_bytes, int row_begin, int row_end, int blocks, int inputs,
                                 const int8_t *q, const float *scale, const float *sum, float *out, size_t out_stride) {
    for (int n = 0; n < inputs; n++) {
        const int8_t *qn = q + (size_t)n * 32 * blocks;
        const float *sn = scale + (size_t)n * blocks, *un = sum + (size_t)n * blocks;
        for (int r = row_begin; r < row_end; r++) {
            const uint8_t *row = (const uint8_t *)weights + (size_t)r * row_bytes;
            float acc = 0;
            for (int b = 0; b < blocks; b++) {
                const uint8_t *block = row + 20 * b;
                int32_t dot = 0;
                for (int j = 0; j < 16; j++) {
                    dot += (block[4 + j] & 0x0F) * qn[32 * b + j] + (block[4 + j] >> 4) * qn[32 * b + 16 + j];
                }
                const float ds = half_to_float(load_u16(block)) * sn[b];
                acc = fmaf((float)dot, ds, acc);
                acc = fmaf(half_to_float(load_u16(block + 2)), un[b], acc);
            }
            out[n * out_stride + r] = acc;
        }
    }
}

static void matmul_q8_0_portable(const void *weights, size_t row_bytes, int row_begin, int row_end, int blocks, int inputs,
                                 const int8_t *q, const float *scale, float *out, size_t out_stride) {
    for (int n = 0; n < inputs; n++) {
        const int8_t *qn = q + (size_t)n * 32 * blocks;
        const float *sn = scale + (size_t)n * blocks;
        for (int r = row_begin; r < row_end; r++) {
            const uint8_t *row = (const uint8_t *)weights + (size_t)r * row_bytes;
            float acc = 0;
            for (int b = 0; b < blocks; b++) {
                const uint8_t *block = row + 34 * b;
                int32_t dot = 0;
                for (int j = 0; j < 32; j++) dot += (int8_t)block[2 + j] * qn[32 * b + j];
                const float ds = half_to_float(load_u16(block)) * sn[b];
                acc = fmaf((float)dot, ds, acc);
            }
            out[n * out_stride + r] = acc;
        }
    }
}

void lab_matmul_q4_1(int kernel, const void *weights, size_t row_bytes, int row_begin, int row_end, int blocks, int inputs,
                     const int8_t *q, const float *scale, const float *sum, float *out, size_t out_stride) {
#ifdef LAB_AVX2
    if (kernel == LAB_KERNEL_VNNI && lab_integer_kernel_best() == LAB_KERNEL_VNNI) {
        matmul_q4_1_vnni(weights, row_bytes, row_begin, row_end, blocks, inputs, q, scale, sum, out, out_stride);
        return;
    }
    if (kernel != LAB_KERNEL_PORTABLE) {
        matmul_q4_1_avx2(weights, row_bytes, row_begin, row_end, blocks, inputs, q, scale, sum, out, out_stride);
        return;
    }
#endif
    matmul_q4_1_portable(weights, row_bytes, row_begin, row_end, blocks, inputs, q, scale, sum, out, out_stride);
}

void lab_matmul_q8_0(int kernel, const void *weights, size_t row_bytes, int row_begin, int row_end, int blocks, int inputs,
                     const int8_t *q, const float *scale, float *out, size_t out_stride) {
#ifdef LAB_AVX2
    if (kernel == LAB_KERNEL_VNNI && lab_integer_kernel_best() == LAB_KERNEL_VNNI) {
        matmul_q8_0_vnni(weights, row_bytes, row_begin, row_end, blocks, inputs, q, scale, NULL, out, out_stride);
        return;
    }
    if (kernel != LAB_KERNEL_PORTABLE) {
        matmul_q8_0_avx2(weights, row_bytes, row_begin, row_end, blocks, inputs, q, scale, NULL, out, out_stride);
        return;
    }
#endif
    matmul_q8_0_portable(weights, row_bytes, row_begin, row_end, blocks, inputs, q, scale, out, out_stride);
}
