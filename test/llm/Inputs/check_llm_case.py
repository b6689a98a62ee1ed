"""One end-to-end LLM case: writes a random-weight GGUF model, compiles it with
lathe-compile, generates with lathe-run (greedy, logits of every position),
runs the numpy reference on the same tokens and compares.

usage: check_llm_case.py --bin DIR --work DIR --name NAME --max-nmse X
           [--prompt-length P] [-n N] [--compile-arg ARG ...] -- MAKE_ARGS...

MAKE_ARGS go to make_llm_gguf.py. The reference is fed Lathe's generated
tokens (--force-tokens), so the logits line up row by row; a generated token
must be the reference's argmax, or within 1e-3 of it (a near tie). Prints
"PASS NAME" with the NMSE; exits non-zero otherwise.
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd):
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, errors="replace")
    if result.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)}\n{result.stdout}{result.stderr}")
    return result.stdout


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--max-nmse", type=float, required=True)
    p.add_argument("--prompt-length", type=int, default=40)
    p.add_argument("-n", type=int, default=16)
    p.add_argument("--compile-arg", action="append", default=[])
    p.add_argument("--token-margin", default="1e-3",
                   help="how far below the reference's best a differing greedy "
                        "token may score")
    p.add_argument("make_args", nargs=argparse.REMAINDER)
    args = p.parse_args()
    make_args = [a for a in args.make_args if a != "--"]
    vocab = int(make_args[make_args.index("--vocab") + 1])

    os.makedirs(args.work, exist_ok=True)
    base = os.path.join(args.work, args.name)
    py = sys.executable
    run([py, os.path.join(HERE, "make_llm_gguf.py"), base + ".gguf"] + make_args)
    run([os.path.join(args.bin, "lathe-compile"), base + ".gguf", "-o",
         base + ".so"] + args.compile_arg)

    # A fixed pseudo-random prompt that starts with BOS (id 1).
    prompt = [1] + [(17 + 7919 * i) % (vocab - 3) + 3
                    for i in range(args.prompt_length - 1)]
    prompt_arg = ",".join(map(str, prompt))
    run([os.path.join(args.bin, "lathe-run"), base + ".so", "--prompt-tokens",
         prompt_arg, "-n", str(args.n), "--ignore-eos",
         "--logits-out", base + ".lathe.npy",
         "--tokens-out", base + ".lathe.txt"])
    run([py, os.path.join(HERE, "reference_llm.py"), base + ".gguf",
         "--prompt-tokens", prompt_arg, "-n", str(args.n),
         "--force-tokens", base + ".lathe.txt",
         "--logits-out", base + ".ref.npy", "--tokens-out", base + ".ref.txt"])
    out = run([py, os.path.join(HERE, "compare_logits.py"), base + ".lathe.npy",
               base + ".ref.npy", "--max-nmse", str(args.max_nmse),
               "--tokens-a", base + ".lathe.txt", "--tokens-b", base + ".ref.txt",
               "--token-margin", args.token_margin])
    nmse = out.splitlines()[0] if out else ""
    print(f"PASS {args.name} {nmse}")


if __name__ == "__main__":
    main()
