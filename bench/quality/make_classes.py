#!/usr/bin/env python3
"""Writes bench/quality/classes.jsonl: the failure classes the issue names, 20 of each, each with
its correct twin, built from figures drawn with a fixed seed so the labels are right by
construction (the correct twin is computed; the wrong one applies exactly the named mistake).
The verifiers were not tuned on this set; it was generated after they were written.

  python3 bench/quality/make_classes.py        # rewrites classes.jsonl (deterministic)
"""
import json, random

rng = random.Random(2026)
items = []

def add(id_, leaf, q, a, ctx, label, cls, reason):
    items.append({"id": id_, "leaf": leaf, "question": q, "answer": a, "context": ctx, "label": label, "class": cls, "reason": reason})

PCT = "compositional_skills/finance/arithmetic/percent_change"
CAGR = "compositional_skills/finance/arithmetic/cagr"
TAB = "compositional_skills/finance/tables/extract_value"
SCALE = "foundational_skills/reasoning/unit_scaling"
companies = ["Brightwater Foods", "Keel Harbor Software", "Alder Point Medical", "Redfern Freight", "Millbrook Bancorp",
             "Oakridge Instruments", "Halvorsen Composites", "Pinecrest Retail", "Silverline Energy", "Northgate Pharma"]

def pct_answer(old, new, wrong_base):
    change = new - old
    base = new if wrong_base else old
    r = change / base * 100
    word = "increased" if change > 0 else "decreased"
    return (f"Percent change = (new value - old value) / old value x 100.\n\n"
            f"1. Change: {new:,.1f} - {old:,.1f} = {change:,.1f}.\n2. Divide by the {'new' if wrong_base else 'old'} value: {change:,.1f} / {base:,.1f} = {r/100:.4f}.\n"
            f"3. Multiply by 100: {r/100:.4f} x 100 = {r:.2f}%.\n\nThe value {word} by about {abs(r):.1f}%.")

for i in range(20):
    c = companies[i % len(companies)]
    old = round(rng.uniform(200, 900), 1)
    new = round(old * rng.choice([rng.uniform(1.08, 1.4), rng.uniform(0.65, 0.92)]), 1)
    q = f"{c}'s revenue went from ${old:,.1f} million last year to ${new:,.1f} million this year. What was the percent change?"
    add(f"cls-base-good-{i}", PCT, q, pct_answer(old, new, False), None, "good", "good", "old value as the base")
    add(f"cls-base-bad-{i}", PCT, q, pct_answer(old, new, True), None, "bad", "wrong_base", "divides by the new value")

def cagr_answer(start, end, y0, y1, off):
    n = y1 - y0 + off
    ratio = end / start
    root = ratio ** (1 / n)
    r = (root - 1) * 100
    return (f"CAGR = (ending value / beginning value)^(1 / years) - 1.\n\n1. Years: {y0} to {y1} is {n} years.\n"
            f"2. Ratio: {end:,.1f} / {start:,.1f} = {ratio:.4f}.\n3. Root: {ratio:.4f}^(1/{n}) = {root:.4f}.\n"
            f"4. Subtract 1: {root:.4f} - 1 = {root-1:.4f}, or {r:.2f}%.\n\nThe CAGR is about {r:.1f}% per year.")

for i in range(20):
    c = companies[i % len(companies)]
    y0 = rng.randint(2015, 2020); y1 = y0 + rng.randint(3, 6)
    start = round(rng.uniform(100, 600), 1); end = round(start * rng.uniform(1.3, 2.6), 1)
    q = f"{c}'s net sales were ${start:,.1f} million in {y0} and ${end:,.1f} million in {y1}. What was the compound annual growth rate?"
    add(f"cls-years-good-{i}", CAGR, q, cagr_answer(start, end, y0, y1, 0), None, "good", "good", "years counted as the difference")
    add(f"cls-years-bad-{i}", CAGR, q, cagr_answer(start, end, y0, y1, 1), None, "bad", "years_off_by_one", "counts both end years")

rows = ["Net sales", "Cost of sales", "Gross profit", "Operating income", "Net income"]
for i in range(20):
    c = companies[i % len(companies)]
    scale = rng.choice(["millions", "thousands"])
    p1, p2 = rng.choice([("Fiscal 2025", "Fiscal 2024"), ("Dec 31, 2025", "Dec 31, 2024"), ("Three months ended Jun 30, 2025", "Three months ended Jun 30, 2024")])
    values = {r: (round(rng.uniform(100, 3000), 1), round(rng.uniform(100, 3000), 1)) for r in rows}
    table = f"{c}, Inc.\nSelected results\n(in {scale} of U.S. dollars)\n\n| | {p1} | {p2} |\n|---|---|---|\n" + \
        "".join(f"| {r} | {v[0]:,.1f} | {v[1]:,.1f} |\n" for r, v in values.items())
    k = rng.randrange(len(rows)); row = rows[k]; other = rows[(k + 1) % len(rows)]
    unit = "million" if scale == "millions" else "thousand"
    q = f"What was {c}'s {row.lower()} for {p1}?"
    ans = lambda r, col: f"{c}, Inc. reported {r.lower()} of ${values[r][col]:,.1f} {unit} for {[p1, p2][col]}."
    add(f"cls-row-good-{i}", TAB, q, ans(row, 0), table, "good", "good", "the named cell")
    add(f"cls-row-bad-{i}", TAB, q, f"{c}, Inc. reported {row.lower()} of ${values[other][0]:,.1f} {unit} for {p1}.", table, "bad", "wrong_row", f"value of {other}")
    add(f"cls-period-bad-{i}", TAB, q, f"{c}, Inc. reported {row.lower()} of ${values[row][1]:,.1f} {unit} for {p1}.", table, "bad", "wrong_period", f"value of {p2}")

for i in range(20):
    v = rng.randint(10_000, 990_000)
    q = f"A balance sheet says \"(in thousands)\" and lists total assets of {v:,}. How much is that in millions of dollars?"
    good = f"The figure is in thousands, so multiply by 1,000.\n\n1. {v:,} x 1,000 = ${v*1000:,}.\n2. In millions: {v*1000:,} / 1,000,000 = {v/1000:,.3f} million.\n\nTotal assets are ${v/1000:,.3f} million."
    bad = f"The figure is in thousands.\n\n1. {v:,} thousand = {v:,} million.\n\nTotal assets are ${v:,} million."
    add(f"cls-scale-good-{i}", SCALE, q, good, None, "good", "good", "thousands converted")
    add(f"cls-scale-bad-{i}", SCALE, q, bad, None, "bad", "scale_error", "thousands read as millions")

with open("bench/quality/classes.jsonl", "w") as f:
    for item in items:
        f.write(json.dumps(item) + "\n")
print(f"wrote {len(items)} items")
