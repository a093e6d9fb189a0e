"""The official `openai` Python client against `synthlab serve`: every route and option a
generation run or a user would use. Prints one line per check and exits 1 if any failed.

    python3 bench/openai-compat/openai_client_check.py http://127.0.0.1:PORT/v1 [API_KEY]
"""
import sys

import openai

base_url = sys.argv[1]
key = sys.argv[2] if len(sys.argv) > 2 else "unused"
client = openai.OpenAI(base_url=base_url, api_key=key, max_retries=0, timeout=120)
failures = 0


def check(name, ok, detail=""):
    global failures
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")
    failures += 0 if ok else 1


models = client.models.list()
model = models.data[0].id
check("models.list", len(models.data) == 1, model)

chat = client.chat.completions.create(
    model=model, messages=[{"role": "user", "content": "What is a balance sheet?"}], max_tokens=24, temperature=0)
check("chat.completions", bool(chat.choices[0].message.content) and chat.usage.completion_tokens > 0,
      f"{chat.usage.prompt_tokens}+{chat.usage.completion_tokens} tokens, finish {chat.choices[0].finish_reason}")

again = client.chat.completions.create(
    model=model, messages=[{"role": "user", "content": "What is a balance sheet?"}], max_tokens=24, temperature=0)
check("greedy is repeatable", again.choices[0].message.content == chat.choices[0].message.content)

several = client.chat.completions.create(
    model=model, messages=[{"role": "user", "content": "Name a financial ratio."}], max_tokens=16,
    temperature=1.0, n=3, seed=7)
check("n=3", len(several.choices) == 3 and [c.index for c in several.choices] == [0, 1, 2])

stream = client.chat.completions.create(
    model=model, messages=[{"role": "user", "content": "What is a balance sheet?"}], max_tokens=24, temperature=0,
    stream=True, stream_options={"include_usage": True})
pieces, usage, finish = [], None, None
for chunk in stream:
    if chunk.usage:
        usage = chunk.usage
    for choice in chunk.choices:
        if choice.delta.content:
            pieces.append(choice.delta.content)
        if choice.finish_reason:
            finish = choice.finish_reason
check("chat stream", "".join(pieces) == chat.choices[0].message.content and usage is not None and finish is not None,
      f"{len(pieces)} pieces")

completion = client.completions.create(model=model, prompt="1, 2, 3, 4,", max_tokens=12, temperature=0, stop=[","])
check("completions with stop", "," not in completion.choices[0].text and completion.choices[0].finish_reason == "stop",
      repr(completion.choices[0].text))

try:
    client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}], max_tokens=10**6)
    check("oversized max_tokens is a 400", False)
except openai.BadRequestError as error:
    check("oversized max_tokens is a 400", True, str(error.message)[:80])

sys.exit(1 if failures else 0)
