/*===- invoke.c - Running entry points ------------------------------------===*/
#include "module.h"
#include "status.h"
#include "tensor.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The thread pool numbers workgroups with 32 bits. */
#define MAX_WORKGROUP_COUNT ((int64_t)UINT32_MAX - 1)

/* Non-zero dispatch results; the entry passes the first one on. */
enum {
  dispatch_bad_kernel = 1,
  dispatch_bad_workgroup_count = 2,
  dispatch_null_bindings = 3,
};

/* State of one lathe_invoke call; the host ABI context. */
typedef struct invocation {
  const lathe_module *module;
  char error[256]; /* why the first failed dispatch failed; empty if none */
} invocation;

static int32_t dispatch_failed(invocation *call, int32_t result,
                               const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static int32_t dispatch_failed(invocation *call, int32_t result,
                               const char *format, ...) {
  if (call->error[0] == '\0') {
    va_list args;
    va_start(args, format);
    vsnprintf(call->error, sizeof(call->error), format, args);
    va_end(args);
  }
  return result;
}

/* LatheHostABI::dispatch. Called by generated code, which is trusted no more
 * than the metadata: the kernel index and count are checked. */
static int32_t dispatch(void *context, int64_t kernel_index, void **bindings,
                        int64_t workgroup_count) {
  invocation *call = context;
  const lathe_module *module = call->module;
  const lathe_metadata *metadata = &module->metadata;
  if (kernel_index < 0 || (uint64_t)kernel_index >= metadata->kernel_count)
    return dispatch_failed(call, dispatch_bad_kernel,
                           "dispatch of kernel %" PRId64
                           ", but the module has %zu kernels",
                           kernel_index, metadata->kernel_count);
  const lathe_metadata_kernel *kernel = &metadata->kernels[kernel_index];
  if (workgroup_count < 0 || workgroup_count > MAX_WORKGROUP_COUNT)
    return dispatch_failed(call, dispatch_bad_workgroup_count,
                           "dispatch of kernel '%s' with %" PRId64
                           " workgroups",
                           kernel->symbol, workgroup_count);
  if (!bindings && kernel->binding_count > 0)
    return dispatch_failed(call, dispatch_null_bindings,
                           "dispatch of kernel '%s' without bindings",
                           kernel->symbol);
  lathe_thread_pool_run(module->runtime->pool, module->kernels[kernel_index],
                        bindings, workgroup_count);
  return 0;
}

static lathe_status check_argument(const lathe_module *module,
                                   const lathe_metadata_entry *entry,
                                   size_t position,
                                   const lathe_tensor *tensor) {
  bool is_input = position < entry->input_count;
  size_t index = is_input ? position : position - entry->input_count;
  const char *kind = is_input ? "input" : "output";
  const lathe_metadata_argument *expected = &entry->arguments[position];
  if (!tensor)
    return lathe_status_create("%s: entry '%s': %s %zu ('%s') is NULL",
                               module->path, entry->name, kind, index,
                               expected->name);

  size_t rank = lathe_tensor_rank(tensor);
  const int64_t *dims = lathe_tensor_dims(tensor);
  bool matches =
      lathe_tensor_dtype(tensor) == expected->dtype && rank == expected->rank &&
      (rank == 0 || memcmp(dims, expected->dims, rank * sizeof(int64_t)) == 0);
  if (matches)
    return NULL;
  char want[256], got[256];
  lathe_format_type(want, sizeof(want), expected->dtype, expected->rank,
                    expected->dims);
  lathe_format_type(got, sizeof(got), lathe_tensor_dtype(tensor), rank, dims);
  return lathe_status_create(
      "%s: entry '%s': %s %zu ('%s'): expected %s, got %s", module->path,
      entry->name, kind, index, expected->name, want, got);
}

static lathe_status
check_arguments(const lathe_module *module, const lathe_metadata_entry *entry,
                lathe_tensor *const *inputs, size_t input_count,
                lathe_tensor *const *outputs, size_t output_count) {
  if (input_count != entry->input_count || output_count != entry->output_count)
    return lathe_status_create(
        "%s: entry '%s' takes %zu inputs and %zu outputs, got %zu and %zu",
        module->path, entry->name, entry->input_count, entry->output_count,
        input_count, output_count);
  if ((input_count > 0 && !inputs) || (output_count > 0 && !outputs))
    return lathe_status_create("%s: entry '%s': NULL tensor array",
                               module->path, entry->name);

  for (size_t i = 0; i < input_count; ++i) {
    lathe_status status = check_argument(module, entry, i, inputs[i]);
    if (status)
      return status;
  }
  for (size_t i = 0; i < output_count; ++i) {
    lathe_status status =
        check_argument(module, entry, input_count + i, outputs[i]);
    if (status)
      return status;
  }

  /* Kernels write outputs concurrently; an output that is also another
   * argument would race. */
  for (size_t i = 0; i < output_count; ++i) {
    for (size_t j = 0; j < input_count; ++j)
      if (outputs[i] == inputs[j])
        return lathe_status_create(
            "%s: entry '%s': output %zu is the same tensor as input %zu",
            module->path, entry->name, i, j);
    for (size_t j = 0; j < i; ++j)
      if (outputs[i] == outputs[j])
        return lathe_status_create(
            "%s: entry '%s': output %zu is the same tensor as output %zu",
            module->path, entry->name, i, j);
  }
  return NULL;
}

lathe_status lathe_invoke(lathe_module *module, size_t entry_index,
                          lathe_tensor *const *inputs, size_t input_count,
                          lathe_tensor *const *outputs, size_t output_count) {
  if (!module)
    return lathe_status_create("lathe_invoke: NULL module");
  if (entry_index >= module->metadata.entry_count)
    return lathe_status_create(
        "%s: entry index %zu is out of range (%zu entry points)", module->path,
        entry_index, module->metadata.entry_count);
  const lathe_metadata_entry *entry = &module->metadata.entries[entry_index];
  lathe_status status = check_arguments(module, entry, inputs, input_count,
                                        outputs, output_count);
  if (status)
    return status;

  /* Counts are bounded by the metadata limits; +1 keeps the array non-empty.
   * Inputs, then the bound params and states, then outputs. */
  size_t bound_count = entry->bound_count;
  void **buffers =
      calloc(input_count + bound_count + output_count + 1, sizeof(void *));
  if (!buffers)
    return lathe_status_create("%s: out of memory", module->path);
  for (size_t i = 0; i < input_count; ++i)
    buffers[i] = lathe_tensor_data(inputs[i]);
  for (size_t i = 0; i < bound_count; ++i)
    buffers[input_count + i] = module->buffers[entry->bound[i]];
  for (size_t i = 0; i < output_count; ++i)
    buffers[input_count + bound_count + i] = lathe_tensor_data(outputs[i]);

  invocation call = {.module = module};
  LatheHostABI host = {.context = &call, .dispatch = dispatch};
  int32_t result = module->entries[entry_index](buffers, &host);
  free(buffers);

  if (result == 0)
    return NULL;
  if (call.error[0] != '\0')
    return lathe_status_create("%s: entry '%s' failed (status %" PRId32 "): %s",
                               module->path, entry->name, result, call.error);
  return lathe_status_create("%s: entry '%s' failed with status %" PRId32,
                             module->path, entry->name, result);
}
