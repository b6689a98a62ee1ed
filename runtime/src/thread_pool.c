/*===- thread_pool.c - Persistent workers that run dispatches -------------===*
 *
 * A run publishes one job (kernel, bindings, workgroup count) under `mutex`
 * and bumps `generation`. Workers and the caller then claim workgroup ids
 * from the atomic `next_workgroup` counter until it passes the count. The
 * caller waits until every participating worker has left the job, so a job
 * never outlives its run and each worker sees every generation exactly once.
 *===----------------------------------------------------------------------===*/
#include "thread_pool.h"
#include "status.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Upper bound on thread_count; far above any host this runs on. */
enum { max_threads = 1024 };

typedef struct worker {
  lathe_thread_pool *pool;
  size_t index; /* 0 .. worker_count-1 */
  pthread_t thread;
} worker;

struct lathe_thread_pool {
  size_t worker_count;
  worker *workers;

  /* Held for a whole run so that runs from several threads take turns. */
  pthread_mutex_t run_mutex;

  pthread_mutex_t mutex; /* guards everything below but next_workgroup */
  pthread_cond_t job_posted;
  pthread_cond_t job_finished;
  uint64_t generation;
  bool shutting_down;
  LatheKernelFn kernel;
  void **bindings;
  int64_t workgroup_count;
  size_t participants; /* workers with index below this take part */
  size_t busy_workers; /* participants that have not left the job */
  _Atomic int64_t next_workgroup;
};

static void run_workgroups(lathe_thread_pool *pool, LatheKernelFn kernel,
                           void **bindings, int64_t workgroup_count) {
  for (;;) {
    int64_t id = atomic_fetch_add_explicit(&pool->next_workgroup, 1,
                                           memory_order_relaxed);
    if (id >= workgroup_count)
      return;
    kernel(bindings, id);
  }
}

static void *worker_main(void *argument) {
  worker *self = argument;
  lathe_thread_pool *pool = self->pool;
  uint64_t seen_generation = 0;

  pthread_mutex_lock(&pool->mutex);
  for (;;) {
    while (!pool->shutting_down && pool->generation == seen_generation)
      pthread_cond_wait(&pool->job_posted, &pool->mutex);
    if (pool->shutting_down)
      break;
    seen_generation = pool->generation;
    if (self->index >= pool->participants)
      continue;

    LatheKernelFn kernel = pool->kernel;
    void **bindings = pool->bindings;
    int64_t workgroup_count = pool->workgroup_count;
    pthread_mutex_unlock(&pool->mutex);
    run_workgroups(pool, kernel, bindings, workgroup_count);
    pthread_mutex_lock(&pool->mutex);

    if (--pool->busy_workers == 0)
      pthread_cond_signal(&pool->job_finished);
  }
  pthread_mutex_unlock(&pool->mutex);
  return NULL;
}

static void stop_workers(lathe_thread_pool *pool, size_t started) {
  pthread_mutex_lock(&pool->mutex);
  pool->shutting_down = true;
  pthread_cond_broadcast(&pool->job_posted);
  pthread_mutex_unlock(&pool->mutex);
  for (size_t i = 0; i < started; ++i)
    pthread_join(pool->workers[i].thread, NULL);
}

static void destroy_pool(lathe_thread_pool *pool) {
  pthread_cond_destroy(&pool->job_finished);
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
  pthread_cond_init(&result->job_finished, NULL);
  atomic_init(&result->next_workgroup, 0);

  /* Workers block every signal so that signals reach the host's threads. */
  sigset_t all_signals, previous_signals;
  sigfillset(&all_signals);
  pthread_sigmask(SIG_SETMASK, &all_signals, &previous_signals);
  /* Kernels keep their cache blocks on the stack (a few hundred KiB): give
     workers the same 8 MiB as a default main thread, whatever the limits. */
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

void lathe_thread_pool_run(lathe_thread_pool *pool, LatheKernelFn kernel,
                           void **bindings, int64_t workgroup_count) {
  if (workgroup_count <= 0)
    return;
  pthread_mutex_lock(&pool->run_mutex);

  /* No worker is woken for work the caller alone would claim. */
  size_t participants = pool->worker_count;
  if ((uint64_t)(workgroup_count - 1) < participants)
    participants = (size_t)(workgroup_count - 1);

  atomic_store_explicit(&pool->next_workgroup, 0, memory_order_relaxed);
  if (participants > 0) {
    pthread_mutex_lock(&pool->mutex);
    pool->kernel = kernel;
    pool->bindings = bindings;
    pool->workgroup_count = workgroup_count;
    pool->participants = participants;
    pool->busy_workers = participants;
    ++pool->generation;
    pthread_cond_broadcast(&pool->job_posted);
    pthread_mutex_unlock(&pool->mutex);
  }

  run_workgroups(pool, kernel, bindings, workgroup_count);

  if (participants > 0) {
    pthread_mutex_lock(&pool->mutex);
    while (pool->busy_workers > 0)
      pthread_cond_wait(&pool->job_finished, &pool->mutex);
    pthread_mutex_unlock(&pool->mutex);
  }
  pthread_mutex_unlock(&pool->run_mutex);
}
