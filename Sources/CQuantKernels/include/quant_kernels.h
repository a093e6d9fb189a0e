// The engine's matrix–vector products on weights in ggml's block formats: the decode path's hot
// loop. C only because the byte multiply-adds (AVX2's vpmaddubsw, AVX-512 VNNI's vpdpbusd) and
// F16C's conversions have no Swift SIMD spelling; bench/kernels compares them with the Swift
// SIMD twin (QuantizedMatrix.multiplyFloat).
//
// As in llama.cpp, each weight format meets its activations rounded the way llama.cpp rounds
// them ("vec_dot_type"): int8 per 32 values (Q8_0/Q8_1) for the 32-weight block formats, int8
// per 256 values (Q8_K) for the K-quants, binary16 for F16, bfloat16 for BF16, none for F32.
#ifndef LAB_QUANT_KERNELS_H
#define LAB_QUANT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

// Weight formats, in the kernels' numbering (not ggml's type ids).
#define LAB_FORMAT_Q4_0 0
#define LAB_FORMAT_Q4_1 1
#define LAB_FORMAT_Q5_0 2
#define LAB_FORMAT_Q5_1 3
#define LAB_FORMAT_Q8_0 4
#define LAB_FORMAT_Q4_K 5
#define LAB_FORMAT_Q5_K 6
#define LAB_FORMAT_Q6_K 7
#define LAB_FORMAT_F32 8
#define LAB_FORMAT_F16 9
#define LAB_FORMAT_BF16 10

// Variants of the products. Every variant gives the same results as the portable one, bit for
// bit: integer block sums are exact in any order, and the Float steps are the portable ones.
#define LAB_KERNEL_PORTABLE 0
#define LAB_KERNEL_AVX2 1
#define LAB_KERNEL_VNNI 2

// The fastest variant this CPU runs (checked once): VNNI with AVX-512, else AVX2 when built
// for it, else portable.
int lab_integer_kernel_best(void);

// Activations for the 32-weight block formats, per 32-value block: x[j] ≈ scale[b] · q[j],
// q[j] = round(x[j] · 127 / max|x|), scale[b] = max|x| / 127 rounded to binary16 (as llama.cpp's
// Q8_0/Q8_1), sum[b] = scale[b] · Σ q, and (when totals is not NULL) totals[b] = Σ q.
void lab_quantize_q8(const float *x, int blocks, int8_t *q, float *scale, float *sum, int32_t *totals);

// Activations for the K-quants, per 256-value block, as llama.cpp's quantize_row_q8_K:
// with v the value of largest magnitude, q[j] = min(127, round(−127/v · x[j])), scale = v / −127
// (binary32), and bsums[g] = Σ q over the g-th group of 16 values (16 per block).
void lab_quantize_q8_k(const float *x, int blocks, int8_t *q, float *scale, int16_t *bsums);

// x rounded to the format's activation precision (binary16 for F16, bfloat16 for BF16, as
// llama.cpp's conversions round: to nearest even), kept as Float; a copy for F32.
void lab_round_activations(int format, const float *x, size_t count, float *out);

// dst[i] = weight i of `count` F16, BF16 or F32 weights at src, as Float.
void lab_float_weights(int format, const void *src, size_t count, float *dst);

// out[n * out_stride + r] = Σ_c w[r, c] · x[n, c] for inputs n < inputs and rows
// [row_begin, row_end) of a matrix in an integer format (LAB_FORMAT_Q4_0 … Q6_K) whose rows are
// row_bytes apart and `columns` long. Input n's int8 values start at q + n · columns, its scales
// at scale + n · columns / block, and its sums at sums + n · (columns / 32) (floats, for the
// 32-weight formats) or n · (columns / 16) (int16 bsums, for the K-quants), with block 32 or 256.
// For the 32-weight formats `totals` (Σ q per block, at n · columns / 32; may be NULL) lets groups
// of four or more inputs take the transposed path. A variant the CPU lacks falls back to the
// next one.
void lab_matmul_integer(int kernel, int format, const void *weights, size_t row_bytes, int row_begin, int row_end, int columns,
                        int inputs, const int8_t *q, const float *scale, const void *sums, const int32_t *totals, float *out,
                        size_t out_stride);

// The same for Float formats (LAB_FORMAT_F32, F16, BF16), with x already rounded
// (lab_round_activations). Per row and input the products are added into 32 lanes in column
// order (lane j mod 32), folded to eight as v[m] = (l[m] + l[m+8]) + (l[m+16] + l[m+24]), and
// summed as ((v0+v4)+(v2+v6)) + ((v1+v5)+(v3+v7)). `columns` is a multiple of 32.
void lab_matmul_float(int kernel, int format, const void *weights, size_t row_bytes, int row_begin, int row_end, int columns,
                      int inputs, const float *x, float *out, size_t out_stride);

// The same product for many inputs (a prompt's rows), tiled rows × inputs in registers
// (float_gemm.c). Per row and input: F32/F16 in 16 lanes (lane j mod 16, fused multiply-adds in
// column order); BF16 per 32 columns as vdpbf16ps pairs them (lane i adds w[2i+1]·x[2i+1], then
// w[2i]·x[2i]; denormals flushed); lanes folded as v[m] = l[m] + l[m+8] and summed as
// ((v0+v4)+(v2+v6)) + ((v1+v5)+(v3+v7)). Every variant gives the portable bits; the results
// differ from lab_matmul_float's in summation order only.
// `prepared` is NULL or what lab_gemm_float_prepare returned for the same kernel, format, columns,
// inputs and x: several calls over one input (the threads' shares of a matrix's rows) then lay
// it out once.
void lab_gemm_float(int kernel, int format, const void *weights, size_t row_bytes, int row_begin, int row_end, int columns,
                    int inputs, const float *x, const void *prepared, float *out, size_t out_stride);

// The inputs x laid out as variant `kernel` of lab_gemm_float reads them for `format` (BF16
// packed to 16 bits; F32/F16 split into lane halves for AVX2), or NULL when that variant reads x
// as it is or there is no memory for the copy (lab_gemm_float then manages on its own). Free
// with lab_gemm_float_release.
void *lab_gemm_float_prepare(int kernel, int format, int columns, int inputs, const float *x);
void lab_gemm_float_release(void *prepared);

#endif
