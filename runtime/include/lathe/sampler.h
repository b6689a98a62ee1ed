/*===- lathe/sampler.h - Choosing the next token from logits --------------===*
 *
 * llama.cpp's sampling chain, in its order: repetition penalty over the last
 * repeat_last_n tokens, top-k, top-p (on the softmax at temperature 1), then
 * temperature and a draw from the remaining distribution with the sampler's
 * own generator (seeded, deterministic: one seed gives one sequence on every
 * machine). temperature <= 0 is greedy: the argmax after the penalty.
 *
 * Conventions are those of lathe/runtime.h. A sampler holds a generator and
 * a token history, so one sampler serves one sequence at a time.
 *===----------------------------------------------------------------------===*/
#ifndef LATHE_SAMPLER_H
#define LATHE_SAMPLER_H

#include "lathe/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lathe_sampler_params {
  float temperature;     /* <= 0: greedy */
  int32_t top_k;         /* <= 0: all tokens */
  float top_p;           /* >= 1: all tokens; in (0, 1] otherwise */
  float repeat_penalty;  /* 1: none; > 0 */
  int32_t repeat_last_n; /* tokens of history the penalty looks at, >= 0 */
  uint64_t seed;
} lathe_sampler_params;

/* temperature 0.8, top_k 40, top_p 0.95, repeat_penalty 1, repeat_last_n 64,
 * seed 0: llama.cpp's defaults. */
LATHE_API lathe_sampler_params lathe_sampler_default_params(void);

typedef struct lathe_sampler lathe_sampler;

/* A sampler over logits of `vocab_size` entries. */
LATHE_API lathe_status lathe_sampler_create(const lathe_sampler_params *params,
                                            size_t vocab_size,
                                            lathe_sampler **sampler);
LATHE_API void lathe_sampler_free(lathe_sampler *sampler);

/* Forgets the history and reseeds the generator with `seed`. */
LATHE_API void lathe_sampler_reset(lathe_sampler *sampler, uint64_t seed);
/* Adds tokens to the history the repetition penalty looks at (the prompt).
 * Ids outside the vocabulary are an error. */
LATHE_API lathe_status lathe_sampler_accept(lathe_sampler *sampler,
                                            const int32_t *tokens,
                                            size_t count);

/* Chooses a token from `logits` (vocab_size floats, not changed) and adds it
 * to the history. NaN logits are an error; -inf ones are never chosen
 * unless all are. */
LATHE_API lathe_status lathe_sampler_sample(lathe_sampler *sampler,
                                            const float *logits,
                                            int32_t *token);

/* The distribution sample() draws from for `logits` with the current
 * history, without drawing: `probabilities` (vocab_size floats) sums to 1,
 * 0 for the tokens top-k and top-p removed. Greedy gives 1 at the argmax. */
LATHE_API lathe_status lathe_sampler_probabilities(lathe_sampler *sampler,
                                                   const float *logits,
                                                   float *probabilities);

#ifdef __cplusplus
}
#endif

#endif /* LATHE_SAMPLER_H */
