"""Summarise the Llama-3-SEC recipe's JSON outputs (scripts/recipes/llama3-sec.sh) as tables."""
import json
import math
import sys

out = sys.argv[1]


def load(name):
    with open(f"{out}/{name}") as f:
        return json.load(f)


def sets(stage):
    return {r["set"]: r for r in stage["results"]}


def ppl(stage, kind):
    found = [r for r in stage["results"] if r["kind"] == kind]
    return math.exp(found[0]["loss"]) if found else float("nan")


def mc(job, stage_name):
    for b in job.get("benchmarks", []):
        if b["stage"] == stage_name and b["items"]:
            return 100.0 * b["correct"] / b["items"]
    return float("nan")


cpt, plain, merged, lab = load("cpt.json"), load("cpt-no-replay.json"), load("merged.json"), load("lab.json")
rows = []
base = cpt["evaluations"][0]
rows.append(("instruct model (start)", ppl(base, "document"), ppl(base, "general"), mc(cpt, "base")))
rows.append(("after CPT with general text", ppl(cpt["evaluations"][-1], "document"), ppl(cpt["evaluations"][-1], "general"), mc(cpt, "after cpt")))
rows.append(("after CPT, documents only", ppl(plain["evaluations"][-1], "document"), ppl(plain["evaluations"][-1], "general"), mc(plain, "after cpt")))
merged_stage = merged["evaluations"][-1]
rows.append(("TIES merge of CPT into instruct", ppl(merged_stage, "document"), ppl(merged_stage, "general"), mc(merged, merged_stage["stage"])))
for stage in lab["evaluations"][1:]:
    rows.append((f"merged, then LAB: {stage['stage']}", ppl(stage, "document"), ppl(stage, "general"), mc(lab, stage["stage"])))

print(f"{'stage':40} {'document ppl':>13} {'general ppl':>12} {'ARC-Easy %':>11}")
for name, d, g, a in rows:
    print(f"{name:40} {d:13.3f} {g:12.3f} {a:11.1f}")

start_d, start_g = rows[0][1], rows[0][2]
cpt_d, cpt_g = rows[1][1], rows[1][2]
plain_g = rows[2][2]
merge_d, merge_g = rows[3][1], rows[3][2]
print()
print(f"CPT lowers held-out document perplexity by {100 * (1 - cpt_d / start_d):.1f}% (documents only: {100 * (1 - rows[2][1] / start_d):.1f}%)")
print(f"general-text perplexity rises {100 * (cpt_g / start_g - 1):+.1f}% with general text mixed in, {100 * (plain_g / start_g - 1):+.1f}% without")
gain = start_d - cpt_d
kept = (start_d - merge_d) / gain if gain else float("nan")
print(f"the TIES merge is {100 * (merge_g / start_g - 1):+.1f}% from the instruct model's general-text perplexity and keeps {100 * kept:.0f}% of the document gain")

print("\nLAB phases on the merged model: held-out loss per set (perplexity for documents and general text)")
stages = lab["evaluations"]
print(f"{'set':44} " + " ".join(f"{s['stage']:>18}" for s in stages))
for r in stages[0]["results"]:
    cells = []
    for s in stages:
        v = sets(s)[r["set"]]
        cells.append(f"{math.exp(v['loss']):18.3f}" if v["kind"] in ("document", "general") else f"{v['loss']:18.4f}")
    print(f"{r['set'][:44]:44} " + " ".join(cells))
acc = lab.get("task_accuracy", [])
if acc:
    print("\ntask accuracy (graded by the verifiers): " + ", ".join(
        f"{s['stage']}: {sum(l['correct'] for l in s['leaves'])}/{sum(l['asked'] for l in s['leaves'])}" for s in acc))
