import json, sys, collections, re
p = sys.argv[1] if len(sys.argv) > 1 else "/tmp/general-mc/general-mc.jsonl"
raw = open(p, "rb").read()
raw.decode("utf-8")
lines = raw.decode("utf-8").split("\n")
assert lines[-1] == "", "file must end with a newline"
lines = lines[:-1]
ids, qs = set(), set()
subj, pos = collections.Counter(), collections.Counter()
qlen, clen = [], []
for i, line in enumerate(lines, 1):
    assert line == line.rstrip(), f"line {i}: trailing whitespace"
    o = json.loads(line)
    assert set(o) == {"id", "subject", "question", "choices", "answer"}, f"line {i}: keys {sorted(o)}"
    assert o["id"] == f"mc-{i:04d}", f"line {i}: id {o['id']} not sequential"
    assert o["id"] not in ids; ids.add(o["id"])
    assert isinstance(o["subject"], str) and re.fullmatch(r"[a-z]+", o["subject"]), o["subject"]
    q = o["question"]; assert isinstance(q, str) and q.strip() == q and q
    assert q.lower() not in qs, f"line {i}: duplicate question"; qs.add(q.lower())
    c = o["choices"]; assert isinstance(c, list) and len(c) == 4, f"line {i}: {len(c)} choices"
    assert all(isinstance(x, str) and x.strip() == x and x for x in c), f"line {i}: bad choice"
    assert len(set(x.lower() for x in c)) == 4, f"line {i}: duplicate choices"
    a = o["answer"]; assert type(a) is int and 0 <= a < 4, f"line {i}: answer {a}"
    subj[o["subject"]] += 1; pos[a] += 1
    qlen.append(len(q)); clen.extend(len(x) for x in c)
print("OK", len(lines), "items")
print("subjects:", dict(sorted(subj.items())))
print("answer positions:", {k: pos[k] for k in range(4)})
print("question chars: max", max(qlen), ">200:", sum(l > 200 for l in qlen), "median", sorted(qlen)[len(qlen)//2])
print("choice chars: max", max(clen), ">60:", sum(l > 60 for l in clen))
