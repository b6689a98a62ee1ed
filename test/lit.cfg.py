# -*- Python -*-
import os
import lit.formats
from lit.llvm import llvm_config

config.name = "Lathe"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".onnx-test"]
config.excludes = ["Inputs", "lit.cfg.py", "CMakeLists.txt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.lathe_obj_root, "test")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.lathe_tools_dir, append_path=True)

# Python with onnx/numpy from the project's virtual environment, for tests
# that generate their models.
venv_python = os.path.join(config.lathe_src_root, ".venv", "bin", "python")
config.substitutions = [(k, v) for (k, v) in config.substitutions if k != "%python"]
config.substitutions.append(
    ("%python", venv_python if os.path.exists(venv_python) else config.python_executable))
config.substitutions.append(("%lathe_src", config.lathe_src_root))
config.substitutions.append(("%lathe_obj", config.lathe_obj_root))
config.substitutions.append(("%lathe_lib", os.path.join(config.lathe_obj_root, "lib")))

# The GGUF reader's libFuzzer binary, built only where clang is found.
if getattr(config, "gguf_fuzzer", ""):
    config.available_features.add("gguf-fuzzer")
    config.substitutions.append(("%gguf_fuzzer", config.gguf_fuzzer))
