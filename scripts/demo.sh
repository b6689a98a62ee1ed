#!/usr/bin/env bash
# Lathe's main job on bundled models, both generated here (no downloads):
#  1. a small ONNX MLP, compiled to a model library and run, its outputs
#     checked against onnxruntime;
#  2. a small llama-architecture GGUF model with random Q8_0 weights and a
#     llama tokenizer, compiled and asked to continue a prompt (random
#     weights make the text gibberish; the throughput is real).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

scripts/setup.sh
scripts/build.sh lathe-compile lathe-run

work=build/demo
mkdir -p "$work"
.venv/bin/python scripts/make_demo_model.py "$work"
echo "== lathe-compile $work/mlp.onnx -o $work/mlp.so"
build/bin/lathe-compile "$work/mlp.onnx" -o "$work/mlp.so"
echo "== lathe-run $work/mlp.so"
build/bin/lathe-run "$work/mlp.so" --input="$work/x.npy" \
  --expected="$work/expected.npy" --rtol 1e-4 --atol 1e-5 --repeat 20

echo "== a llama GGUF model: dim 512, 4 layers, 8/2 heads, vocab 4096, Q8_0"
.venv/bin/python test/llm/Inputs/make_llm_gguf.py "$work/llama.gguf" \
  --arch llama --dim 512 --layers 4 --heads 8 --kv-heads 2 --ff 1408 \
  --vocab 4096 --ctx 512 --type q8_0 --seed 1
echo "== lathe-compile $work/llama.gguf -o $work/llama.so"
build/bin/lathe-compile "$work/llama.gguf" -o "$work/llama.so" --context 256
echo "== lathe-run $work/llama.so --prompt ... -n 48"
build/bin/lathe-run "$work/llama.so" --prompt "Once upon a time" -n 48 \
  --temp 0.8 --seed 7
