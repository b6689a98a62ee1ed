#!/usr/bin/env bash
# Lathe's main job on a bundled model: generates a small ONNX MLP, compiles it
# to a model library and runs it, checking the outputs against onnxruntime.
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
