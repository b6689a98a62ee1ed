/*===- model.c - Hand-written model library for the runtime tests ---------===*
 *
 * Kernels and entry points written the way lathe-compile's output behaves.
 * Each test library links this file with one metadata_*.c file; the metadata
 * decides which of these symbols the library declares.
 *===----------------------------------------------------------------------===*/
#include "lathe/model_abi.h"

#include <stdint.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

/* add: sum = a + b over f32[4,8]; workgroup i computes row i in its
 * workspace (32 bytes, 64-byte aligned), then copies it out. Without a
 * workspace as the ABI promises, the row is left unwritten. */
EXPORT void add_rows_kernel(void **bindings, int64_t workgroup_id,
                            void *workspace) {
  const float *a = bindings[0];
  const float *b = bindings[1];
  float *sum = bindings[2];
  float *row = workspace;
  if (!row || (uintptr_t)row % 64 != 0)
    return;
  for (int64_t i = 0; i < 8; ++i)
    row[i] = a[workgroup_id * 8 + i] + b[workgroup_id * 8 + i];
  memcpy(sum + workgroup_id * 8, row, 8 * sizeof(float));
}

EXPORT int32_t add_entry(void **buffers, const LatheHostABI *host) {
  void *bindings[3] = {buffers[0], buffers[1], buffers[2]};
  return host->dispatch(host->context, 0, bindings, 4);
}

/* affine: y = 2 * x + 1 over f32[1000] in two dispatches of one workgroup
 * per element; the second reads what the first wrote. */
EXPORT void scale_kernel(void **bindings, int64_t workgroup_id,
                         void *workspace) {
  (void)workspace;
  const float *x = bindings[0];
  float *y = bindings[1];
  y[workgroup_id] = 2.0f * x[workgroup_id];
}

EXPORT void increment_kernel(void **bindings, int64_t workgroup_id,
                             void *workspace) {
  (void)workspace;
  float *y = bindings[0];
  y[workgroup_id] += 1.0f;
}

EXPORT int32_t affine_entry(void **buffers, const LatheHostABI *host) {
  void *scale_bindings[2] = {buffers[0], buffers[1]};
  int32_t status = host->dispatch(host->context, 1, scale_bindings, 1000);
  if (status != 0)
    return status;
  void *increment_bindings[1] = {buffers[1]};
  return host->dispatch(host->context, 2, increment_bindings, 1000);
}

/* negate: y = -x over i64[2,3]; one workgroup per element. */
EXPORT void negate_i64_kernel(void **bindings, int64_t workgroup_id,
                              void *workspace) {
  (void)workspace;
  const int64_t *x = bindings[0];
  int64_t *y = bindings[1];
  y[workgroup_id] = -x[workgroup_id];
}

EXPORT int32_t negate_entry(void **buffers, const LatheHostABI *host) {
  return host->dispatch(host->context, 3, buffers, 6);
}

/* identity_*: y = x, copied one byte per workgroup. */
EXPORT void copy_bytes_kernel(void **bindings, int64_t workgroup_id,
                              void *workspace) {
  (void)workspace;
  const char *x = bindings[0];
  char *y = bindings[1];
  y[workgroup_id] = x[workgroup_id];
}

#define IDENTITY_ENTRY(name, byte_count)                                       \
  EXPORT int32_t name(void **buffers, const LatheHostABI *host) {              \
    return host->dispatch(host->context, 4, buffers, byte_count);              \
  }

IDENTITY_ENTRY(identity_f16_entry, 5 * 2)
IDENTITY_ENTRY(identity_bf16_entry, 3 * 2)
IDENTITY_ENTRY(identity_f64_entry, 2 * 2 * 8)
IDENTITY_ENTRY(identity_i8_entry, 4)
IDENTITY_ENTRY(identity_u64_entry, 3 * 8)
IDENTITY_ENTRY(identity_bool_entry, 4)
IDENTITY_ENTRY(identity_scalar_entry, 4)

/* fail: dispatches a kernel that does not exist. */
EXPORT int32_t fail_entry(void **buffers, const LatheHostABI *host) {
  return host->dispatch(host->context, 99, buffers, 1);
}

/* accumulate (bound.so): y = x * w + acc, then acc += x, over f32[4]. `w` is
 * a parameter from the weights file, `acc` state kept across calls. */
EXPORT int32_t accumulate_entry(void **buffers, const LatheHostABI *host) {
  (void)host;
  const float *x = buffers[0], *w = buffers[1];
  float *acc = buffers[2], *y = buffers[3];
  for (int i = 0; i < 4; ++i) {
    y[i] = x[i] * w[i] + acc[i];
    acc[i] += x[i];
  }
  return 0;
}
