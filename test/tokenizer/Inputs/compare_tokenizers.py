"""Trains a small vocabulary with a reference tokenizer library, writes it into
GGUF as llama.cpp's convert_hf_to_gguf.py does, and checks that lathe-tokenize
gives the reference's ids on multilingual text, and decodes them back.

usage: compare_tokenizers.py {sentencepiece,tokenizers} LATHE_TOKENIZE WORKDIR

Prints one line per case ("ok NAME") and "PASS" at the end; exits non-zero
with the first difference.
"""
import json
import os
import random
import subprocess
import sys

import gguf

# Text the vocabularies are trained on: ASCII, accented Latin, Greek,
# Cyrillic, CJK, kana, Hangul, digits, emoji.
PHRASES = [
    "The quick brown fox jumps over the lazy dog.",
    "It's a test; we'll see what they've done, don't worry.",
    "Numbers like 12345, 3.14159 and 2024-06-01 appear too.",
    "Café crème, naïve résumé, déjà vu, façade, señor, Ærøskøbing, straße.",
    "Ελληνικά γράμματα και λέξεις.",
    "Русский текст для проверки токенизатора.",
    "你好，世界！这是一个测试句子。",
    "日本語のテキストとカタカナのテスト。",
    "한국어 문장입니다. 안녕하세요.",
    "Emoji time 🙂 and 🚀 and 👍🏽!",
    "    indented code:\treturn x + 1;",
    "def tokenize(text):\n    return text.split()",
]


def corpus_lines(count=600):
    rng = random.Random(1234)
    lines = []
    for _ in range(count):
        words = []
        for _ in range(rng.randint(1, 3)):
            words.append(rng.choice(PHRASES))
        lines.append(" ".join(words))
    return lines


# The texts compared: whole sample, its lines, edge cases, characters the
# vocabularies never saw (byte fallback / byte-level), whitespace runs.
SAMPLE = (
    "Hello, world! The quick brown fox jumps over the lazy dog. "
    "It's 2024; we'll see—don't panic.\n"
    "Café crème, naïve résumé, Ærøskøbing, straße, Ελληνικά, русский текст.\n"
    "你好，世界！日本語のテキストとカタカナ。한국어 문장입니다.\n"
    "Emoji: 🙂👍🏽 🚀🔥 ❤️ 👨‍👩‍👧 and a rare 龘 or Ω.\n"
    "Whitespace:   three spaces,\ttab,\t\ttwo tabs,\n\n\nnewlines   \n"
    "  leading and trailing  "
)

CASES = [
    ("sample", SAMPLE),
    ("empty", ""),
    ("one-space", " "),
    ("only-whitespace", "   \t\n  \n"),
    ("leading-spaces", "   x"),
    ("trailing-spaces", "x   "),
    ("single-letter", "a"),
    ("lone-emoji", "🙂"),
    ("contractions", "I'm you're he'll they'd it's we've 'S"),
    ("digits", "0123456789 ٣٤٥ 1,000,000"),
    ("control-text", "<s> and </s> and <unk> as text"),
    ("newline-runs", "a\n\nb\r\n\tc \n d"),
    ("combining-mark", "e\u0301 cafe\u0301"),
    ("nbsp", "a\u00a0b\u3000c"),
] + [("line-%d" % i, line) for i, line in enumerate(SAMPLE.split("\n"))]


def random_cases(count):
    pool = list("abcXYZ019 \t\n'.,!-") + list("éßøΩжд你好世界のカ한국🙂🚀👍🏽\u200d龘")
    rng = random.Random(99)
    return [("random-%d" % i,
             "".join(rng.choice(pool) for _ in range(rng.randint(1, 40))))
            for i in range(count)]


def write_gguf(path, arch, fill):
    writer = gguf.GGUFWriter(path, arch)
    fill(writer)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def build_sentencepiece(workdir):
    """A SentencePiece BPE model with byte fallback, written as
    _create_vocab_sentencepiece/_set_vocab_sentencepiece do. Normalization is
    off (identity, whitespace kept) as in the LLaMA tokenizer, which is what
    the llama tokenizer of llama.cpp reproduces."""
    import sentencepiece as spm
    prefix = os.path.join(workdir, "spm")
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus_lines()), model_prefix=prefix,
        model_type="bpe", vocab_size=500, byte_fallback=True,
        character_coverage=0.9995, normalization_rule_name="identity",
        remove_extra_whitespaces=False, add_dummy_prefix=True,
        split_digits=True, allow_whitespace_only_pieces=True,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, hard_vocab_limit=False,
        minloglevel=2)
    sp = spm.SentencePieceProcessor(model_file=prefix + ".model")

    tokens, scores, types = [], [], []
    for i in range(sp.vocab_size()):
        toktype = gguf.TokenType.NORMAL
        if sp.IsUnknown(i):
            toktype = gguf.TokenType.UNKNOWN
        elif sp.IsControl(i):
            toktype = gguf.TokenType.CONTROL
        elif sp.IsUnused(i):
            toktype = gguf.TokenType.UNUSED
        elif sp.IsByte(i):
            toktype = gguf.TokenType.BYTE
        tokens.append(sp.IdToPiece(i).encode("utf-8"))
        scores.append(sp.GetScore(i))
        types.append(toktype)

    def fill(writer):
        writer.add_tokenizer_model("llama")
        writer.add_tokenizer_pre("default")
        writer.add_token_list(tokens)
        writer.add_token_scores(scores)
        writer.add_token_types(types)
        writer.add_bos_token_id(sp.bos_id())
        writer.add_eos_token_id(sp.eos_id())
        writer.add_unk_token_id(sp.unk_id())
        writer.add_add_bos_token(True)
        writer.add_add_eos_token(False)

    path = os.path.join(workdir, "spm.gguf")
    write_gguf(path, "llama", fill)
    return (path,
            lambda text: [sp.bos_id()] + sp.encode(text),
            lambda ids: sp.decode(ids))


def build_tokenizers(workdir):
    """A Hugging Face byte-level BPE, written as get_vocab_base /
    _set_vocab_gpt2 do (merges and special ids through gguf.SpecialVocab)."""
    from tokenizers import (Tokenizer, decoders, models, pre_tokenizers,
                            trainers)
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=500, special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False)
    tokenizer.train_from_iterator(corpus_lines(), trainer)
    tokenizer.add_tokens(["[lathe]"])  # a user-defined (non-special) token
    model_dir = os.path.join(workdir, "hf")
    os.makedirs(model_dir, exist_ok=True)
    tokenizer.save(os.path.join(model_dir, "tokenizer.json"))
    with open(os.path.join(model_dir, "tokenizer_config.json"), "w") as f:
        json.dump({"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
                   "add_bos_token": False}, f)

    vocab = tokenizer.get_vocab(with_added_tokens=True)
    reverse = {i: t for t, i in vocab.items()}
    added = tokenizer.get_added_tokens_decoder()
    tokens, types = [], []
    for i in range(len(vocab)):
        if i not in reverse:
            tokens.append("[PAD%d]" % i)
            types.append(gguf.TokenType.UNUSED)
        elif i in added:
            tokens.append(reverse[i])
            types.append(gguf.TokenType.CONTROL if added[i].special
                         else gguf.TokenType.USER_DEFINED)
        else:
            tokens.append(reverse[i])
            types.append(gguf.TokenType.NORMAL)

    special_vocab = gguf.SpecialVocab(model_dir, load_merges=True,
                                      n_vocab=len(tokens))

    def fill(writer):
        writer.add_tokenizer_model("gpt2")
        writer.add_tokenizer_pre("gpt-2")
        writer.add_token_list(tokens)
        writer.add_token_types(types)
        special_vocab.add_to_gguf(writer, quiet=True)

    path = os.path.join(workdir, "bpe.gguf")
    write_gguf(path, "gpt2", fill)
    return (path,
            lambda text: tokenizer.encode(text, add_special_tokens=False).ids,
            lambda ids: tokenizer.decode(ids, skip_special_tokens=True))


def run_tool(tool, args):
    result = subprocess.run([tool] + args, capture_output=True)
    if result.returncode != 0:
        sys.exit("FAIL: %s %s: %s" % (tool, " ".join(args),
                                      result.stderr.decode(errors="replace")))
    return result.stdout


def lathe_encode(tool, model, path, extra=()):
    out = run_tool(tool, list(extra) + [model, "--file", path]).decode().strip()
    return [int(x) for x in out.split(",")] if out else []


def lathe_decode(tool, model, ids):
    out = run_tool(tool, [model, "--decode", ",".join(map(str, ids))])
    assert out.endswith(b"\n")
    return out[:-1].decode("utf-8")


def main():
    library, tool, workdir = sys.argv[1:4]
    os.makedirs(workdir, exist_ok=True)
    build = build_sentencepiece if library == "sentencepiece" else build_tokenizers
    model, reference_encode, reference_decode = build(workdir)

    cases = CASES + random_cases(30)
    if library == "tokenizers":
        cases.append(("user-defined", "call [lathe] now[lathe][lathe] x"))
    for name, text in cases:
        path = os.path.join(workdir, "case.txt")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        expected = reference_encode(text)
        got = lathe_encode(tool, model, path)
        if got != expected:
            sys.exit("FAIL %s: text %r\n  reference %s\n  lathe     %s"
                     % (name, text, expected, got))
        decoded = lathe_decode(tool, model, got)
        if decoded != text:
            sys.exit("FAIL %s: decoded %r, want %r" % (name, decoded, text))
        if library == "sentencepiece" and reference_decode(expected) != text:
            sys.exit("FAIL %s: the reference does not round-trip" % name)
        print("ok", name)

    # The whole training corpus in one call.
    corpus = "\n".join(corpus_lines())
    path = os.path.join(workdir, "corpus.txt")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(corpus)
    expected = reference_encode(corpus)
    if lathe_encode(tool, model, path) != expected:
        sys.exit("FAIL corpus")
    print("ok corpus (%d ids)" % len(expected))

    # Special tokens in the text: Hugging Face always matches them, llama.cpp
    # (and lathe-tokenize) on request.
    if library == "tokenizers":
        text = "a<|endoftext|>b <|endoftext|> [lathe]"
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        expected = reference_encode(text)
        if lathe_encode(tool, model, path, ["--special"]) != expected:
            sys.exit("FAIL special")
        print("ok special")
    print("PASS")


if __name__ == "__main__":
    main()
