#!/usr/bin/env bash
# Installs what Lathe builds and tests with: Debian packages, then the
# project-local Python venv (.venv). Idempotent; does nothing slow when all is
# already present.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

debian_packages=(
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools libpolly-22-dev
  clang-22 lld-22 libclang-rt-22-dev
  libonnx-dev libprotobuf-dev protobuf-compiler
  libvulkan-dev mesa-vulkan-drivers glslang-tools spirv-tools
  cmake ninja-build python3-venv
)

# onnx 1.22.0 is the newest release that still ships the backend node tests
# (onnx/backend/test/data/node/) that test/onnx-node runs.
python_packages=(
  onnx==1.22.0
  numpy==2.4.6
  onnxruntime==1.32.0
  threadpoolctl==3.8.0
  # GGUF writer and reader: test fixtures and the reference that the GGUF
  # reader's tests compare against.
  gguf==0.19.0
  # Reference tokenizers for test/tokenizer: vocabularies are trained in the
  # tests and the runtime's tokenizer must give the same ids.
  sentencepiece==0.2.3
  tokenizers==0.23.3
)

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup.sh: need root or sudo" >&2; exit 1; }
  sudo_cmd=(sudo)
fi

missing=()
for pkg in "${debian_packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update
  "${sudo_cmd[@]}" apt-get install -y "${missing[@]}"
fi

venv="$repo/.venv"
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"

# Exit status 0 when every pin is installed at exactly its version.
pins_satisfied() {
  "$venv/bin/python" - "${python_packages[@]}" <<'EOF'
import sys
from importlib.metadata import version, PackageNotFoundError
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    try:
        if version(name) != want:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
EOF
}

if ! pins_satisfied; then
  echo "setup.sh: installing ${python_packages[*]} into .venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "${python_packages[@]}"
fi

node_data=$("$venv/bin/python" -c \
  'import onnx, os; print(os.path.join(os.path.dirname(onnx.__file__), "backend/test/data/node"))')
[[ -d $node_data ]] || { echo "setup.sh: onnx has no $node_data" >&2; exit 1; }
echo "setup.sh: ready ($(find "$node_data" -mindepth 1 -maxdepth 1 -type d | wc -l) ONNX node tests in .venv)"
