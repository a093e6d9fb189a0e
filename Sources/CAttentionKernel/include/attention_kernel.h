// One query row of one attention head against its cached keys and values: the decode step's
// attention. A C kernel because its score loop transposes 8×8 blocks of vector registers, so
// one vector add advances eight keys' sums; Swift SIMD has no shuffles to say that, and its
// twin (LabTensor's attendRow64, which this kernel equals bit for bit) sums each key's lanes
// one by one. bench/kernels compares the two.
#ifndef LAB_ATTENTION_KERNEL_H
#define LAB_ATTENTION_KERNEL_H

#include <stddef.h>

// out[i] = Σ_j softmax_j(scale · q·k_j) · v_j[i] for j < positions, i < head_size, where key j
// starts at keys + j·stride and value j at values + j·stride. head_size must be a multiple of
// 64; scratch holds ≥ positions floats.
void lab_attend_row(float *out, const float *q, const float *keys, const float *values, int positions, size_t stride,
                    int head_size, float scale, float *scratch);

// The same with keys and values stored as binary16 (an F16 cache). As llama.cpp's products with
// an F16 cache do, the query is rounded to binary16 before q·k and the softmax weights before
// Σ p·v; otherwise the operations and their order are lab_attend_row's.
void lab_attend_row_f16(float *out, const float *q, const _Float16 *keys, const _Float16 *values, int positions,
                        size_t stride, int head_size, float scale, float *scratch);

// Rows t < rows of one head at once, query row t at q + t·q_stride and its output at
// out + t·q_stride: row t (position start + t) sees positions lo ... start + t, where
// lo = max(0, start + t + 1 − window) for window > 0, else 0; keys and values start at position 0.
// The same results as lab_attend_row on each row, bit for bit, at a fraction of the cost for a
// prompt: the keys are transposed once and each is a vector lane against four query rows.
// Returns 0, or −1 when its scratch could not be allocated (nothing written).
int lab_attend_rows(float *out, const float *q, size_t q_stride, const float *keys, const float *values, size_t stride,
                    int rows, int start, int window, int head_size, float scale);

// lab_attend_rows over binary16 keys and values.
int lab_attend_rows_f16(float *out, const float *q, size_t q_stride, const _Float16 *keys, const _Float16 *values,
                        size_t stride, int rows, int start, int window, int head_size, float scale);

// dst[i] = src[i] rounded to binary16, to nearest with ties to even (as F16C and llama.cpp's
// cache writes round): what an F16 cache stores.
void lab_to_f16(_Float16 *dst, const float *src, size_t n);

// exp(x) as the softmax and SiLU below take it (activations.c): Cephes' expf, within about one
// unit in the last place; 0 below −87.33, +∞ above 88.38.
float lab_exp(float x);

// x[0 ..< n] = softmax(x) in place: shifted by the maximum, exponentials by lab_exp, their sum
// in eight lanes (lane j mod 8 in order of j, folded ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7))),
// then each times 1/sum. The same bits with or without AVX2.
void lab_softmax(float *x, int n);

// out[i] = silu(gate[i]) · up[i] = gate[i] / (1 + lab_exp(−gate[i])) · up[i]; out may alias
// either input.
void lab_swiglu(float *out, const float *gate, const float *up, size_t n);

#endif
