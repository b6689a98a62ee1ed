/*===- runtime_api_test.c - Exercises the runtime C API directly ----------===*
 *
 * Usage: lathe-runtime-api-test MODEL_SO
 * MODEL_SO is the model.so fixture (see Inputs/metadata_model.c). Prints
 * "PASS" and exits 0 when every check holds; prints each failure otherwise.
 *===----------------------------------------------------------------------===*/
#include "lathe/runtime.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int failures = 0;

#define CHECK(condition)                                                       \
  do {                                                                         \
    if (!(condition)) {                                                        \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,         \
              #condition);                                                     \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

/* Checks that `status` is OK, printing its message if not. */
static bool ok(lathe_status status, int line) {
  if (!status)
    return true;
  fprintf(stderr, "%s:%d: unexpected error: %s\n", __FILE__, line,
          lathe_status_message(status));
  lathe_status_free(status);
  ++failures;
  return false;
}
#define OK(call) ok((call), __LINE__)

/* Checks that `status` is an error whose message contains `fragment`. */
static void fails_with(lathe_status status, const char *fragment, int line) {
  if (!status) {
    fprintf(stderr, "%s:%d: expected an error containing '%s'\n", __FILE__,
            line, fragment);
    ++failures;
    return;
  }
  if (!strstr(lathe_status_message(status), fragment)) {
    fprintf(stderr, "%s:%d: error '%s' does not contain '%s'\n", __FILE__, line,
            lathe_status_message(status), fragment);
    ++failures;
  }
  lathe_status_free(status);
}
#define FAILS_WITH(call, fragment) fails_with((call), (fragment), __LINE__)

static void test_dtypes(void) {
  static const char *const names[] = {"f16", "bf16", "f32", "f64", "i8",
                                      "i16", "i32",  "i64", "u8",  "u16",
                                      "u32", "u64",  "bool"};
  static const size_t sizes[] = {2, 2, 4, 8, 1, 2, 4, 8, 1, 2, 4, 8, 1};
  for (int i = 0; i < 13; ++i) {
    lathe_dtype dtype;
    CHECK(strcmp(lathe_dtype_name((lathe_dtype)i), names[i]) == 0);
    CHECK(lathe_dtype_size((lathe_dtype)i) == sizes[i]);
    if (OK(lathe_dtype_parse(names[i], &dtype)))
      CHECK(dtype == (lathe_dtype)i);
  }
  lathe_dtype dtype;
  FAILS_WITH(lathe_dtype_parse("f128", &dtype), "unknown dtype 'f128'");
  CHECK(lathe_dtype_name((lathe_dtype)13) == NULL);
  CHECK(lathe_dtype_size((lathe_dtype)-1) == 0);
  CHECK(strcmp(lathe_status_message(NULL), "OK") == 0);
  lathe_status_free(NULL);
}

static void test_tensors(void) {
  lathe_tensor *tensor;
  int64_t dims[] = {3, 5};
  if (OK(lathe_tensor_create(LATHE_DTYPE_F32, 2, dims, &tensor))) {
    CHECK(lathe_tensor_byte_size(tensor) == 60);
    CHECK(lathe_tensor_element_count(tensor) == 15);
    CHECK(lathe_tensor_rank(tensor) == 2);
    CHECK(lathe_tensor_dims(tensor)[1] == 5);
    CHECK(lathe_tensor_dtype(tensor) == LATHE_DTYPE_F32);
    CHECK((uintptr_t)lathe_tensor_data(tensor) % 64 == 0);
    float zeros[15] = {0};
    CHECK(memcmp(lathe_tensor_data(tensor), zeros, sizeof(zeros)) == 0);
    lathe_tensor_free(tensor);
  }

  if (OK(lathe_tensor_create(LATHE_DTYPE_I64, 0, NULL, &tensor))) {
    CHECK(lathe_tensor_element_count(tensor) == 1);
    CHECK(lathe_tensor_byte_size(tensor) == 8);
    lathe_tensor_free(tensor);
  }
  int64_t empty[] = {4, 0, 7};
  if (OK(lathe_tensor_create(LATHE_DTYPE_U8, 3, empty, &tensor))) {
    CHECK(lathe_tensor_byte_size(tensor) == 0);
    CHECK(lathe_tensor_data(tensor) != NULL);
    lathe_tensor_free(tensor);
  }

  int64_t negative[] = {2, -1};
  FAILS_WITH(lathe_tensor_create(LATHE_DTYPE_F32, 2, negative, &tensor),
             "invalid shape f32[2,-1]");
  CHECK(tensor == NULL);
  int64_t overflowing[] = {INT64_MAX, INT64_MAX, 2};
  FAILS_WITH(lathe_tensor_create(LATHE_DTYPE_F32, 3, overflowing, &tensor),
             "invalid shape");
  int64_t too_big[] = {1 << 20, 1 << 20, 1 << 10};
  FAILS_WITH(lathe_tensor_create(LATHE_DTYPE_U8, 3, too_big, &tensor),
             "at most 17179869184 bytes");
  int64_t many[LATHE_MAX_RANK + 1];
  for (int i = 0; i <= LATHE_MAX_RANK; ++i)
    many[i] = 1;
  FAILS_WITH(
      lathe_tensor_create(LATHE_DTYPE_U8, LATHE_MAX_RANK + 1, many, &tensor),
      "exceeds the maximum");
  FAILS_WITH(lathe_tensor_create((lathe_dtype)42, 1, dims, &tensor),
             "invalid dtype");
  lathe_tensor_free(NULL);
}

static lathe_tensor *make_vector(lathe_dtype dtype, int64_t length) {
  lathe_tensor *tensor = NULL;
  OK(lathe_tensor_create(dtype, 1, &length, &tensor));
  return tensor;
}

static lathe_tensor *make_matrix(int64_t rows, int64_t columns) {
  int64_t dims[] = {rows, columns};
  lathe_tensor *tensor = NULL;
  OK(lathe_tensor_create(LATHE_DTYPE_F32, 2, dims, &tensor));
  return tensor;
}

/* Runs `affine` (y = 2x + 1 over f32[1000]) `repeats` times. */
static bool run_affine(lathe_module *module, size_t entry, int repeats) {
  lathe_tensor *x = make_vector(LATHE_DTYPE_F32, 1000);
  lathe_tensor *y = make_vector(LATHE_DTYPE_F32, 1000);
  bool correct = x && y;
  for (int repeat = 0; correct && repeat < repeats; ++repeat) {
    float *xs = lathe_tensor_data(x);
    float *ys = lathe_tensor_data(y);
    for (int i = 0; i < 1000; ++i)
      xs[i] = (float)(i + repeat);
    memset(ys, 0xff, 1000 * sizeof(float));
    lathe_status status = lathe_invoke(module, entry, &x, 1, &y, 1);
    if (status) {
      fprintf(stderr, "affine: %s\n", lathe_status_message(status));
      lathe_status_free(status);
      correct = false;
    }
    for (int i = 0; correct && i < 1000; ++i)
      correct = ys[i] == 2.0f * (float)(i + repeat) + 1.0f;
  }
  lathe_tensor_free(x);
  lathe_tensor_free(y);
  return correct;
}

typedef struct concurrent_job {
  lathe_module *module;
  size_t entry;
  bool correct;
} concurrent_job;

static void *run_concurrent_job(void *argument) {
  concurrent_job *job = argument;
  job->correct = run_affine(job->module, job->entry, 50);
  return NULL;
}

static void test_module(const char *path, size_t thread_count) {
  lathe_runtime *runtime;
  if (!OK(lathe_runtime_create(thread_count, &runtime)))
    return;
  if (thread_count != 0)
    CHECK(lathe_runtime_thread_count(runtime) == thread_count);
  else
    CHECK(lathe_runtime_thread_count(runtime) >= 1);

  lathe_module *module;
  if (!OK(lathe_module_load(runtime, path, &module))) {
    lathe_runtime_free(runtime);
    return;
  }
  CHECK(lathe_module_entry_count(module) == 11);
  CHECK(strcmp(lathe_module_entry_name(module, 0), "add") == 0);
  CHECK(lathe_module_entry_name(module, 11) == NULL);
  CHECK(lathe_module_input_count(module, 0) == 2);
  CHECK(lathe_module_output_count(module, 0) == 1);
  CHECK(lathe_module_input_count(module, 99) == 0);

  size_t add, affine, scalar, fail;
  OK(lathe_module_find_entry(module, "add", &add));
  OK(lathe_module_find_entry(module, "affine", &affine));
  OK(lathe_module_find_entry(module, "identity_scalar", &scalar));
  OK(lathe_module_find_entry(module, "fail", &fail));
  FAILS_WITH(lathe_module_find_entry(module, "nope", &add),
             "no entry point named 'nope'");

  lathe_argument_info info;
  if (OK(lathe_module_input_info(module, add, 1, &info))) {
    CHECK(strcmp(info.name, "b") == 0);
    CHECK(info.dtype == LATHE_DTYPE_F32);
    CHECK(info.rank == 2 && info.dims[0] == 4 && info.dims[1] == 8);
  }
  if (OK(lathe_module_output_info(module, add, 0, &info)))
    CHECK(strcmp(info.name, "sum") == 0);
  if (OK(lathe_module_input_info(module, scalar, 0, &info)))
    CHECK(info.rank == 0);
  FAILS_WITH(lathe_module_input_info(module, add, 2, &info),
             "index 2 is out of range");
  FAILS_WITH(lathe_module_output_info(module, 42, 0, &info),
             "entry index 42 is out of range");

  /* add: correct results, then signature errors. */
  lathe_tensor *a = make_matrix(4, 8), *b = make_matrix(4, 8);
  lathe_tensor *sum = make_matrix(4, 8), *wide = make_matrix(4, 9);
  if (a && b && sum && wide) {
    float *as = lathe_tensor_data(a), *bs = lathe_tensor_data(b);
    for (int i = 0; i < 32; ++i) {
      as[i] = (float)i;
      bs[i] = 0.5f;
    }
    lathe_tensor *inputs[] = {a, b};
    if (OK(lathe_invoke(module, add, inputs, 2, &sum, 1))) {
      const float *sums = lathe_tensor_data(sum);
      for (int i = 0; i < 32; ++i)
        CHECK(sums[i] == (float)i + 0.5f);
    }
    lathe_tensor *wrong_inputs[] = {a, wide};
    FAILS_WITH(lathe_invoke(module, add, wrong_inputs, 2, &sum, 1),
               "entry 'add': input 1 ('b'): expected f32[4,8], got f32[4,9]");
    FAILS_WITH(lathe_invoke(module, add, inputs, 1, &sum, 1),
               "takes 2 inputs and 1 outputs, got 1 and 1");
    FAILS_WITH(lathe_invoke(module, add, inputs, 2, &a, 1),
               "output 0 is the same tensor as input 0");
    lathe_tensor *null_inputs[] = {a, NULL};
    FAILS_WITH(lathe_invoke(module, add, null_inputs, 2, &sum, 1),
               "input 1 ('b') is NULL");
    FAILS_WITH(lathe_invoke(module, 77, inputs, 2, &sum, 1),
               "entry index 77 is out of range");
  }
  lathe_tensor_free(a);
  lathe_tensor_free(b);
  lathe_tensor_free(sum);
  lathe_tensor_free(wide);

  /* fail: the runtime rejects the bad dispatch and says why. */
  lathe_tensor *y = make_vector(LATHE_DTYPE_F32, 1);
  FAILS_WITH(lathe_invoke(module, fail, NULL, 0, &y, 1),
             "entry 'fail' failed (status 1): dispatch of kernel 99, but the "
             "module has 5 kernels");
  lathe_tensor_free(y);

  /* Many dispatches in a row, then from several host threads at once. */
  CHECK(run_affine(module, affine, 200));
  enum { job_count = 4 };
  concurrent_job jobs[job_count];
  pthread_t threads[job_count];
  for (int i = 0; i < job_count; ++i) {
    jobs[i] = (concurrent_job){module, affine, false};
    CHECK(pthread_create(&threads[i], NULL, run_concurrent_job, &jobs[i]) == 0);
  }
  for (int i = 0; i < job_count; ++i) {
    pthread_join(threads[i], NULL);
    CHECK(jobs[i].correct);
  }

  lathe_module_free(module);
  lathe_runtime_free(runtime);
}

static void test_runtime_errors(const char *path) {
  lathe_runtime *runtime;
  FAILS_WITH(lathe_runtime_create(100000, &runtime), "outside [1, 1024]");
  CHECK(runtime == NULL);
  if (!OK(lathe_runtime_create(1, &runtime)))
    return;
  lathe_module *module;
  FAILS_WITH(lathe_module_load(runtime, "/nonexistent/model.so", &module),
             "/nonexistent/model.so: cannot open");
  CHECK(module == NULL);
  FAILS_WITH(lathe_module_load(runtime, "/", &module), "not a regular file");
  FAILS_WITH(lathe_module_load(runtime, NULL, &module), "NULL argument");
  /* Loading one library twice gives two working modules. */
  lathe_module *first, *second;
  if (OK(lathe_module_load(runtime, path, &first))) {
    if (OK(lathe_module_load(runtime, path, &second)))
      lathe_module_free(second);
    lathe_module_free(first);
  }
  lathe_runtime_free(runtime);
  lathe_runtime_free(NULL);
  lathe_module_free(NULL);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s MODEL_SO\n", argv[0]);
    return 2;
  }
  test_dtypes();
  test_tensors();
  test_module(argv[1], 1);
  test_module(argv[1], 2);
  test_module(argv[1], 8);
  test_module(argv[1], 0);
  test_runtime_errors(argv[1]);
  if (failures != 0) {
    fprintf(stderr, "%d checks failed\n", failures);
    return 1;
  }
  printf("PASS\n");
  return 0;
}
