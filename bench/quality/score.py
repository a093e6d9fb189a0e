#!/usr/bin/env python3
"""Scores `synthlab verify --json` output against a labelled set.

usage: score.py LABELLED.jsonl VERIFY-OUTPUT.jsonl [--json]

Precision = accepted candidates that are labelled good / all accepted.
Recall    = accepted good candidates / all good candidates.
Per leaf, per failure class (which bad candidates got through), and the confusion counts.
"""
import json
import sys
from collections import defaultdict


def main():
    labelled_path, output_path = sys.argv[1], sys.argv[2]
    as_json = "--json" in sys.argv
    labels = {}
    for line in open(labelled_path, encoding="utf-8"):
        if line.strip():
            row = json.loads(line)
            labels[str(row["id"])] = row
    decided = {}
    errors = []
    for line in open(output_path, encoding="utf-8"):
        if not line.strip():
            continue
        row = json.loads(line)
        if "error" in row:
            errors.append(row)
            continue
        decided[str(row["id"])] = row
    missing = [i for i in labels if i not in decided]

    def counts(items):
        tp = sum(1 for r, d in items if r["label"] == "good" and d["accepted"])
        fp = sum(1 for r, d in items if r["label"] != "good" and d["accepted"])
        fn = sum(1 for r, d in items if r["label"] == "good" and not d["accepted"])
        tn = sum(1 for r, d in items if r["label"] != "good" and not d["accepted"])
        precision = tp / (tp + fp) if tp + fp else None
        recall = tp / (tp + fn) if tp + fn else None
        return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": precision, "recall": recall}

    pairs = [(labels[i], decided[i]) for i in labels if i in decided]
    overall = counts(pairs)
    by_leaf = defaultdict(list)
    by_class = defaultdict(list)
    for r, d in pairs:
        by_leaf[r["leaf"]].append((r, d))
        by_class[r["class"]].append((r, d))
    leaks = [
        {"id": r["id"], "class": r["class"], "leaf": r["leaf"]}
        for r, d in pairs if r["label"] != "good" and d["accepted"]
    ]
    lost = []
    for r, d in pairs:
        if r["label"] == "good" and not d["accepted"]:
            rejection = next((v for v in d["verdicts"] if v["decision"] == "reject"), {})
            lost.append({"id": r["id"], "filter": rejection.get("filter"), "reason": rejection.get("reason")})
    result = {
        "set": labelled_path, "overall": overall,
        "by_leaf": {k: counts(v) for k, v in sorted(by_leaf.items())},
        "by_class": {k: {"n": len(v), "accepted": sum(1 for _, d in v if d["accepted"]),
                         "rejected": sum(1 for _, d in v if not d["accepted"])} for k, v in sorted(by_class.items())},
        "accepted_bad": leaks, "rejected_good": lost, "errors": len(errors), "missing": missing,
    }
    if as_json:
        print(json.dumps(result, indent=1))
        return

    def fmt(x):
        return "  -  " if x is None else f"{x:.3f}"

    print(f"== {labelled_path}: {len(pairs)} verified, {len(errors)} errors, {len(missing)} missing")
    o = overall
    print(f"precision {fmt(o['precision'])}  recall {fmt(o['recall'])}   confusion: accepted good {o['tp']}, "
          f"accepted bad {o['fp']}, rejected good {o['fn']}, rejected bad {o['tn']}")
    print(f"{'leaf':<58} {'prec':>6} {'recall':>6} {'tp':>4} {'fp':>4} {'fn':>4} {'tn':>4}")
    for leaf, c in result["by_leaf"].items():
        print(f"{leaf:<58} {fmt(c['precision']):>6} {fmt(c['recall']):>6} {c['tp']:>4} {c['fp']:>4} {c['fn']:>4} {c['tn']:>4}")
    # Per failure class: how many of its bad candidates were rejected (the recall of the rejection);
    # for `good`, how many were accepted. A class with fewer than 3 items proves little either way.
    print(f"{'class':<24} {'n':>4} {'handled':>8} {'rate':>6}   (bad classes: rejected; good: accepted)")
    for cls, c in result["by_class"].items():
        handled = c["accepted"] if cls == "good" else c["n"] - c["accepted"]
        note = "  (too few to tell)" if c["n"] < 3 else ""
        print(f"{cls:<24} {c['n']:>4} {handled:>8} {handled / c['n']:>6.2f}{note}")
    if leaks and "--verbose" in sys.argv:
        print("accepted bad: " + ", ".join(f"{x['id']} ({x['class']})" for x in leaks))
    if lost and "--verbose" in sys.argv:
        for x in lost:
            print(f"rejected good: {x['id']}: {x['filter']}: {x['reason']}")


if __name__ == "__main__":
    main()
