"""Membership inference with known answers: how well `synthlab documents score`'s likelihood ratio
(CPT model against the instruct model it started from) tells the chunks the CPT job trained on from
the chunks it held out. Usage: membership.py DB CPT_JOB_ID SCORES.json"""
import json
import sqlite3
import sys

db, job, scores = sys.argv[1], int(sys.argv[2]), json.load(open(sys.argv[3]))
rows = sqlite3.connect(db).execute(
    "SELECT example_id, phase, role FROM training_rows WHERE training_id = ?", (job,)).fetchall()
held = {r[0] for r in rows if r[1] == "held_out"}


def auc(positives, negatives):
    """Share of (positive, negative) pairs where the positive scores lower (more member-like)."""
    wins = sum(1.0 if p < n else 0.5 if p == n else 0.0 for p in positives for n in negatives)
    return wins / max(1, len(positives) * len(negatives))


members, others = [], []
for chunk in scores["chunks"]:
    if chunk["group"] != "documents":
        continue
    cid = f"doc:{chunk['source']}#{chunk['index']}"
    (others if cid in held else members).append(chunk)
for measure in ("likelihood_ratio", "zlib_ratio"):
    m = [c[measure] for c in members]
    o = [c[measure] for c in others]
    print(f"{measure:17} trained chunks mean {sum(m) / len(m):+.4f} ({len(m)}), held-out mean {sum(o) / len(o):+.4f} ({len(o)}): "
          f"a trained chunk scores lower (more member-like) than a held-out one in {100 * auc(m, o):.1f}% of pairs")
