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


DOCS, WIKI, GENERAL = "documents (held out)", "general text (held-out Wikipedia)", "general text"


def ppl(stage, name):
    found = [r for r in stage["results"] if r["set"] == name]
    return math.exp(found[0]["loss"]) if found else float("nan")


def chat(stage):
    """Mean held-out loss of the leaves' samples (the instruct format), nan when the job had none."""
    found = [r for r in stage["results"] if r["kind"] in ("knowledge", "skill")]
    return sum(r["loss"] for r in found) / len(found) if found else float("nan")


def mc(job, stage_name):
    for b in job.get("benchmarks", []):
        if b["stage"] == stage_name and b["items"]:
            return 100.0 * b["correct"] / b["items"]
    return float("nan")


cpt, plain, merged, lab = load("cpt.json"), load("cpt-no-replay.json"), load("merged.json"), load("lab.json")
def row(name, stage, job, stage_name):
    return (name, ppl(stage, DOCS), ppl(stage, WIKI), ppl(stage, GENERAL), chat(stage), mc(job, stage_name))


rows = [row("instruct model (start)", cpt["evaluations"][0], cpt, "base"),
        row("after CPT with general text", cpt["evaluations"][-1], cpt, "after cpt"),
        row("after CPT, documents only", plain["evaluations"][-1], plain, "after cpt")]
merged_stage = merged["evaluations"][-1]
rows.append(row("TIES merge of CPT into instruct", merged_stage, merged, merged_stage["stage"]))
for stage in lab["evaluations"][1:]:
    rows.append(row(f"merged, then LAB: {stage['stage']}", stage, lab, stage["stage"]))

print("perplexity of held-out documents, held-out Wikipedia paragraphs (never replayed) and the reference general")
print("text; mean held-out loss of the run's samples in the chat format; ARC-Easy acc_norm")
print(f"{'stage':40} {'documents':>10} {'Wikipedia':>10} {'general':>8} {'chat loss':>10} {'ARC %':>6}")
for name, d, w, g, c, a in rows:
    print(f"{name:40} {d:10.3f} {w:10.3f} {g:8.3f} {c:10.4f} {a:6.1f}")

start, withr, without, merge = rows[0], rows[1], rows[2], rows[3]
print()
print(f"CPT lowers held-out document perplexity by {100 * (1 - withr[1] / start[1]):.1f}% with general text mixed in, "
      f"{100 * (1 - without[1] / start[1]):.1f}% without")
for index, label in ((2, "held-out Wikipedia"), (3, "reference general text")):
    print(f"{label} perplexity: {100 * (withr[index] / start[index] - 1):+.1f}% with general text mixed in, "
          f"{100 * (without[index] / start[index] - 1):+.1f}% without")
print(f"chat-format held-out loss: {withr[4] - start[4]:+.4f} with general text, {without[4] - start[4]:+.4f} without")
gain = start[1] - withr[1]
kept = (start[1] - merge[1]) / gain if gain else float("nan")
print(f"the TIES merge: held-out Wikipedia {100 * (merge[2] / start[2] - 1):+.1f}%, reference general text {100 * (merge[3] / start[3] - 1):+.1f}% "
      f"from the instruct model's; it keeps {100 * kept:.0f}% of the CPT document gain")

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
