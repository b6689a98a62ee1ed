/*===- tensor.c - Host tensors --------------------------------------------===*/
#include "tensor.h"
#include "status.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { tensor_alignment = 64 /* bytes */ };

struct lathe_tensor {
  lathe_dtype dtype;
  size_t rank;
  int64_t dims[LATHE_MAX_RANK];
  size_t element_count;
  size_t byte_size;
  void *data; /* tensor_alignment-aligned, at least one alignment unit */
};

bool lathe_shape_byte_size(lathe_dtype dtype, size_t rank, const int64_t *dims,
                           size_t *element_count, size_t *byte_size) {
  /* Every extent is bounded first so that a zero extent cannot hide an
   * absurd one. */
  for (size_t i = 0; i < rank; ++i)
    if (dims[i] < 0 || (uint64_t)dims[i] > LATHE_MAX_TENSOR_BYTES)
      return false;
  uint64_t elements = 1;
  for (size_t i = 0; i < rank && elements != 0; ++i) {
    if (dims[i] != 0 && elements > LATHE_MAX_TENSOR_BYTES / (uint64_t)dims[i])
      return false;
    elements *= (uint64_t)dims[i];
  }
  uint64_t bytes = elements * lathe_dtype_size(dtype);
  if (bytes > LATHE_MAX_TENSOR_BYTES)
    return false;
  *element_count = (size_t)elements;
  *byte_size = (size_t)bytes;
  return true;
}

void lathe_format_type(char *buffer, size_t size, lathe_dtype dtype,
                       size_t rank, const int64_t *dims) {
  if (size == 0)
    return;
  const char *name = lathe_dtype_name(dtype);
  int used = snprintf(buffer, size, "%s[", name ? name : "?");
  for (size_t i = 0; i < rank && used >= 0 && (size_t)used < size; ++i)
    used += snprintf(buffer + used, size - (size_t)used, "%s%" PRId64,
                     i ? "," : "", dims[i]);
  if (used >= 0 && (size_t)used < size)
    snprintf(buffer + used, size - (size_t)used, "]");
}

lathe_status lathe_tensor_create(lathe_dtype dtype, size_t rank,
                                 const int64_t *dims, lathe_tensor **tensor) {
  if (!tensor)
    return lathe_status_create("lathe_tensor_create: NULL output handle");
  *tensor = NULL;
  if (lathe_dtype_size(dtype) == 0)
    return lathe_status_create("lathe_tensor_create: invalid dtype %d",
                               (int)dtype);
  if (rank > LATHE_MAX_RANK)
    return lathe_status_create(
        "lathe_tensor_create: rank %zu exceeds the maximum of %d", rank,
        LATHE_MAX_RANK);
  if (rank > 0 && !dims)
    return lathe_status_create("lathe_tensor_create: NULL dims");

  size_t element_count, byte_size;
  if (!lathe_shape_byte_size(dtype, rank, dims, &element_count, &byte_size)) {
    char type[256];
    lathe_format_type(type, sizeof(type), dtype, rank, dims);
    return lathe_status_create("lathe_tensor_create: invalid shape %s (extents "
                               "must be non-negative and the tensor at most "
                               "%" PRIu64 " bytes)",
                               type, (uint64_t)LATHE_MAX_TENSOR_BYTES);
  }

  lathe_tensor *result = calloc(1, sizeof(lathe_tensor));
  if (!result)
    return lathe_status_create("lathe_tensor_create: out of memory");
  /* aligned_alloc wants a multiple of the alignment; byte_size is far below
   * SIZE_MAX, so rounding up cannot overflow. */
  size_t allocation_size =
      (byte_size + tensor_alignment - 1) / tensor_alignment * tensor_alignment;
  if (allocation_size == 0)
    allocation_size = tensor_alignment;
  result->data = aligned_alloc(tensor_alignment, allocation_size);
  if (!result->data) {
    free(result);
    return lathe_status_create("lathe_tensor_create: cannot allocate %zu bytes",
                               byte_size);
  }
  memset(result->data, 0, allocation_size);
  result->dtype = dtype;
  result->rank = rank;
  if (rank > 0)
    memcpy(result->dims, dims, rank * sizeof(int64_t));
  result->element_count = element_count;
  result->byte_size = byte_size;
  *tensor = result;
  return NULL;
}

void lathe_tensor_free(lathe_tensor *tensor) {
  if (!tensor)
    return;
  free(tensor->data);
  free(tensor);
}

void *lathe_tensor_data(lathe_tensor *tensor) { return tensor->data; }

size_t lathe_tensor_byte_size(const lathe_tensor *tensor) {
  return tensor->byte_size;
}

size_t lathe_tensor_element_count(const lathe_tensor *tensor) {
  return tensor->element_count;
}

lathe_dtype lathe_tensor_dtype(const lathe_tensor *tensor) {
  return tensor->dtype;
}

size_t lathe_tensor_rank(const lathe_tensor *tensor) { return tensor->rank; }

const int64_t *lathe_tensor_dims(const lathe_tensor *tensor) {
  return tensor->dims;
}
