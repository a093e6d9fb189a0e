#!/usr/bin/env python3
"""Makes the block-format fixtures for LabGGUFTests with llama.cpp's own Python package (PyPI `gguf`).

Each fixture pairs raw blocks with the floats gguf-py's numpy dequantizer computes from them, so the
Swift decoder is checked against an independent implementation. Run from this folder:
    pip install gguf==0.19.0 numpy && python3 make_fixtures.py [path/to/SmolLM2-135M-Instruct.Q4_1.gguf]
"""
import json, sys
import numpy as np
from gguf import GGMLQuantizationType as T, GGUFReader
from gguf.quants import dequantize
from gguf.constants import GGML_QUANT_SIZES

rng = np.random.default_rng(20261123)

def blocks(qtype, count):
    block_size, type_size = GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, size=(count, type_size), dtype=np.uint8)
    # Overwrite the f16 scale fields with sane values so no block decodes to inf/NaN.
    def put_half(column, lo, hi):
        raw[:, column:column + 2] = np.frombuffer(rng.uniform(lo, hi, count).astype(np.float16).tobytes(), dtype=np.uint8).reshape(count, 2)
    if qtype in (T.Q4_0, T.Q5_0, T.Q8_0):
        put_half(0, -0.1, 0.1)
    elif qtype in (T.Q4_1, T.Q5_1, T.Q4_K, T.Q5_K):
        put_half(0, -0.1, 0.1); put_half(2, -0.5, 0.5)
    elif qtype == T.Q6_K:
        put_half(type_size - 2, -0.01, 0.01)
    elif qtype == T.F16:
        raw = np.frombuffer(rng.uniform(-4, 4, count).astype(np.float16).tobytes(), dtype=np.uint8).reshape(count, 2)
    elif qtype == T.BF16:
        f = rng.uniform(-4, 4, count).astype(np.float32).view(np.uint32) >> 16
        raw = np.frombuffer(f.astype(np.uint16).tobytes(), dtype=np.uint8).reshape(count, 2)
    elif qtype == T.F32:
        raw = np.frombuffer(rng.uniform(-4, 4, count).astype(np.float32).tobytes(), dtype=np.uint8).reshape(count, 4)
    values = dequantize(raw.reshape(-1), qtype).astype(np.float32).reshape(-1)
    return raw.reshape(-1), values

out = {}
for name, qtype, count in [("F32", T.F32, 64), ("F16", T.F16, 64), ("BF16", T.BF16, 64), ("Q8_0", T.Q8_0, 4),
                           ("Q4_0", T.Q4_0, 4), ("Q4_1", T.Q4_1, 4), ("Q5_0", T.Q5_0, 4), ("Q5_1", T.Q5_1, 4),
                           ("Q4_K", T.Q4_K, 2), ("Q5_K", T.Q5_K, 2), ("Q6_K", T.Q6_K, 2)]:
    raw, values = blocks(qtype, count)
    out[name] = {"bytes": raw.tobytes().hex(), "values": [float(v) for v in values]}
from gguf.quants import quantize
# Eight blocks of 32 floats: random normal ones plus the cases where rounding and clamping matter.
source = rng.normal(0, 1, 256).astype(np.float32)
b = source.reshape(-1, 32)
b[0] = 0                                    # all zero: the scale is 0 and its inverse must be too
b[1] = 0.25                                 # constant: max == min
b[2] = np.abs(b[2]) + 1                     # all positive
b[3] = -np.abs(b[3]) * 1e-3                 # small and all negative
b[4, 7] = 40.0                              # one outlier
b[5] = np.linspace(-1, 1, 32)               # evenly spaced: many exact halves
b[6] = rng.normal(0, 1e-6, 32)              # f16 subnormal scales
b[7] = rng.normal(0, 2e4, 32)               # near the top of the f16 range
out["quantize"] = {"source": [float(v) for v in source]}
for name, qtype in [("Q8_0", T.Q8_0), ("Q4_0", T.Q4_0), ("Q4_1", T.Q4_1), ("Q5_0", T.Q5_0), ("Q5_1", T.Q5_1),
                    ("F16", T.F16), ("BF16", T.BF16)]:
    out["quantize"][name] = quantize(source, qtype).tobytes().hex()
out["sizes"] = {name: list(GGML_QUANT_SIZES[getattr(T, name)]) for name in
                ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"]}
out["ids"] = {name: int(getattr(T, name)) for name in out["sizes"]}
json.dump(out, open("blocks.json", "w"), separators=(",", ":"))

if len(sys.argv) > 1:
    reader = GGUFReader(sys.argv[1])
    rows = {}
    for tensor_name, row in [("blk.0.attn_q.weight", 0), ("blk.0.attn_q.weight", 17), ("blk.29.ffn_down.weight", 5),
                             ("token_embd.weight", 1), ("token_embd.weight", 49151), ("blk.3.attn_norm.weight", 0)]:
        t = next(t for t in reader.tensors if t.name == tensor_name)
        data = dequantize(t.data, t.tensor_type).reshape(-1, int(t.shape[0]))
        rows[f"{tensor_name}#{row}"] = [float(v) for v in data[row]]
    # Whole-tensor sums check every block of the largest tensors, not just the sampled rows.
    sums = {}
    for tensor_name in ["token_embd.weight", "blk.0.attn_q.weight", "blk.29.ffn_down.weight", "output_norm.weight"]:
        t = next(t for t in reader.tensors if t.name == tensor_name)
        data = dequantize(t.data, t.tensor_type).astype(np.float64)
        sums[tensor_name] = {"sum": float(data.sum()), "abs_sum": float(np.abs(data).sum())}
    json.dump({"rows": rows, "sums": sums}, open("model_rows.json", "w"), separators=(",", ":"))
print("fixtures written")
