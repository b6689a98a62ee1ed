/*===- tokenizer_api_test.c - lathe/tokenizer.h on hand-made vocabularies -===*
 * Configuration checks, argument and buffer errors, invalid UTF-8, byte
 * fallback and merges on vocabularies small enough to reason about.
 * Prints PASS, or the first failed check and exits 1.
 *===----------------------------------------------------------------------===*/
#include "lathe/tokenizer.h"
#include "status_checks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A vocabulary under construction. */
enum { MAX_TOKENS = 400 };
static char storage[MAX_TOKENS][16];
static const char *texts[MAX_TOKENS];
static size_t lengths[MAX_TOKENS];
static float scores[MAX_TOKENS];
static int32_t types[MAX_TOKENS];
static size_t count;

static int32_t add(const char *text, float score, int32_t type) {
  strcpy(storage[count], text);
  texts[count] = storage[count];
  lengths[count] = strlen(text);
  scores[count] = score;
  types[count] = type;
  return (int32_t)count++;
}

static size_t encode(const lathe_tokenizer *tokenizer, const char *text,
                     int add_bos, int32_t *ids) {
  size_t n = 0;
  check_ok(lathe_tokenizer_encode(tokenizer, text, strlen(text), add_bos, 0,
                                  ids, 64, &n));
  return n;
}

static void test_llama(void) {
  count = 0;
  add("<unk>", 0, LATHE_TOKEN_UNKNOWN);
  add("<s>", 0, LATHE_TOKEN_CONTROL);
  add("</s>", 0, LATHE_TOKEN_CONTROL);
  for (int byte = 0; byte < 256; ++byte) {
    char text[8];
    snprintf(text, sizeof(text), "<0x%02X>", byte);
    add(text, 0, LATHE_TOKEN_BYTE);
  }
  int32_t space = add("\xe2\x96\x81", -1, LATHE_TOKEN_NORMAL);
  int32_t a = add("a", -2, LATHE_TOKEN_NORMAL);
  int32_t b = add("b", -3, LATHE_TOKEN_NORMAL);
  int32_t space_a = add("\xe2\x96\x81"
                        "a",
                        -4, LATHE_TOKEN_NORMAL);
  int32_t ab = add("ab", -5, LATHE_TOKEN_NORMAL);
  lathe_tokenizer_config config = {LATHE_TOKENIZER_LLAMA,
                                   count,
                                   texts,
                                   lengths,
                                   scores,
                                   types,
                                   0,
                                   NULL,
                                   NULL,
                                   1,
                                   2,
                                   0,
                                   -1,
                                   1,
                                   1};
  lathe_tokenizer *tokenizer = NULL;
  check_ok(lathe_tokenizer_create(&config, &tokenizer));
  CHECK(lathe_tokenizer_vocab_size(tokenizer) == count);
  CHECK(lathe_tokenizer_bos(tokenizer) == 1);
  CHECK(lathe_tokenizer_eos(tokenizer) == 2);

  int32_t ids[64];
  /* "▁ab": "▁a" scores better than "ab", so ▁a + b. */
  size_t n = encode(tokenizer, "ab", 1, ids);
  CHECK(n == 3 && ids[0] == 1 && ids[1] == space_a && ids[2] == b);
  /* "é" has no piece: its two bytes. */
  n = encode(tokenizer, "\xc3\xa9", 0, ids);
  CHECK(n == 3 && ids[0] == space && ids[1] == 3 + 0xc3 && ids[2] == 3 + 0xa9);
  n = encode(tokenizer, "", 1, ids);
  CHECK(n == 1 && ids[0] == 1);
  n = encode(tokenizer, "", 0, ids);
  CHECK(n == 0);
  (void)a;
  (void)ab;

  /* Control tokens only on request; a space follows them (llama.cpp). */
  check_ok(lathe_tokenizer_encode(tokenizer, "<s>a", 4, 0, 1, ids, 64, &n));
  CHECK(n == 2 && ids[0] == 1 && ids[1] == space_a);

  char text[64];
  size_t length;
  const int32_t sequence[] = {1, space_a, b, space, 3 + 0xc3, 3 + 0xa9, 2};
  check_ok(lathe_tokenizer_decode(tokenizer, sequence, 7, text, sizeof(text),
                                  &length));
  CHECK(length == 5 && memcmp(text, "ab \xc3\xa9", 5) == 0);
  check_error(lathe_tokenizer_decode(tokenizer, sequence, 7, text, 2, &length),
              "does not fit");
  CHECK(length == 5);
  check_ok(lathe_tokenizer_token_to_piece(tokenizer, space_a, 0, text,
                                          sizeof(text), &length));
  CHECK(length == 2 && memcmp(text, " a", 2) == 0);
  check_ok(lathe_tokenizer_token_to_piece(tokenizer, 1, 0, text, sizeof(text),
                                          &length));
  CHECK(length == 0);
  check_ok(lathe_tokenizer_token_to_piece(tokenizer, 1, 1, text, sizeof(text),
                                          &length));
  CHECK(length == 3 && memcmp(text, "<s>", 3) == 0);
  check_error(lathe_tokenizer_token_to_piece(tokenizer, (int32_t)count, 0, text,
                                             sizeof(text), &length),
              "outside");
  check_error(lathe_tokenizer_token_to_piece(tokenizer, -1, 0, text,
                                             sizeof(text), &length),
              "outside");

  /* Capacity too small: an error that still says how many ids. */
  check_error(lathe_tokenizer_encode(tokenizer, "ab", 2, 1, 0, ids, 2, &n),
              "do not fit");
  CHECK(n == 3);
  check_error(lathe_tokenizer_encode(tokenizer, "ab", 2, 1, 0, NULL, 0, &n),
              "do not fit");

  /* Invalid UTF-8: truncated, lone continuation, overlong, surrogate, beyond
   * U+10FFFF, invalid lead byte. */
  const char *invalid[] = {
      "a\xc3", "\x80", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff"};
  for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); ++i)
    check_error(lathe_tokenizer_encode(tokenizer, invalid[i],
                                       strlen(invalid[i]), 0, 0, ids, 64, &n),
                "invalid UTF-8");
  check_error(lathe_tokenizer_encode(NULL, "a", 1, 0, 0, ids, 64, &n),
              "missing");
  check_error(lathe_tokenizer_encode(tokenizer, NULL, 1, 0, 0, ids, 64, &n),
              "missing");
  lathe_tokenizer_free(tokenizer);

  /* Without byte tokens the unknown token stands for a missing character. */
  config.token_count = 3;
  config.add_space_prefix = 0;
  check_ok(lathe_tokenizer_create(&config, &tokenizer));
  n = encode(tokenizer, "", 0, ids);
  CHECK(n == 0);
  check_ok(lathe_tokenizer_encode(tokenizer, "x", 1, 0, 0, ids, 64, &n));
  CHECK(n == 1 && ids[0] == 0);
  lathe_tokenizer_free(tokenizer);
}

static void test_gpt2(void) {
  /* The 256 byte-level characters, then merges h e, l l, he ll, hell o. */
  count = 0;
  int32_t byte_ids[256];
  for (unsigned byte = 0; byte < 256; ++byte) {
    unsigned cp = byte;
    if (!((byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) ||
          byte >= 0xae)) {
      static unsigned next = 0x100;
      cp = next++;
    }
    char text[4];
    if (cp < 0x80) {
      text[0] = (char)cp, text[1] = 0;
    } else {
      text[0] = (char)(0xc0 | (cp >> 6)), text[1] = (char)(0x80 | (cp & 0x3f));
      text[2] = 0;
    }
    byte_ids[byte] = add(text, 0, LATHE_TOKEN_NORMAL);
  }
  add("he", 0, LATHE_TOKEN_NORMAL);
  add("ll", 0, LATHE_TOKEN_NORMAL);
  add("hell", 0, LATHE_TOKEN_NORMAL);
  int32_t hello = add("hello", 0, LATHE_TOKEN_NORMAL);
  int32_t eot = add("<|endoftext|>", 0, LATHE_TOKEN_CONTROL);
  const char *merges[] = {"h e", "l l", "he ll", "hell o"};
  size_t merge_lengths[] = {3, 3, 5, 6};
  lathe_tokenizer_config config = {
      LATHE_TOKENIZER_GPT2, count, texts, lengths, NULL, types, 4, merges,
      merge_lengths,        eot,   eot,   -1,      -1,   0,     0};
  lathe_tokenizer *tokenizer = NULL;
  check_ok(lathe_tokenizer_create(&config, &tokenizer));
  int32_t ids[64];
  size_t n = encode(tokenizer, "hello", 0, ids);
  CHECK(n == 1 && ids[0] == hello);
  /* " hello": one word "Ġhello" with no merge for Ġ. */
  n = encode(tokenizer, " hello\n", 0, ids);
  CHECK(n == 3 && ids[0] == byte_ids[' '] && ids[1] == hello &&
        ids[2] == byte_ids['\n']);
  check_ok(lathe_tokenizer_encode(tokenizer, "hello<|endoftext|>", 18, 0, 1,
                                  ids, 64, &n));
  CHECK(n == 2 && ids[0] == hello && ids[1] == eot);
  char text[64];
  size_t length;
  const int32_t sequence[] = {byte_ids[' '], hello, eot, byte_ids[0xc3],
                              byte_ids[0xa9]};
  check_ok(lathe_tokenizer_decode(tokenizer, sequence, 5, text, sizeof(text),
                                  &length));
  CHECK(length == 8 && memcmp(text, " hello\xc3\xa9", 8) == 0);
  lathe_tokenizer_free(tokenizer);

  /* Configuration errors. */
  const char *bad_merges[] = {"hello"};
  size_t bad_lengths[] = {5};
  config.merges = bad_merges;
  config.merge_lengths = bad_lengths;
  config.merge_count = 1;
  tokenizer = (lathe_tokenizer *)1;
  check_error(lathe_tokenizer_create(&config, &tokenizer), "merge 0");
  CHECK(tokenizer == NULL);
  config.merge_count = 0;
  config.bos_id = (int32_t)count;
  check_error(lathe_tokenizer_create(&config, &tokenizer), "BOS id");
  config.bos_id = -1;
  types[5] = 9;
  check_error(lathe_tokenizer_create(&config, &tokenizer), "unknown type 9");
  types[5] = LATHE_TOKEN_NORMAL;
  config.token_count = 0;
  check_error(lathe_tokenizer_create(&config, &tokenizer), "0 tokens");
  config.token_count = count;
  config.model = (lathe_tokenizer_model)7;
  check_error(lathe_tokenizer_create(&config, &tokenizer), "model kind");
  check_error(lathe_tokenizer_create(NULL, &tokenizer), "configuration");
  config.model = LATHE_TOKENIZER_GPT2;
  check_ok(lathe_tokenizer_create(&config, &tokenizer));
  check_error(lathe_tokenizer_encode(tokenizer, "a", 1, 1, 0, ids, 64, &n),
              "no BOS");
  lathe_tokenizer_free(tokenizer);
  lathe_tokenizer_free(NULL);
}

int main(void) {
  test_llama();
  test_gpt2();
  puts("PASS");
  return 0;
}
