#!/usr/bin/env python3
"""Writes a synthetic taxonomy of N leaves (default 1,000) for benchmarking `synthlab taxonomy check`.

Usage: generate.py OUT_DIR [N]. The leaves cycle through the shipped sample's kinds (knowledge with a
local document, grounded, freeform and foundational skills), each with distinct text so nothing is
deduplicated away.
"""
import pathlib, sys

out = pathlib.Path(sys.argv[1])
count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
docs = out / "documents" / "bench"
docs.mkdir(parents=True, exist_ok=True)

def knowledge(i: int) -> str:
    (docs / f"doc-{i}.md").write_text(f"# Document {i}\n\n" + " ".join(f"Fact {i}-{k} about ratios." for k in range(300)) + "\n")
    seeds = ""
    for s in range(5):
        seeds += f"  - context: |\n      Context {i}-{s}: the current ratio divides current assets by current liabilities.\n    questions_and_answers:\n"
        for q in range(3):
            seeds += f"      - question: Question {i}-{s}-{q}?\n        answer: Answer {i}-{s}-{q}.\n"
    return (f"version: 3\ncreated_by: bench\ndomain: Finance {i}\nseed_examples:\n{seeds}"
            f"document_outline: Outline {i}.\ndocument:\n  repo: documents/bench\n  commit: local\n  patterns:\n    - doc-{i}.md\n")

def skill(i: int, grounded: bool) -> str:
    seeds = ""
    for s in range(5):
        seeds += f"  - question: What is {i} plus {s}?\n    answer: It is {i + s}.\n"
        if grounded:
            seeds += f"    context: |\n      | a | b |\n      |---|---|\n      | {i} | {s} |\n"
    return f"version: 3\ncreated_by: bench\ntask_description: Task {i}.\nseed_examples:\n{seeds}"

for i in range(count):
    kind = i % 4
    if kind == 0:
        folder, text = out / "taxonomy" / "knowledge" / f"area{i % 10}" / f"leaf{i}", knowledge(i)
    elif kind == 3:
        folder, text = out / "taxonomy" / "foundational_skills" / f"area{i % 10}" / f"leaf{i}", skill(i, False)
    else:
        folder, text = out / "taxonomy" / "compositional_skills" / f"area{i % 10}" / f"leaf{i}", skill(i, kind == 1)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "qna.yaml").write_text(text)
print(f"wrote {count} leaves under {out}/taxonomy")
