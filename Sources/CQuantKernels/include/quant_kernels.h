// Integer dot products of quantized weight rows with int8-quantized activations: the decode
// path's hot loop. A C kernel only because the byte multiply-adds (AVX2's vpmaddubsw, AVX-512
// VNNI's vpdpbusd) have no Swift SIMD spelling; bench/kernels compares it with the Swift SIMD twin (QuantizedMatrix.multiply).
#ifndef LAB_QUANT_KERNELS_H
#define LAB_QUANT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

// Activations quantized per 32-value block: x[j] ≈ scale[b] · q[j], q[j] = round(x[j] · 127 / max|x|),
// scale[b] = max|x| / 127 rounded to binary16 (as llama.cpp's Q8_1), sum[b] = scale[b] · Σ q.
void lab_quantize_q8(const float *x, int blocks, int8_t *q, float *scale, float *sum);

// Variants of the integer products. Every variant gives the same integer block sums, and the
// same Float results, bit for bit (the portable one, in quant_kernels.c, defines them).
#define LAB_KERNEL_PORTABLE 0
#define LAB_KERNEL_AVX2 1
#define LAB_KERNEL_VNNI 2

// The fastest variant this CPU runs (checked once): VNNI with AVX-512, else AVX2 when built
// for it, else portable.
int lab_integer_kernel_best(void);

// out[n * out_stride + r] = Σ_b dot(weight row r's block b, block b of input n), for inputs
// n < inputs and rows [row_begin, row_end) of a matrix whose rows are row_bytes apart. Input n's
// values start at q + n·32·blocks, its scales and sums at n·blocks. A variant the CPU lacks
// falls back to the next one.
//   Q4_1 blocks (20 bytes): f16 d, f16 m, 16 bytes of nibbles; weight = d·q + m.
//   Q8_0 blocks (34 bytes): f16 d, 32 × int8; weight = d·q.
void lab_matmul_q4_1(int kernel, const void *weights, size_t row_bytes, int row_begin, int row_end, int blocks, int inputs,
                     const int8_t *q, const float *scale, const float *sum, float *out, size_t out_stride);
void lab_matmul_q8_0(int kernel, const void *weights, size_t row_bytes, int row_begin, int row_end, int blocks, int inputs,
                     const int8_t *q, const float *scale, float *out, size_t out_stride);

#endif
