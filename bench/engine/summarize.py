#!/usr/bin/env python3
"""Prints bench/engine/run.sh's results: medians per format and kernel variant, ratios ours/peer.

    summarize.py RESULTS.jsonl [--threads N] [--kernels "best avx2"]
"""
import argparse, json, statistics

parser = argparse.ArgumentParser()
parser.add_argument("results")
parser.add_argument("--threads", default="2")
parser.add_argument("--kernels", default="best")
args = parser.parse_args()
rows = [json.loads(line) for line in open(args.results) if line.strip()]
kernels = args.kernels.split()


def med(values):
    values = list(values)
    return statistics.median(values) if values else float("nan")


def peer_of(r):
    return r.get("peer", "native")


# Our forced AVX2 kernels meet the AVX2-only build of the peer (what an AVX2-only CPU runs) and,
# as the harder bar, the native one; our best kernels meet the native build.
def peers_for(kernel, available):
    return [p for p in (["avx2", "native"] if kernel == "avx2" else ["native"]) if p in available]


peer_rows = [r for r in rows if r["engine"] == "llama.cpp" and r["kind"] == "single"]
if peer_rows:
    builds = sorted({peer_of(r) for r in peer_rows})
    flags = {"native": "-DGGML_NATIVE=ON", "avx2": "AVX2-only: GGML_NATIVE=OFF, AVX2/FMA/F16C/BMI2, no AVX-512"}
    print(f"CPU: {peer_rows[0]['cpu']}; llama.cpp build {peer_rows[0]['build']}; peers: "
          + "; ".join(f"{b} ({flags.get(b, b)})" for b in builds) + f"; threads {args.threads}")
variants = sorted({r.get("kernel_name", r.get("kernel")) for r in rows if r["engine"] == "synthlab"})
print("medians of the repeats; llama.cpp: best of flash attention off/on, runs before and after ours; RSS = peak resident MiB\n")

formats = list(dict.fromkeys(r["format"] for r in rows if r["kind"] == "single"))
if formats:
    header = (f"{'format':<8}{'kernel':<8}{'pp512':>9}{'tg128':>9}{'peer':>8}{'llama pp':>10}{'llama tg':>10}{'pp ×':>7}{'tg ×':>7}"
              f"{'RSS':>7}{'llama RSS':>11}")
    print(header)
    for fmt in formats:
        for kernel in kernels:
            ours = [r for r in rows if r["kind"] == "single" and r["engine"] == "synthlab" and r["format"] == fmt and r["kernel"] == kernel]
            if not ours:
                continue
            pp, tg, rss = med(r["pp"] for r in ours), med(r["tg"] for r in ours), med(r["rss_kib"] for r in ours) / 1024
            available = {peer_of(r) for r in rows if r["kind"] == "single" and r["engine"] == "llama.cpp" and r["format"] == fmt}
            for build in peers_for(kernel, available):
                peer = [r for r in rows if r["kind"] == "single" and r["engine"] == "llama.cpp" and r["format"] == fmt and peer_of(r) == build]
                ppp, ptg, prss = med(r["pp"] for r in peer), med(r["tg"] for r in peer), med(r["rss_kib"] for r in peer) / 1024
                print(f"{fmt:<8}{kernel:<8}{pp:>9.1f}{tg:>9.1f}{build:>8}{ppp:>10.1f}{ptg:>10.1f}{pp / ppp:>7.2f}{tg / ptg:>7.2f}"
                      f"{rss:>7.0f}{prss:>11.0f}")

agg = [r for r in rows if r["kind"] == "aggregate"]
if agg:
    print("\naggregate decode tokens/s (128-token prompts, 128 generated each)")
    print(f"{'format':<8}{'kernel':<8}{'seqs':>5}{'synthlab':>10}{'peer':>8}{'llama fa=off':>14}{'llama fa=on':>13}{'ratio':>7}{'RSS':>7}{'llama RSS':>11}")
    for fmt in dict.fromkeys(r["format"] for r in agg):
        for kernel in kernels:
            for n in sorted({r["parallel"] for r in agg if r["format"] == fmt}):
                ours = [r for r in agg if r["engine"] == "synthlab" and r["format"] == fmt and r.get("kernel") == kernel and r["parallel"] == n]
                if not ours:
                    continue
                decode = med(r["decode"] for r in ours)
                available = {peer_of(r) for r in agg if r["engine"] == "llama.cpp" and r["format"] == fmt}
                for build in peers_for(kernel, available):
                    peer = [r for r in agg if r["engine"] == "llama.cpp" and r["format"] == fmt and r["parallel"] == n and peer_of(r) == build]
                    off = med(r["decode"] for r in peer if r["fa"] == "off")
                    on = med(r["decode"] for r in peer if r["fa"] == "on")
                    prss = med(r["rss_kib"] for r in peer) / 1024
                    print(f"{fmt:<8}{kernel:<8}{n:>5}{decode:>10.1f}{build:>8}{off:>14.1f}{on:>13.1f}{decode / max(off, on):>7.2f}"
                          f"{med(r['rss_kib'] for r in ours) / 1024:>7.0f}{prss:>11.0f}")

serve = [r for r in rows if r["kind"] == "serve"]
if serve:
    print("\nserving: 32 chat requests, 8 concurrent, up to 128 tokens each")
    print(f"{'format':<8}{'server':<28}{'tokens/s':>9}{'p50 s':>8}{'p95 s':>8}{'RSS':>7}{'ratio':>7}  against")
    for fmt in dict.fromkeys(r["format"] for r in serve):
        peers = {b: [r for r in serve if r["engine"] == "llama.cpp" and r["format"] == fmt and peer_of(r) == b]
                 for b in dict.fromkeys(peer_of(r) for r in serve if r["engine"] == "llama.cpp")}
        rates = {b: med(r["tokens_per_second"] for r in group) for b, group in peers.items() if group}
        lines = [(f"llama-server -np 8 {b}", group, [b]) for b, group in peers.items() if group] + [
            (f"synthlab serve {k}", [r for r in serve if r["engine"] == "synthlab" and r["format"] == fmt and r["kernel"] == k],
             peers_for(k, set(rates))) for k in kernels
        ]
        for label, group, against in lines:
            if not group:
                continue
            rate = med(r["tokens_per_second"] for r in group)
            for b in against:
                print(f"{fmt:<8}{label:<28}{rate:>9.1f}{med(r['latency_p50'] for r in group):>8.2f}{med(r['latency_p95'] for r in group):>8.2f}"
                      f"{med(r['rss_kib'] for r in group) / 1024:>7.0f}{rate / rates[b]:>7.2f}  {b}")
