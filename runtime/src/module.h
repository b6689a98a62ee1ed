/*===- module.h - Runtime and module internals ----------------------------===*/
#ifndef LATHE_RUNTIME_MODULE_H
#define LATHE_RUNTIME_MODULE_H

#include "lathe/model_abi.h"
#include "lathe/runtime.h"
#include "metadata.h"
#include "thread_pool.h"

struct lathe_runtime {
  lathe_thread_pool *pool;
};

struct lathe_module {
  lathe_runtime *runtime;
  char *path;
  void *handle; /* from dlopen */
  lathe_metadata metadata;
  LatheKernelFn *kernels; /* metadata.kernel_count, by kernel index */
  LatheEntryFn *entries;  /* metadata.entry_count */
  char *weights_path;     /* resolved path of the weights file, or NULL */
  void *weights;          /* mapped weights file, or NULL */
  size_t weights_size;
  void **buffers;         /* by metadata buffer index: param or state data */
};

#endif /* LATHE_RUNTIME_MODULE_H */
