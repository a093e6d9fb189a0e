// The exponentials of attention's softmax and of SiLU, eight at a time. libm's expf is a call per
// value; a prompt pass takes tens of millions of them, which made them a tenth of its time.
//
// exp(x) follows Cephes' expf: n = round(x·log2 e), r = x − n·C1 − n·C2 (C1 + C2 = ln 2, C1 exact
// in few bits), e^r = 1 + r + r²·P(r) with P of degree 5, times 2^n; within about one unit in
// the last place of the true value. x below −87.33 gives 0, and above 88.38 +∞ (where the true
// value is within a factor 1.5 of the largest binary32). The AVX2 and the portable code do the
// same IEEE operations in the same order, so they give the same bits.
#include "attention_kernel.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define LAB_EXP_LOW -87.33654f
#define LAB_EXP_HIGH 88.37626f  // n ≤ 127, so 2^n stays a normal binary32
#define LAB_LOG2E 1.44269504088896341f
#define LAB_C1 0.693359375f
#define LAB_C2 -2.12194440e-4f
#define LAB_P0 1.9875691500E-4f
#define LAB_P1 1.3981999507E-3f
#define LAB_P2 8.3334519073E-3f
#define LAB_P3 4.1665795894E-2f
#define LAB_P4 1.6666665459E-1f
#define LAB_P5 5.0000001201E-1f

static inline float exp_portable(float x) {
    if (x < LAB_EXP_LOW) return 0;
    if (x > LAB_EXP_HIGH) return INFINITY;
    if (x != x) return x;
    const float n = nearbyintf(x * LAB_LOG2E);
    float r = fmaf(n, -LAB_C1, x);
    r = fmaf(n, -LAB_C2, r);
    float p = LAB_P0;
    p = fmaf(p, r, LAB_P1);
    p = fmaf(p, r, LAB_P2);
    p = fmaf(p, r, LAB_P3);
    p = fmaf(p, r, LAB_P4);
    p = fmaf(p, r, LAB_P5);
    const float e = fmaf(p, r * r, r) + 1;
    const uint32_t bits = (uint32_t)((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, 4);
    return e * scale;
}

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

static inline __m256 exp_avx2(__m256 x) {
    const __m256 low = _mm256_cmp_ps(x, _mm256_set1_ps(LAB_EXP_LOW), _CMP_LT_OQ);
    const __m256 high = _mm256_cmp_ps(x, _mm256_set1_ps(LAB_EXP_HIGH), _CMP_GT_OQ);
    const __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
    const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(LAB_EXP_LOW)), _mm256_set1_ps(LAB_EXP_HIGH));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(LAB_LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fmadd_ps(n, _mm256_set1_ps(-LAB_C1), xc);
    r = _mm256_fmadd_ps(n, _mm256_set1_ps(-LAB_C2), r);
    __m256 p = _mm256_set1_ps(LAB_P0);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(LAB_P1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(LAB_P2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(LAB_P3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(LAB_P4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(LAB_P5));
    const __m256 e = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1));
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    __m256 y = _mm256_mul_ps(e, _mm256_castsi256_ps(bits));
    y = _mm256_blendv_ps(y, _mm256_setzero_ps(), low);
    y = _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY), high);
    return _mm256_blendv_ps(y, x, nan);
}
#endif

float lab_exp(float x) { return exp_portable(x); }

void lab_softmax(float *x, int n) {
    if (n <= 0) return;
    // The largest value: the same in any order (a NaN makes every output NaN either way).
    float maximum = -INFINITY;
    int j = 0;
#if defined(__AVX2__) && defined(__FMA__)
    if (n >= 8) {
        __m256 m = _mm256_loadu_ps(x);
        for (j = 8; j + 8 <= n; j += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(x + j));
        float top[8];
        _mm256_storeu_ps(top, m);
        for (int l = 0; l < 8; l++) {
            if (top[l] > maximum) maximum = top[l];
        }
    }
#endif
    for (; j < n; j++) {
        if (x[j] > maximum) maximum = x[j];
    }
    // Lane j mod 8 adds e_j in order of j; the lanes fold as ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)).
    float lanes[8] = {0};
    j = 0;
#if defined(__AVX2__) && defined(__FMA__)
    const __m256 shift = _mm256_set1_ps(maximum);
    __m256 sum = _mm256_setzero_ps();
    for (; j + 8 <= n; j += 8) {
        const __m256 e = exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(x + j), shift));
        _mm256_storeu_ps(x + j, e);
        sum = _mm256_add_ps(sum, e);
    }
    _mm256_storeu_ps(lanes, sum);
#endif
    for (; j < n; j++) {
        x[j] = exp_portable(x[j] - maximum);
        lanes[j % 8] += x[j];
    }
    const float total = ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
    const float inverse = 1 / total;
    for (j = 0; j < n; j++) x[j] *= inverse;
}

void lab_swiglu(float *out, const float *gate, const float *up, size_t n) {
    size_t i = 0;
#if defined(__AVX2__) && defined(__FMA__)
    const __m256 one = _mm256_set1_ps(1), sign = _mm256_set1_ps(-0.0f);
    for (; i + 8 <= n; i += 8) {
        const __m256 g = _mm256_loadu_ps(gate + i);
        const __m256 silu = _mm256_div_ps(g, _mm256_add_ps(one, exp_avx2(_mm256_xor_ps(g, sign))));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
    }
#endif
    for (; i < n; i++) out[i] = gate[i] / (1 + exp_portable(-gate[i])) * up[i];
}
