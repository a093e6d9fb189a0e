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

#endif
