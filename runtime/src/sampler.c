/*===- sampler.c - Greedy, temperature, top-k, top-p, repetition penalty --===*/
#include "lathe/sampler.h"

#include "status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct candidate {
  float logit;
  int32_t id;
};

struct lathe_sampler {
  lathe_sampler_params params;
  size_t vocab_size;
  /* The last repeat_last_n accepted tokens, a ring. */
  int32_t *history;
  size_t history_count, history_next;
  uint64_t rng_state;
  /* Scratch of vocab_size entries each. */
  float *penalized;
  struct candidate *candidates;
  double *weights;
  unsigned char *seen;
};

lathe_sampler_params lathe_sampler_default_params(void) {
  lathe_sampler_params params = {0.8f, 40, 0.95f, 1.0f, 64, 0};
  return params;
}

/* splitmix64: the state walks a Weyl sequence, the output mixes it. */
static uint64_t next_random(lathe_sampler *sampler) {
  uint64_t z = (sampler->rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Uniform in [0, 1), 53 bits. */
static double next_uniform(lathe_sampler *sampler) {
  return (double)(next_random(sampler) >> 11) * (1.0 / 9007199254740992.0);
}

void lathe_sampler_free(lathe_sampler *sampler) {
  if (!sampler)
    return;
  free(sampler->history);
  free(sampler->penalized);
  free(sampler->candidates);
  free(sampler->weights);
  free(sampler->seen);
  free(sampler);
}

lathe_status lathe_sampler_create(const lathe_sampler_params *params,
                                  size_t vocab_size,
                                  lathe_sampler **sampler_out) {
  if (!sampler_out)
    return lathe_status_create("sampler: no output handle");
  *sampler_out = NULL;
  if (!params)
    return lathe_status_create("sampler: no parameters");
  if (vocab_size == 0 || vocab_size > INT32_MAX)
    return lathe_status_create("sampler: vocabulary of %zu tokens (need 1 to "
                               "%d)",
                               vocab_size, INT32_MAX);
  if (isnan(params->temperature))
    return lathe_status_create("sampler: temperature is NaN");
  if (!(params->top_p > 0.0f))
    return lathe_status_create("sampler: top_p %g is not above 0",
                               (double)params->top_p);
  if (!(params->repeat_penalty > 0.0f) || isinf(params->repeat_penalty))
    return lathe_status_create("sampler: repeat_penalty %g is not a positive "
                               "number",
                               (double)params->repeat_penalty);
  if (params->repeat_last_n < 0)
    return lathe_status_create("sampler: repeat_last_n %d is negative",
                               (int)params->repeat_last_n);

  lathe_sampler *sampler = calloc(1, sizeof(lathe_sampler));
  if (!sampler)
    return lathe_status_create("sampler: out of memory");
  sampler->params = *params;
  sampler->vocab_size = vocab_size;
  sampler->history =
      malloc(((size_t)params->repeat_last_n + 1) * sizeof(int32_t));
  sampler->penalized = malloc(vocab_size * sizeof(float));
  sampler->candidates = malloc(vocab_size * sizeof(struct candidate));
  sampler->weights = malloc(vocab_size * sizeof(double));
  sampler->seen = calloc(vocab_size, 1);
  if (!sampler->history || !sampler->penalized || !sampler->candidates ||
      !sampler->weights || !sampler->seen) {
    lathe_sampler_free(sampler);
    return lathe_status_create("sampler: out of memory");
  }
  lathe_sampler_reset(sampler, params->seed);
  *sampler_out = sampler;
  return NULL;
}

void lathe_sampler_reset(lathe_sampler *sampler, uint64_t seed) {
  if (!sampler)
    return;
  sampler->history_count = 0;
  sampler->history_next = 0;
  sampler->rng_state = seed;
}

static void remember(lathe_sampler *sampler, int32_t token) {
  size_t capacity = (size_t)sampler->params.repeat_last_n;
  if (capacity == 0)
    return;
  sampler->history[sampler->history_next] = token;
  sampler->history_next = (sampler->history_next + 1) % capacity;
  if (sampler->history_count < capacity)
    ++sampler->history_count;
}

lathe_status lathe_sampler_accept(lathe_sampler *sampler, const int32_t *tokens,
                                  size_t count) {
  if (!sampler || (!tokens && count))
    return lathe_status_create("sampler: accept: missing argument");
  for (size_t i = 0; i < count; ++i)
    if (tokens[i] < 0 || (size_t)tokens[i] >= sampler->vocab_size)
      return lathe_status_create("sampler: token %d (at %zu) is outside the "
                                 "vocabulary of %zu tokens",
                                 (int)tokens[i], i, sampler->vocab_size);
  for (size_t i = 0; i < count; ++i)
    remember(sampler, tokens[i]);
  return NULL;
}

/* Highest logit first, lower id first on ties. */
static int compare_candidates(const void *a, const void *b) {
  const struct candidate *x = a, *y = b;
  if (x->logit != y->logit)
    return x->logit > y->logit ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

/* Fills candidates[0, *kept) with the candidates and weights[0, *kept) with
 * their probabilities (summing to 1). */
static lathe_status distribution(lathe_sampler *sampler, const float *logits,
                                 size_t *kept) {
  const lathe_sampler_params *params = &sampler->params;
  size_t n = sampler->vocab_size;
  float *penalized = sampler->penalized;
  for (size_t i = 0; i < n; ++i) {
    if (isnan(logits[i]))
      return lathe_status_create("sampler: logit %zu is NaN", i);
    penalized[i] = logits[i];
  }

  /* Each token of the recent history once, as llama.cpp: shrink a positive
   * logit, grow a negative one. */
  if (params->repeat_penalty != 1.0f) {
    for (size_t i = 0; i < sampler->history_count; ++i) {
      int32_t token = sampler->history[i];
      if (sampler->seen[token])
        continue;
      sampler->seen[token] = 1;
      if (penalized[token] > 0.0f)
        penalized[token] /= params->repeat_penalty;
      else
        penalized[token] *= params->repeat_penalty;
    }
    for (size_t i = 0; i < sampler->history_count; ++i)
      sampler->seen[sampler->history[i]] = 0;
  }

  size_t best = 0;
  for (size_t i = 1; i < n; ++i)
    if (penalized[i] > penalized[best])
      best = i;
  if (params->temperature <= 0.0f || penalized[best] == -INFINITY) {
    sampler->candidates[0].id = (int32_t)best;
    sampler->weights[0] = 1.0;
    *kept = 1;
    return NULL;
  }

  for (size_t i = 0; i < n; ++i)
    sampler->candidates[i] = (struct candidate){penalized[i], (int32_t)i};
  qsort(sampler->candidates, n, sizeof(struct candidate), compare_candidates);
  size_t count = n;
  if (params->top_k > 0 && (size_t)params->top_k < count)
    count = (size_t)params->top_k;

  /* top-p on the softmax at temperature 1: the fewest candidates whose
   * probabilities reach top_p. */
  double max = sampler->candidates[0].logit;
  if (params->top_p < 1.0f) {
    double total = 0.0;
    for (size_t i = 0; i < count; ++i)
      total += sampler->weights[i] =
          exp((double)sampler->candidates[i].logit - max);
    double cumulative = 0.0;
    for (size_t i = 0; i < count; ++i) {
      cumulative += sampler->weights[i] / total;
      if (cumulative >= params->top_p) {
        count = i + 1;
        break;
      }
    }
  }

  double total = 0.0;
  for (size_t i = 0; i < count; ++i)
    total += sampler->weights[i] =
        exp(((double)sampler->candidates[i].logit - max) / params->temperature);
  for (size_t i = 0; i < count; ++i)
    sampler->weights[i] /= total;
  *kept = count;
  return NULL;
}

lathe_status lathe_sampler_sample(lathe_sampler *sampler, const float *logits,
                                  int32_t *token) {
  if (token)
    *token = -1;
  if (!sampler || !logits || !token)
    return lathe_status_create("sampler: sample: missing argument");
  size_t kept;
  lathe_status status = distribution(sampler, logits, &kept);
  if (status)
    return status;
  size_t chosen = 0;
  if (kept > 1) {
    double u = next_uniform(sampler), cumulative = 0.0;
    /* When rounding leaves the sum just under u: the last token that has
     * any probability (weights are in decreasing order). */
    chosen = 0;
    for (size_t i = 0; i < kept; ++i) {
      if (sampler->weights[i] > 0.0)
        chosen = i;
      cumulative += sampler->weights[i];
      if (u < cumulative)
        break;
    }
  }
  *token = sampler->candidates[chosen].id;
  remember(sampler, *token);
  return NULL;
}

lathe_status lathe_sampler_probabilities(lathe_sampler *sampler,
                                         const float *logits,
                                         float *probabilities) {
  if (!sampler || !logits || !probabilities)
    return lathe_status_create("sampler: probabilities: missing argument");
  size_t kept;
  lathe_status status = distribution(sampler, logits, &kept);
  if (status)
    return status;
  memset(probabilities, 0, sampler->vocab_size * sizeof(float));
  for (size_t i = 0; i < kept; ++i)
    probabilities[sampler->candidates[i].id] = (float)sampler->weights[i];
  return NULL;
}
