#!/usr/bin/env python3
"""A taxonomy with many leaves for bench/scale: the sample taxonomy's skill leaves, copied COPIES
times under compositional_skills/scale/copy_NN/ (each copy is its own leaf with its own seeds), so
up to 8 workers holding 2 leaves each all have work. Usage: make_taxonomy.py SRC_TAXONOMY OUT COPIES"""
import os, shutil, sys

source, out, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
if os.path.exists(out):
    shutil.rmtree(out)
shutil.copytree(source, out)
skills = []
for root, _, files in os.walk(os.path.join(source, "compositional_skills")):
    if "qna.yaml" in files:
        skills.append(root)
for number in range(copies):
    for leaf in skills:
        name = os.path.relpath(leaf, os.path.join(source, "compositional_skills")).replace(os.sep, "_")
        target = os.path.join(out, "compositional_skills", "scale", f"copy_{number:02d}", name)
        shutil.copytree(leaf, target)
print(sum(1 for _, _, files in os.walk(out) if "qna.yaml" in files))
