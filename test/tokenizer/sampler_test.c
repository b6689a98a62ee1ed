/*===- sampler_test.c - lathe/sampler.h against a direct computation -----===*
 * Prints PASS, or the first failed check and exits 1.
 *===----------------------------------------------------------------------===*/
#include "lathe/sampler.h"
#include "status_checks.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lathe_sampler *make(float temperature, int top_k, float top_p,
                           float penalty, int last_n, uint64_t seed,
                           size_t vocab) {
  lathe_sampler_params params = {temperature, top_k,  top_p,
                                 penalty,     last_n, seed};
  lathe_sampler *sampler = NULL;
  check_ok(lathe_sampler_create(&params, vocab, &sampler));
  return sampler;
}

static size_t argmax(const float *logits, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i)
    if (logits[i] > logits[best])
      best = i;
  return best;
}

/* The reference: softmax of `logits` / temperature over the ids in `keep`
 * (1: kept), in double. */
static void reference_softmax(const float *logits, const int *keep, size_t n,
                              double temperature, double *out) {
  double max = -INFINITY, total = 0.0;
  for (size_t i = 0; i < n; ++i)
    if (keep[i] && logits[i] > max)
      max = logits[i];
  for (size_t i = 0; i < n; ++i)
    total += out[i] = keep[i] ? exp((logits[i] - max) / temperature) : 0.0;
  for (size_t i = 0; i < n; ++i)
    out[i] /= total;
}

static void random_logits(float *logits, size_t n, unsigned *state) {
  for (size_t i = 0; i < n; ++i) {
    *state = *state * 1103515245u + 12345u;
    logits[i] = (float)((*state >> 8) % 20000) / 1000.0f - 10.0f;
  }
}

enum { VOCAB = 64 };

static void test_greedy(void) {
  unsigned state = 7;
  float logits[VOCAB];
  lathe_sampler *greedy = make(0.0f, 0, 1.0f, 1.0f, 0, 1, VOCAB);
  lathe_sampler *top1 = make(1.0f, 1, 1.0f, 1.0f, 0, 2, VOCAB);
  for (int trial = 0; trial < 100; ++trial) {
    random_logits(logits, VOCAB, &state);
    int32_t a, b;
    check_ok(lathe_sampler_sample(greedy, logits, &a));
    check_ok(lathe_sampler_sample(top1, logits, &b));
    CHECK((size_t)a == argmax(logits, VOCAB));
    CHECK(a == b);
  }
  lathe_sampler_free(greedy);
  lathe_sampler_free(top1);
}

static void test_seed(void) {
  unsigned state = 11;
  float logits[VOCAB];
  random_logits(logits, VOCAB, &state);
  for (size_t i = 0; i < VOCAB; ++i)
    logits[i] *= 0.2f; /* flat enough that draws differ */
  lathe_sampler *a = make(1.0f, 0, 1.0f, 1.0f, 0, 42, VOCAB);
  lathe_sampler *b = make(1.0f, 0, 1.0f, 1.0f, 0, 42, VOCAB);
  lathe_sampler *c = make(1.0f, 0, 1.0f, 1.0f, 0, 43, VOCAB);
  int32_t first[200];
  int differs = 0;
  for (int i = 0; i < 200; ++i) {
    int32_t x, y, z;
    check_ok(lathe_sampler_sample(a, logits, &x));
    check_ok(lathe_sampler_sample(b, logits, &y));
    check_ok(lathe_sampler_sample(c, logits, &z));
    CHECK(x == y);
    differs |= x != z;
    first[i] = x;
  }
  CHECK(differs);
  lathe_sampler_reset(a, 42);
  for (int i = 0; i < 200; ++i) {
    int32_t x;
    check_ok(lathe_sampler_sample(a, logits, &x));
    CHECK(x == first[i]);
  }
  lathe_sampler_free(a);
  lathe_sampler_free(b);
  lathe_sampler_free(c);
}

static void test_distributions(void) {
  unsigned state = 3;
  float logits[VOCAB], got[VOCAB];
  double want[VOCAB], base[VOCAB];
  int keep[VOCAB];
  const float temperatures[] = {1.0f, 0.5f, 1.7f};
  const int top_ks[] = {0, 1, 5, 40};
  const float top_ps[] = {1.0f, 0.9f, 0.5f, 0.05f};
  for (int trial = 0; trial < 20; ++trial) {
    random_logits(logits, VOCAB, &state);
    for (size_t t = 0; t < 3; ++t)
      for (size_t k = 0; k < 4; ++k)
        for (size_t p = 0; p < 4; ++p) {
          lathe_sampler *sampler =
              make(temperatures[t], top_ks[k], top_ps[p], 1.0f, 0, 0, VOCAB);
          check_ok(lathe_sampler_probabilities(sampler, logits, got));
          lathe_sampler_free(sampler);
          /* top-k: the k largest logits (random logits have no ties). */
          for (size_t i = 0; i < VOCAB; ++i) {
            int larger = 0;
            for (size_t j = 0; j < VOCAB; ++j)
              larger += logits[j] > logits[i];
            keep[i] = top_ks[k] <= 0 || larger < top_ks[k];
          }
          /* top-p at temperature 1: a kept token stays when the mass of the
           * kept tokens above it is still under p. */
          reference_softmax(logits, keep, VOCAB, 1.0, base);
          int kept_after[VOCAB];
          for (size_t i = 0; i < VOCAB; ++i) {
            double above = 0.0;
            for (size_t j = 0; j < VOCAB; ++j)
              if (keep[j] && logits[j] > logits[i])
                above += base[j];
            kept_after[i] = keep[i] && (top_ps[p] >= 1.0f || above < top_ps[p]);
          }
          reference_softmax(logits, kept_after, VOCAB, temperatures[t], want);
          double sum = 0.0;
          for (size_t i = 0; i < VOCAB; ++i) {
            CHECK(fabs(got[i] - want[i]) < 1e-5);
            CHECK((got[i] > 0) == (kept_after[i] != 0));
            sum += got[i];
          }
          CHECK(fabs(sum - 1.0) < 1e-5);
        }
  }
}

static void test_frequencies(void) {
  const float logits[4] = {1.0f, 0.0f, 2.0f, -1.0f};
  float probabilities[4];
  lathe_sampler *sampler = make(1.0f, 0, 1.0f, 1.0f, 0, 5, 4);
  check_ok(lathe_sampler_probabilities(sampler, logits, probabilities));
  int counts[4] = {0};
  const int draws = 40000;
  for (int i = 0; i < draws; ++i) {
    int32_t token;
    check_ok(lathe_sampler_sample(sampler, logits, &token));
    CHECK(token >= 0 && token < 4);
    ++counts[token];
  }
  for (int i = 0; i < 4; ++i)
    CHECK(fabs((double)counts[i] / draws - probabilities[i]) < 0.01);
  lathe_sampler_free(sampler);
}

static void test_repeat_penalty(void) {
  const float logits[5] = {2.0f, -1.0f, 0.5f, 1.9f, -3.0f};
  float got[5];
  double want[5];
  int all[5] = {1, 1, 1, 1, 1};
  /* History 0, 1, 0, 4 with last_n 3 sees 1, 0, 4: each penalized once. */
  lathe_sampler *sampler = make(1.0f, 0, 1.0f, 2.0f, 3, 0, 5);
  const int32_t history[4] = {0, 1, 0, 4};
  check_ok(lathe_sampler_accept(sampler, history, 4));
  check_ok(lathe_sampler_probabilities(sampler, logits, got));
  const float penalized[5] = {1.0f, -2.0f, 0.5f, 1.9f, -6.0f};
  reference_softmax(penalized, all, 5, 1.0, want);
  for (int i = 0; i < 5; ++i)
    CHECK(fabs(got[i] - want[i]) < 1e-6);
  lathe_sampler_free(sampler);

  /* Greedy picks 0 first, then 3 once 0 is penalized. */
  sampler = make(0.0f, 0, 1.0f, 2.0f, 8, 0, 5);
  int32_t token;
  check_ok(lathe_sampler_sample(sampler, logits, &token));
  CHECK(token == 0);
  check_ok(lathe_sampler_sample(sampler, logits, &token));
  CHECK(token == 3);
  lathe_sampler_free(sampler);
}

static void test_errors(void) {
  lathe_sampler_params params = lathe_sampler_default_params();
  lathe_sampler *sampler = (lathe_sampler *)1;
  check_error(lathe_sampler_create(&params, 0, &sampler), "vocabulary");
  CHECK(sampler == NULL);
  params.top_p = 0.0f;
  check_error(lathe_sampler_create(&params, 4, &sampler), "top_p");
  params = lathe_sampler_default_params();
  params.repeat_penalty = -1.0f;
  check_error(lathe_sampler_create(&params, 4, &sampler), "repeat_penalty");
  params = lathe_sampler_default_params();
  params.repeat_last_n = -2;
  check_error(lathe_sampler_create(&params, 4, &sampler), "repeat_last_n");
  check_error(lathe_sampler_create(NULL, 4, &sampler), "parameters");

  params = lathe_sampler_default_params();
  check_ok(lathe_sampler_create(&params, 4, &sampler));
  const float nan_logits[4] = {0.0f, NAN, 1.0f, 2.0f};
  int32_t token;
  check_error(lathe_sampler_sample(sampler, nan_logits, &token), "NaN");
  CHECK(token == -1);
  const int32_t bad[2] = {1, 4};
  check_error(lathe_sampler_accept(sampler, bad, 2), "outside");
  check_error(lathe_sampler_sample(sampler, NULL, &token), "missing");
  /* -inf logits are never drawn; all -inf gives the first id. */
  const float masked[4] = {-INFINITY, 0.0f, -INFINITY, -INFINITY};
  for (int i = 0; i < 100; ++i) {
    check_ok(lathe_sampler_sample(sampler, masked, &token));
    CHECK(token == 1);
  }
  const float none[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
  check_ok(lathe_sampler_sample(sampler, none, &token));
  CHECK(token == 0);
  lathe_sampler_free(sampler);
  lathe_sampler_free(NULL);
}

int main(void) {
  test_greedy();
  test_seed();
  test_distributions();
  test_frequencies();
  test_repeat_penalty();
  test_errors();
  puts("PASS");
  return 0;
}
