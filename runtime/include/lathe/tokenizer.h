/*===- lathe/tokenizer.h - Text to token ids and back ---------------------===*
 *
 * The tokenizers of GGUF models, built from the arrays a GGUF file stores
 * under tokenizer.ggml.* (the caller reads the file; the runtime does not):
 *  - LATHE_TOKENIZER_LLAMA ("llama"): SentencePiece BPE. Spaces become U+2581,
 *    adjacent pieces merge by score, characters without a piece fall back to
 *    the <0xXX> byte tokens.
 *  - LATHE_TOKENIZER_GPT2 ("gpt2"): byte-level BPE. The GPT-2 pre-tokenizer
 *    splits the text, each word's bytes map to printable code points, then
 *    the merges apply in rank order.
 * Both follow llama.cpp (llm_tokenizer_spm, llm_tokenizer_bpe), which gives
 * the ids of the sentencepiece and Hugging Face tokenizers libraries.
 *
 * Conventions are those of lathe/runtime.h: calls that can fail return a
 * lathe_status (NULL on success), the caller owns what *_create returns.
 * A tokenizer is immutable once created; its calls may run concurrently.
 *===----------------------------------------------------------------------===*/
#ifndef LATHE_TOKENIZER_H
#define LATHE_TOKENIZER_H

#include "lathe/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lathe_tokenizer_model {
  LATHE_TOKENIZER_LLAMA = 0, /* tokenizer.ggml.model = "llama" */
  LATHE_TOKENIZER_GPT2 = 1   /* tokenizer.ggml.model = "gpt2" */
} lathe_tokenizer_model;

/* tokenizer.ggml.token_type values (llama.cpp's llama_token_type). */
typedef enum lathe_token_type {
  LATHE_TOKEN_UNDEFINED = 0,
  LATHE_TOKEN_NORMAL = 1,
  LATHE_TOKEN_UNKNOWN = 2,
  LATHE_TOKEN_CONTROL = 3,      /* <s>, </s>: matched in text only on request */
  LATHE_TOKEN_USER_DEFINED = 4, /* always matched in text as one token */
  LATHE_TOKEN_UNUSED = 5,
  LATHE_TOKEN_BYTE = 6 /* <0xXX> */
} lathe_token_type;

/* Everything a tokenizer is built from; the tokenizer copies what it needs,
 * so the arrays may be released after lathe_tokenizer_create. */
typedef struct lathe_tokenizer_config {
  lathe_tokenizer_model model;
  size_t token_count;
  const char *const *tokens;   /* token_count UTF-8 strings, not terminated */
  const size_t *token_lengths; /* in bytes */
  const float *scores;         /* token_count scores, or NULL (all 0) */
  const int32_t *token_types;  /* token_count lathe_token_type, or NULL */
  /* gpt2 only: "left right" strings, in rank order (first merges first). */
  size_t merge_count;
  const char *const *merges;
  const size_t *merge_lengths;
  /* Special token ids; -1 when the vocabulary has none. */
  int32_t bos_id, eos_id, unk_id, pad_id;
  int add_bos;          /* tokenizer.ggml.add_bos_token */
  int add_space_prefix; /* llama only: tokenizer.ggml.add_space_prefix */
} lathe_tokenizer_config;

typedef struct lathe_tokenizer lathe_tokenizer;

/* Checks `config` (ids in range, known token types, well-formed merges) and
 * builds the lookup tables. */
LATHE_API lathe_status lathe_tokenizer_create(
    const lathe_tokenizer_config *config, lathe_tokenizer **tokenizer);
LATHE_API void lathe_tokenizer_free(lathe_tokenizer *tokenizer);

LATHE_API size_t lathe_tokenizer_vocab_size(const lathe_tokenizer *tokenizer);
LATHE_API lathe_tokenizer_model
lathe_tokenizer_get_model(const lathe_tokenizer *tokenizer);
/* -1 when the vocabulary has none. */
LATHE_API int32_t lathe_tokenizer_bos(const lathe_tokenizer *tokenizer);
LATHE_API int32_t lathe_tokenizer_eos(const lathe_tokenizer *tokenizer);
/* The add_bos of the config: whether the model expects a BOS first. */
LATHE_API int lathe_tokenizer_adds_bos(const lathe_tokenizer *tokenizer);

/* Token ids of the `length` bytes of UTF-8 at `text`. With `add_bos` the ids
 * start with the BOS token (an error when there is none). User-defined tokens
 * in the text always become their id; control tokens (and the unknown token)
 * only with `parse_special`. Invalid UTF-8 is an error. When `capacity` ids do
 * not fit, the call fails and still sets *count to the number needed. */
LATHE_API lathe_status lathe_tokenizer_encode(const lathe_tokenizer *tokenizer,
                                              const char *text, size_t length,
                                              int add_bos, int parse_special,
                                              int32_t *ids, size_t capacity,
                                              size_t *count);

/* The bytes token `id` stands for: U+2581 as a space and <0xXX> as the byte
 * (llama), the byte-level code points as their bytes (gpt2). A piece may be
 * part of a UTF-8 character. Control tokens give their text with `special`,
 * nothing otherwise; the unknown token gives U+2585. The piece is not
 * terminated; when it does not fit in `capacity` bytes the call fails and
 * still sets *length to the size needed. */
LATHE_API lathe_status lathe_tokenizer_token_to_piece(
    const lathe_tokenizer *tokenizer, int32_t id, int special, char *piece,
    size_t capacity, size_t *length);

/* The text of `count` ids: their pieces, control tokens left out, and for
 * llama with add_space_prefix the leading space of the first piece removed
 * (the space that encoding added). Not terminated; sizes as above. */
LATHE_API lathe_status lathe_tokenizer_decode(const lathe_tokenizer *tokenizer,
                                              const int32_t *ids, size_t count,
                                              char *text, size_t capacity,
                                              size_t *length);

#ifdef __cplusplus
}
#endif

#endif /* LATHE_TOKENIZER_H */
