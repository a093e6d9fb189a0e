#!/usr/bin/env python3
r"""mergekit as the reference for `synthlab merge`: fixtures, comparisons, and a numpy self-check.

mergekit (PyPI `mergekit`, pinned in scripts/reference/requirements-merge.txt) reads Hugging Face model
directories, not GGUF. This script converts GGUF models to HF Llama directories (config.json +
model.safetensors, float32), rewrites the mergekit YAML to point at them, runs `mergekit-yaml` on the CPU,
and maps the merged tensors back to GGUF names.

Subcommands (run with the venv's python, /opt/mergekit-ref/bin/python; see bench/merge/run.sh to create it):

  fixture [--out DIR]
      Rebuilds Tests/LabMergeTests/Fixtures byte for byte: three tiny Llama GGUF models (base, a, b; a and b
      are base + seeded random task vectors), one mergekit YAML per case (`model:` = GGUF file names relative
      to the fixture directory), expected-<case>.gguf (F32, mergekit's output, the base's metadata) for every
      deterministic case, dare_ties.yaml / dare_linear.yaml and dare-stats.json (DARE is random: statistics,
      not outputs). Also asserts that the numpy re-implementation below agrees with mergekit on every case.

  compare CONFIG.yaml OURS.gguf [--tol REL] [--seed N] [--keep DIR] [--json OUT.json]
      Runs mergekit on CONFIG (GGUF inputs; relative paths resolve against CONFIG's directory, as synthlab
      does), then compares every tensor of OURS.gguf with mergekit's: max |diff|, max |ref|, rel = max|diff| /
      max|ref| (scale-relative, so near-zero elements do not blow it up) and ||diff||/||ref||. For ties, elements
      whose nonzero |delta| ties at some model's top-k boundary are not compared (mergekit picks among equal
      magnitudes with torch's unstable argsort, in no specified order); their count is printed. OURS may be
      F32 (tolerance 1e-5), F16, BF16 or Q8_0: then mergekit's tensor is rounded through the same type first
      (gguf.quants) and the tolerance is 1e-3 (F16), 1e-2 (BF16, Q8_0); --tol overrides. Exit 1 if a
      deterministic method exceeds the tolerance or a tensor is missing/extra. For dare_* (random) it prints
      statistics only (fraction of elements equal to the base's, ||out-base|| ratio) and never fails on values.

  mergekit CONFIG.yaml -o OUT.gguf [--seed N]
      mergekit's merge of GGUF inputs written as an F32 GGUF with the base's metadata (what `synthlab merge`
      should produce).

  numpy CONFIG.yaml -o OUT.gguf
      The same merge by the numpy re-implementation in this file (deterministic methods only), for
      self-checking the semantics written up for the Swift side.

  hfconfig CONFIG.yaml -o HF_CONFIG.yaml [--out-dir DIR] [--seed N]
      Converts CONFIG's GGUF inputs to HF directories (cached under $MERGE_REF_CACHE, default /tmp/mk-hf),
      writes the config pointing at them and prints the mergekit-yaml command (the benchmark times that alone).
      compare/mergekit take --mergekit-out DIR to use such a run's output instead of running mergekit again.

  variants BASE.gguf OUTDIR [--scale S]
      Writes OUTDIR/base-f32.gguf (BASE dequantized to F32), OUTDIR/variant-a.gguf and variant-b.gguf
      (base + seeded N(0, S * rms(tensor)) deltas per tensor, F32), for the benchmark. The default S = 0.05
      puts the cosine between a and b near 1/(1 + S^2) = 0.9975, below SLERP's 0.9995 colinearity threshold,
      so SLERP takes its spherical branch (S = 0.02 would give ~0.9996: the linear fallback everywhere).

Notes:
  * llama.cpp's converter permutes the rows of attn_q/attn_k (rotary layout). The conversion here does NOT
    undo it: every tensor keeps GGUF's row order in torch's [rows, cols] layout. Each mergekit method is
    elementwise (linear, task_arithmetic, TIES' sign election and weighting, DARE's masks) or uses statistics
    of the whole flattened tensor that do not depend on element order (TIES' top-k magnitude set; SLERP's norms
    and dot product), so results in GGUF order equal mergekit's results on the HF layout, permuted. The only
    order-dependent details are summation order (rounding, ~1e-7) and which of several EQUAL magnitudes at the
    top-k boundary is kept (never happens with the fixture's random data) -- and since both sides here see the
    same GGUF order, even those match as far as the algorithms match.
  * Quantized inputs (Q4_1, Q8_0, ...) are dequantized with gguf.quants.dequantize to float32 before merging,
    on both sides.
  * Tied embeddings: a GGUF without output.weight gives an HF config with tie_word_embeddings true and no
    lm_head.weight; mergekit then writes no lm_head either.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

import gguf
from gguf import GGMLQuantizationType, GGUFReader, GGUFValueType, GGUFWriter

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "Tests" / "LabMergeTests" / "Fixtures"
HF_CACHE = Path(os.environ.get("MERGE_REF_CACHE", "/tmp/mk-hf"))

# ----------------------------------------------------------------------------------------------------------
# GGUF <-> HF names

_LAYER_MAP = {
    "attn_norm": "input_layernorm",
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_norm": "post_attention_layernorm",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}
_LAYER_MAP_INV = {v: k for k, v in _LAYER_MAP.items()}
_GLOBAL_MAP = {
    "token_embd.weight": "model.embed_tokens.weight",
    "output_norm.weight": "model.norm.weight",
    "output.weight": "lm_head.weight",
}
_GLOBAL_MAP_INV = {v: k for k, v in _GLOBAL_MAP.items()}


def gguf_to_hf(name: str) -> str | None:
    if name in _GLOBAL_MAP:
        return _GLOBAL_MAP[name]
    m = re.fullmatch(r"blk\.(\d+)\.([a-z_]+)\.weight", name)
    if m and m.group(2) in _LAYER_MAP:
        return f"model.layers.{m.group(1)}.{_LAYER_MAP[m.group(2)]}.weight"
    return None


def hf_to_gguf(name: str) -> str | None:
    if name in _GLOBAL_MAP_INV:
        return _GLOBAL_MAP_INV[name]
    m = re.fullmatch(r"model\.layers\.(\d+)\.(.+)\.weight", name)
    if m and m.group(2) in _LAYER_MAP_INV:
        return f"blk.{m.group(1)}.{_LAYER_MAP_INV[m.group(2)]}.weight"
    return None


# ----------------------------------------------------------------------------------------------------------
# GGUF reading / writing


def field_value(reader: GGUFReader, key: str, default=None):
    f = reader.fields.get(key)
    if f is None:
        return default
    return f.contents()


def tensor_f32(t) -> np.ndarray:
    """A GGUF tensor as float32 in torch layout ([rows, cols] = reversed ne), dequantized if needed."""
    if t.tensor_type == GGMLQuantizationType.F32:
        arr = np.array(t.data, dtype=np.float32, copy=True)
    else:
        arr = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32, copy=False)
    shape = tuple(int(x) for x in reversed(list(t.shape)))
    return arr.reshape(shape)


def read_gguf_tensors(path: Path) -> tuple[GGUFReader, dict[str, np.ndarray]]:
    reader = GGUFReader(str(path))
    return reader, {t.name: tensor_f32(t) for t in reader.tensors}


def copy_metadata(reader: GGUFReader, writer: GGUFWriter, overrides: dict | None = None) -> None:
    """Every KV pair of `reader` (in its order) except GGUF.* and general.architecture (the writer adds it)."""
    overrides = overrides or {}
    for key, f in reader.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue
        vtype = f.types[0]
        if key in overrides:
            val = overrides[key]
        else:
            val = f.contents()
        if vtype == GGUFValueType.ARRAY:
            writer.add_key_value(key, val, vtype, sub_type=f.types[-1])
        else:
            writer.add_key_value(key, val, vtype)


def write_gguf(path: Path, arch: str, metadata_from: GGUFReader | None, tensors: list[tuple[str, np.ndarray]],
               overrides: dict | None = None, extra_kv=None) -> None:
    """Write F32 tensors (torch layout) with metadata copied from `metadata_from` (file_type forced to 0)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    w = GGUFWriter(str(tmp), arch)
    ov = {"general.file_type": 0}
    ov.update(overrides or {})
    if metadata_from is not None:
        copy_metadata(metadata_from, w, ov)
    if extra_kv:
        extra_kv(w)
    for name, arr in tensors:
        w.add_tensor(name, np.ascontiguousarray(arr, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    os.replace(tmp, path)


# ----------------------------------------------------------------------------------------------------------
# GGUF -> HF directory


def hf_config_for(reader: GGUFReader, tensor_names: set[str]) -> dict:
    arch = field_value(reader, "general.architecture")
    if arch != "llama":
        raise SystemExit(f"only llama-architecture GGUF files are supported, got {arch!r}")

    def kv(k, default=None):
        return field_value(reader, f"llama.{k}", default)

    n_embd = int(kv("embedding_length"))
    n_head = int(kv("attention.head_count"))
    vocab = kv("vocab_size")
    if vocab is None:
        vocab = len(field_value(reader, "tokenizer.ggml.tokens"))
    cfg = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": n_embd,
        "intermediate_size": int(kv("feed_forward_length")),
        "num_hidden_layers": int(kv("block_count")),
        "num_attention_heads": n_head,
        "num_key_value_heads": int(kv("attention.head_count_kv", n_head)),
        "head_dim": n_embd // n_head,
        "max_position_embeddings": int(kv("context_length", 2048)),
        "rms_norm_eps": float(kv("attention.layer_norm_rms_epsilon", 1e-5)),
        "rope_theta": float(kv("rope.freq_base", 10000.0)),
        "vocab_size": int(vocab),
        "hidden_act": "silu",
        "tie_word_embeddings": "output.weight" not in tensor_names,
        "dtype": "float32",
    }
    for src, dst in (("tokenizer.ggml.bos_token_id", "bos_token_id"), ("tokenizer.ggml.eos_token_id", "eos_token_id")):
        v = field_value(reader, src)
        if v is not None:
            cfg[dst] = int(v)
    return cfg


def gguf_to_hf_dir(gguf_path: Path, out_dir: Path | None = None) -> Path:
    """Convert (cached by path, size and mtime) a llama GGUF into an HF directory mergekit can read."""
    from safetensors.numpy import save_file

    gguf_path = Path(gguf_path).resolve()
    st = gguf_path.stat()
    if out_dir is None:
        key = hashlib.sha256(f"{gguf_path}|{st.st_size}|{st.st_mtime_ns}|v2".encode()).hexdigest()[:16]
        out_dir = HF_CACHE / f"{gguf_path.stem}-{key}"
    out_dir = Path(out_dir)
    if (out_dir / "done").exists():
        return out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    reader, tensors = read_gguf_tensors(gguf_path)
    hf = {}
    skipped = []
    for name, arr in tensors.items():
        hname = gguf_to_hf(name)
        if hname is None:
            skipped.append(name)
            continue
        hf[hname] = np.ascontiguousarray(arr)
    if skipped:
        print(f"note: {gguf_path.name}: tensors mergekit's llama architecture does not know, not merged: {skipped}",
              file=sys.stderr)
    cfg = hf_config_for(reader, set(tensors))
    (out_dir / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    save_file(hf, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    (out_dir / "skipped.json").write_text(json.dumps(skipped))
    (out_dir / "done").write_text(str(gguf_path))
    return out_dir


# ----------------------------------------------------------------------------------------------------------
# Config handling


def _map_model_refs(cfg: dict, fn) -> dict:
    """Apply fn to every model reference string in a mergekit config (models, slices, modules, base_model)."""
    cfg = copy.deepcopy(cfg)

    def ref(v):
        if isinstance(v, str):
            return fn(v)
        if isinstance(v, dict) and isinstance(v.get("model"), str):
            v = dict(v)
            v["model"] = fn(v["model"])
            return v
        return v

    def slices(sl):
        for s in sl or []:
            if s.get("base_model"):
                s["base_model"] = ref(s["base_model"])
            for src in s.get("sources", []):
                src["model"] = ref(src["model"])

    if cfg.get("base_model"):
        cfg["base_model"] = ref(cfg["base_model"])
    for m in cfg.get("models") or []:
        m["model"] = ref(m["model"])
    slices(cfg.get("slices"))
    for mod in (cfg.get("modules") or {}).values():
        for m in mod.get("models") or []:
            m["model"] = ref(m["model"])
        slices(mod.get("slices"))
    if isinstance(cfg.get("tokenizer_source"), str) and cfg["tokenizer_source"] not in ("union", "base"):
        cfg["tokenizer_source"] = ref(cfg["tokenizer_source"])
    return cfg


def resolve_gguf_paths(cfg: dict, config_dir: Path) -> dict:
    """Relative `model:` paths resolve against the YAML file's directory (synthlab's rule)."""
    def fn(p):
        q = Path(p)
        return str(q if q.is_absolute() else (config_dir / q).resolve())
    return _map_model_refs(cfg, fn)


def load_config(config_path: Path) -> dict:
    cfg = yaml.safe_load(Path(config_path).read_text())
    return resolve_gguf_paths(cfg, Path(config_path).resolve().parent)


def model_paths(cfg: dict) -> list[str]:
    seen = []
    _map_model_refs(cfg, lambda p: (seen.append(p), p)[1])
    out = []
    for p in seen:
        if p not in out:
            out.append(p)
    return out


def base_path(cfg: dict) -> str:
    b = cfg.get("base_model")
    if isinstance(b, dict):
        b = b.get("model")
    return b or model_paths(cfg)[0]


# ----------------------------------------------------------------------------------------------------------
# Running mergekit


def mergekit_bin() -> str:
    exe = Path(sys.executable).parent / "mergekit-yaml"
    if not exe.exists():
        raise SystemExit(f"mergekit-yaml not found next to {sys.executable}; run with /opt/mergekit-ref/bin/python")
    return str(exe)


def prepare_hf_config(cfg: dict, cfg_path: Path) -> tuple[Path, float]:
    """Convert the config's GGUF inputs to HF directories and write the config that points at them."""
    hf_map = {}
    t0 = time.time()
    for p in model_paths(cfg):
        if p.endswith(".gguf"):
            hf_map[p] = str(gguf_to_hf_dir(Path(p)))
    hf_cfg = _map_model_refs(cfg, lambda p: hf_map.get(p, p))
    cfg_path = Path(cfg_path)
    cfg_path.parent.mkdir(parents=True, exist_ok=True)
    cfg_path.write_text(yaml.safe_dump(hf_cfg, sort_keys=False))
    return cfg_path, time.time() - t0


def mergekit_command(hf_cfg_path: Path, out: Path, seed: int | None = None, quiet: bool = True) -> list[str]:
    cmd = [mergekit_bin(), str(hf_cfg_path), str(out), "--no-copy-tokenizer", "--no-write-model-card",
           "--device", "cpu"]
    if quiet:
        cmd.append("--quiet")
    if seed is not None:
        cmd += ["--random-seed", str(seed)]
    return cmd


def load_mergekit_output(out: Path) -> dict:
    """mergekit's safetensors output as float32 numpy arrays keyed by GGUF name."""
    from safetensors.torch import load_file  # torch: numpy has no bfloat16

    tensors = {}
    files = sorted(Path(out).glob("*.safetensors"))
    if not files:
        raise SystemExit(f"no *.safetensors in {out}")
    for f in files:
        for k, v in load_file(str(f)).items():
            g = hf_to_gguf(k)
            if g is None:
                raise SystemExit(f"mergekit wrote an unexpected tensor {k}")
            tensors[g] = v.float().numpy() if v.is_floating_point() else v.numpy()
    return tensors


def run_mergekit(cfg: dict, workdir: Path, seed: int | None = None, quiet: bool = True) -> tuple[dict, dict]:
    """cfg: a mergekit config whose model references are absolute GGUF paths. Returns (tensors by GGUF name, info)."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    cfg_path, t_convert = prepare_hf_config(cfg, workdir / "mergekit-config.yaml")
    out = workdir / "mergekit-out"
    if out.exists():
        shutil.rmtree(out)
    cmd = mergekit_command(cfg_path, out, seed, quiet)
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TQDM_DISABLE="1")
    t0 = time.time()
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    t_merge = time.time() - t0
    if res.returncode != 0:
        sys.stderr.write(res.stdout + res.stderr)
        raise SystemExit(f"mergekit-yaml failed ({res.returncode}): {' '.join(cmd)}")
    tensors = load_mergekit_output(out)
    return tensors, {"convert_s": t_convert, "merge_s": t_merge, "cmd": cmd, "hf_config": str(cfg_path)}


def write_merged_gguf(out_path: Path, cfg: dict, tensors: dict) -> None:
    """Merged tensors in the base's tensor order with the base's metadata, F32."""
    base = Path(base_path(cfg))
    reader = GGUFReader(str(base))
    order = [t.name for t in reader.tensors if t.name in tensors]
    order += [n for n in tensors if n not in order]
    write_gguf(out_path, field_value(reader, "general.architecture"), reader, [(n, tensors[n]) for n in order])


# ----------------------------------------------------------------------------------------------------------
# numpy re-implementation of mergekit's semantics (deterministic methods), for self-checking the notes


def _validate(kind, v):
    if kind is bool:
        if isinstance(v, bool):
            return v
        if isinstance(v, str):
            return v.lower() in ("1", "true", "yes", "on")
        return bool(v)
    return float(v)


def evaluate_setting(tensor_name: str, setting, t: float, kind=float):
    """mergekit.config.evaluate_setting: filters (substring of the HF tensor name, first match wins; no filter or
    '*' matches everything) and gradients (a list of numbers, linearly interpolated at t in [0, 1])."""
    if isinstance(setting, dict):
        setting = [setting]
    if isinstance(setting, (bool, int, float, str)):
        return _validate(kind, setting)
    if isinstance(setting, list):
        if not setting:
            return None
        if all(isinstance(e, (bool, int, float, str)) for e in setting):
            values = [_validate(kind, e) for e in setting]
            if kind is bool:
                return values[int(t * (len(values) - 1))]
            scaled = t * (len(setting) - 1)
            i0 = int(scaled)
            i1 = min(len(setting) - 1, i0 + 1)
            frac = scaled - i0
            return (1 - frac) * values[i0] + frac * values[i1]
        for cond in setting:
            f = cond.get("filter")
            if f is None or f == "*" or (tensor_name and f in tensor_name):
                return evaluate_setting(tensor_name, cond["value"], t, kind)
        return None
    raise ValueError(f"unexpected setting {setting!r}")


def resolve(name: str, hf_name: str, scopes, t: float, kind=float, default=None, required=False):
    for scope in scopes:
        if scope and name in scope:
            v = evaluate_setting(hf_name, scope[name], t, kind)
            if v is not None:
                return v
    if required:
        raise ValueError(f"missing required parameter {name} for {hf_name}")
    return default


METHOD_DEFAULTS = {
    # name: (consensus, sparsification, normalize default, rescale default)
    "task_arithmetic": (None, None, False, False),
    "ties": ("sum", "magnitude", True, False),
    "dare_ties": ("sum", "random", False, True),
    "dare_linear": (None, "random", False, True),
}


def np_magnitude(delta: np.ndarray, density: float) -> np.ndarray:
    if density >= 1:
        return delta
    if density <= 0 or delta.size == 0:
        return np.zeros_like(delta)
    k = max(1, int(density * delta.size))
    w = np.abs(delta).reshape(-1)
    # stable descending order: ties keep the lower flat index (torch's argsort is not guaranteed stable)
    order = np.argsort(-w, kind="stable")[:k]
    mask = np.zeros(delta.size, dtype=delta.dtype)
    mask[order] = 1
    return delta * mask.reshape(delta.shape)


def np_slerp(t: float, v0: np.ndarray, v1: np.ndarray, dot_threshold=0.9995, eps=1e-8) -> np.ndarray:
    a = v0.astype(np.float32).reshape(-1)
    b = v1.astype(np.float32).reshape(-1)
    t = np.float32(t)
    na = np.float32(np.linalg.norm(a.astype(np.float64)))
    nb = np.float32(np.linalg.norm(b.astype(np.float64)))
    na = na if na > eps else np.float32(1)
    nb = nb if nb > eps else np.float32(1)
    dot = np.float32(np.dot((a / na).astype(np.float64), (b / nb).astype(np.float64)))
    dot = np.clip(dot, -1, 1)
    if abs(dot) > dot_threshold:
        ca, cb = np.float32(1) - t, t
    else:
        theta = np.float32(np.arccos(dot))
        s = np.float32(np.sin(theta))
        ca = np.float32(np.sin((np.float32(1) - t) * theta)) / s
        cb = np.float32(np.sin(t * theta)) / s
    return (ca * a + cb * b).astype(np.float32).reshape(v0.shape)


def plan_tensors(cfg: dict):
    """mergekit's planning, for the cases the numpy side covers (`models:`, or one slice over all layers): yields
    (gguf name, HF name, layer position t, [(model path, its parameters, tensor)], base path, slice parameters,
    top-level parameters) for every output tensor, in the base's tensor order."""
    base = cfg.get("base_model")
    gp = cfg.get("parameters") or {}
    if cfg.get("models"):
        entries = [(m["model"], m.get("parameters") or {}) for m in cfg["models"]]
        slice_params = None
        ranges = None
    elif cfg.get("slices"):
        if len(cfg["slices"]) != 1:
            raise SystemExit("numpy re-implementation: one slice only")
        s = cfg["slices"][0]
        entries = [(src["model"], src.get("parameters") or {}) for src in s["sources"]]
        ranges = [tuple(src["layer_range"]) for src in s["sources"]]
        slice_params = s.get("parameters")
        base = s.get("base_model") or base
    else:
        raise SystemExit("numpy re-implementation: models: or slices: only")
    if base and base not in [e[0] for e in entries]:
        entries.append((base, {}))  # mergekit adds the base as an input (plan.py normalize_config)
    loaded = {p: read_gguf_tensors(Path(p)) for p, _ in entries}
    reader0 = loaded[base or entries[0][0]][0]
    n_layers = int(field_value(reader0, "llama.block_count"))
    if ranges is None:
        ranges = [(0, n_layers)] * len(entries)
    if any(tuple(r) != (0, n_layers) for r in ranges):
        raise SystemExit("numpy re-implementation: layer_range must cover all layers")
    has_lm_head = any("output.weight" in loaded[p][1] for p, _ in entries)
    for gname in [t.name for t in reader0.tensors]:
        hname = gguf_to_hf(gname)
        if hname is None or (gname == "output.weight" and not has_lm_head):
            continue
        m = re.match(r"blk\.(\d+)\.", gname)
        if m:
            idx = int(m.group(1))
            t = idx / (n_layers - 1) if n_layers > 1 else 1.0
        else:
            t = 0.0  # pre_weights (embeddings) and post_weights (final norm, lm_head) are planned at t = 0
        inputs = []
        for p, params in entries:
            tensors = loaded[p][1]
            src = gname
            if src not in tensors and gname == "output.weight":
                src = "token_embd.weight"  # tied_names fallback for a model without lm_head
            inputs.append((p, params, tensors[src]))
        yield gname, hname, t, inputs, base, slice_params, gp


def topk_ambiguous(cfg: dict) -> dict:
    """For magnitude sparsification (ties): per tensor, a boolean mask of the elements whose |delta| equals the
    k-th largest |delta| of some model while not all such equal elements fit in the top k. mergekit breaks those
    ties with torch's unstable argsort (unspecified order), so those elements cannot be compared."""
    out = {}
    if cfg["merge_method"] != "ties":
        return out
    for gname, hname, t, inputs, base, slice_params, gp in plan_tensors(cfg):
        b = [x for p, _, x in inputs if p == base][0]
        amb = np.zeros(b.shape, dtype=bool)
        for p, pp, x in inputs:
            if p == base:
                continue
            density = resolve("density", hname, [pp, slice_params, gp], t, float, 1.0)
            if density >= 1 or density <= 0:
                continue
            w = np.abs((x - b).astype(np.float32))
            k = max(1, int(density * w.size))
            flat = w.reshape(-1)
            tau = np.partition(flat, flat.size - k)[flat.size - k]
            if tau > 0 and int((flat >= tau).sum()) > k:  # a kept zero is still zero: ties at 0 do not matter
                amb |= (w == tau)
        if amb.any():
            out[gname] = amb
    return out


def numpy_merge(cfg: dict) -> dict:
    """cfg: config with absolute GGUF paths. Returns merged tensors by GGUF name (float32)."""
    method = cfg["merge_method"]
    if method not in ("linear", "slerp") and method not in METHOD_DEFAULTS:
        raise SystemExit(f"numpy re-implementation does not cover {method}")
    if method in ("dare_ties", "dare_linear"):
        raise SystemExit("DARE is random: no numpy reference")
    out = {}
    for gname, hname, t, inputs, base, slice_params, gp in plan_tensors(cfg):
        scopes = lambda params: [params, slice_params, gp]  # noqa: E731
        if method == "linear":
            normalize = resolve("normalize", hname, [slice_params, gp], t, bool, True)
            ws = [np.float32(resolve("weight", hname, scopes(pp), t, float, required=True)) for _, pp, _ in inputs]
            # torch's addcmul_ on this CPU is a fused multiply-add: acc = fma(x, w, acc), rounded once to float32
            # (the float64 product of two float32 values is exact, so float64 add + one rounding emulates it)
            acc = np.zeros_like(inputs[0][2], dtype=np.float32)
            for (_, _, x), w in zip(inputs, ws):
                acc = (acc.astype(np.float64) + x.astype(np.float64) * np.float64(w)).astype(np.float32)
            if normalize:
                acc = acc / np.float32(sum(ws[1:], ws[0]))
            out[gname] = acc.astype(np.float32)
        elif method == "slerp":
            tt = resolve("t", hname, [slice_params, gp], t, float, required=True)
            b = [x for p, _, x in inputs if p == base][0]
            o = [x for p, _, x in inputs if p != base][0]
            out[gname] = np_slerp(tt, b, o)
        else:
            consensus, sparsify, norm_default, _ = METHOD_DEFAULTS[method]
            normalize = resolve("normalize", hname, [slice_params, gp], t, bool, norm_default)
            lam = resolve("lambda", hname, [slice_params, gp], t, float, 1.0)
            b = [x for p, _, x in inputs if p == base][0]
            others = [(p, pp, x) for p, pp, x in inputs if p != base]
            deltas, ws = [], []
            for p, pp, x in others:
                d = (x - b).astype(np.float32)
                if sparsify == "magnitude":
                    d = np_magnitude(d, resolve("density", hname, scopes(pp), t, float, 1.0))
                w = np.float32(resolve("weight", hname, scopes(pp), t, float, required=True))
                deltas.append(d * w)
                ws.append(w)
            D = np.stack(deltas)
            W = np.array(ws, dtype=np.float32).reshape((-1,) + (1,) * b.ndim)
            if consensus == "sum":
                majority = np.where(D.sum(axis=0) >= 0, 1, -1).astype(np.float32)
                mask = (np.sign(D) == majority).astype(np.float32)
                mixed = (D * mask).sum(axis=0)
                div = (W * mask).sum(axis=0)
                div[div == 0] = 1
            else:
                mixed = D.sum(axis=0)
                div = W.sum(axis=0)
                div[np.abs(div) < 1e-8] = 1
            if normalize:
                mixed = mixed / div
            if lam != 1:
                mixed = mixed * np.float32(lam)
            out[gname] = (b + mixed).astype(np.float32)
    return out


# ----------------------------------------------------------------------------------------------------------
# Comparison

DETERMINISTIC = {"linear", "task_arithmetic", "ties", "slerp", "breadcrumbs", "breadcrumbs_ties", "nuslerp",
                 "multislerp", "karcher", "model_stock", "passthrough", "nearswap", "sce", "arcee_fusion", "ram",
                 "ramplus_tl"}
TYPE_TOL = {"F32": 1e-5, "F16": 1e-3, "BF16": 1e-2, "Q8_0": 1e-2}


def round_like(ref: np.ndarray, qtype: GGMLQuantizationType) -> np.ndarray:
    if qtype == GGMLQuantizationType.F32:
        return ref
    q = gguf.quants.quantize(np.ascontiguousarray(ref, dtype=np.float32), qtype)
    return gguf.quants.dequantize(q, qtype).astype(np.float32).reshape(ref.shape)


def compare_tensors(ours_path: Path, ref: dict, cfg: dict, tol: float | None, as_json: bool = False) -> dict:
    method = cfg["merge_method"]
    deterministic = method in DETERMINISTIC
    reader = GGUFReader(str(ours_path))
    ours_t = {t.name: t for t in reader.tensors}
    rows = []
    problems = []
    base_tensors = None
    if not deterministic:
        base_tensors = read_gguf_tensors(Path(base_path(cfg)))[1]
    ambiguous = topk_ambiguous(cfg) if method == "ties" else {}
    for name in [t.name for t in reader.tensors] + [n for n in ref if n not in ours_t]:
        if name not in ref:
            if gguf_to_hf(name) is None:
                rows.append({"tensor": name, "status": "not merged by mergekit (extra in ours)"})
            else:
                problems.append(f"{name}: in ours, not in mergekit's output")
                rows.append({"tensor": name, "status": "EXTRA"})
            continue
        if name not in ours_t:
            problems.append(f"{name}: missing in ours")
            rows.append({"tensor": name, "status": "MISSING"})
            continue
        t = ours_t[name]
        o = tensor_f32(t)
        r = ref[name].astype(np.float32)
        if o.shape != r.shape:
            problems.append(f"{name}: shape {o.shape} vs mergekit {r.shape}")
            rows.append({"tensor": name, "status": "SHAPE"})
            continue
        qname = t.tensor_type.name
        r_cmp = round_like(r, t.tensor_type) if deterministic else r
        d = np.abs(o.astype(np.float64) - r_cmp.astype(np.float64))
        n_amb = 0
        if name in ambiguous:
            # ties at the top-k boundary: mergekit's pick among equal magnitudes is unspecified; not compared
            n_amb = int(ambiguous[name].sum())
            d[ambiguous[name]] = 0
        max_ref = float(np.abs(r_cmp).max()) if r.size else 0.0
        max_diff = float(d.max()) if d.size else 0.0
        rel = max_diff / max(max_ref, 1e-30)
        l2 = float(np.linalg.norm(d) / max(np.linalg.norm(r_cmp.astype(np.float64)), 1e-30))
        row = {"tensor": name, "type": qname, "shape": list(o.shape), "max_abs_diff": max_diff, "max_abs_ref": max_ref,
               "rel": rel, "l2_rel": l2}
        if n_amb:
            row["topk_tie_elements_excluded"] = n_amb
        if deterministic:
            limit = tol if tol is not None else TYPE_TOL.get(qname, 1e-2)
            row["tol"] = limit
            row["status"] = "ok" if rel <= limit and np.isfinite(o).all() else "FAIL"
            if row["status"] == "FAIL":
                problems.append(f"{name}: rel {rel:.3g} > {limit:g}")
        else:
            b = base_tensors.get(name, base_tensors.get("token_embd.weight") if name == "output.weight" else None)
            if b is not None:
                row["frac_equal_base_ours"] = float(np.mean(o == b))
                row["frac_equal_base_mergekit"] = float(np.mean(r == b))
                nb_r = float(np.linalg.norm((r - b).astype(np.float64)))
                row["delta_norm_ratio"] = float(np.linalg.norm((o - b).astype(np.float64)) / max(nb_r, 1e-30))
            row["status"] = "random (statistics only)"
        rows.append(row)
    return {"method": method, "deterministic": deterministic, "rows": rows, "problems": problems}


def print_report(rep: dict, timings: dict | None = None) -> None:
    det = rep["deterministic"]
    if det:
        print(f"{'tensor':34} {'type':5} {'shape':>12} {'max|diff|':>11} {'max|ref|':>10} {'rel':>10} {'l2 rel':>10}  status")
    else:
        print(f"{'tensor':34} {'shape':>12} {'=base ours':>10} {'=base mk':>10} {'|d| ratio':>10}  status")
    excluded = sum(r.get("topk_tie_elements_excluded", 0) for r in rep["rows"])
    for r in rep["rows"]:
        if "shape" not in r:
            print(f"{r['tensor']:34} {r['status']}")
            continue
        shape = "x".join(str(s) for s in r["shape"])
        if det:
            amb = r.get("topk_tie_elements_excluded")
            print(f"{r['tensor']:34} {r['type']:5} {shape:>12} {r['max_abs_diff']:11.3e} {r['max_abs_ref']:10.3e} "
                  f"{r['rel']:10.3e} {r['l2_rel']:10.3e}  {r['status']}"
                  + (f" ({amb} top-k tie elements not compared)" if amb else ""))
        else:
            print(f"{r['tensor']:34} {shape:>12} {r.get('frac_equal_base_ours', float('nan')):10.4f} "
                  f"{r.get('frac_equal_base_mergekit', float('nan')):10.4f} {r.get('delta_norm_ratio', float('nan')):10.4f}  "
                  f"{r['status']}")
    compared = [r for r in rep["rows"] if "rel" in r]
    worst = max(compared, key=lambda r: r["rel"]) if compared else None
    status = "PASS" if not rep["problems"] else "FAIL"
    if not det:
        status = "INFO (random method, not checked)" if not rep["problems"] else "FAIL (tensor set differs)"
    extra = ""
    if excluded:
        extra += f" topk_tie_elements_excluded={excluded}"
    if timings:
        extra += " " + " ".join(f"{k}={v:.1f}s" for k, v in timings.items() if isinstance(v, float))
    if worst:
        print(f"summary: method={rep['method']} tensors={len(compared)} max_rel={worst['rel']:.3e} ({worst['tensor']}) "
              f"problems={len(rep['problems'])} {status}{extra}")
    else:
        print(f"summary: method={rep['method']} tensors={len(rep['rows'])} problems={len(rep['problems'])} {status}{extra}")
    for p in rep["problems"][:20]:
        print(f"  problem: {p}")


# ----------------------------------------------------------------------------------------------------------
# Fixture

N_LAYERS, N_EMBD, N_FF, N_HEAD, N_HEAD_KV, N_CTX, N_VOCAB = 2, 16, 32, 4, 2, 64, 32
HEAD_DIM = N_EMBD // N_HEAD
CHAT_TEMPLATE = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
                 "'<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] + list("abcdefghijklmnopqrstuvwxyz") + ["\u0120", "ab", "\u0120ab"]
MERGES = ["a b", "\u0120 ab"]


def fixture_tensor_shapes() -> list[tuple[str, tuple[int, ...]]]:
    """GGUF tensor names and torch-layout shapes ([rows, cols]; GGUF ne is the reverse)."""
    out = [("token_embd.weight", (N_VOCAB, N_EMBD))]
    kv = N_HEAD_KV * HEAD_DIM
    for i in range(N_LAYERS):
        out += [
            (f"blk.{i}.attn_norm.weight", (N_EMBD,)),
            (f"blk.{i}.attn_q.weight", (N_EMBD, N_EMBD)),
            (f"blk.{i}.attn_k.weight", (kv, N_EMBD)),
            (f"blk.{i}.attn_v.weight", (kv, N_EMBD)),
            (f"blk.{i}.attn_output.weight", (N_EMBD, N_EMBD)),
            (f"blk.{i}.ffn_norm.weight", (N_EMBD,)),
            (f"blk.{i}.ffn_gate.weight", (N_FF, N_EMBD)),
            (f"blk.{i}.ffn_up.weight", (N_FF, N_EMBD)),
            (f"blk.{i}.ffn_down.weight", (N_EMBD, N_FF)),
        ]
    out += [("output_norm.weight", (N_EMBD,)), ("output.weight", (N_VOCAB, N_EMBD))]
    return out


def fixture_models() -> dict[str, list[tuple[str, np.ndarray]]]:
    """base: N(0, 0.1) matrices, 1 + N(0, 0.05) norms. a, b: base + independent N(0, 0.05) (matrices) /
    N(0, 0.01) (norms) task vectors -- so SLERP between a and b takes the spherical branch on matrices
    (cos ~ 0.8) and the linear (colinear) branch on norm vectors (cos > 0.9995). Hand-made cases:
      * blk.1.attn_output.weight[0, 0:8]: base 0.0625, a 0.3125, b -0.6875 (deltas +0.25 / -0.75, exact in
        binary): with TIES weights 0.75 / 0.25 the weighted sign sum is exactly 0, which elects +1 (>= 0).
      * blk.0.ffn_norm.weight: b == base exactly (a zero task vector).
    """
    shapes = fixture_tensor_shapes()
    rng = np.random.default_rng(20240601)
    base = []
    for name, shape in shapes:
        if len(shape) == 1:
            base.append((name, (1.0 + 0.05 * rng.standard_normal(shape)).astype(np.float32)))
        else:
            base.append((name, (0.1 * rng.standard_normal(shape)).astype(np.float32)))
    base_d = dict(base)
    base_d["blk.1.attn_output.weight"][0, 0:8] = np.float32(0.0625)
    models = {"base": base}
    for mname, seed in (("a", 1), ("b", 2)):
        r = np.random.default_rng(seed)
        tensors = []
        for name, shape in shapes:
            sigma = 0.01 if len(shape) == 1 else 0.05
            x = (base_d[name] + (sigma * r.standard_normal(shape)).astype(np.float32)).astype(np.float32)
            if name == "blk.1.attn_output.weight":
                x[0, 0:8] = np.float32(0.3125 if mname == "a" else -0.6875)
            if name == "blk.0.ffn_norm.weight" and mname == "b":
                x = base_d[name].copy()
            tensors.append((name, x))
        models[mname] = tensors
    return models


def fixture_metadata(name: str):
    def add(w: GGUFWriter):
        w.add_type("model")
        w.add_name(f"synthlab merge fixture {name}")
        w.add_block_count(N_LAYERS)
        w.add_context_length(N_CTX)
        w.add_embedding_length(N_EMBD)
        w.add_feed_forward_length(N_FF)
        w.add_head_count(N_HEAD)
        w.add_head_count_kv(N_HEAD_KV)
        w.add_rope_freq_base(10000.0)
        w.add_layer_norm_rms_eps(1e-5)
        w.add_file_type(0)
        w.add_vocab_size(N_VOCAB)
        w.add_rope_dimension_count(HEAD_DIM)
        w.add_tokenizer_model("gpt2")
        w.add_tokenizer_pre("default")
        w.add_token_list(TOKENS)
        w.add_token_types([3, 3, 3] + [1] * (len(TOKENS) - 3))
        w.add_token_merges(MERGES)
        w.add_bos_token_id(1)
        w.add_eos_token_id(2)
        w.add_pad_token_id(2)
        w.add_add_bos_token(False)
        w.add_chat_template(CHAT_TEMPLATE)
        w.add_quantization_version(2)
    return add


def fixture_configs() -> dict[str, dict]:
    """The mergekit configs of the fixture. Names: <case>.yaml; 'expect' says whether expected-<case>.gguf exists."""
    F = "float32"
    return {
        # linear over all three models, weights normalized by their sum (normalize defaults to true for linear)
        "linear": {"models": [
            {"model": "base.gguf", "parameters": {"weight": 1.0}},
            {"model": "a.gguf", "parameters": {"weight": 2.0}},
            {"model": "b.gguf", "parameters": {"weight": 1.5}},
        ], "merge_method": "linear", "parameters": {"normalize": True}, "dtype": F},
        # linear without normalization: plain weighted sum (weights sum to 1.3)
        "linear-raw": {"models": [
            {"model": "a.gguf", "parameters": {"weight": 0.6}},
            {"model": "b.gguf", "parameters": {"weight": 0.7}},
        ], "merge_method": "linear", "parameters": {"normalize": False}, "dtype": F},
        # task arithmetic: base + 0.6 (a - base) + 0.9 (b - base); normalize defaults to false
        "task-arithmetic": {"models": [
            {"model": "a.gguf", "parameters": {"weight": 0.6}},
            {"model": "b.gguf", "parameters": {"weight": 0.9}},
        ], "merge_method": "task_arithmetic", "base_model": "base.gguf", "dtype": F},
        # task arithmetic normalized by the weight sum, then scaled by lambda
        "task-arithmetic-lambda": {"models": [
            {"model": "a.gguf", "parameters": {"weight": 0.6}},
            {"model": "b.gguf", "parameters": {"weight": 0.9}},
        ], "merge_method": "task_arithmetic", "base_model": "base.gguf",
            "parameters": {"normalize": True, "lambda": 0.8}, "dtype": F},
        # TIES: top-50% magnitude per task vector, weighted sign election (sum), normalize (default true)
        "ties": {"models": [
            {"model": "a.gguf", "parameters": {"weight": 0.75, "density": 0.5}},
            {"model": "b.gguf", "parameters": {"weight": 0.25, "density": 0.5}},
        ], "merge_method": "ties", "base_model": "base.gguf", "dtype": F},
        # TIES with per-model densities whose k = int(density * n) truncates (0.3 * 16 = 4.8 -> 4, ...),
        # normalize off, int8_mask on (no numerical effect), the base listed among the models (ignored weight)
        "ties-mixed": {"models": [
            {"model": "base.gguf"},
            {"model": "a.gguf", "parameters": {"weight": 0.75, "density": 0.3}},
            {"model": "b.gguf", "parameters": {"weight": 0.4, "density": 0.7}},
        ], "merge_method": "ties", "base_model": "base.gguf",
            "parameters": {"normalize": False, "int8_mask": True}, "dtype": F},
        # SLERP a -> b (t = 0 is the base_model, a)
        "slerp": {"models": [{"model": "a.gguf"}, {"model": "b.gguf"}], "merge_method": "slerp",
                  "base_model": "a.gguf", "parameters": {"t": 0.3}, "dtype": F},
        # SLERP with per-layer gradients and filters on the HF tensor names; the last entry (no filter) is the
        # fallback for norms, embeddings and lm_head. Layer i of n gets position i/(n-1); embeddings, the final
        # norm and lm_head get position 0.
        "slerp-gradient": {"models": [{"model": "a.gguf"}, {"model": "b.gguf"}], "merge_method": "slerp",
                           "base_model": "a.gguf", "parameters": {"t": [
                               {"filter": "self_attn", "value": [0.2, 0.5, 0.9]},
                               {"filter": "mlp", "value": [0.8, 0.4, 0.1]},
                               {"value": [0.1, 0.6]},
                           ]}, "dtype": F},
        # the same merge written the way mergekit's README writes SLERP (slices + layer_range); same result
        "slerp-slices": {"slices": [{"sources": [
            {"model": "a.gguf", "layer_range": [0, N_LAYERS]},
            {"model": "b.gguf", "layer_range": [0, N_LAYERS]},
        ]}], "merge_method": "slerp", "base_model": "a.gguf", "parameters": {"t": [
            {"filter": "self_attn", "value": [0.2, 0.5, 0.9]},
            {"filter": "mlp", "value": [0.8, 0.4, 0.1]},
            {"value": [0.1, 0.6]},
        ]}, "dtype": F},
        # DARE (random): configs only, see dare-stats.json
        "dare_ties": {"models": [
            {"model": "a.gguf", "parameters": {"weight": 0.75, "density": 0.5}},
            {"model": "b.gguf", "parameters": {"weight": 0.25, "density": 0.3}},
        ], "merge_method": "dare_ties", "base_model": "base.gguf", "dtype": F},
        "dare_linear": {"models": [
            {"model": "a.gguf", "parameters": {"weight": 0.6, "density": 0.5}},
            {"model": "b.gguf", "parameters": {"weight": 0.9, "density": 0.3}},
        ], "merge_method": "dare_linear", "base_model": "base.gguf", "dtype": F},
    }


def yaml_text(cfg: dict, comment: str) -> str:
    body = yaml.safe_dump(cfg, sort_keys=False, default_flow_style=None, width=100)
    return "".join(f"# {line}\n" for line in comment.splitlines()) + body


def dare_stats(fixture_dir: Path, cfgs: dict, runs: int) -> dict:
    """Statistics of mergekit's own DARE kernel (GeneralizedTaskArithmeticMerge.merge_group via the registered
    method) over `runs` seeds, per tensor, plus the closed-form expectations."""
    import torch
    from mergekit import merge_methods
    from mergekit.merge_methods.base import TensorGroup
    from mergekit.sparsify import RescaleNorm, SparsificationMethod, sparsify

    base_t = read_gguf_tensors(fixture_dir / "base.gguf")[1]
    mt = {m: read_gguf_tensors(fixture_dir / f"{m}.gguf")[1] for m in ("a", "b")}
    result = {
        "about": ("DARE statistics from mergekit's own code (mergekit.sparsify.bernoulli with RescaleNorm.l1 and the "
                  "registered dare_ties / dare_linear methods) over many torch seeds, per fixture tensor. "
                  "mergekit drops each task-vector element independently with probability 1 - density "
                  "(torch.bernoulli) and, with rescale (default true), multiplies the kept elements by "
                  "sum|delta| / sum|kept delta| (L1-norm preservation per tensor), NOT by exactly 1/density; "
                  "the expected value of that factor is close to 1/density for large tensors."),
        "runs": runs,
        "torch": torch.__version__,
        "configs": {},
    }
    for case in ("dare_ties", "dare_linear"):
        cfg = cfgs[case]
        method = merge_methods.get(cfg["merge_method"])
        models = {m["model"].removesuffix(".gguf"): m["parameters"] for m in cfg["models"]}
        per_model = {}
        for m, params in models.items():
            d = params["density"]
            per_model[m] = {"weight": params["weight"], "density": d, "expected_kept_fraction": d,
                            "expected_rescale_approx": 1.0 / d, "tensors": {}}
        per_tensor_out = {}
        for name, b in base_t.items():
            bt = torch.from_numpy(b.copy())
            # per-model sparsification statistics
            for m, params in models.items():
                delta = torch.from_numpy(mt[m][name] - b)
                nz = delta != 0
                kept_fracs, scales = [], []
                for seed in range(runs):
                    torch.manual_seed(seed)
                    s = sparsify(delta, density=params["density"], method=SparsificationMethod.random,
                                 rescale_norm=RescaleNorm.l1)
                    kept = (s != 0) & nz
                    kf = kept.sum().item() / max(nz.sum().item(), 1)
                    kept_fracs.append(kf)
                    if kept.any():
                        scales.append((s[kept] / delta[kept]).mean().item())
                kf = np.array(kept_fracs)
                sc = np.array(scales) if scales else np.array([float("nan")])
                per_model[m]["tensors"][name] = {
                    "numel": int(delta.numel()), "nonzero_delta": int(nz.sum().item()),
                    "kept_fraction_mean": float(kf.mean()), "kept_fraction_std": float(kf.std()),
                    "rescale_mean": float(sc.mean()), "rescale_std": float(sc.std()),
                    "rescale_min": float(sc.min()), "rescale_max": float(sc.max()),
                    "l1_rescale_rule": "factor = sum|delta| / sum|delta * mask|",
                }
            # merged-output statistics through the registered method
            eq_base, means = [], []
            acc = None
            for seed in range(runs):
                torch.manual_seed(seed)
                group = TensorGroup.from_tensors(
                    [bt] + [torch.from_numpy(mt[m][name].copy()) for m in models],
                    ids=["base"] + list(models), base_index=0, name=gguf_to_hf(name))
                (o,) = method([group], parameters={
                    "weight": {m: p["weight"] for m, p in models.items()},
                    "density": {m: p["density"] for m, p in models.items()}})
                o = o.numpy()
                eq_base.append(float(np.mean(o == b)))
                acc = o.astype(np.float64) if acc is None else acc + o
            mean_out = acc / runs
            nzs = [(mt[m][name] != b) for m in models]
            p_all_dropped = np.ones_like(b, dtype=np.float64)
            for m, nzm in zip(models, nzs):
                p_all_dropped *= np.where(nzm, 1 - models[m]["density"], 1.0)
            entry = {
                "frac_equal_base_mean": float(np.mean(eq_base)), "frac_equal_base_std": float(np.std(eq_base)),
                "frac_equal_base_expected": float(p_all_dropped.mean()),
            }
            if case == "dare_linear":
                # E[DARE-linear output] = the task-arithmetic result with the same weights (normalize off); the
                # mean of `runs` outputs differs from it by noise of expected L2 size
                # sqrt(sum_i w_i^2 sum_e delta_ie^2 (1/p_i - 1) / runs)
                deltas = {m: (mt[m][name] - b).astype(np.float64) for m in models}
                ta_delta = sum(p["weight"] * deltas[m] for m, p in models.items())
                denom = max(float(np.linalg.norm(ta_delta)), 1e-30)
                noise = math.sqrt(sum(p["weight"] ** 2 * float((deltas[m] ** 2).sum()) * (1 / p["density"] - 1)
                                      for m, p in models.items()) / runs)
                entry["mean_output_vs_task_arithmetic_l2_rel"] = float(
                    np.linalg.norm(mean_out - b.astype(np.float64) - ta_delta) / denom)
                entry["mean_output_vs_task_arithmetic_l2_rel_expected_noise"] = noise / denom
            per_tensor_out[name] = entry
        result["configs"][case] = {
            "yaml": f"{case}.yaml", "method": cfg["merge_method"],
            "normalize_default": False, "rescale_default": True, "consensus": "sum" if case == "dare_ties" else None,
            "expected_frac_equal_base_formula": ("an output element equals the base's exactly iff every model's delta "
                                                 "element was dropped: prod_i (1 - density_i) over models whose delta "
                                                 "element is nonzero (TIES' sign election never removes the last kept "
                                                 "element: with one survivor the elected sign is its own)"),
            "models": per_model, "output": per_tensor_out,
        }
    return result


def round_floats(x, digits=6):
    if isinstance(x, float):
        return float(f"{x:.{digits}g}") if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: round_floats(v, digits) for k, v in x.items()}
    if isinstance(x, list):
        return [round_floats(v, digits) for v in x]
    return x


def cmd_fixture(args) -> int:
    import torch
    torch.set_num_threads(1)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*"):
        if old.is_file() and (old.suffix in (".gguf", ".yaml", ".json")):
            old.unlink()
    models = fixture_models()
    for name, tensors in models.items():
        write_gguf(out / f"{name}.gguf", "llama", None, tensors, extra_kv=fixture_metadata(name))
    cfgs = fixture_configs()
    base_reader = GGUFReader(str(out / "base.gguf"))
    work = Path(tempfile.mkdtemp(prefix="mk-fixture-"))
    summary = {}
    try:
        for case, cfg in cfgs.items():
            comment = (f"synthlab merge fixture '{case}' (mergekit {mk_version()} YAML; model paths are relative to this "
                       f"file's directory).\nGenerated by scripts/reference/merge_reference.py fixture; do not edit.")
            if not case.startswith("dare"):
                comment += f"\nExpected output (mergekit's merge, F32): expected-{case}.gguf"
            else:
                comment += "\nRandom method: no expected output; see dare-stats.json"
            (out / f"{case}.yaml").write_text(yaml_text(cfg, comment))
            if case.startswith("dare"):
                continue
            abs_cfg = resolve_gguf_paths(cfg, out)
            tensors, _ = run_mergekit(abs_cfg, work / case)
            order = [t.name for t in base_reader.tensors]
            assert set(order) == set(tensors), (case, set(order) ^ set(tensors))
            write_gguf(out / f"expected-{case}.gguf", "llama", base_reader, [(n, tensors[n]) for n in order],
                       overrides={"general.name": f"synthlab merge fixture expected-{case}"})
            # self-check: numpy re-implementation of the documented semantics
            mine = numpy_merge(abs_cfg)
            worst = max(float(np.abs(mine[n] - tensors[n]).max() / max(np.abs(tensors[n]).max(), 1e-30)) for n in order)
            exact = sum(int(np.array_equal(mine[n], tensors[n])) for n in order)
            summary[case] = {"numpy_vs_mergekit_max_rel": worst, "bit_identical_tensors": f"{exact}/{len(order)}"}
            print(f"{case:24} numpy vs mergekit: max rel {worst:.2e}, bit-identical {exact}/{len(order)}")
            if worst > 1e-6:
                print(f"self-check FAILED for {case}", file=sys.stderr)
                return 1
        # the two SLERP spellings must agree
        a = read_gguf_tensors(out / "expected-slerp-gradient.gguf")[1]
        b = read_gguf_tensors(out / "expected-slerp-slices.gguf")[1]
        assert all(np.array_equal(a[n], b[n]) for n in a), "slerp-gradient and slerp-slices differ"
        stats = dare_stats(out, cfgs, args.dare_runs)
        (out / "dare-stats.json").write_text(json.dumps(round_floats(stats), indent=1, sort_keys=False) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for f in sorted(out.iterdir()):
        print(f"{f.stat().st_size:8d}  {f.name}")
    return 0


def mk_version() -> str:
    try:
        from importlib.metadata import version
        return version("mergekit")
    except Exception:
        return "?"


# ----------------------------------------------------------------------------------------------------------
# Other subcommands


def cmd_compare(args) -> int:
    cfg = load_config(Path(args.config))
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="mk-compare-"))
    try:
        if args.mergekit_out:
            ref, info = load_mergekit_output(Path(args.mergekit_out)), {"convert_s": 0.0, "merge_s": 0.0}
        else:
            ref, info = run_mergekit(cfg, work, seed=args.seed)
        rep = compare_tensors(Path(args.ours), ref, cfg, args.tol)
        print(f"# mergekit {mk_version()} vs {args.ours} ({cfg['merge_method']})")
        print_report(rep, None if args.mergekit_out else {"convert": info["convert_s"], "mergekit": info["merge_s"]})
        if args.json:
            Path(args.json).write_text(json.dumps({**rep, "timings": {"convert_s": info["convert_s"],
                                                                      "merge_s": info["merge_s"]}}, indent=1))
        return 1 if rep["problems"] else 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def cmd_mergekit(args) -> int:
    cfg = load_config(Path(args.config))
    if args.mergekit_out:
        tensors = load_mergekit_output(Path(args.mergekit_out))
        write_merged_gguf(Path(args.output), cfg, tensors)
        print(f"mergekit: {len(tensors)} tensors from {args.mergekit_out} -> {args.output}")
        return 0
    work = Path(tempfile.mkdtemp(prefix="mk-run-"))
    try:
        t0 = time.time()
        tensors, info = run_mergekit(cfg, work, seed=args.seed)
        write_merged_gguf(Path(args.output), cfg, tensors)
        print(f"mergekit: {len(tensors)} tensors -> {args.output} (convert {info['convert_s']:.1f}s, "
              f"mergekit {info['merge_s']:.1f}s, total {time.time() - t0:.1f}s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def cmd_hfconfig(args) -> int:
    cfg = load_config(Path(args.config))
    path, dt = prepare_hf_config(cfg, Path(args.output))
    print(" ".join(mergekit_command(path, Path(args.out_dir or "OUT_DIR"), args.seed)))
    return 0


def cmd_numpy(args) -> int:
    cfg = load_config(Path(args.config))
    t0 = time.time()
    tensors = numpy_merge(cfg)
    write_merged_gguf(Path(args.output), cfg, tensors)
    print(f"numpy: {len(tensors)} tensors -> {args.output} ({time.time() - t0:.1f}s)")
    return 0


def cmd_variants(args) -> int:
    src = Path(args.base)
    out = Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    reader, tensors = read_gguf_tensors(src)
    arch = field_value(reader, "general.architecture")
    order = [t.name for t in reader.tensors]
    write_gguf(out / "base-f32.gguf", arch, reader, [(n, tensors[n]) for n in order])
    for i, vname in enumerate(("variant-a", "variant-b")):
        rng = np.random.default_rng(1000 + i)
        vt = []
        for n in order:
            x = tensors[n]
            rms = float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) or 1.0
            d = (args.scale * rms * rng.standard_normal(x.shape)).astype(np.float32)
            vt.append((n, (x + d).astype(np.float32)))
        write_gguf(out / f"{vname}.gguf", arch, reader, vt,
                   overrides={"general.name": f"{field_value(reader, 'general.name', 'model')} {vname}"})
    print(f"variants: {out}/base-f32.gguf variant-a.gguf variant-b.gguf (scale {args.scale})")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fixture", help="rebuild Tests/LabMergeTests/Fixtures")
    f.add_argument("--out", default=str(FIXTURES))
    f.add_argument("--dare-runs", type=int, default=200)
    c = sub.add_parser("compare", help="mergekit vs our output GGUF")
    c.add_argument("config")
    c.add_argument("ours")
    c.add_argument("--tol", type=float, default=None)
    c.add_argument("--seed", type=int, default=None)
    c.add_argument("--keep", default=None, help="keep mergekit's work directory here")
    c.add_argument("--json", default=None)
    c.add_argument("--mergekit-out", default=None, help="use this existing mergekit output directory")
    m = sub.add_parser("mergekit", help="mergekit's merge written as GGUF")
    m.add_argument("config")
    m.add_argument("-o", "--output", required=True)
    m.add_argument("--seed", type=int, default=None)
    m.add_argument("--mergekit-out", default=None, help="convert this existing mergekit output directory")
    h = sub.add_parser("hfconfig", help="convert a config's GGUF inputs to HF dirs, write the rewritten config, "
                                        "print the mergekit-yaml command")
    h.add_argument("config")
    h.add_argument("-o", "--output", required=True, help="rewritten config path")
    h.add_argument("--out-dir", default=None, help="mergekit output directory for the printed command")
    h.add_argument("--seed", type=int, default=None)
    n = sub.add_parser("numpy", help="numpy re-implementation written as GGUF")
    n.add_argument("config")
    n.add_argument("-o", "--output", required=True)
    v = sub.add_parser("variants", help="F32 base + two seeded variants for the benchmark")
    v.add_argument("base")
    v.add_argument("outdir")
    v.add_argument("--scale", type=float, default=0.05)
    args = p.parse_args(argv)
    return {"fixture": cmd_fixture, "compare": cmd_compare, "mergekit": cmd_mergekit, "numpy": cmd_numpy,
            "variants": cmd_variants, "hfconfig": cmd_hfconfig}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
