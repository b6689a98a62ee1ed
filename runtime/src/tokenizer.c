/*===- tokenizer.c - SentencePiece BPE and byte-level BPE tokenizers ------===*
 *
 * The algorithms are llama.cpp's (src/llama-vocab.cpp): special tokens are cut
 * out of the text first (longest first), then each remaining fragment goes
 * through llm_tokenizer_spm (merge the adjacent pair whose concatenation is
 * the best-scoring token, repeatedly) or llm_tokenizer_bpe (GPT-2 split, then
 * merge the adjacent pair of lowest merge rank, repeatedly). Ties go to the
 * leftmost pair, as in sentencepiece and Hugging Face tokenizers.
 *===----------------------------------------------------------------------===*/
#include "lathe/tokenizer.h"

#include "status.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*===--- Growable buffers -------------------------------------------------===*/

typedef struct id_list {
  int32_t *data;
  size_t size, capacity;
} id_list;

static int id_list_push(id_list *list, int32_t id) {
  if (list->size == list->capacity) {
    size_t capacity = list->capacity ? list->capacity * 2 : 64;
    int32_t *data = realloc(list->data, capacity * sizeof(int32_t));
    if (!data)
      return -1;
    list->data = data;
    list->capacity = capacity;
  }
  list->data[list->size++] = id;
  return 0;
}

typedef struct byte_buffer {
  char *data;
  size_t size, capacity;
} byte_buffer;

static int byte_buffer_reserve(byte_buffer *buffer, size_t extra) {
  if (extra > SIZE_MAX / 2 - buffer->size)
    return -1;
  size_t needed = buffer->size + extra;
  if (needed <= buffer->capacity)
    return 0;
  size_t capacity = buffer->capacity ? buffer->capacity : 64;
  while (capacity < needed)
    capacity *= 2;
  char *data = realloc(buffer->data, capacity);
  if (!data)
    return -1;
  buffer->data = data;
  buffer->capacity = capacity;
  return 0;
}

static int byte_buffer_append(byte_buffer *buffer, const char *bytes,
                              size_t length) {
  if (byte_buffer_reserve(buffer, length))
    return -1;
  if (length)
    memcpy(buffer->data + buffer->size, bytes, length);
  buffer->size += length;
  return 0;
}

/* Writes what fits into a caller's buffer and counts all of it, so that a
 * failed call can say how much room it needed. */
typedef struct piece_sink {
  char *data;
  size_t capacity, length;
} piece_sink;

static void sink_append(piece_sink *sink, const char *bytes, size_t length) {
  if (sink->length <= sink->capacity && length <= sink->capacity - sink->length)
    memcpy(sink->data + sink->length, bytes, length);
  sink->length += length;
}

/*===--- UTF-8 ------------------------------------------------------------===*/

/* Decodes the character at `s` (n > 0 bytes available): its length, or 0 for
 * an invalid sequence (bad lead or continuation byte, overlong form,
 * surrogate, beyond U+10FFFF, truncated). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp) {
  unsigned char lead = s[0];
  size_t length;
  uint32_t value, min;
  if (lead < 0x80) {
    *cp = lead;
    return 1;
  } else if ((lead & 0xe0) == 0xc0) {
    length = 2, value = lead & 0x1f, min = 0x80;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3, value = lead & 0x0f, min = 0x800;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4, value = lead & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (length > n)
    return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    value = (value << 6) | (s[i] & 0x3f);
  }
  if (value < min || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))
    return 0;
  *cp = value;
  return length;
}

static size_t utf8_encode(uint32_t cp, char *out) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xc0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xe0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  out[0] = (char)(0xf0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
  out[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

/* Byte offset of the first invalid sequence in `text`, or `length`. */
static size_t utf8_first_invalid(const char *text, size_t length) {
  size_t offset = 0;
  while (offset < length) {
    uint32_t cp;
    size_t n =
        utf8_decode((const unsigned char *)text + offset, length - offset, &cp);
    if (!n)
      return offset;
    offset += n;
  }
  return length;
}

/* Length of the (valid) UTF-8 character starting with `lead`. */
static size_t utf8_length(unsigned char lead) {
  if (lead < 0x80)
    return 1;
  if ((lead & 0xe0) == 0xc0)
    return 2;
  if ((lead & 0xf0) == 0xe0)
    return 3;
  return 4;
}

/*===--- Character classes of the GPT-2 pre-tokenizer ---------------------===*
 * The pattern needs \p{L}, \p{N} and \s. A full Unicode table is 100s of KiB;
 * this one is an approximation by blocks: the letters of the Latin, Greek,
 * Cyrillic, Armenian, Hebrew, Arabic, Indic, Thai, Georgian, Hangul, kana,
 * Bopomofo, CJK (with extensions) and fullwidth ranges, and the decimal digits
 * and common numeric symbols of those scripts. Combining marks (\p{M}) are not
 * letters here, as in Unicode. A character of a script not listed counts as
 * neither letter nor number, so it joins the punctuation-and-symbols word.
 *===----------------------------------------------------------------------===*/

typedef struct cp_range {
  uint32_t first, last;
} cp_range;

static const cp_range letter_ranges[] = {
    {0x41, 0x5a},       {0x61, 0x7a},       {0xaa, 0xaa},
    {0xb5, 0xb5},       {0xba, 0xba},       {0xc0, 0xd6},
    {0xd8, 0xf6},       {0xf8, 0x2c1},      {0x2c6, 0x2d1},
    {0x2e0, 0x2e4},     {0x2ec, 0x2ec},     {0x2ee, 0x2ee},
    {0x370, 0x374},     {0x376, 0x377},     {0x37a, 0x37d},
    {0x37f, 0x37f},     {0x386, 0x386},     {0x388, 0x38a},
    {0x38c, 0x38c},     {0x38e, 0x3a1},     {0x3a3, 0x3f5},
    {0x3f7, 0x481},     {0x48a, 0x52f},     {0x531, 0x556},
    {0x559, 0x559},     {0x560, 0x588},     {0x5d0, 0x5ea},
    {0x5ef, 0x5f2},     {0x620, 0x64a},     {0x66e, 0x66f},
    {0x671, 0x6d3},     {0x6d5, 0x6d5},     {0x904, 0x939},
    {0x93d, 0x93d},     {0x950, 0x950},     {0x958, 0x961},
    {0x971, 0x980},     {0x985, 0x9b9},     {0xe01, 0xe30},
    {0xe32, 0xe33},     {0xe40, 0xe46},     {0x10a0, 0x10c5},
    {0x10d0, 0x10fa},   {0x10fc, 0x10ff},   {0x1100, 0x11ff},
    {0x1e00, 0x1f15},   {0x1f18, 0x1f1d},   {0x1f20, 0x1f45},
    {0x1f48, 0x1f4d},   {0x1f50, 0x1f57},   {0x1f59, 0x1f7d},
    {0x1f80, 0x1fb4},   {0x1fb6, 0x1fbc},   {0x1fc2, 0x1fc4},
    {0x1fc6, 0x1fcc},   {0x1fd0, 0x1fd3},   {0x1fd6, 0x1fdb},
    {0x1fe0, 0x1fec},   {0x1ff2, 0x1ff4},   {0x1ff6, 0x1ffc},
    {0x2071, 0x2071},   {0x207f, 0x207f},   {0x2090, 0x209c},
    {0x2c00, 0x2ce4},   {0x2d00, 0x2d25},   {0x3005, 0x3006},
    {0x3031, 0x3035},   {0x303b, 0x303c},   {0x3041, 0x3096},
    {0x309d, 0x309f},   {0x30a1, 0x30fa},   {0x30fc, 0x30ff},
    {0x3105, 0x312f},   {0x3131, 0x318e},   {0x31a0, 0x31bf},
    {0x31f0, 0x31ff},   {0x3400, 0x4dbf},   {0x4e00, 0x9fff},
    {0xa000, 0xa48c},   {0xac00, 0xd7a3},   {0xf900, 0xfa6d},
    {0xfa70, 0xfad9},   {0xff21, 0xff3a},   {0xff41, 0xff5a},
    {0xff66, 0xffbe},   {0x20000, 0x2a6df}, {0x2a700, 0x2ebe0},
    {0x2f800, 0x2fa1d}, {0x30000, 0x3134a},
};

static const cp_range number_ranges[] = {
    {0x30, 0x39},     {0xb2, 0xb3},     {0xb9, 0xb9},     {0xbc, 0xbe},
    {0x660, 0x669},   {0x6f0, 0x6f9},   {0x966, 0x96f},   {0x9e6, 0x9ef},
    {0xe50, 0xe59},   {0x2070, 0x2070}, {0x2074, 0x2079}, {0x2080, 0x2089},
    {0x2150, 0x2189}, {0x2460, 0x249b}, {0x24ea, 0x24ff}, {0x2776, 0x2793},
    {0x3007, 0x3007}, {0x3021, 0x3029}, {0x3038, 0x303a}, {0x3192, 0x3195},
    {0x3220, 0x3229}, {0x3248, 0x324f}, {0x3251, 0x325f}, {0x3280, 0x3289},
    {0x32b1, 0x32bf}, {0xff10, 0xff19},
};

static int in_ranges(const cp_range *ranges, size_t count, uint32_t cp) {
  size_t low = 0, high = count;
  while (low < high) {
    size_t middle = low + (high - low) / 2;
    if (cp < ranges[middle].first)
      high = middle;
    else if (cp > ranges[middle].last)
      low = middle + 1;
    else
      return 1;
  }
  return 0;
}

static int is_letter(uint32_t cp) {
  return in_ranges(letter_ranges, sizeof(letter_ranges) / sizeof(cp_range), cp);
}

static int is_number(uint32_t cp) {
  return in_ranges(number_ranges, sizeof(number_ranges) / sizeof(cp_range), cp);
}

/* Unicode White_Space, which is what \s matches. */
static int is_whitespace(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/*===--- String to int32 hash map -----------------------------------------===*/

typedef struct string_slot {
  const char *key; /* NULL: empty slot */
  size_t length;
  int32_t value;
} string_slot;

typedef struct string_map {
  string_slot *slots;
  size_t mask; /* slot count - 1; the count is a power of two */
} string_map;

static uint64_t hash_bytes(const char *bytes, size_t length) {
  uint64_t hash = 0xcbf29ce484222325ull; /* FNV-1a 64 */
  for (size_t i = 0; i < length; ++i) {
    hash ^= (unsigned char)bytes[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

static int string_map_init(string_map *map, size_t count) {
  size_t slots = 16;
  while (slots < 2 * count + 1)
    slots *= 2;
  map->slots = calloc(slots, sizeof(string_slot));
  map->mask = slots - 1;
  return map->slots ? 0 : -1;
}

static string_slot *string_map_slot(const string_map *map, const char *key,
                                    size_t length) {
  size_t index = (size_t)hash_bytes(key, length) & map->mask;
  for (;;) {
    string_slot *slot = &map->slots[index];
    if (!slot->key ||
        (slot->length == length && memcmp(slot->key, key, length) == 0))
      return slot;
    index = (index + 1) & map->mask;
  }
}

/* `key` must outlive the map. With `replace` a later value for the same key
 * wins (llama.cpp's token_to_id), without it the first (its bpe_ranks). */
static void string_map_insert(string_map *map, const char *key, size_t length,
                              int32_t value, int replace) {
  string_slot *slot = string_map_slot(map, key, length);
  if (slot->key && !replace)
    return;
  slot->key = key;
  slot->length = length;
  slot->value = value;
}

static int32_t string_map_find(const string_map *map, const char *key,
                               size_t length) {
  const string_slot *slot = string_map_slot(map, key, length);
  return slot->key ? slot->value : -1;
}

/*===--- The tokenizer ----------------------------------------------------===*/

typedef struct token_entry {
  const char *text; /* in the tokenizer's arena */
  size_t length;
  float score;
  int32_t type;
} token_entry;

struct lathe_tokenizer {
  lathe_tokenizer_model model;
  size_t token_count;
  token_entry *tokens;
  char *arena; /* token and merge texts */
  string_map token_ids;
  string_map merge_ranks; /* gpt2: "left right" -> rank */
  /* Tokens cut out of the text before the tokenizer proper runs: control,
   * user-defined and unknown, longest first. */
  int32_t *special_ids;
  size_t special_count;
  /* The token of each byte: <0xXX> (llama) or the byte's code point (gpt2);
   * -1 when the vocabulary has none. */
  int32_t byte_tokens[256];
  /* gpt2: the code point that stands for each byte, and back. */
  uint32_t byte_to_cp[256];
  int16_t cp_to_byte[0x144]; /* -1 where no byte maps */
  int32_t bos_id, eos_id, unk_id, pad_id;
  int add_bos, add_space_prefix;
};

/* GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the
 * others (controls, space, DEL, NBSP, soft hyphen) for U+0100 on. */
static void init_byte_mapping(lathe_tokenizer *tokenizer) {
  uint32_t next = 0x100;
  for (size_t i = 0; i < sizeof(tokenizer->cp_to_byte) / sizeof(int16_t); ++i)
    tokenizer->cp_to_byte[i] = -1;
  for (uint32_t byte = 0; byte < 256; ++byte) {
    int printable = (byte >= 0x21 && byte <= 0x7e) ||
                    (byte >= 0xa1 && byte <= 0xac) || byte >= 0xae;
    uint32_t cp = printable ? byte : next++;
    tokenizer->byte_to_cp[byte] = cp;
    tokenizer->cp_to_byte[cp] = (int16_t)byte;
  }
}

/* qsort has no context argument in C11: sort the ids by a key computed up
 * front instead. */
typedef struct special_key {
  size_t length;
  int32_t id;
} special_key;

static int compare_special_key(const void *a, const void *b) {
  const special_key *x = a, *y = b;
  if (x->length != y->length)
    return x->length > y->length ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

void lathe_tokenizer_free(lathe_tokenizer *tokenizer) {
  if (!tokenizer)
    return;
  free(tokenizer->tokens);
  free(tokenizer->arena);
  free(tokenizer->token_ids.slots);
  free(tokenizer->merge_ranks.slots);
  free(tokenizer->special_ids);
  free(tokenizer);
}

static lathe_status check_special_id(const char *name, int32_t id,
                                     size_t token_count) {
  if (id < -1 || (id >= 0 && (size_t)id >= token_count))
    return lathe_status_create("tokenizer: %s id %d is outside the vocabulary "
                               "of %zu tokens",
                               name, (int)id, token_count);
  return NULL;
}

static lathe_status check_config(const lathe_tokenizer_config *config) {
  if (config->model != LATHE_TOKENIZER_LLAMA &&
      config->model != LATHE_TOKENIZER_GPT2)
    return lathe_status_create("tokenizer: unknown model kind %d",
                               (int)config->model);
  if (config->token_count == 0 || config->token_count > INT32_MAX)
    return lathe_status_create("tokenizer: %zu tokens (need 1 to %d)",
                               config->token_count, INT32_MAX);
  if (!config->tokens || !config->token_lengths)
    return lathe_status_create("tokenizer: no token texts or lengths");
  for (size_t i = 0; i < config->token_count; ++i) {
    if (config->token_lengths[i] && !config->tokens[i])
      return lathe_status_create("tokenizer: token %zu has no text", i);
    if (config->token_types && (config->token_types[i] < 0 ||
                                config->token_types[i] > LATHE_TOKEN_BYTE))
      return lathe_status_create("tokenizer: token %zu has unknown type %d", i,
                                 (int)config->token_types[i]);
  }
  if (config->merge_count && (!config->merges || !config->merge_lengths))
    return lathe_status_create("tokenizer: no merge texts or lengths");
  if (config->merge_count > INT32_MAX)
    return lathe_status_create("tokenizer: %zu merges (at most %d)",
                               config->merge_count, INT32_MAX);
  for (size_t i = 0; i < config->merge_count; ++i) {
    const char *merge = config->merges[i];
    size_t length = config->merge_lengths[i];
    /* As llama.cpp: the separator is the first space after the first byte. */
    if (!merge || length < 3 || !memchr(merge + 1, ' ', length - 2))
      return lathe_status_create("tokenizer: merge %zu is not \"left right\"",
                                 i);
  }
  lathe_status status;
  if ((status = check_special_id("BOS", config->bos_id, config->token_count)) ||
      (status = check_special_id("EOS", config->eos_id, config->token_count)) ||
      (status =
           check_special_id("unknown", config->unk_id, config->token_count)) ||
      (status =
           check_special_id("padding", config->pad_id, config->token_count)))
    return status;
  return NULL;
}

lathe_status lathe_tokenizer_create(const lathe_tokenizer_config *config,
                                    lathe_tokenizer **tokenizer_out) {
  if (!tokenizer_out)
    return lathe_status_create("tokenizer: no output handle");
  *tokenizer_out = NULL;
  if (!config)
    return lathe_status_create("tokenizer: no configuration");
  lathe_status status = check_config(config);
  if (status)
    return status;

  size_t arena_size = 0;
  for (size_t i = 0; i < config->token_count; ++i) {
    if (config->token_lengths[i] > SIZE_MAX / 2 - arena_size)
      return lathe_status_create("tokenizer: token texts too large");
    arena_size += config->token_lengths[i];
  }
  for (size_t i = 0; i < config->merge_count; ++i) {
    if (config->merge_lengths[i] > SIZE_MAX / 2 - arena_size)
      return lathe_status_create("tokenizer: merge texts too large");
    arena_size += config->merge_lengths[i];
  }

  lathe_tokenizer *tokenizer = calloc(1, sizeof(lathe_tokenizer));
  if (!tokenizer)
    return lathe_status_create("tokenizer: out of memory");
  tokenizer->model = config->model;
  tokenizer->token_count = config->token_count;
  tokenizer->bos_id = config->bos_id;
  tokenizer->eos_id = config->eos_id;
  tokenizer->unk_id = config->unk_id;
  tokenizer->pad_id = config->pad_id;
  tokenizer->add_bos = config->add_bos != 0;
  tokenizer->add_space_prefix = config->add_space_prefix != 0;
  init_byte_mapping(tokenizer);

  tokenizer->tokens = calloc(config->token_count, sizeof(token_entry));
  tokenizer->arena = malloc(arena_size ? arena_size : 1);
  tokenizer->special_ids = calloc(config->token_count, sizeof(int32_t));
  special_key *keys = calloc(config->token_count, sizeof(special_key));
  if (!tokenizer->tokens || !tokenizer->arena || !tokenizer->special_ids ||
      !keys || string_map_init(&tokenizer->token_ids, config->token_count) ||
      string_map_init(&tokenizer->merge_ranks, config->merge_count)) {
    free(keys);
    lathe_tokenizer_free(tokenizer);
    return lathe_status_create("tokenizer: out of memory");
  }

  char *cursor = tokenizer->arena;
  for (size_t i = 0; i < config->token_count; ++i) {
    token_entry *token = &tokenizer->tokens[i];
    token->length = config->token_lengths[i];
    token->text = cursor;
    if (token->length)
      memcpy(cursor, config->tokens[i], token->length);
    cursor += token->length;
    token->score = config->scores ? config->scores[i] : 0.0f;
    token->type =
        config->token_types ? config->token_types[i] : LATHE_TOKEN_NORMAL;
    string_map_insert(&tokenizer->token_ids, token->text, token->length,
                      (int32_t)i, 1);
    if (token->length && (token->type == LATHE_TOKEN_CONTROL ||
                          token->type == LATHE_TOKEN_USER_DEFINED ||
                          token->type == LATHE_TOKEN_UNKNOWN)) {
      keys[tokenizer->special_count].length = token->length;
      keys[tokenizer->special_count].id = (int32_t)i;
      ++tokenizer->special_count;
    }
  }
  qsort(keys, tokenizer->special_count, sizeof(special_key),
        compare_special_key);
  for (size_t i = 0; i < tokenizer->special_count; ++i)
    tokenizer->special_ids[i] = keys[i].id;
  free(keys);

  for (size_t i = 0; i < config->merge_count; ++i) {
    memcpy(cursor, config->merges[i], config->merge_lengths[i]);
    string_map_insert(&tokenizer->merge_ranks, cursor, config->merge_lengths[i],
                      (int32_t)i, 0);
    cursor += config->merge_lengths[i];
  }

  for (uint32_t byte = 0; byte < 256; ++byte) {
    char text[8];
    int32_t id;
    if (tokenizer->model == LATHE_TOKENIZER_LLAMA) {
      snprintf(text, sizeof(text), "<0x%02X>", byte);
      id = string_map_find(&tokenizer->token_ids, text, 6);
      if (id < 0) {
        /* As llama.cpp: the byte as a one-character token. */
        text[0] = (char)byte;
        id = string_map_find(&tokenizer->token_ids, text, 1);
      }
    } else {
      size_t length = utf8_encode(tokenizer->byte_to_cp[byte], text);
      id = string_map_find(&tokenizer->token_ids, text, length);
    }
    tokenizer->byte_tokens[byte] = id;
  }

  *tokenizer_out = tokenizer;
  return NULL;
}

size_t lathe_tokenizer_vocab_size(const lathe_tokenizer *tokenizer) {
  return tokenizer ? tokenizer->token_count : 0;
}

lathe_tokenizer_model lathe_tokenizer_get_model(const lathe_tokenizer *t) {
  return t ? t->model : LATHE_TOKENIZER_LLAMA;
}

int32_t lathe_tokenizer_bos(const lathe_tokenizer *t) {
  return t ? t->bos_id : -1;
}

int32_t lathe_tokenizer_eos(const lathe_tokenizer *t) {
  return t ? t->eos_id : -1;
}

int lathe_tokenizer_adds_bos(const lathe_tokenizer *t) {
  return t ? t->add_bos : 0;
}

/*===--- Pair merging, shared by both models ------------------------------===*/

/* A run of bytes of the text being merged; n == 0 once merged into the
 * symbol on its left. */
typedef struct symbol {
  int prev, next;
  size_t start, n;
} symbol;

/* A candidate merge of symbols[left] and its right neighbour. Lower key
 * first: minus the score (llama) or the merge rank (gpt2), then leftmost. */
typedef struct bigram {
  double key;
  int left, right;
  size_t size;
} bigram;

typedef struct bigram_heap {
  bigram *data;
  size_t size, capacity;
} bigram_heap;

static int bigram_before(const bigram *a, const bigram *b) {
  return a->key < b->key || (a->key == b->key && a->left < b->left);
}

static int heap_push(bigram_heap *heap, bigram item) {
  if (heap->size == heap->capacity) {
    size_t capacity = heap->capacity ? heap->capacity * 2 : 64;
    bigram *data = realloc(heap->data, capacity * sizeof(bigram));
    if (!data)
      return -1;
    heap->data = data;
    heap->capacity = capacity;
  }
  size_t i = heap->size++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!bigram_before(&item, &heap->data[parent]))
      break;
    heap->data[i] = heap->data[parent];
    i = parent;
  }
  heap->data[i] = item;
  return 0;
}

static bigram heap_pop(bigram_heap *heap) {
  bigram top = heap->data[0];
  bigram last = heap->data[--heap->size];
  size_t i = 0;
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= heap->size)
      break;
    if (child + 1 < heap->size &&
        bigram_before(&heap->data[child + 1], &heap->data[child]))
      ++child;
    if (!bigram_before(&heap->data[child], &last))
      break;
    heap->data[i] = heap->data[child];
    i = child;
  }
  if (heap->size)
    heap->data[i] = last;
  return top;
}

/* State of one encode call. */
typedef struct encode_session {
  const lathe_tokenizer *tokenizer;
  id_list output;
  byte_buffer text;    /* the fragment being merged, after escaping/mapping */
  byte_buffer scratch; /* merge lookup keys */
  symbol *symbols;
  size_t symbol_capacity;
  bigram_heap heap;
} encode_session;

static void session_release(encode_session *session) {
  free(session->output.data);
  free(session->text.data);
  free(session->scratch.data);
  free(session->symbols);
  free(session->heap.data);
}

/* Queues the merge of symbols `left` and `right` when the model has one. */
static int try_add_bigram(encode_session *session, int left, int right) {
  if (left < 0 || right < 0)
    return 0;
  const lathe_tokenizer *tokenizer = session->tokenizer;
  const symbol *l = &session->symbols[left], *r = &session->symbols[right];
  const char *text = session->text.data;
  bigram item = {0.0, left, right, l->n + r->n};
  if (tokenizer->model == LATHE_TOKENIZER_LLAMA) {
    int32_t id =
        string_map_find(&tokenizer->token_ids, text + l->start, item.size);
    if (id < 0)
      return 0;
    item.key = -(double)tokenizer->tokens[id].score;
  } else {
    session->scratch.size = 0;
    if (byte_buffer_append(&session->scratch, text + l->start, l->n) ||
        byte_buffer_append(&session->scratch, " ", 1) ||
        byte_buffer_append(&session->scratch, text + r->start, r->n))
      return -1;
    int32_t rank = string_map_find(
        &tokenizer->merge_ranks, session->scratch.data, session->scratch.size);
    if (rank < 0)
      return 0;
    item.key = (double)rank;
  }
  return heap_push(&session->heap, item);
}

/* The tokens of one unmerged-or-merged symbol: its token, else its bytes. */
static lathe_status emit_symbol(encode_session *session, const symbol *sym) {
  const lathe_tokenizer *tokenizer = session->tokenizer;
  const char *text = session->text.data + sym->start;
  int32_t id = string_map_find(&tokenizer->token_ids, text, sym->n);
  if (id >= 0)
    return id_list_push(&session->output, id)
               ? lathe_status_create("tokenizer: out of memory")
               : NULL;
  /* Byte fallback. For gpt2 the symbol holds byte-level code points: map
   * them back to the bytes they stand for. */
  size_t offset = 0;
  while (offset < sym->n) {
    uint32_t byte;
    size_t step = 1;
    if (tokenizer->model == LATHE_TOKENIZER_GPT2) {
      step = utf8_decode((const unsigned char *)text + offset, sym->n - offset,
                         &byte);
      byte = step && byte < sizeof(tokenizer->cp_to_byte) / sizeof(int16_t)
                 ? (uint32_t)tokenizer->cp_to_byte[byte]
                 : 0xffffffffu;
      if (!step)
        step = 1;
    } else {
      byte = (unsigned char)text[offset];
    }
    id = byte < 256 ? tokenizer->byte_tokens[byte] : -1;
    if (id < 0)
      id = tokenizer->unk_id;
    if (id < 0)
      return lathe_status_create("tokenizer: no token for byte 0x%02X and no "
                                 "unknown token",
                                 (unsigned)byte);
    if (id_list_push(&session->output, id))
      return lathe_status_create("tokenizer: out of memory");
    offset += step;
  }
  return NULL;
}

/* Splits session->text into UTF-8 characters, merges, emits the tokens. */
static lathe_status merge_and_emit(encode_session *session) {
  size_t length = session->text.size;
  if (length == 0)
    return NULL;
  if (length > session->symbol_capacity) {
    symbol *symbols = realloc(session->symbols, length * sizeof(symbol));
    if (!symbols)
      return lathe_status_create("tokenizer: out of memory");
    session->symbols = symbols;
    session->symbol_capacity = length;
  }
  if (length > INT32_MAX)
    return lathe_status_create("tokenizer: text too long");
  int count = 0;
  for (size_t offset = 0; offset < length; ++count) {
    size_t n = utf8_length((unsigned char)session->text.data[offset]);
    if (n > length - offset)
      n = length - offset;
    symbol *sym = &session->symbols[count];
    sym->prev = count - 1;
    sym->next = offset + n < length ? count + 1 : -1;
    sym->start = offset;
    sym->n = n;
    offset += n;
  }

  session->heap.size = 0;
  for (int i = 1; i < count; ++i)
    if (try_add_bigram(session, i - 1, i))
      return lathe_status_create("tokenizer: out of memory");
  while (session->heap.size) {
    bigram item = heap_pop(&session->heap);
    symbol *l = &session->symbols[item.left];
    symbol *r = &session->symbols[item.right];
    /* Outdated: one side was merged into something else since. */
    if (l->n == 0 || r->n == 0 || l->next != item.right ||
        l->n + r->n != item.size)
      continue;
    l->n += r->n;
    r->n = 0;
    l->next = r->next;
    if (r->next >= 0)
      session->symbols[r->next].prev = item.left;
    if (try_add_bigram(session, l->prev, item.left) ||
        try_add_bigram(session, item.left, l->next))
      return lathe_status_create("tokenizer: out of memory");
  }

  for (int i = 0; i != -1; i = session->symbols[i].next) {
    lathe_status status = emit_symbol(session, &session->symbols[i]);
    if (status)
      return status;
  }
  return NULL;
}

/*===--- SentencePiece (llama) --------------------------------------------===*/

static lathe_status encode_spm(encode_session *session, const char *text,
                               size_t length, int space_prefix) {
  static const char escaped_space[] = "\xe2\x96\x81"; /* U+2581 */
  byte_buffer *out = &session->text;
  out->size = 0;
  if (space_prefix && byte_buffer_append(out, escaped_space, 3))
    return lathe_status_create("tokenizer: out of memory");
  for (size_t i = 0; i < length; ++i) {
    int failed = text[i] == ' ' ? byte_buffer_append(out, escaped_space, 3)
                                : byte_buffer_append(out, text + i, 1);
    if (failed)
      return lathe_status_create("tokenizer: out of memory");
  }
  return merge_and_emit(session);
}

/*===--- Byte-level BPE (gpt2) --------------------------------------------===*/

/* Appends the byte-level form of text[start, end) to session->text and
 * merges it. */
static lathe_status encode_bpe_word(encode_session *session, const char *text,
                                    size_t start, size_t end) {
  const lathe_tokenizer *tokenizer = session->tokenizer;
  session->text.size = 0;
  for (size_t i = start; i < end; ++i) {
    char encoded[4];
    size_t n =
        utf8_encode(tokenizer->byte_to_cp[(unsigned char)text[i]], encoded);
    if (byte_buffer_append(&session->text, encoded, n))
      return lathe_status_create("tokenizer: out of memory");
  }
  return merge_and_emit(session);
}

/* The GPT-2 pre-tokenizer, by hand as llama.cpp's
 * unicode_regex_split_custom_gpt2:
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * over the code points of the (valid UTF-8) fragment; each word is merged
 * separately. */
static lathe_status encode_bpe(encode_session *session, const char *text,
                               size_t length) {
  /* Code points and their byte offsets; offsets[count] == length. */
  uint32_t *cps = malloc((length + 1) * sizeof(uint32_t));
  size_t *offsets = malloc((length + 1) * sizeof(size_t));
  if (!cps || !offsets) {
    free(cps);
    free(offsets);
    return lathe_status_create("tokenizer: out of memory");
  }
  size_t count = 0;
  for (size_t offset = 0; offset < length; ++count) {
    offsets[count] = offset;
    offset += utf8_decode((const unsigned char *)text + offset, length - offset,
                          &cps[count]);
  }
  offsets[count] = length;

  enum { LETTER = 1, NUMBER = 2, SPACE = 4, OUT_OF_RANGE = 8 };
#define CLASS_AT(i)                                                            \
  ((i) >= count ? OUT_OF_RANGE                                                 \
                : (is_letter(cps[i])       ? LETTER                            \
                   : is_number(cps[i])     ? NUMBER                            \
                   : is_whitespace(cps[i]) ? SPACE                             \
                                           : 0))
#define CP_AT(i) ((i) < count ? cps[i] : 0xffffffffu)

  lathe_status status = NULL;
  size_t pos = 0;
  while (pos < count && !status) {
    size_t start = pos;
    uint32_t cp = cps[pos];
    int cls = CLASS_AT(pos);
    if (cp == '\'' && pos + 1 < count) {
      uint32_t next = CP_AT(pos + 1), after = CP_AT(pos + 2);
      if (next == 's' || next == 't' || next == 'm' || next == 'd') {
        pos += 2;
        goto word;
      }
      if ((next == 'r' && after == 'e') || (next == 'v' && after == 'e') ||
          (next == 'l' && after == 'l')) {
        pos += 3;
        goto word;
      }
    }
    int cls2 = cp == ' ' ? CLASS_AT(pos + 1) : cls;
    if (cls2 & LETTER) {
      pos += cp == ' ';
      while (CLASS_AT(pos) & LETTER)
        ++pos;
      goto word;
    }
    if (cls2 & NUMBER) {
      pos += cp == ' ';
      while (CLASS_AT(pos) & NUMBER)
        ++pos;
      goto word;
    }
    if (cls2 == 0) {
      pos += cp == ' ';
      while (CLASS_AT(pos) == 0)
        ++pos;
      goto word;
    }
    {
      size_t spaces = 0;
      while (CLASS_AT(pos + spaces) & SPACE)
        ++spaces;
      if (spaces > 1 && pos + spaces < count) {
        pos += spaces - 1; /* \s+(?!\S): leave one for the next word */
        goto word;
      }
      if (spaces > 0) {
        pos += spaces;
        goto word;
      }
    }
    ++pos;
  word:
    status = encode_bpe_word(session, text, offsets[start], offsets[pos]);
  }
#undef CLASS_AT
#undef CP_AT
  free(cps);
  free(offsets);
  return status;
}

/*===--- Encoding ---------------------------------------------------------===*/

/* A piece of the text: a special token's id, or text[start, start + length)
 * still to tokenize (id -1). */
typedef struct fragment {
  int32_t id;
  size_t start, length;
} fragment;

static const char *find_bytes(const char *haystack, size_t haystack_length,
                              const char *needle, size_t needle_length) {
  if (needle_length == 0 || needle_length > haystack_length)
    return NULL;
  size_t last = haystack_length - needle_length;
  for (size_t i = 0; i <= last; ++i) {
    const char *hit = memchr(haystack + i, needle[0], last - i + 1);
    if (!hit)
      return NULL;
    i = (size_t)(hit - haystack);
    if (memcmp(hit, needle, needle_length) == 0)
      return hit;
  }
  return NULL;
}

typedef struct fragment_list {
  fragment *data;
  size_t size, capacity;
} fragment_list;

static int fragment_push(fragment_list *list, fragment item) {
  if (list->size == list->capacity) {
    size_t capacity = list->capacity ? list->capacity * 2 : 16;
    fragment *data = realloc(list->data, capacity * sizeof(fragment));
    if (!data)
      return -1;
    list->data = data;
    list->capacity = capacity;
  }
  list->data[list->size++] = item;
  return 0;
}

/* Cuts the special tokens out of `text`, longest first, each at every
 * occurrence from left to right (llama.cpp's tokenizer_st_partition). On
 * success `fragments` holds the pieces in order; the caller frees it. */
static lathe_status partition_special(const lathe_tokenizer *tokenizer,
                                      const char *text, size_t length,
                                      int parse_special,
                                      fragment_list *fragments) {
  fragment_list current = {0}, next = {0};
  if (fragment_push(&current, (fragment){-1, 0, length}))
    return lathe_status_create("tokenizer: out of memory");
  for (size_t s = 0; s < tokenizer->special_count; ++s) {
    int32_t id = tokenizer->special_ids[s];
    const token_entry *special = &tokenizer->tokens[id];
    if (!parse_special && special->type != LATHE_TOKEN_USER_DEFINED)
      continue;
    next.size = 0;
    int failed = 0;
    for (size_t f = 0; f < current.size && !failed; ++f) {
      fragment piece = current.data[f];
      while (piece.id < 0 && !failed) {
        const char *base = text + piece.start;
        const char *hit =
            find_bytes(base, piece.length, special->text, special->length);
        if (!hit)
          break;
        size_t before = (size_t)(hit - base);
        if (before)
          failed |= fragment_push(&next, (fragment){-1, piece.start, before});
        failed |= fragment_push(&next, (fragment){id, 0, 0});
        piece.start += before + special->length;
        piece.length -= before + special->length;
      }
      if (piece.id >= 0 || piece.length)
        failed |= fragment_push(&next, piece);
    }
    if (failed) {
      free(current.data);
      free(next.data);
      return lathe_status_create("tokenizer: out of memory");
    }
    fragment_list swap = current;
    current = next;
    next = swap;
  }
  free(next.data);
  *fragments = current;
  return NULL;
}

lathe_status lathe_tokenizer_encode(const lathe_tokenizer *tokenizer,
                                    const char *text, size_t length,
                                    int add_bos, int parse_special,
                                    int32_t *ids, size_t capacity,
                                    size_t *count) {
  if (count)
    *count = 0;
  if (!tokenizer || !count || (!text && length) || (!ids && capacity))
    return lathe_status_create("tokenizer: encode: missing argument");
  size_t invalid = utf8_first_invalid(text, length);
  if (invalid < length)
    return lathe_status_create("tokenizer: invalid UTF-8 at byte %zu", invalid);
  if (add_bos && tokenizer->bos_id < 0)
    return lathe_status_create("tokenizer: BOS requested but the vocabulary "
                               "has no BOS token");

  encode_session session = {tokenizer, {0}, {0}, {0}, NULL, 0, {0}};
  lathe_status status = NULL;
  if (add_bos && id_list_push(&session.output, tokenizer->bos_id))
    status = lathe_status_create("tokenizer: out of memory");

  fragment_list fragments = {0};
  if (!status && length)
    status =
        partition_special(tokenizer, text, length, parse_special, &fragments);
  /* llama.cpp: a space goes before the text at the start and after each
   * special token. */
  int prev_special = 1;
  for (size_t f = 0; f < fragments.size && !status; ++f) {
    const fragment *piece = &fragments.data[f];
    if (piece->id >= 0) {
      if (id_list_push(&session.output, piece->id))
        status = lathe_status_create("tokenizer: out of memory");
      prev_special = 1;
      continue;
    }
    if (tokenizer->model == LATHE_TOKENIZER_LLAMA)
      status = encode_spm(&session, text + piece->start, piece->length,
                          tokenizer->add_space_prefix && prev_special);
    else
      status = encode_bpe(&session, text + piece->start, piece->length);
    prev_special = 0;
  }
  free(fragments.data);

  if (!status) {
    *count = session.output.size;
    if (session.output.size > capacity)
      status = lathe_status_create("tokenizer: %zu ids do not fit in a buffer "
                                   "of %zu",
                                   session.output.size, capacity);
    else if (session.output.size)
      memcpy(ids, session.output.data, session.output.size * sizeof(int32_t));
  }
  session_release(&session);
  return status;
}

/*===--- Decoding ---------------------------------------------------------===*/

static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* Appends the piece of `id` (in range) to `sink`; skips one leading space
 * when `strip_space`. */
static void render_piece(const lathe_tokenizer *tokenizer, int32_t id,
                         int special, int strip_space, piece_sink *sink) {
  const token_entry *token = &tokenizer->tokens[id];
  const char *text = token->text;
  size_t length = token->length;
  switch (token->type) {
  case LATHE_TOKEN_CONTROL:
    if (special)
      sink_append(sink, text, length);
    return;
  case LATHE_TOKEN_UNKNOWN:
    sink_append(sink, "\xe2\x96\x85", 3); /* U+2585, as llama.cpp */
    return;
  case LATHE_TOKEN_USER_DEFINED:
    sink_append(sink, text, length);
    return;
  case LATHE_TOKEN_BYTE:
    if (length == 6 && memcmp(text, "<0x", 3) == 0 && text[5] == '>' &&
        hex_digit(text[3]) >= 0 && hex_digit(text[4]) >= 0) {
      char byte = (char)(hex_digit(text[3]) * 16 + hex_digit(text[4]));
      if (!(strip_space && byte == ' '))
        sink_append(sink, &byte, 1);
      return;
    }
    break; /* not <0xXX>: its text, as a normal token */
  default:
    break;
  }

  if (tokenizer->model == LATHE_TOKENIZER_LLAMA) {
    for (size_t i = 0; i < length;) {
      if (length - i >= 3 && memcmp(text + i, "\xe2\x96\x81", 3) == 0) {
        if (!strip_space)
          sink_append(sink, " ", 1);
        i += 3;
      } else {
        sink_append(sink, text + i, 1);
        ++i;
      }
      strip_space = 0;
    }
    return;
  }
  /* gpt2: each code point stands for a byte; one that does not (a token
   * text not written by a byte-level converter) is kept as it is. */
  for (size_t i = 0; i < length;) {
    uint32_t cp;
    size_t n = utf8_decode((const unsigned char *)text + i, length - i, &cp);
    if (!n) {
      sink_append(sink, text + i, 1);
      ++i;
      continue;
    }
    int byte = cp < sizeof(tokenizer->cp_to_byte) / sizeof(int16_t)
                   ? tokenizer->cp_to_byte[cp]
                   : -1;
    if (byte >= 0) {
      char c = (char)byte;
      sink_append(sink, &c, 1);
    } else {
      sink_append(sink, text + i, n);
    }
    i += n;
  }
}

lathe_status lathe_tokenizer_token_to_piece(const lathe_tokenizer *tokenizer,
                                            int32_t id, int special,
                                            char *piece, size_t capacity,
                                            size_t *length) {
  if (length)
    *length = 0;
  if (!tokenizer || !length || (!piece && capacity))
    return lathe_status_create("tokenizer: token_to_piece: missing argument");
  if (id < 0 || (size_t)id >= tokenizer->token_count)
    return lathe_status_create("tokenizer: token id %d is outside the "
                               "vocabulary of %zu tokens",
                               (int)id, tokenizer->token_count);
  piece_sink sink = {piece, capacity, 0};
  render_piece(tokenizer, id, special, 0, &sink);
  *length = sink.length;
  if (sink.length > capacity)
    return lathe_status_create("tokenizer: piece of %zu bytes does not fit in "
                               "a buffer of %zu",
                               sink.length, capacity);
  return NULL;
}

lathe_status lathe_tokenizer_decode(const lathe_tokenizer *tokenizer,
                                    const int32_t *ids, size_t count,
                                    char *text, size_t capacity,
                                    size_t *length) {
  if (length)
    *length = 0;
  if (!tokenizer || !length || (!ids && count) || (!text && capacity))
    return lathe_status_create("tokenizer: decode: missing argument");
  piece_sink sink = {text, capacity, 0};
  int strip_space =
      tokenizer->model == LATHE_TOKENIZER_LLAMA && tokenizer->add_space_prefix;
  for (size_t i = 0; i < count; ++i) {
    if (ids[i] < 0 || (size_t)ids[i] >= tokenizer->token_count)
      return lathe_status_create("tokenizer: token id %d (at %zu) is outside "
                                 "the vocabulary of %zu tokens",
                                 (int)ids[i], i, tokenizer->token_count);
    if (tokenizer->tokens[ids[i]].type == LATHE_TOKEN_CONTROL)
      continue;
    render_piece(tokenizer, ids[i], 0, strip_space, &sink);
    strip_space = 0;
  }
  *length = sink.length;
  if (sink.length > capacity)
    return lathe_status_create("tokenizer: text of %zu bytes does not fit in "
                               "a buffer of %zu",
                               sink.length, capacity);
  return NULL;
}
