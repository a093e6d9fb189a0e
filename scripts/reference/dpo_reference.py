#!/usr/bin/env python3
r"""Reference numbers for one DPO step on SmolLM2-135M-Instruct, computed by Hugging Face TRL + PyTorch.

Writes Tests/LabTrainTests/Fixtures/dpo_step.json, which the Swift DPO test compares against (relative tolerance,
like Fixtures/train_step.json for SFT).

What it computes, on a fixed batch of 2 preference pairs given as token ids (stored in the JSON, so the Swift side
does no tokenization):
  * the model: the GGUF file SmolLM2-135M-Instruct.Q4_1.gguf, loaded by transformers' GGUF loader and dequantized
    to float32 (GgufConfig(dequantize=True)); tied output head (lm_head is token_embd). The loading is checked
    against the existing SFT fixture: the loss over ppl_text_ids[0:256] must be 2.672691.
  * the pairs: prompt = ChatML system "You are a helpful assistant." + user question + "<|im_start|>assistant\n";
    chosen/rejected = answer text + "<|im_end|>" (id 2). Prompt and completions are tokenized separately with
    add_special_tokens=False (no BOS; this tokenizer adds none anyway); sequence = prompt_ids + completion_ids.
    TRL's own dataset preparation (DPOTrainer._prepare_dataset on the texts) is asserted to give the same ids.
  * step 0, through TRL's DPOTrainer (loss_type ["sigmoid"], beta 0.1, label_smoothing 0, reference model = a frozen
    deep copy of the starting model, per_device_train_batch_size 2, max_length None):
      - batch: DataCollatorForPreference (trainer.data_collator): rows [chosen_0, chosen_1, rejected_0, rejected_1],
        right-padded with the pad token (<|im_end|>), completion_mask marks the completion tokens only;
      - per-sequence summed completion log-probs: DPOTrainer.compute_ref_log_probs(model, batch), called with the
        policy and with the reference model (the same fused-LM-head forward that _compute_loss uses; it SUMS
        log p(token) over completion tokens, prompt and padding excluded; ld_alpha None);
      - mean loss: DPOTrainer.compute_loss(policy, batch) -> _compute_loss: -logsigmoid(beta * ((pc - rc) - (pr - rr)))
        averaged over the 2 pairs. At step 0 policy == reference, so it is ln 2;
      - gradient of that loss (loss.backward()): L2 norm per tensor keyed by GGUF tensor name, and the total norm.
  * one torch.optim.AdamW step (lr 1e-5, betas (0.9, 0.95), eps 1e-8, weight_decay 0) on the policy only, then the
    policy log-probs, the mean loss against the same frozen reference, and the rewards beta * (policy - reference).
  * sanity checks: a plain-PyTorch DPO loss (each sequence run alone, unpadded, log_softmax in float64) must agree
    with TRL's numbers; TRL's logged metrics (logps/rewards means) must agree with the per-sequence values.

Run (from the repository root):
    /opt/dpo-ref/bin/python scripts/reference/dpo_reference.py
The environment: python3 -m venv /opt/dpo-ref && /opt/dpo-ref/bin/pip install torch transformers trl gguf \
accelerate datasets. Versions used for the committed JSON: torch 2.15.0+cu132 (PyPI's default build, run on CPU),
transformers 5.25.0, trl 1.16.0, gguf 0.19.0, accelerate 1.16.0, datasets 5.2.0, tokenizers 0.23.3, numpy 2.4.6,
Python 3.11.7, 2 CPU threads. It takes 2 to 3 minutes on 2 cores; the output is bit-for-bit reproducible.

Caveats of this TRL version (1.16), checked in its source: DPOConfig defaults to bf16=True even on CPU, which makes
accelerate run the reference model under bf16 autocast, so bf16=False is set here (the Swift trainer is fp32).
DPOTrainer no longer has concatenated_forward / dpo_loss: the log-probs come from a fused LM head patched onto the
model (trl.trainer.utils.add_fused_lm_head, float32 chunked log-softmax) and the loss from _compute_loss. For
standard (text) datasets TRL adds the EOS token only if the completion does not already end with it (ours do) and
tokenizes prompt + completion together, taking the completion to start where the ids diverge; the tokenizer adds
no BOS. A conversational dataset would instead give completions ending in "<|im_end|>\n" (ids 2, 198).
label_smoothing is not used by the "sigmoid" loss in this version.
"""

import copy
import json
import math
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TQDM_DISABLE", "1")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import transformers  # noqa: E402
import trl  # noqa: E402
from datasets import Dataset  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig  # noqa: E402
from trl import DPOConfig, DPOTrainer  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
MODEL_DIR = Path(os.environ.get("SYNTHLAB_MODEL_DIR", Path.home() / ".cache/synthlab/models"))
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
OUT = REPO / "Tests/LabTrainTests/Fixtures/dpo_step.json"
PPL_IDS = REPO / "Tests/LabTrainTests/Fixtures/ppl_text_ids.json"

BETA = 0.1
LR, BETAS, EPS, WEIGHT_DECAY = 1e-5, (0.9, 0.95), 1e-8, 0.0
SYSTEM = "You are a helpful assistant."
PAIRS = [
    (
        "What is a company's gross margin if revenue is $200 million and cost of goods sold is $150 million?",
        "Gross margin = (200 - 150) / 200 = 25%.",
        "The gross margin is 75%, because 150 divided by 200 is 0.75.",
    ),
    (
        "What does EBITDA stand for?",
        "Earnings before interest, taxes, depreciation and amortization.",
        "It is a type of bond issued by banks.",
    ),
]
IM_END = "<|im_end|>"
IM_END_ID = 2


def gguf_name(hf_name: str) -> str:
    """HF parameter name -> GGUF tensor name."""
    if hf_name == "model.embed_tokens.weight":
        return "token_embd.weight"
    if hf_name == "model.norm.weight":
        return "output_norm.weight"
    parts = hf_name.split(".")  # model.layers.N.<module...>.weight
    assert parts[0] == "model" and parts[1] == "layers" and parts[-1] == "weight", hf_name
    block, module = parts[2], ".".join(parts[3:-1])
    table = {
        "self_attn.q_proj": "attn_q",
        "self_attn.k_proj": "attn_k",
        "self_attn.v_proj": "attn_v",
        "self_attn.o_proj": "attn_output",
        "mlp.gate_proj": "ffn_gate",
        "mlp.up_proj": "ffn_up",
        "mlp.down_proj": "ffn_down",
        "input_layernorm": "attn_norm",
        "post_attention_layernorm": "ffn_norm",
    }
    return f"blk.{block}.{table[module]}.weight"


def num(x) -> float:
    """A float for the JSON, 9 significant digits (float32 carries ~7)."""
    if isinstance(x, torch.Tensor):
        x = x.detach().item()
    return float(f"{float(x):.9g}")


def chatml_prompt(question: str) -> str:
    return (
        f"<|im_start|>system\n{SYSTEM}<|im_end|>\n"
        f"<|im_start|>user\n{question}<|im_end|>\n"
        f"<|im_start|>assistant\n"
    )


def plain_logps(model, pairs_ids):
    """Plain PyTorch: each sequence alone (no padding), float64 log_softmax, summed over completion tokens."""
    chosen, rejected = [], []
    for p in pairs_ids:
        for key, out in (("chosen_ids", chosen), ("rejected_ids", rejected)):
            ids = torch.tensor([p["prompt_ids"] + p[key]])
            logits = model(input_ids=ids, use_cache=False).logits[0].double()  # the un-fused original forward
            logp = logits[:-1].log_softmax(-1).gather(-1, ids[0, 1:, None])[:, 0]
            out.append(logp[len(p["prompt_ids"]) - 1 :].sum())
    return torch.stack(chosen), torch.stack(rejected)


def plain_dpo_loss(pc, pr, rc, rr, beta=BETA):
    return -F.logsigmoid(beta * ((pc - rc) - (pr - rr))).mean()


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, trl {trl.__version__}")

    # --- tokenizer and pairs -----------------------------------------------------------------------------------
    tok = AutoTokenizer.from_pretrained(MODEL_DIR, gguf_file=GGUF_NAME)
    assert tok.convert_tokens_to_ids(IM_END) == IM_END_ID and tok.eos_token == IM_END
    pairs_ids, texts = [], []
    for question, chosen, rejected in PAIRS:
        prompt = chatml_prompt(question)
        templated = tok.apply_chat_template(
            [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}],
            tokenize=False,
            add_generation_prompt=True,
        )
        assert templated == prompt, (templated, prompt)
        entry = {
            "prompt_ids": tok(prompt, add_special_tokens=False).input_ids,
            "chosen_ids": tok(chosen + IM_END, add_special_tokens=False).input_ids,
            "rejected_ids": tok(rejected + IM_END, add_special_tokens=False).input_ids,
        }
        assert entry["prompt_ids"][0] == 1, "prompt starts with <|im_start|> (id 1), no BOS"
        assert entry["chosen_ids"][-1] == IM_END_ID and entry["rejected_ids"][-1] == IM_END_ID
        assert len(entry["chosen_ids"]) != len(entry["rejected_ids"])
        pairs_ids.append(entry)
        texts.append({"prompt": prompt, "chosen": chosen + IM_END, "rejected": rejected + IM_END})
        print(f"pair: prompt {len(entry['prompt_ids'])} tokens, chosen {len(entry['chosen_ids'])}, "
              f"rejected {len(entry['rejected_ids'])}")

    # --- model: GGUF dequantized to float32 ---------------------------------------------------------------------
    policy = AutoModelForCausalLM.from_pretrained(
        MODEL_DIR, gguf_file=GGUF_NAME, dtype=torch.float32, quantization_config=GgufConfig(dequantize=True)
    )
    assert getattr(policy, "hf_quantizer", None) is None and not getattr(policy, "is_quantized", False)
    assert policy.lm_head.weight is policy.model.embed_tokens.weight, "tied output head"
    assert all(p.dtype == torch.float32 for p in policy.parameters())
    with torch.no_grad():  # the same weights as the SFT reference (Fixtures/train_step.json)
        ppl = torch.tensor([json.loads(PPL_IDS.read_text())[:256]])
        sft_loss = F.cross_entropy(policy(ppl).logits[0, :-1].double(), ppl[0, 1:]).item()
    print(f"SFT check: loss over ppl_text_ids[0:256] = {sft_loss:.6f} (train_step.json: 2.672691)")
    assert abs(sft_loss - 2.672691) < 2e-6

    reference = copy.deepcopy(policy)  # frozen starting model
    shadow = copy.deepcopy(policy)  # starting weights for the plain-PyTorch cross-check (copied before TRL patches forward)
    reference.requires_grad_(False)
    reference.eval()
    policy.train()  # no dropout in llama; train mode only labels TRL's metrics "train"

    # --- TRL's DPOTrainer -----------------------------------------------------------------------------------------
    with tempfile.TemporaryDirectory() as out_dir:
        args = DPOConfig(
            output_dir=out_dir,
            per_device_train_batch_size=2,
            beta=BETA,
            loss_type=["sigmoid"],
            label_smoothing=0.0,
            max_length=None,
            precompute_ref_log_probs=False,
            gradient_checkpointing=False,
            use_cpu=True,
            bf16=False,  # TRL's configs default to bf16=True, even on CPU: the reference model would run in bf16 autocast
            fp16=False,
            report_to="none",
            seed=0,
            learning_rate=LR,
            adam_beta1=BETAS[0],
            adam_beta2=BETAS[1],
            adam_epsilon=EPS,
            weight_decay=WEIGHT_DECAY,
        )
        trainer = DPOTrainer(
            model=policy,
            ref_model=reference,
            args=args,
            train_dataset=Dataset.from_list(texts),
            processing_class=tok,
        )
    assert trainer.model is policy
    assert trainer.accelerator.mixed_precision == "no" and trainer.accelerator.device.type == "cpu"
    assert trainer.beta == BETA and trainer.loss_types == ["sigmoid"] and trainer.ld_alpha is None
    assert trainer.f_divergence_type == "reverse_kl" and not trainer.use_weighting and not trainer.precompute_ref_logps
    assert trainer.label_smoothing == 0.0 and not trainer.aux_loss_enabled

    # TRL's own tokenization of the texts must give our ids (no BOS, no extra EOS, completion = after the prompt).
    rows = [trainer.train_dataset[i] for i in range(len(PAIRS))]
    for row, entry in zip(rows, pairs_ids, strict=True):
        for key in ("prompt_ids", "chosen_ids", "rejected_ids"):
            assert list(row[key]) == entry[key], (key, row[key], entry[key])
    print("TRL's _prepare_dataset gives the same token ids")

    batch = trainer.data_collator([{k: row[k] for k in ("prompt_ids", "chosen_ids", "rejected_ids")} for row in rows])
    print("batch:", {k: tuple(v.shape) for k, v in batch.items()},
          "completion tokens per row:", batch["completion_mask"].sum(1).tolist())
    ref_model = trainer.ref_model  # accelerate's prepare_model(evaluation_mode=True); with bf16 off it is unwrapped
    assert ref_model is reference

    def trl_logps():
        """Per-sequence summed completion log-probs (policy, reference) from TRL's compute_ref_log_probs."""
        pc, pr = trainer.compute_ref_log_probs(trainer.model, batch)
        rc, rr = trainer.compute_ref_log_probs(ref_model, batch)
        return pc, pr, rc, rr

    # --- step 0 ---------------------------------------------------------------------------------------------------
    pc0, pr0, rc0, rr0 = trl_logps()
    trainer.model.zero_grad(set_to_none=True)
    trainer._metrics["train"].clear()
    loss0 = trainer.compute_loss(trainer.model, batch)
    loss0.backward()
    metrics0 = {k: list(v) for k, v in trainer._metrics["train"].items()}
    print(f"step 0: TRL loss {loss0.item():.9f}, ln 2 = {math.log(2):.9f}")
    print(f"  policy chosen {pc0.tolist()}, rejected {pr0.tolist()}")
    print(f"  reference chosen {rc0.tolist()}, rejected {rr0.tolist()}")
    assert torch.equal(pc0, rc0) and torch.equal(pr0, rr0)
    assert abs(loss0.item() - math.log(2)) < 1e-6
    assert abs(metrics0["logps/chosen"][0] - pc0.mean().item()) < 1e-4
    assert abs(metrics0["logps/rejected"][0] - pr0.mean().item()) < 1e-4

    grad_norms, squares = {}, 0.0
    for name, param in trainer.model.named_parameters():  # tied lm_head appears once, as model.embed_tokens.weight
        assert param.grad is not None, name
        norm = param.grad.double().norm().item()
        assert math.isfinite(norm) and norm > 0, (name, norm)
        grad_norms[gguf_name(name)] = num(norm)
        squares += norm * norm
    grad_total = math.sqrt(squares)
    assert len(grad_norms) == 272
    print(f"  gradient: total L2 norm {grad_total:.6f}; token_embd {grad_norms['token_embd.weight']}, "
          f"blk.0.attn_q {grad_norms['blk.0.attn_q.weight']}, output_norm {grad_norms['output_norm.weight']}")

    # Plain PyTorch cross-check at step 0 on a separate copy of the starting weights (each sequence run alone,
    # unpadded, float64 log-softmax), with its own gradient and, below, its own AdamW step.
    qc, qr = plain_logps(shadow, pairs_ids)
    with torch.no_grad():
        sc, sr = plain_logps(ref_model, pairs_ids)
    plain0 = plain_dpo_loss(qc, qr, sc, sr)
    plain0.backward()
    plain_total = math.sqrt(sum(p.grad.double().norm().item() ** 2 for p in shadow.parameters()))
    worst = max(
        (abs(p.grad.double().norm().item() - grad_norms[gguf_name(n)]) / grad_norms[gguf_name(n)], gguf_name(n))
        for n, p in shadow.named_parameters()
    )
    print(f"  plain PyTorch: loss {plain0.item():.9f}, chosen {qc.tolist()}, rejected {qr.tolist()}, "
          f"grad norm {plain_total:.6f}; largest relative per-tensor gradient-norm difference {worst[0]:.2e} "
          f"({worst[1]})")
    assert torch.allclose(qc.float(), pc0, rtol=1e-4, atol=1e-4) and torch.allclose(qr.float(), pr0, rtol=1e-4, atol=1e-4)
    assert abs(plain0.item() - loss0.item()) < 1e-6
    assert abs(plain_total - grad_total) / grad_total < 1e-4 and worst[0] < 1e-3

    # --- one AdamW step on the policy -----------------------------------------------------------------------------
    optimizer = torch.optim.AdamW(trainer.model.parameters(), lr=LR, betas=BETAS, eps=EPS, weight_decay=WEIGHT_DECAY)
    optimizer.step()
    trainer.model.zero_grad(set_to_none=True)

    with torch.no_grad():
        pc1, pr1, rc1, rr1 = trl_logps()
        trainer._metrics["train"].clear()
        loss1 = trainer.compute_loss(trainer.model, batch)
        metrics1 = {k: list(v) for k, v in trainer._metrics["train"].items()}
        qc1, qr1 = plain_logps(trainer.model, pairs_ids)
        plain1 = plain_dpo_loss(qc1, qr1, sc, sr)
    # The same AdamW step taken from the plain-PyTorch gradient: how much the post-step numbers move with the
    # rounding differences of the gradient (Adam's first step is about lr * sign(gradient)).
    torch.optim.AdamW(shadow.parameters(), lr=LR, betas=BETAS, eps=EPS, weight_decay=WEIGHT_DECAY).step()
    with torch.no_grad():
        wc1, wr1 = plain_logps(shadow, pairs_ids)
        shadow1 = plain_dpo_loss(wc1, wr1, sc, sr)
    print(f"  step taken from the plain-PyTorch gradient: loss {shadow1.item():.9f}, chosen {wc1.tolist()}, "
          f"rejected {wr1.tolist()}")
    assert torch.equal(rc1, rc0) and torch.equal(rr1, rr0), "the reference stays frozen"
    chosen_rewards = BETA * (pc1 - rc1)
    rejected_rewards = BETA * (pr1 - rr1)
    loss1_from_logps = plain_dpo_loss(pc1.double(), pr1.double(), rc1.double(), rr1.double()).item()
    print(f"after one AdamW step: TRL loss {loss1.item():.9f} (from its log-probs {loss1_from_logps:.9f}, "
          f"plain PyTorch {plain1.item():.9f})")
    print(f"  policy chosen {pc1.tolist()}, rejected {pr1.tolist()}")
    print(f"  rewards chosen {chosen_rewards.tolist()}, rejected {rejected_rewards.tolist()}")
    assert loss1.item() < math.log(2)
    assert abs(loss1.item() - loss1_from_logps) < 1e-6
    assert abs(plain1.item() - loss1.item()) < 1e-5
    assert torch.allclose(qc1.float(), pc1, rtol=1e-4, atol=1e-4) and torch.allclose(qr1.float(), pr1, rtol=1e-4, atol=1e-4)
    assert abs(metrics1["rewards/chosen"][0] - chosen_rewards.mean().item()) < 1e-6
    assert abs(metrics1["rewards/rejected"][0] - rejected_rewards.mean().item()) < 1e-6

    result = {
        "trl_version": trl.__version__,
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
        "beta": BETA,
        "loss_type": "sigmoid",
        "label_smoothing": 0.0,
        "pairs": pairs_ids,
        "step0": {
            "policy_chosen_logps": [num(x) for x in pc0],
            "policy_rejected_logps": [num(x) for x in pr0],
            "reference_chosen_logps": [num(x) for x in rc0],
            "reference_rejected_logps": [num(x) for x in rr0],
            "loss": num(loss0.item()),
            "grad_l2_norm_per_tensor": grad_norms,
            "grad_l2_norm_total": num(grad_total),
        },
        "after_one_adamw_step": {
            "lr": LR,
            "betas": list(BETAS),
            "eps": EPS,
            "weight_decay": WEIGHT_DECAY,
            "policy_chosen_logps": [num(x) for x in pc1],
            "policy_rejected_logps": [num(x) for x in pr1],
            "loss": num(loss1.item()),
            "chosen_rewards": [num(x) for x in chosen_rewards],
            "rejected_rewards": [num(x) for x in rejected_rewards],
        },
        "plain_pytorch_check": {
            "step0_loss": num(plain0.item()),
            "step0_policy_chosen_logps": [num(x) for x in qc],
            "step0_policy_rejected_logps": [num(x) for x in qr],
            "step0_grad_l2_norm_total": num(plain_total),
            "after_step_loss": num(plain1.item()),
            "after_step_from_plain_gradient_loss": num(shadow1.item()),
            "after_step_from_plain_gradient_chosen_logps": [num(x) for x in wc1],
            "after_step_from_plain_gradient_rejected_logps": [num(x) for x in wr1],
        },
        "note": (
            "Generated by scripts/reference/dpo_reference.py with TRL's DPOTrainer (CPU, float32): the model is "
            f"{GGUF_NAME} loaded by transformers' GGUF loader, dequantized to fp32, tied output head (the gradient "
            "of token_embd includes the head's). Sequence i = prompt_ids + chosen_ids (resp. rejected_ids); no BOS. "
            "Log-probs are SUMMED over the completion tokens only (each completion token predicted from the "
            "position before it; prompt tokens not scored). loss = mean over the 2 pairs of "
            "-logsigmoid(beta * ((policy_chosen - ref_chosen) - (policy_rejected - ref_rejected))); reference = "
            "frozen starting model. Gradient norms are of that mean loss, keyed by GGUF tensor name (invariant to "
            "the converter's Q/K row permutation). Rewards = beta * (policy - reference). TRL runs the 4 sequences "
            "as one right-padded batch; plain_pytorch_check runs each sequence alone in float64 log-softmax."
        ),
    }
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    sys.exit(main())
