/*===- tensor.h - Shape arithmetic shared by tensors and metadata ---------===*/
#ifndef LATHE_RUNTIME_TENSOR_H
#define LATHE_RUNTIME_TENSOR_H

#include "lathe/runtime.h"

#include <stdbool.h>

/* Computes the element count and byte size of a dense array, failing when an
 * extent is negative, a product overflows or the array exceeds
 * LATHE_MAX_TENSOR_BYTES. `dtype` must be valid. */
bool lathe_shape_byte_size(lathe_dtype dtype, size_t rank, const int64_t *dims,
                           size_t *element_count, size_t *byte_size);

/* Writes "f32[4,8]" (or "f32[]" for rank 0) into `buffer`, truncating to
 * `size` bytes. */
void lathe_format_type(char *buffer, size_t size, lathe_dtype dtype,
                       size_t rank, const int64_t *dims);

#endif /* LATHE_RUNTIME_TENSOR_H */
