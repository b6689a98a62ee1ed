"""Compares logits (and optionally generated tokens) against a reference.

usage: compare_logits.py LATHE.npy REF.npy --max-nmse X
           [--tokens-a FILE --tokens-b FILE [--token-margin M]]

NMSE is mean((a - b)^2) / mean(b^2), over all rows and per row; the overall
value must not exceed X. The token files hold comma-separated ids and must
match exactly, except that --token-margin accepts near ties (see
check_tokens). Prints "PASS" on success; exits 1 with the reason otherwise.
"""
import argparse
import sys

import numpy as np


def nmse(a, b, axis=None):
    err = ((a - b) ** 2).mean(axis=axis)
    ref = (b * b).mean(axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ref > 0, err / ref, np.where(err > 0, np.inf, 0.0))


def read_tokens(path):
    with open(path) as f:
        text = f.read().strip()
    try:
        return [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        sys.exit(f"FAIL: {path}: expected comma-separated token ids")


def check_tokens(ta, tb, args, ref_rows):
    """Prints the first unaccepted difference; returns whether none exists.

    With --token-margin, a difference at index i is a near tie when REF's
    row predicting token i (row len(REF) - N + i for N tokens) scores ta[i]
    within the margin of its best. That is meaningful only when REF was
    computed on the same fed tokens (reference_llm.py --force-tokens).
    """
    if ta == tb:
        return True
    if args.token_margin is not None and len(ta) == len(tb) <= len(ref_rows):
        first_row = len(ref_rows) - len(tb)
        for i, (x, y) in enumerate(zip(ta, tb)):
            if x == y:
                continue
            row = ref_rows[first_row + i]
            gap = row.max() - row[x] if 0 <= x < len(row) else np.inf
            if gap > args.token_margin:
                print(f"FAIL: generated tokens differ at index {i}: {x} in "
                      f"{args.tokens_a}, {y} in {args.tokens_b}; the "
                      f"reference scores {x} {gap:.3g} below its best")
                return False
            print(f"note: tokens differ at index {i} ({x} vs {y}), a near "
                  f"tie ({gap:.3g} <= {args.token_margin:g})")
        return True
    i = next((i for i, (x, y) in enumerate(zip(ta, tb)) if x != y),
             min(len(ta), len(tb)))
    x = ta[i] if i < len(ta) else "end"
    y = tb[i] if i < len(tb) else "end"
    print(f"FAIL: generated tokens differ at index {i}: {x} in "
          f"{args.tokens_a}, {y} in {args.tokens_b} "
          f"({len(ta)} and {len(tb)} tokens)")
    return False


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("lathe")
    p.add_argument("ref")
    p.add_argument("--max-nmse", type=float, required=True)
    p.add_argument("--tokens-a")
    p.add_argument("--tokens-b")
    p.add_argument("--token-margin", type=float, metavar="M",
                   help="accept a differing token when REF's logit for the "
                        "--tokens-a id is within M of REF's best")
    args = p.parse_args()
    if (args.tokens_a is None) != (args.tokens_b is None):
        p.error("--tokens-a and --tokens-b go together")
    if args.token_margin is not None and args.tokens_a is None:
        p.error("--token-margin needs --tokens-a and --tokens-b")

    a = np.load(args.lathe).astype(np.float64)
    b = np.load(args.ref).astype(np.float64)
    if a.shape != b.shape:
        sys.exit(f"FAIL: shapes differ: {args.lathe} {a.shape}, "
                 f"{args.ref} {b.shape}")
    for path, x in ((args.lathe, a), (args.ref, b)):
        if not np.isfinite(x).all():
            bad = np.argwhere(~np.isfinite(x))[0]
            sys.exit(f"FAIL: {path} has a non-finite value at "
                     f"{tuple(int(i) for i in bad)}")
    if a.size == 0:
        sys.exit("FAIL: no logits to compare")

    rows_a = a.reshape(-1, a.shape[-1]) if a.ndim else a.reshape(1, 1)
    rows_b = b.reshape(-1, b.shape[-1]) if b.ndim else b.reshape(1, 1)
    total = float(nmse(a, b))
    per_row = nmse(rows_a, rows_b, axis=-1)
    worst = int(per_row.argmax())
    print(f"nmse {total:.6g} (worst row {worst}: {per_row[worst]:.6g})")
    failed = False
    if not total <= args.max_nmse:
        print(f"FAIL: nmse {total:.6g} exceeds {args.max_nmse:g}")
        failed = True

    if args.tokens_a is not None:
        ta, tb = read_tokens(args.tokens_a), read_tokens(args.tokens_b)
        if not check_tokens(ta, tb, args, rows_b):
            failed = True

    if failed:
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
