/*===- thread_pool.h - Persistent workers that run dispatches -------------===*/
#ifndef LATHE_RUNTIME_THREAD_POOL_H
#define LATHE_RUNTIME_THREAD_POOL_H

#include "lathe/model_abi.h"
#include "lathe/runtime.h"

#include <stdbool.h>

typedef struct lathe_thread_pool lathe_thread_pool;

/* Starts `thread_count - 1` workers; the thread that calls
 * lathe_thread_pool_run is the last one. `thread_count` is at least 1. */
lathe_status lathe_thread_pool_create(size_t thread_count,
                                      lathe_thread_pool **pool);
/* Stops and joins the workers. No run may be in progress. */
void lathe_thread_pool_free(lathe_thread_pool *pool);
size_t lathe_thread_pool_thread_count(const lathe_thread_pool *pool);

/* Gives every thread a kernel workspace of at least `bytes` bytes (kept if
 * already that large); false if memory runs out. Waits for a run in
 * progress to end. */
bool lathe_thread_pool_reserve_workspace(lathe_thread_pool *pool,
                                        size_t bytes);

/* Runs kernel(bindings, id, workspace) for every id in [0, workgroup_count),
 * each with the running thread's workspace, and returns when all have
 * finished. The calling thread takes part. Runs from several threads are
 * serialized. */
void lathe_thread_pool_run(lathe_thread_pool *pool, LatheKernelFn kernel,
                           void **bindings, int64_t workgroup_count);

#endif /* LATHE_RUNTIME_THREAD_POOL_H */
