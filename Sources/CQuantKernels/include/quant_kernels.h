// Integer dot products of quantized weight rows with int8-quantized activations: the decode
// path's hot loop. A C kernel only because AVX2's byte multiply-add (vpmaddubsw) has no Swift
// SIMD spelling; bench/kernels compares it with the Swift SIMD twin (QuantizedMatrix.multiply).
#ifndef LAB_QUANT_KERNELS_H
#define LAB_QUANT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

// Activations quantized per 32-value block: x[j] ≈ scale[b] · q[j], q[j] = round(x[j] · 127 / max|x|),
// scale[b] = max|x| / 127 rounded to binary16 (as llama.cpp's Q8_1), sum[b] = scale[b] · Σ q.
void lab_quantize_q8(const float *x, int blocks, int8_t *q, float *scale, float *sum);

// out[r] = Σ_b dot(weight row r's block b, activation block b), for rows
// [row_begin, row_end) of a matrix whose rows are row_bytes apart.
//   Q4_1 blocks (20 bytes): f16 d, f16 m, 16 bytes of nibbles; weight = d·q + m.
//   Q8_0 blocks (34 bytes): f16 d, 32 × int8; weight = d·q.
void lab_matvec_q4_1(const void *weights, size_t row_bytes, int row_begin, int row_end, int blocks,
                     const int8_t *q, const float *scale, const float *sum, float *out);
void lab_matvec_q8_0(const void *weights, size_t row_bytes, int row_begin, int row_end, int blocks,
                     const int8_t *q, const float *scale, float *out);

#endif
