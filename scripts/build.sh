#!/usr/bin/env bash
# Configures (once) and builds Lathe into build/. Extra arguments go to ninja,
# e.g. `scripts/build.sh lathe-compile` or `scripts/build.sh check-lathe`.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

# After the first configure, ninja re-runs cmake itself when a CMakeLists.txt
# changes, so configuring again is only needed when build/ is new.
if [[ ! -f build/build.ninja ]]; then
  cmake -G Ninja -S . -B build \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DCMAKE_BUILD_TYPE=Release
fi
ninja -C build -j"$(nproc)" "$@"
