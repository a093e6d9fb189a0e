#include "attention_kernel.h"

#include <math.h>
#include <stdlib.h>

// The operations, and their order, are those of LabTensor's Swift attendRow64, so the two give
// bit-identical results (the tests check it). That matters more than it seems: the int8
// activations of the next layer turn a last-bit difference into a visibly different logit.
// Per 64-value slice c of the head and key j, lanes l < 16:
//   s_l = fma(q[c+32+l], k[c+32+l], q[c+l]·k[c+l]) + fma(q[c+48+l], k[c+48+l], q[c+16+l]·k[c+16+l])
//   score_j += ((0 + s_0) + s_1) + … + s_15          (Swift's SIMD sum() adds lanes in order)
// then score · scale, a softmax with expf, and out = Σ_j p_j · v_j by fused multiply-adds in
// order of j.

// A cache holds keys and values as binary32 or binary16 (F16, as llama.cpp's default cache). Every
// kernel below reads them through `load1`/`load8` with `f16` a constant of the caller, so each is
// compiled once per element type; binary16 → binary32 is exact, so an F16 cache gives the same
// bits as an F32 cache holding the same (rounded) values.
#define LAB_INLINE static inline __attribute__((always_inline))

LAB_INLINE float load1(const void *base, size_t index, int f16) {
    return f16 ? (float)((const _Float16 *)base)[index] : ((const float *)base)[index];
}

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

LAB_INLINE __m256 load8(const void *base, size_t index, int f16) {
    return f16 ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const _Float16 *)base + index)))
               : _mm256_loadu_ps((const float *)base + index);
}

// Lanes 0–7 and 8–15 of s for one key's 64-value slice (key values k[first ..< first + 64]).
LAB_INLINE void slice_products(const float *q, const void *k, size_t first, int f16, __m256 *low, __m256 *high) {
    for (int half = 0; half < 2; half++) {
        const int o = 8 * half;
        const __m256 a = _mm256_fmadd_ps(_mm256_loadu_ps(q + 32 + o), load8(k, first + 32 + o, f16),
                                         _mm256_mul_ps(_mm256_loadu_ps(q + o), load8(k, first + o, f16)));
        const __m256 b = _mm256_fmadd_ps(_mm256_loadu_ps(q + 48 + o), load8(k, first + 48 + o, f16),
                                         _mm256_mul_ps(_mm256_loadu_ps(q + 16 + o), load8(k, first + 16 + o, f16)));
        *(half ? high : low) = _mm256_add_ps(a, b);
    }
}

// r[l] lane p = m[p] lane l.
static inline void transpose8(const __m256 m[8], __m256 r[8]) {
    const __m256 t0 = _mm256_unpacklo_ps(m[0], m[1]), t1 = _mm256_unpackhi_ps(m[0], m[1]);
    const __m256 t2 = _mm256_unpacklo_ps(m[2], m[3]), t3 = _mm256_unpackhi_ps(m[2], m[3]);
    const __m256 t4 = _mm256_unpacklo_ps(m[4], m[5]), t5 = _mm256_unpackhi_ps(m[4], m[5]);
    const __m256 t6 = _mm256_unpacklo_ps(m[6], m[7]), t7 = _mm256_unpackhi_ps(m[6], m[7]);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// score_j += Σ_l s_l (in lane order) for one 64-value slice (key j's values from
// keys[j · stride + first]), eight keys at a time: their lanes transposed so that one vector add
// advances eight keys' in-order sums.
LAB_INLINE void add_slice_scores(const float *q, const void *keys, size_t first, int positions, size_t stride, int f16,
                                 float *score) {
    int j = 0;
    for (; j + 8 <= positions; j += 8) {
        __m256 low[8], high[8], lanes[8];
        for (int p = 0; p < 8; p++) slice_products(q, keys, (size_t)(j + p) * stride + first, f16, &low[p], &high[p]);
        __m256 sum = _mm256_setzero_ps();
        transpose8(low, lanes);
        for (int l = 0; l < 8; l++) sum = _mm256_add_ps(sum, lanes[l]);
        transpose8(high, lanes);
        for (int l = 0; l < 8; l++) sum = _mm256_add_ps(sum, lanes[l]);
        _mm256_storeu_ps(score + j, _mm256_add_ps(_mm256_loadu_ps(score + j), sum));
    }
    for (; j < positions; j++) {
        __m256 low, high;
        slice_products(q, keys, (size_t)j * stride + first, f16, &low, &high);
        float lanes[16], sum = 0;
        _mm256_storeu_ps(lanes, low);
        _mm256_storeu_ps(lanes + 8, high);
        for (int l = 0; l < 16; l++) sum += lanes[l];
        score[j] += sum;
    }
}

// out[0 ..< 64] = Σ_j p_j · v_j in order of j (value j's slice at values[j · stride + first]), in
// eight accumulators.
LAB_INLINE void add_slice_values(float *out, const float *p, const void *values, size_t first, int positions, size_t stride,
                                 int f16) {
    __m256 o[8];
    for (int i = 0; i < 8; i++) o[i] = _mm256_setzero_ps();
    for (int j = 0; j < positions; j++) {
        const __m256 w = _mm256_broadcast_ss(p + j);
        const size_t v = (size_t)j * stride + first;
        for (int i = 0; i < 8; i++) o[i] = _mm256_fmadd_ps(w, load8(values, v + 8 * i, f16), o[i]);
    }
    for (int i = 0; i < 8; i++) _mm256_storeu_ps(out + 8 * i, o[i]);
}


// scores[i · padded + j] += the slice-c sum of query row i (rows COUNT ≤ 4, at q + i · q_stride)
// and key j, for keys j in [begin, end) (multiples of 8), with the keys transposed once:
// kt[d · padded + j] = key j's value d. Each key is a lane, so no transposes remain in the loop;
// every lane sees exactly add_slice_scores' operations in its order. COUNT is a constant in each
// instantiation, so the four sums stay in registers.
#define LAB_BLOCK_SCORES(COUNT)                                                                                     \
    static void add_block_scores_##COUNT(const float *q, size_t q_stride, const float *kt, int padded, int begin,   \
                                         int end, float *scores) {                                                   \
        for (int j = begin; j < end; j += 8) {                                                                      \
            __m256 sum[COUNT];                                                                                      \
            for (int i = 0; i < COUNT; i++) sum[i] = _mm256_setzero_ps();                                           \
            for (int l = 0; l < 16; l++) {                                                                          \
                const __m256 k0 = _mm256_loadu_ps(kt + (size_t)l * padded + j);                                     \
                const __m256 k1 = _mm256_loadu_ps(kt + (size_t)(16 + l) * padded + j);                              \
                const __m256 k2 = _mm256_loadu_ps(kt + (size_t)(32 + l) * padded + j);                              \
                const __m256 k3 = _mm256_loadu_ps(kt + (size_t)(48 + l) * padded + j);                              \
                for (int i = 0; i < COUNT; i++) {                                                                   \
                    const float *qi = q + (size_t)i * q_stride;                                                     \
                    const __m256 a = _mm256_fmadd_ps(_mm256_broadcast_ss(qi + 32 + l), k2, _mm256_mul_ps(_mm256_broadcast_ss(qi + l), k0)); \
                    const __m256 b = _mm256_fmadd_ps(_mm256_broadcast_ss(qi + 48 + l), k3, _mm256_mul_ps(_mm256_broadcast_ss(qi + 16 + l), k1)); \
                    sum[i] = _mm256_add_ps(sum[i], _mm256_add_ps(a, b));                                            \
                }                                                                                                   \
            }                                                                                                       \
            for (int i = 0; i < COUNT; i++) {                                                                       \
                float *s = scores + (size_t)i * padded + j;                                                         \
                _mm256_storeu_ps(s, _mm256_add_ps(_mm256_loadu_ps(s), sum[i]));                                     \
            }                                                                                                       \
        }                                                                                                           \
    }
LAB_BLOCK_SCORES(1)
LAB_BLOCK_SCORES(2)
LAB_BLOCK_SCORES(3)
LAB_BLOCK_SCORES(4)

static void add_block_scores(const float *q, size_t q_stride, int count, const float *kt, int padded, int begin, int end,
                             float *scores) {
    switch (count) {
    case 4: add_block_scores_4(q, q_stride, kt, padded, begin, end, scores); break;
    case 3: add_block_scores_3(q, q_stride, kt, padded, begin, end, scores); break;
    case 2: add_block_scores_2(q, q_stride, kt, padded, begin, end, scores); break;
    default: add_block_scores_1(q, q_stride, kt, padded, begin, end, scores); break;
    }
}

#else

static void add_block_scores(const float *q, size_t q_stride, int count, const float *kt, int padded, int begin, int end,
                             float *scores) {
    for (int i = 0; i < count; i++) {
        const float *qi = q + (size_t)i * q_stride;
        for (int j = begin; j < end; j++) {
            float sum = 0;
            for (int l = 0; l < 16; l++) {
                const float a = fmaf(qi[32 + l], kt[(size_t)(32 + l) * padded + j], qi[l] * kt[(size_t)l * padded + j]);
                const float b = fmaf(qi[48 + l], kt[(size_t)(48 + l) * padded + j], qi[16 + l] * kt[(size_t)(16 + l) * padded + j]);
                sum += a + b;
            }
            scores[(size_t)i * padded + j] += sum;
        }
    }
}

LAB_INLINE void add_slice_scores(const float *q, const void *keys, size_t first, int positions, size_t stride, int f16,
                                 float *score) {
    for (int j = 0; j < positions; j++) {
        const size_t k = (size_t)j * stride + first;
        float sum = 0;
        for (int l = 0; l < 16; l++) {
            const float a = fmaf(q[32 + l], load1(keys, k + 32 + l, f16), q[l] * load1(keys, k + l, f16));
            const float b = fmaf(q[48 + l], load1(keys, k + 48 + l, f16), q[16 + l] * load1(keys, k + 16 + l, f16));
            sum += a + b;
        }
        score[j] += sum;
    }
}

LAB_INLINE void add_slice_values(float *out, const float *p, const void *values, size_t first, int positions, size_t stride,
                                 int f16) {
    for (int i = 0; i < 64; i++) out[i] = 0;
    for (int j = 0; j < positions; j++) {
        const size_t v = (size_t)j * stride + first;
        for (int i = 0; i < 64; i++) out[i] = fmaf(p[j], load1(values, v + i, f16), out[i]);
    }
}

#endif

static void scaled_softmax(float *scores, int n, float scale);

// With an F16 cache, llama.cpp's products round their Float operand to the cache's type as well:
// the query before q·k, the softmax weights before Σ p·v. So do these kernels, to follow its numerics.
LAB_INLINE void round_to_f16(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = (float)(_Float16)x[i];
}

LAB_INLINE void attend_row(float *out, const float *q, const void *keys, const void *values, int positions, size_t stride,
                           int head_size, float scale, float *scratch, int f16) {
    float rounded[f16 ? head_size : 1];
    if (f16) {
        for (int i = 0; i < head_size; i++) rounded[i] = q[i];
        round_to_f16(rounded, head_size);
        q = rounded;
    }
    for (int j = 0; j < positions; j++) scratch[j] = 0;
    for (int c = 0; c < head_size; c += 64) add_slice_scores(q + c, keys, c, positions, stride, f16, scratch);
    scaled_softmax(scratch, positions, scale);
    if (f16) round_to_f16(scratch, positions);
    for (int c = 0; c < head_size; c += 64) add_slice_values(out + c, scratch, values, c, positions, stride, f16);
}

void lab_attend_row(float *out, const float *q, const float *keys, const float *values, int positions, size_t stride,
                    int head_size, float scale, float *scratch) {
    attend_row(out, q, keys, values, positions, stride, head_size, scale, scratch, 0);
}

void lab_attend_row_f16(float *out, const float *q, const _Float16 *keys, const _Float16 *values, int positions,
                        size_t stride, int head_size, float scale, float *scratch) {
    attend_row(out, q, keys, values, positions, stride, head_size, scale, scratch, 1);
}

// The softmax of scores[0 ..< n] · scale in place: each score times the scale, then lab_softmax.
static void scaled_softmax(float *scores, int n, float scale) {
    for (int j = 0; j < n; j++) scores[j] *= scale;
    lab_softmax(scores, n);
}

LAB_INLINE int attend_rows(float *out, const float *q, size_t q_stride, const void *keys, const void *values, size_t stride,
                           int rows, int start, int window, int head_size, float scale, int f16) {
    // Row t sees positions [lo(t), start + t + 1); row 0 has the lowest lo, the last row the highest end.
    const int first = window > 0 && start + 1 - window > 0 ? start + 1 - window : 0;
    const int n = start + rows - first;
    const int padded = (n + 7) & ~7;
    float *kt = malloc(sizeof(float) * ((size_t)head_size * padded + (size_t)4 * padded + (size_t)4 * head_size));
    if (!kt) return -1;
    float *scores = kt + (size_t)head_size * padded;
    float *rounded = scores + (size_t)4 * padded;  // an F16 cache's query rows, rounded as in attend_row
    for (int d = 0; d < head_size; d++) {
        float *line = kt + (size_t)d * padded;
        for (int j = 0; j < n; j++) line[j] = load1(keys, (size_t)(first + j) * stride + d, f16);
        for (int j = n; j < padded; j++) line[j] = 0;
    }
    for (int t0 = 0; t0 < rows; t0 += 4) {
        const int count = rows - t0 < 4 ? rows - t0 : 4;
        // Positions of this block's rows, relative to `first`: row i sees [lo[i], hi[i]).
        int lo[4], hi[4];
        for (int i = 0; i < count; i++) {
            const int end = start + t0 + i + 1, low = window > 0 && end - window > 0 ? end - window : 0;
            hi[i] = end - first;
            lo[i] = low - first;
        }
        const int begin = lo[0] & ~7, end = (hi[count - 1] + 7) & ~7;
        for (int i = 0; i < count; i++) {
            for (int j = begin; j < end; j++) scores[(size_t)i * padded + j] = 0;
        }
        const float *block = q + (size_t)t0 * q_stride;
        size_t block_stride = q_stride;
        if (f16) {
            for (int i = 0; i < count; i++) {
                for (int d = 0; d < head_size; d++) rounded[(size_t)i * head_size + d] = block[(size_t)i * q_stride + d];
            }
            round_to_f16(rounded, count * head_size);
            block = rounded;
            block_stride = (size_t)head_size;
        }
        for (int c = 0; c < head_size; c += 64)
            add_block_scores(block + c, block_stride, count, kt + (size_t)c * padded, padded, begin, end, scores);
        for (int i = 0; i < count; i++) {
            float *p = scores + (size_t)i * padded + lo[i];
            const int positions = hi[i] - lo[i];
            scaled_softmax(p, positions, scale);
            if (f16) round_to_f16(p, positions);
            float *o = out + (size_t)(t0 + i) * q_stride;
            for (int c = 0; c < head_size; c += 64)
                add_slice_values(o + c, p, values, (size_t)(first + lo[i]) * stride + c, positions, stride, f16);
        }
    }
    free(kt);
    return 0;
}

int lab_attend_rows(float *out, const float *q, size_t q_stride, const float *keys, const float *values, size_t stride,
                    int rows, int start, int window, int head_size, float scale) {
    return attend_rows(out, q, q_stride, keys, values, stride, rows, start, window, head_size, scale, 0);
}

int lab_attend_rows_f16(float *out, const float *q, size_t q_stride, const _Float16 *keys, const _Float16 *values,
                        size_t stride, int rows, int start, int window, int head_size, float scale) {
    return attend_rows(out, q, q_stride, keys, values, stride, rows, start, window, head_size, scale, 1);
}

void lab_to_f16(_Float16 *dst, const float *src, size_t n) {
    size_t i = 0;
#if defined(__AVX2__) && defined(__F16C__)
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(dst + i), _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
#endif
    for (; i < n; i++) dst[i] = (_Float16)src[i];
}
