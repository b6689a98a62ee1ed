#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs dependencies, builds, runs
# the lit suite, then the ONNX backend node tests against the checked-in
# expected-pass list (test/onnx-node/expected_pass.txt).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

scripts/setup.sh
scripts/build.sh check-lathe
.venv/bin/python test/onnx-node/run_node_tests.py -j "$(nproc)"
