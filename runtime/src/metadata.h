/*===- metadata.h - Parsed artifact metadata ------------------------------===*/
#ifndef LATHE_RUNTIME_METADATA_H
#define LATHE_RUNTIME_METADATA_H

#include "lathe/runtime.h"

/* Strings point into lathe_metadata::text. */

typedef struct lathe_metadata_argument {
  const char *name;
  lathe_dtype dtype;
  size_t rank;
  int64_t dims[LATHE_MAX_RANK];
  size_t byte_size;
} lathe_metadata_argument;

typedef struct lathe_metadata_kernel {
  const char *symbol;
  size_t binding_count;
  unsigned line; /* 1-based metadata line, for diagnostics */
} lathe_metadata_kernel;

typedef struct lathe_metadata_entry {
  const char *name;
  const char *symbol;
  unsigned line;
  size_t input_count;
  size_t output_count;
  /* Inputs then outputs; input_count + output_count elements. */
  lathe_metadata_argument *arguments;
} lathe_metadata_entry;

typedef struct lathe_metadata {
  char *text; /* private copy, split into NUL-terminated fields */
  lathe_metadata_kernel *kernels;
  size_t kernel_count;
  lathe_metadata_entry *entries;
  size_t entry_count;
} lathe_metadata;

/* Largest metadata text accepted, in bytes. */
enum { lathe_max_metadata_bytes = 1 << 20 };

/* Parses `length` bytes of metadata text (see lathe/model_abi.h). Errors name
 * `path` and the metadata line. On failure `metadata` is left empty. */
lathe_status lathe_metadata_parse(const char *path, const char *text,
                                  size_t length, lathe_metadata *metadata);
/* Releases what lathe_metadata_parse allocated; accepts an empty value. */
void lathe_metadata_free(lathe_metadata *metadata);

#endif /* LATHE_RUNTIME_METADATA_H */
