#!/usr/bin/env python3
"""PyTorch full fine-tuning speed on the same GGUF synthlab trains, for bench/train/run.sh.

transformers loads the GGUF and dequantizes every tensor (Q4_1, Q8_0) to fp32; the output head is
tied to the embedding as in the file. One step = forward over B x T tokens with labels = inputs
(mean causal-LM cross-entropy over the B x (T-1) targets), backward, AdamW step, zero_grad. One
warm-up step is not timed; then S steps are. Prints one JSON object on stdout:

  {"tokens_per_second", "peak_rss_bytes", "steps", "batch", "seq_len", "losses", ...}

tokens_per_second = B*T*S / (wall time of the S timed steps); peak_rss_bytes is this process's
ru_maxrss (so it includes loading the model). losses has S+1 entries: the warm-up step's first.

  python pytorch_train.py MODEL.gguf --ids bench/train/ids.json [--batch 1] [--seq-len 512]
                          [--steps 3] [--threads 2] [--lr 1e-5]
"""
import argparse
import json
import os
import resource
import sys
import time


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", help="the GGUF file")
    p.add_argument("--ids", required=True, help="JSON array of token ids; the first batch*seq_len are used")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--seq-len", type=int, default=512)
    p.add_argument("--steps", type=int, default=3, help="timed steps (after one untimed warm-up step)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--lr", type=float, default=1e-5)
    a = p.parse_args()

    # Before torch is imported, so its OpenMP pool is born with this size too.
    os.environ.setdefault("OMP_NUM_THREADS", str(a.threads))
    os.environ.setdefault("MKL_NUM_THREADS", str(a.threads))
    import torch
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)

    with open(a.ids) as f:
        ids = json.load(f)
    need = a.batch * a.seq_len
    if len(ids) < need:
        print(f"pytorch_train.py: {a.ids} has {len(ids)} ids, batch x seq-len needs {need}", file=sys.stderr)
        return 2
    tokens = torch.tensor(ids[:need], dtype=torch.long).view(a.batch, a.seq_len)

    path = os.path.abspath(a.model)
    t0 = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(
        os.path.dirname(path), gguf_file=os.path.basename(path), torch_dtype=torch.float32)
    load_seconds = time.perf_counter() - t0
    model.config.use_cache = False
    model.train()  # dropout is 0 in this config; train() only for the usual semantics
    tied = model.get_output_embeddings().weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()
    if not tied:
        print("pytorch_train.py: the output head is not tied to the embedding; refusing to benchmark "
              "an untrained head (transformers changed how it loads GGUF?)", file=sys.stderr)
        return 1
    params = [q for q in model.parameters() if q.requires_grad]
    n_params = sum(q.numel() for q in params)
    opt = torch.optim.AdamW(params, lr=a.lr, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.0)

    def step() -> float:
        out = model(input_ids=tokens, labels=tokens)
        out.loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return out.loss.item()

    losses = [step()]  # warm-up: allocates gradients and AdamW moments
    t0 = time.perf_counter()
    for _ in range(a.steps):
        losses.append(step())
    seconds = time.perf_counter() - t0

    print(json.dumps({
        "tokens_per_second": need * a.steps / seconds,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "steps": a.steps,
        "batch": a.batch,
        "seq_len": a.seq_len,
        "losses": losses,
        "seconds": seconds,
        "load_seconds": load_seconds,
        "threads": torch.get_num_threads(),
        "parameters": n_params,
        "torch": torch.__version__,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
