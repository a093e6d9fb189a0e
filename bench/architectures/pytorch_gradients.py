"""The trainer's loss and gradients on one tiny model against PyTorch's (Hugging Face transformers).

    python pytorch_gradients.py MODEL.gguf SYNTHLAB [--tokens 24]

transformers loads the GGUF itself (llama, qwen2, qwen3, gemma2, gemma3, phi3; Granite, which its
GGUF loader lacks, is loaded as llama and its weights moved into a GraniteForCausalLM with the
file's four multipliers). The loss is the mean next-token cross-entropy of one random token
sequence; gradients are mapped back to GGUF tensor names (transformers' own name map, Q/K rows
permuted back for llama/granite as llama.cpp's converter stores them). Prints one JSON line: both
losses and, over every tensor, the largest |ours − PyTorch| relative to the tensor's largest
|PyTorch gradient|.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch
import gguf
from transformers import AutoConfig, AutoModelForCausalLM
from transformers.modeling_gguf_pytorch_utils import get_gguf_hf_weights_map

p = argparse.ArgumentParser()
p.add_argument("model")
p.add_argument("synthlab")
p.add_argument("--tokens", type=int, default=24)
p.add_argument("--seed", type=int, default=11)
args = p.parse_args()
torch.manual_seed(0)
torch.set_num_threads(2)

reader = gguf.GGUFReader(args.model)
def field(key, default=None):
    f = reader.fields.get(key)
    return default if f is None else f.contents()
arch = field("general.architecture")
vocab = len(field("tokenizer.ggml.tokens"))
n_layer = field(f"{arch}.block_count")
rng = np.random.default_rng(args.seed)
tokens = [int(t) for t in rng.integers(3, vocab, size=args.tokens)]

work = tempfile.mkdtemp()
try:
    folder, name = os.path.dirname(os.path.abspath(args.model)), os.path.basename(args.model)
    if arch == "granite":
        # Load the weights as llama (same tensors and Q/K permutation), then build Granite.
        from transformers import GraniteConfig, GraniteForCausalLM
        writer = gguf.GGUFWriter(os.path.join(work, "as-llama.gguf"), "llama")
        for key, f in reader.fields.items():
            if key.startswith("GGUF.") or key in ("general.architecture",):
                continue
            vtype = f.types[0]
            sub = f.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
            writer.add_key_value(key.replace("granite.", "llama.", 1), f.contents(), vtype, sub_type=sub)
        for t in reader.tensors:
            writer.add_tensor(t.name, np.array(t.data).reshape([int(d) for d in reversed(t.shape)]))
        writer.write_header_to_file(); writer.write_kv_data_to_file(); writer.write_tensors_to_file(); writer.close()
        llama = AutoModelForCausalLM.from_pretrained(work, gguf_file="as-llama.gguf", torch_dtype=torch.float32)
        lc = llama.config
        config = GraniteConfig(
            vocab_size=lc.vocab_size, hidden_size=lc.hidden_size, intermediate_size=lc.intermediate_size,
            num_hidden_layers=lc.num_hidden_layers, num_attention_heads=lc.num_attention_heads,
            num_key_value_heads=lc.num_key_value_heads, rms_norm_eps=lc.rms_norm_eps, rope_theta=lc.rope_theta,
            max_position_embeddings=lc.max_position_embeddings, tie_word_embeddings=lc.tie_word_embeddings,
            embedding_multiplier=field("granite.embedding_scale", 1.0), residual_multiplier=field("granite.residual_scale", 1.0),
            attention_multiplier=field("granite.attention.scale"), logits_scaling=field("granite.logit_scale"))
        model = GraniteForCausalLM(config)
        model.load_state_dict(llama.state_dict())
        map_model, map_type = llama, "llama"
    else:
        config = AutoConfig.from_pretrained(folder, gguf_file=name)
        # transformers' GGUF config mapping misses these for some architectures: set them from the file.
        config.head_dim = field(f"{arch}.attention.key_length", config.hidden_size // config.num_attention_heads)
        config.pad_token_id = None
        if arch in ("gemma2", "gemma3"):
            config.query_pre_attn_scalar = config.head_dim
            pattern = field(f"{arch}.attention.sliding_window_pattern")
            if isinstance(pattern, list):
                config.layer_types = ["sliding_attention" if s else "full_attention" for s in pattern]
            elif arch == "gemma2":
                config.layer_types = ["sliding_attention" if i % 2 == 0 else "full_attention" for i in range(n_layer)]
            config.sliding_window = field(f"{arch}.attention.sliding_window")
        if arch == "gemma2":
            config.attn_logit_softcapping = field("gemma2.attn_logit_softcapping", 50.0)
            config.final_logit_softcapping = field("gemma2.final_logit_softcapping", 30.0)
        if arch == "gemma3":
            config.final_logit_softcapping = field("gemma3.final_logit_softcapping")
            config.attn_logit_softcapping = None
            config.rope_local_base_freq = field("gemma3.rope.freq_base_swa", 10000.0)
            config.rope_scaling = None
        config._attn_implementation = "eager"
        model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, config=config, torch_dtype=torch.float32)
        map_model, map_type = model, arch
    model.train()
    ids = torch.tensor([tokens])
    logits = model(ids).logits[0]
    loss = torch.nn.functional.cross_entropy(logits[:-1].float(), ids[0, 1:])
    loss.backward()

    to_gguf = {hf: g for g, hf in get_gguf_hf_weights_map(map_model, model_type=map_type, num_layers=n_layer).items()}
    theirs = {}
    for hf_name, param in model.named_parameters():
        gguf_full = to_gguf.get(hf_name)
        if gguf_full is None or param.grad is None:
            continue
        suffix = ".weight" if gguf_full.endswith(".weight") else ".bias"
        gguf_name = gguf_full[: -len(suffix)]
        g = param.grad.detach().numpy().astype(np.float64)
        if arch in ("llama", "granite") and suffix == ".weight" and (".attn_q" in gguf_name or ".attn_k" in gguf_name):
            heads = config.num_attention_heads if ".attn_q" in gguf_name else config.num_key_value_heads
            g = g.reshape(heads, 2, g.shape[0] // heads // 2, *g.shape[1:]).swapaxes(1, 2).reshape(g.shape)
        theirs[gguf_name + suffix] = g

    out = os.path.join(work, "grads.f32")
    run = subprocess.run([args.synthlab, "model", "gradients", args.model, "--tokens", ",".join(map(str, tokens)),
                          "--out", out, "--json"], capture_output=True, text=True)
    if run.returncode != 0:
        print(json.dumps({"model": name, "error": run.stderr.strip()[-400:]}))
        sys.exit(1)
    ours = json.loads(run.stdout)
    flat = np.fromfile(out, dtype=np.float32)
    worst, worst_name, missing = 0.0, None, []
    for t in ours["tensors"]:
        g = flat[t["offset"]: t["offset"] + t["count"]].astype(np.float64)
        ref = theirs.get(t["name"])
        if ref is None:
            missing.append(t["name"])
            continue
        ref = ref.reshape(-1)
        rel = float(np.max(np.abs(g - ref)) / max(np.max(np.abs(ref)), 1e-12))
        if rel > worst:
            worst, worst_name = rel, t["name"]
    print(json.dumps({"model": name, "architecture": arch, "loss_ours": ours["loss"], "loss_pytorch": float(loss),
                      "max_rel_grad_diff": worst, "worst_tensor": worst_name, "tensors": len(ours["tensors"]),
                      "unmatched": missing}))
finally:
    shutil.rmtree(work, ignore_errors=True)
