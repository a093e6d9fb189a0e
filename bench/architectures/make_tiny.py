"""Writes a tiny random-weight GGUF of one architecture, as llama.cpp's converter lays it out.

    python3 make_tiny.py ARCH VOCAB.gguf OUT.gguf [--seed N]

ARCH is llama, qwen2, qwen3, gemma2, gemma3, granite or phi3. The metadata keys and tensor names
are those convert_hf_to_gguf.py writes for the architecture (gguf-py's constants); the vocabulary
(every tokenizer.* key) is copied from VOCAB.gguf, one of llama.cpp's ggml-vocab-*.gguf test
files. Widths are small (C=64, FF=128) but every architectural feature is exercised: biases,
fused QKV and gate/up, Q/K norms, post-norms, different head sizes, sliding windows shorter than
the test prompt, soft-capping, Granite's multipliers. Weights are F32 so the comparison measures
the graph, not a quantizer. Needs gguf-py (PYTHONPATH=vendor/llama.cpp/gguf-py) and numpy.
"""
import argparse

import numpy as np
import gguf

p = argparse.ArgumentParser()
p.add_argument("arch")
p.add_argument("vocab", help="a ggml-vocab-*.gguf, or 'small' for a 320-token SentencePiece-style vocabulary")
p.add_argument("out")
p.add_argument("--seed", type=int, default=1)
p.add_argument("--rope-freqs", action="store_true", help="add Llama 3.1's rope_freqs.weight (frequency divisors)")
p.add_argument("--chat-template", help="a Jinja file to store as tokenizer.chat_template (as an instruct model's GGUF has)")
args = p.parse_args()
arch = args.arch
rng = np.random.default_rng(args.seed)
small = args.vocab == "small"

writer = gguf.GGUFWriter(args.out, arch)
if small:
    # <unk> <s> </s>, the 256 byte tokens, then pieces: what llama.cpp's SPM loader needs, in
    # files small enough to commit as test fixtures (with C=32 and two layers, ~150 KB).
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    tokens += [f"\u2581w{i}" for i in range(320 - len(tokens))]
    types = [2, 3, 3] + [6] * 256 + [1] * (320 - 259)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([0.0] * 259 + [-float(i) for i in range(320 - 259)])
    writer.add_token_types(types)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    n_vocab = len(tokens)
else:
    reader = gguf.GGUFReader(args.vocab)
    n_vocab = None
    for name, field in reader.fields.items():
        if not name.startswith("tokenizer."):
            continue
        vtype = field.types[0]
        value = field.contents()
        sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(name, value, vtype, sub_type=sub)
        if name == "tokenizer.ggml.tokens":
            n_vocab = len(value)
    assert n_vocab, "the vocabulary file has no tokenizer.ggml.tokens"

if args.chat_template:
    writer.add_chat_template(open(args.chat_template).read())

C, FF, L, H, KVH = (32, 64, 2, 4, 2) if small else (64, 128, 4, 4, 2)
hs = C // H
head_override = arch in ("qwen3", "gemma3")
if head_override:
    hs = 2 * hs  # heads × head size = 2C, as Qwen3 and Gemma 3 have heads wider than C / heads
if arch == "gemma3" and not small:
    L = 6    # five sliding layers, one global
A, KV = H * hs, KVH * hs

writer.add_context_length(256)
writer.add_embedding_length(C)
writer.add_block_count(L)
writer.add_feed_forward_length(FF)
writer.add_head_count(H)
writer.add_head_count_kv(KVH)
writer.add_layer_norm_rms_eps(1e-6)
writer.add_rope_freq_base(10000.0 if arch != "gemma3" else 1_000_000.0)
writer.add_rope_dimension_count(hs)
writer.add_file_type(gguf.LlamaFileType.ALL_F32)
if head_override:
    writer.add_key_length(hs)
    writer.add_value_length(hs)
if arch == "gemma2":
    writer.add_sliding_window(8)
    writer.add_attn_logit_softcapping(50.0)
    writer.add_final_logit_softcapping(30.0)
if arch == "gemma3":
    writer.add_sliding_window(8)
    writer.add_rope_freq_base_swa(10000.0)
    if small:
        writer.add_sliding_window_pattern([True, False])
if arch == "granite":
    writer.add_embedding_scale(12.0)
    writer.add_residual_scale(0.22)
    writer.add_attention_scale(0.015625 * 8)
    writer.add_logit_scale(8.0)


def matrix(rows, cols, scale=1.0):
    return (rng.standard_normal((rows, cols)) * scale / np.sqrt(cols)).astype(np.float32)


def vector(n, center=1.0, spread=0.2):
    return (center + spread * rng.standard_normal(n)).astype(np.float32)


if args.rope_freqs:
    # Llama 3.1's shape of factors: high frequencies kept, low ones divided by up to 8.
    writer.add_tensor("rope_freqs.weight", np.linspace(1.0, 8.0, hs // 2).astype(np.float32))
writer.add_tensor("token_embd.weight", (rng.standard_normal((n_vocab, C)) * (0.1 if arch in ("gemma2", "gemma3", "granite") else 1.0)).astype(np.float32))
for i in range(L):
    b = f"blk.{i}."
    writer.add_tensor(b + "attn_norm.weight", vector(C))
    if arch == "phi3":
        writer.add_tensor(b + "attn_qkv.weight", matrix(A + 2 * KV, C))
    else:
        writer.add_tensor(b + "attn_q.weight", matrix(A, C))
        writer.add_tensor(b + "attn_k.weight", matrix(KV, C))
        writer.add_tensor(b + "attn_v.weight", matrix(KV, C))
    if arch == "qwen2":
        writer.add_tensor(b + "attn_q.bias", vector(A, 0.0, 0.5))
        writer.add_tensor(b + "attn_k.bias", vector(KV, 0.0, 0.5))
        writer.add_tensor(b + "attn_v.bias", vector(KV, 0.0, 0.5))
    if arch in ("qwen3", "gemma3"):
        writer.add_tensor(b + "attn_q_norm.weight", vector(hs))
        writer.add_tensor(b + "attn_k_norm.weight", vector(hs))
    writer.add_tensor(b + "attn_output.weight", matrix(C, A))
    if arch in ("gemma2", "gemma3"):
        writer.add_tensor(b + "post_attention_norm.weight", vector(C))
        writer.add_tensor(b + "post_ffw_norm.weight", vector(C))
    writer.add_tensor(b + "ffn_norm.weight", vector(C))
    if arch == "phi3":
        writer.add_tensor(b + "ffn_up.weight", matrix(2 * FF, C))
    else:
        writer.add_tensor(b + "ffn_gate.weight", matrix(FF, C))
        writer.add_tensor(b + "ffn_up.weight", matrix(FF, C))
    writer.add_tensor(b + "ffn_down.weight", matrix(C, FF))
writer.add_tensor("output_norm.weight", vector(C))
if arch not in ("gemma2", "qwen3"):  # gemma2 always ties; qwen3 tests the tied head
    writer.add_tensor("output.weight", matrix(n_vocab, C, 4.0))

writer.write_header_to_file()
writer.write_kv_data_to_file()
writer.write_tensors_to_file()
writer.close()
print(f"{args.out}: {arch}, vocabulary {n_vocab}, {L} layers")
