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

void lab_quantize_q8(const float *x, int blocks, int8_t *q, float *scale, float *sum) {
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
static inline float horizontal_sum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
#endif

void lab_matvec_q4_1(const void *weights, size_t row_bytes, int row_begin, int row_end, int blocks,
                     const int8_t *q, const float *scale, const float *sum, float *out) {
    for (int r = row_begin; r < row_end; r++) {
        const uint8_t *row = (const uint8_t *)weights + (size_t)r * row_bytes;
        float offset = 0;
#ifdef LAB_AVX2
        __m256 acc = _mm256_setzero_ps();
        const __m128i low_mask = _mm_set1_epi8(0x0F);
        const __m256i ones = _mm256_set1_epi16(1);
        for (int b = 0; b < blocks; b++) {
            const uint8_t *block = row + 20 * b;
            const __m128i packed = _mm_loadu_si128((const __m128i *)(block + 4));
            // Weights 0–15 are the low nibbles, 16–31 the high ones.
            const __m256i w = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(packed, 4), low_mask), _mm_and_si128(packed, low_mask));
            const __m256i x = _mm256_loadu_si256((const __m256i *)(q + 32 * b));
            const __m256i pairs = _mm256_madd_epi16(_mm256_maddubs_epi16(w, x), ones);
            const float d = half_to_float(load_u16(block)) * scale[b];
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(pairs), acc);
            offset += half_to_float(load_u16(block + 2)) * sum[b];
        }
        out[r] = horizontal_sum(acc) + offset;
#else
        float total = 0;
        for (int b = 0; b < blocks; b++) {
            const uint8_t *block = row + 20 * b;
            int dot = 0;
            for (int j = 0; j < 16; j++) {
                dot += (block[4 + j] & 0x0F) * q[32 * b + j] + (block[4 + j] >> 4) * q[32 * b + 16 + j];
            }
            total += half_to_float(load_u16(block)) * scale[b] * (float)dot;
            offset += half_to_float(load_u16(block + 2)) * sum[b];
        }
        out[r] = total + offset;
#endif
    }
}

void lab_matvec_q8_0(const void *weights, size_t row_bytes, int row_begin, int row_end, int blocks,
                     const int8_t *q, const float *scale, float *out) {
    for (int r = row_begin; r < row_end; r++) {
        const uint8_t *row = (const uint8_t *)weights + (size_t)r * row_bytes;
#ifdef LAB_AVX2
        __m256 acc = _mm256_setzero_ps();
        const __m256i ones = _mm256_set1_epi16(1);
        for (int b = 0; b < blocks; b++) {
            const uint8_t *block = row + 34 * b;
            const __m256i w = _mm256_loadu_si256((const __m256i *)(block + 2));
            const __m256i x = _mm256_loadu_si256((const __m256i *)(q + 32 * b));
            // vpmaddubsw multiplies unsigned by signed bytes: move w's sign onto x.
            const __m256i pairs = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w)), ones);
            const float d = half_to_float(load_u16(block)) * scale[b];
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(pairs), acc);
        }
        out[r] = horizontal_sum(acc);
#else
        float total = 0;
        for (int b = 0; b < blocks; b++) {
            const uint8_t *block = row + 34 * b;
            int dot = 0;
            for (int j = 0; j < 32; j++) dot += (int8_t)block[2 + j] * q[32 * b + j];
            total += half_to_float(load_u16(block)) * scale[b] * (float)dot;
        }
        out[r] = total;
#endif
    }
}
