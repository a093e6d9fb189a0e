# Sourced by the engine benchmarks: model_for FORMAT prints the path of the default model in that
# format, made once by llama-quantize (needs $PEER, the folder of the natively built llama.cpp
# tools). F32 comes from requantizing the Q4_1 file, so every format carries the same weights;
# the others come from that F32 with llama-quantize's own choice of type per tensor (Q4_K_M and
# Q5_K_M mix in Q6_K, and fall back to Q5_0/Q5_1/Q8_0 where a row is not whole 256-weight blocks).
FORMAT_HOME="${SYNTHLAB_HOME:-$HOME/.cache/synthlab}"
DEFAULT_MODEL="$FORMAT_HOME/models/SmolLM2-135M-Instruct.Q4_1.gguf"
FORMAT_DIR="$FORMAT_HOME/bench-formats"
[[ -f "$DEFAULT_MODEL" ]] || { echo "$DEFAULT_MODEL is missing; run 'synthlab model pull' first" >&2; exit 1; }

model_for() {
    local format="$1" path f32
    if [[ "$format" == Q4_1 ]]; then echo "$DEFAULT_MODEL"; return; fi
    mkdir -p "$FORMAT_DIR"
    path="$FORMAT_DIR/SmolLM2-135M-Instruct.$format.gguf"
    f32="$FORMAT_DIR/SmolLM2-135M-Instruct.F32.gguf"
    if [[ ! -f "$f32" ]]; then
        "$PEER/llama-quantize" --allow-requantize "$DEFAULT_MODEL" "$f32.part" F32 >"$FORMAT_DIR/quantize.log" 2>&1 \
            || { echo "llama-quantize could not make $f32 (see $FORMAT_DIR/quantize.log)" >&2; exit 1; }
        mv "$f32.part" "$f32"
    fi
    if [[ ! -f "$path" ]]; then
        "$PEER/llama-quantize" "$f32" "$path.part" "$format" >>"$FORMAT_DIR/quantize.log" 2>&1 \
            || { echo "llama-quantize could not make $path (see $FORMAT_DIR/quantize.log)" >&2; exit 1; }
        mv "$path.part" "$path"
    fi
    echo "$path"
}
