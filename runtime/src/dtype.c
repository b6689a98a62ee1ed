/*===- dtype.c - Element types --------------------------------------------===*/
#include "status.h"

#include <string.h>

typedef struct dtype_descriptor {
  const char *name;
  size_t size; /* bytes per element */
} dtype_descriptor;

/* Indexed by lathe_dtype. */
static const dtype_descriptor dtype_descriptors[] = {
    [LATHE_DTYPE_F16] = {"f16", 2},   [LATHE_DTYPE_BF16] = {"bf16", 2},
    [LATHE_DTYPE_F32] = {"f32", 4},   [LATHE_DTYPE_F64] = {"f64", 8},
    [LATHE_DTYPE_I8] = {"i8", 1},     [LATHE_DTYPE_I16] = {"i16", 2},
    [LATHE_DTYPE_I32] = {"i32", 4},   [LATHE_DTYPE_I64] = {"i64", 8},
    [LATHE_DTYPE_U8] = {"u8", 1},     [LATHE_DTYPE_U16] = {"u16", 2},
    [LATHE_DTYPE_U32] = {"u32", 4},   [LATHE_DTYPE_U64] = {"u64", 8},
    [LATHE_DTYPE_BOOL] = {"bool", 1},
};

enum { dtype_count = sizeof(dtype_descriptors) / sizeof(dtype_descriptors[0]) };

const char *lathe_dtype_name(lathe_dtype dtype) {
  if ((unsigned)dtype >= dtype_count)
    return NULL;
  return dtype_descriptors[dtype].name;
}

size_t lathe_dtype_size(lathe_dtype dtype) {
  if ((unsigned)dtype >= dtype_count)
    return 0;
  return dtype_descriptors[dtype].size;
}

lathe_status lathe_dtype_parse(const char *name, lathe_dtype *dtype) {
  if (!name || !dtype)
    return lathe_status_create("lathe_dtype_parse: NULL argument");
  for (unsigned i = 0; i < dtype_count; ++i) {
    if (strcmp(dtype_descriptors[i].name, name) == 0) {
      *dtype = (lathe_dtype)i;
      return NULL;
    }
  }
  return lathe_status_create("unknown dtype '%s'", name);
}
