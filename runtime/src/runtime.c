/*===- runtime.c - Runtime objects ----------------------------------------===*/
#include "module.h"
#include "status.h"

#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

/* Never start more threads than this when sizing the pool automatically. */
enum { max_default_threads = 256 };

/* CPUs this process may run on (respects affinity masks and cpusets). */
static size_t available_cpu_count(void) {
  long count = 0;
#ifdef CPU_COUNT
  cpu_set_t cpus;
  if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0)
    count = CPU_COUNT(&cpus);
#endif
  if (count <= 0)
    count = sysconf(_SC_NPROCESSORS_ONLN);
  if (count <= 0)
    count = 1;
  if (count > max_default_threads)
    count = max_default_threads;
  return (size_t)count;
}

lathe_status lathe_runtime_create(size_t thread_count,
                                  lathe_runtime **runtime) {
  if (!runtime)
    return lathe_status_create("lathe_runtime_create: NULL output handle");
  *runtime = NULL;
  if (thread_count == 0)
    thread_count = available_cpu_count();

  lathe_runtime *result = calloc(1, sizeof(lathe_runtime));
  if (!result)
    return lathe_status_create("lathe_runtime_create: out of memory");
  lathe_status status = lathe_thread_pool_create(thread_count, &result->pool);
  if (status) {
    free(result);
    return status;
  }
  *runtime = result;
  return NULL;
}

void lathe_runtime_free(lathe_runtime *runtime) {
  if (!runtime)
    return;
  lathe_thread_pool_free(runtime->pool);
  free(runtime);
}

size_t lathe_runtime_thread_count(const lathe_runtime *runtime) {
  return lathe_thread_pool_thread_count(runtime->pool);
}
