#!/usr/bin/env bash
# Compatibility both ways, on the default model:
#   1. synthlab's client (chat --endpoint, generate --endpoint) against llama.cpp's server
#      (PyPI llama-cpp-python[server]);
#   2. the official openai Python client against `synthlab serve`.
# Prints what each side did and "compatible: yes" only if every check passed.
#
#   bench/openai-compat/run.sh [MODEL.gguf]
#
# Needs: a release build (`make release`) and, in $PYTHON (default python3):
#   pip install 'llama-cpp-python[server]' openai
set -euo pipefail
cd "$(dirname "$0")/../.."

MODEL="${1:-${HOME}/.cache/synthlab/models/SmolLM2-135M-Instruct.Q4_1.gguf}"
PYTHON="${PYTHON:-python3}"
SYNTHLAB="${SYNTHLAB:-.build/release/synthlab}"
[[ -x "$SYNTHLAB" ]] || { echo "run.sh: $SYNTHLAB is missing; run 'make release' first" >&2; exit 1; }
[[ -f "$MODEL" ]] || { echo "run.sh: $MODEL is missing; run 'synthlab model pull' first" >&2; exit 1; }
"$PYTHON" -c "import llama_cpp.server, openai" 2>/dev/null \
    || { echo "run.sh: pip install 'llama-cpp-python[server]' openai (into $PYTHON)" >&2; exit 1; }

WORK="$(mktemp -d)"
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 120); do curl -sf "$1" >/dev/null && return 0; sleep 0.5; done; echo "run.sh: $1 never answered" >&2; return 1; }
failed=0

echo "== 1. synthlab's client against llama.cpp's server (llama-cpp-python $("$PYTHON" -c 'import llama_cpp; print(llama_cpp.__version__)'))"
PORT="$(free_port)"
"$PYTHON" -m llama_cpp.server --model "$MODEL" --host 127.0.0.1 --port "$PORT" --n_ctx 4096 --n_threads 2 \
    >"$WORK/llama.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$PORT/v1/models"
LLAMA="http://127.0.0.1:$PORT/v1"
if reply="$("$SYNTHLAB" chat --endpoint "$LLAMA" --prompt "What is a Form 10-K?" --max-tokens 32 --json)"; then
    echo "ok   chat --endpoint --json: $reply"
else
    echo "FAIL chat --endpoint --json"; failed=1
fi
if streamed="$("$SYNTHLAB" chat --endpoint "$LLAMA" --prompt "Define EBITDA in one sentence." --max-tokens 32 2>/dev/null)"; then
    echo "ok   chat --endpoint (streamed): ${streamed:0:100}"
else
    echo "FAIL chat --endpoint (streamed)"; failed=1
fi
if run="$("$SYNTHLAB" generate --endpoint "$LLAMA" --db "$WORK/runs.sqlite" --leaf 'compositional_skills/finance/explain_term_plainly' \
        --samples-per-leaf 2 --max-in-flight 4 --json 2>"$WORK/generate.err")"; then
    summary="$("$PYTHON" -c 'import json,sys; o=json.loads(sys.argv[1]); print("%d accepted of %d candidates, %d teacher calls, %.1f s" % (o["accepted"], o["candidates"], o["teacher_calls"], o["wall_seconds"]))' "$run")"
    echo "ok   generate --endpoint: $summary"
else
    echo "FAIL generate --endpoint: $(tail -3 "$WORK/generate.err")"; failed=1
fi

echo "== 2. the official openai client ($("$PYTHON" -c 'import openai; print(openai.__version__)')) against synthlab serve"
"$SYNTHLAB" serve --model "$MODEL" --port 0 --threads 2 >"$WORK/serve.out" 2>"$WORK/serve.err" &
PIDS+=($!)
for _ in $(seq 120); do [[ -s "$WORK/serve.out" ]] && break; sleep 0.5; done
OURS="$(head -1 "$WORK/serve.out")"
wait_for "${OURS%/v1}/health"
"$PYTHON" bench/openai-compat/openai_client_check.py "$OURS" || failed=1

if [[ $failed -eq 0 ]]; then echo "compatible: yes"; else echo "compatible: NO"; exit 1; fi
