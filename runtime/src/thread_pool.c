/*===- thread_pool.c - Persistent workers that run dispatches -------------===*
 *
 * A run publishes one job (kernel, bindings, workgroup count) and the caller
 * and the workers claim its workgroups from the atomic `claim` word, which
 * holds the job's number in its high 32 bits and the next workgroup in its
 * low 32 bits: a compare-and-swap claims a workgroup only while the job is
 * still the one the claimer read. The run ends when `finished` reaches the
 * count, so the caller never waits for a worker that has not started:
 * whatever no worker claims, the caller runs itself.
 *
 * Publishing job j: close the claim word ((j << 32) | all ones: nothing
 * claimable), write the job, reset `finished`, open the word (j << 32), then
 * bump `generation` to wake the workers. A worker reads the job between
 * reading the open word and claiming; a successful claim for job j proves
 * that job j + 1 had not been closed yet, so what it read was job j.
 *
 * Models launch hundreds of small dispatches back to back (an LLM decode step
 * runs about 25 per layer), so waiting spins before it sleeps: a worker
 * watches `generation` for a while before blocking on `job_posted`, and the
 * caller watches `finished`, yielding now and then.
 *
 * Every thread has its own kernel workspace (lathe/model_abi.h), kept across
 * runs: whole 2 MiB pages, 2 MiB aligned, with transparent huge pages
 * requested, so that the packed cache blocks of a matmul (about 1.3 MiB)
 * take one TLB entry instead of hundreds and stay off the threads' stacks.
 *===----------------------------------------------------------------------===*/
#include "thread_pool.h"
#include "status.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Upper bound on thread_count; far above any host this runs on. */
enum { max_threads = 1024 };

/* Workspaces come in multiples of the x86-64 huge page size. */
#define WORKSPACE_GRANULE ((size_t)2 << 20)

typedef struct worker {
  lathe_thread_pool *pool;
  size_t index; /* 0 .. worker_count-1 */
  pthread_t thread;
} worker;

struct lathe_thread_pool {
  size_t worker_count;
  worker *workers;

  /* Each thread's kernel workspace, workspace_bytes each: the workers' by
   * index, then the caller's. Changed only under run_mutex. */
  void **workspaces;
  size_t workspace_bytes;

  /* Held for a whole run so that runs from several threads take turns. */
  pthread_mutex_t run_mutex;

  /* Taken to bump `generation` or shut down, and by workers going to sleep,
   * so that no wakeup is lost. */
  pthread_mutex_t mutex;
  pthread_cond_t job_posted;
  _Atomic uint64_t generation;
  _Atomic bool shutting_down;

  uint32_t job; /* number of the current job; the caller's only */
  _Atomic uint64_t claim;
  _Atomic int64_t finished;
  _Atomic(LatheKernelFn) kernel;
  _Atomic(void **) bindings;
  _Atomic int64_t workgroup_count;
};

/* Polls of an atomic before a worker sleeps (a few hundred microseconds),
 * and between the caller's yields. */
enum { worker_spins = 1 << 14, caller_spins_per_yield = 1 << 10 };

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* Runs workgroups of job `job` until none is left to claim, with the
 * workspace of thread `index` (workers 0 .. worker_count-1, the caller
 * worker_count). The workspaces are read only after a successful claim: the
 * caller changes them between runs, before it opens the claim word. */
static void run_workgroups(lathe_thread_pool *pool, uint32_t job,
                           LatheKernelFn kernel, void **bindings,
                           int64_t workgroup_count, size_t index) {
  uint64_t word = atomic_load_explicit(&pool->claim, memory_order_acquire);
  for (;;) {
    if ((uint32_t)(word >> 32) != job ||
        (int64_t)(word & UINT32_MAX) >= workgroup_count)
      return;
    if (!atomic_compare_exchange_weak_explicit(&pool->claim, &word, word + 1,
                                               memory_order_acquire,
                                               memory_order_acquire))
      continue;
    void *workspace = pool->workspaces ? pool->workspaces[index] : NULL;
    kernel(bindings, (int64_t)(word & UINT32_MAX), workspace);
    atomic_fetch_add_explicit(&pool->finished, 1, memory_order_release);
    word = atomic_load_explicit(&pool->claim, memory_order_acquire);
  }
}

/* Joins the open job, if any, as worker `index`. */
static void join_job(lathe_thread_pool *pool, size_t index) {
  uint64_t word = atomic_load_explicit(&pool->claim, memory_order_acquire);
  uint32_t job = (uint32_t)(word >> 32);
  LatheKernelFn kernel =
      atomic_load_explicit(&pool->kernel, memory_order_relaxed);
  void **bindings = atomic_load_explicit(&pool->bindings, memory_order_relaxed);
  int64_t count =
      atomic_load_explicit(&pool->workgroup_count, memory_order_relaxed);
  run_workgroups(pool, job, kernel, bindings, count, index);
}

/* The generation after `seen`, once posted; spins, then sleeps. */
static uint64_t wait_for_job(lathe_thread_pool *pool, uint64_t seen) {
  for (int spin = 0; spin < worker_spins; ++spin) {
    uint64_t generation =
        atomic_load_explicit(&pool->generation, memory_order_acquire);
    if (generation != seen ||
        atomic_load_explicit(&pool->shutting_down, memory_order_relaxed))
      return generation;
    cpu_relax();
  }
  pthread_mutex_lock(&pool->mutex);
  while (atomic_load_explicit(&pool->generation, memory_order_acquire) ==
             seen &&
         !atomic_load_explicit(&pool->shutting_down, memory_order_relaxed))
    pthread_cond_wait(&pool->job_posted, &pool->mutex);
  pthread_mutex_unlock(&pool->mutex);
  return atomic_load_explicit(&pool->generation, memory_order_acquire);
}

static void *worker_main(void *argument) {
  worker *self = argument;
  lathe_thread_pool *pool = self->pool;
  uint64_t seen_generation = 0;
  for (;;) {
    seen_generation = wait_for_job(pool, seen_generation);
    if (atomic_load_explicit(&pool->shutting_down, memory_order_relaxed))
      break;
    join_job(pool, self->index);
  }
  return NULL;
}

static void stop_workers(lathe_thread_pool *pool, size_t started) {
  pthread_mutex_lock(&pool->mutex);
  atomic_store_explicit(&pool->shutting_down, true, memory_order_relaxed);
  pthread_cond_broadcast(&pool->job_posted);
  pthread_mutex_unlock(&pool->mutex);
  for (size_t i = 0; i < started; ++i)
    pthread_join(pool->workers[i].thread, NULL);
}

/* `bytes` (a multiple of WORKSPACE_GRANULE) of zero pages aligned to
 * WORKSPACE_GRANULE and advised to be huge pages; NULL if out of memory. */
static void *map_workspace(size_t bytes) {
  size_t padded = bytes + WORKSPACE_GRANULE;
  char *mapping = mmap(NULL, padded, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapping == MAP_FAILED)
    return NULL;
  size_t head = (WORKSPACE_GRANULE - (uintptr_t)mapping % WORKSPACE_GRANULE) %
                WORKSPACE_GRANULE;
  if (head)
    munmap(mapping, head);
  if (padded - head > bytes)
    munmap(mapping + head + bytes, padded - head - bytes);
#ifdef MADV_HUGEPAGE
  /* Best effort: without huge pages the workspace still works. */
  madvise(mapping + head, bytes, MADV_HUGEPAGE);
#endif
  return mapping + head;
}

static void unmap_workspaces(void **workspaces, size_t count, size_t bytes) {
  if (!workspaces)
    return;
  for (size_t i = 0; i < count; ++i)
    if (workspaces[i])
      munmap(workspaces[i], bytes);
  free(workspaces);
}

static void destroy_pool(lathe_thread_pool *pool) {
  unmap_workspaces(pool->workspaces, pool->worker_count + 1,
                   pool->workspace_bytes);
  pthread_cond_destroy(&pool->job_posted);
  pthread_mutex_destroy(&pool->mutex);
  pthread_mutex_destroy(&pool->run_mutex);
  free(pool->workers);
  free(pool);
}

lathe_status lathe_thread_pool_create(size_t thread_count,
                                      lathe_thread_pool **pool) {
  *pool = NULL;
  if (thread_count == 0 || thread_count > max_threads)
    return lathe_status_create("thread count %zu is outside [1, %d]",
                               thread_count, max_threads);

  lathe_thread_pool *result = calloc(1, sizeof(lathe_thread_pool));
  if (!result)
    return lathe_status_create("out of memory creating the thread pool");
  result->worker_count = thread_count - 1;
  if (result->worker_count > 0) {
    result->workers = calloc(result->worker_count, sizeof(worker));
    if (!result->workers) {
      free(result);
      return lathe_status_create("out of memory creating the thread pool");
    }
  }
  pthread_mutex_init(&result->run_mutex, NULL);
  pthread_mutex_init(&result->mutex, NULL);
  pthread_cond_init(&result->job_posted, NULL);
  atomic_init(&result->generation, 0);
  atomic_init(&result->shutting_down, false);
  atomic_init(&result->claim, UINT64_MAX);
  atomic_init(&result->finished, 0);
  atomic_init(&result->kernel, NULL);
  atomic_init(&result->bindings, NULL);
  atomic_init(&result->workgroup_count, 0);

  /* Workers block every signal so that signals reach the host's threads. */
  sigset_t all_signals, previous_signals;
  sigfillset(&all_signals);
  pthread_sigmask(SIG_SETMASK, &all_signals, &previous_signals);
  /* Kernels keep their cache blocks in workspaces, but generated code may
     still use a few hundred KiB of stack: give workers the same 8 MiB as a
     default main thread, whatever the limits. */
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setstacksize(&attributes, (size_t)8 << 20);
  for (size_t i = 0; i < result->worker_count; ++i) {
    result->workers[i].pool = result;
    result->workers[i].index = i;
    int error = pthread_create(&result->workers[i].thread, &attributes,
                               worker_main, &result->workers[i]);
    if (error != 0) {
      pthread_attr_destroy(&attributes);
      pthread_sigmask(SIG_SETMASK, &previous_signals, NULL);
      stop_workers(result, i);
      destroy_pool(result);
      return lathe_status_create("cannot start worker thread %zu of %zu: %s",
                                 i + 1, thread_count - 1, strerror(error));
    }
  }
  pthread_attr_destroy(&attributes);
  pthread_sigmask(SIG_SETMASK, &previous_signals, NULL);
  *pool = result;
  return NULL;
}

void lathe_thread_pool_free(lathe_thread_pool *pool) {
  if (!pool)
    return;
  stop_workers(pool, pool->worker_count);
  destroy_pool(pool);
}

size_t lathe_thread_pool_thread_count(const lathe_thread_pool *pool) {
  return pool->worker_count + 1;
}

bool lathe_thread_pool_reserve_workspace(lathe_thread_pool *pool,
                                        size_t bytes) {
  if (bytes > SIZE_MAX / 2)
    return false;
  size_t rounded = (bytes + WORKSPACE_GRANULE - 1) / WORKSPACE_GRANULE *
                   WORKSPACE_GRANULE;
  pthread_mutex_lock(&pool->run_mutex);
  bool reserved = rounded <= pool->workspace_bytes;
  size_t count = pool->worker_count + 1;
  void **grown = reserved ? NULL : calloc(count, sizeof(void *));
  for (size_t i = 0; grown && i < count; ++i)
    if (!(grown[i] = map_workspace(rounded))) {
      unmap_workspaces(grown, count, rounded);
      grown = NULL;
    }
  if (grown) {
    /* No run is in progress: no thread is using the old workspaces. */
    unmap_workspaces(pool->workspaces, count, pool->workspace_bytes);
    pool->workspaces = grown;
    pool->workspace_bytes = rounded;
    reserved = true;
  }
  pthread_mutex_unlock(&pool->run_mutex);
  return reserved;
}

void lathe_thread_pool_run(lathe_thread_pool *pool, LatheKernelFn kernel,
                           void **bindings, int64_t workgroup_count) {
  if (workgroup_count <= 0)
    return;
  pthread_mutex_lock(&pool->run_mutex);

  uint32_t job = ++pool->job;
  atomic_store_explicit(&pool->claim, ((uint64_t)job << 32) | UINT32_MAX,
                        memory_order_seq_cst);
  atomic_store_explicit(&pool->kernel, kernel, memory_order_relaxed);
  atomic_store_explicit(&pool->bindings, bindings, memory_order_relaxed);
  atomic_store_explicit(&pool->workgroup_count, workgroup_count,
                        memory_order_relaxed);
  atomic_store_explicit(&pool->finished, 0, memory_order_relaxed);
  atomic_store_explicit(&pool->claim, (uint64_t)job << 32,
                        memory_order_release);
  /* A single workgroup runs on the caller alone. */
  if (workgroup_count > 1 && pool->worker_count > 0) {
    pthread_mutex_lock(&pool->mutex);
    atomic_fetch_add_explicit(&pool->generation, 1, memory_order_release);
    pthread_cond_broadcast(&pool->job_posted);
    pthread_mutex_unlock(&pool->mutex);
  }

  run_workgroups(pool, job, kernel, bindings, workgroup_count,
                 pool->worker_count);

  for (int spin = 1; atomic_load_explicit(&pool->finished,
                                          memory_order_acquire) < workgroup_count;
       ++spin) {
    if (spin % caller_spins_per_yield == 0)
      sched_yield();
    else
      cpu_relax();
  }
  pthread_mutex_unlock(&pool->run_mutex);
}
