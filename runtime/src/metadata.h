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
  size_t workspace_bytes;
  unsigned line; /* 1-based metadata line, for diagnostics */
} lathe_metadata_kernel;

typedef enum lathe_buffer_kind {
  lathe_buffer_param, /* read-only, in the weights file */
  lathe_buffer_state, /* zero-initialized, kept across calls */
} lathe_buffer_kind;

/* A buffer that the runtime binds to entries: a `param` or `state` record. */
typedef struct lathe_metadata_buffer {
  lathe_metadata_argument type;
  lathe_buffer_kind kind;
  uint64_t offset; /* params: byte offset in the weights file */
  unsigned line;
} lathe_metadata_buffer;

typedef struct lathe_metadata_entry {
  const char *name;
  const char *symbol;
  unsigned line;
  size_t input_count;
  size_t output_count;
  /* Inputs then outputs; input_count + output_count elements. */
  lathe_metadata_argument *arguments;
  /* Buffers the runtime passes between the inputs and the outputs, as
   * indices into lathe_metadata::buffers; bound_count elements. */
  size_t bound_count;
  size_t bound_seen;
  size_t *bound;
} lathe_metadata_entry;

typedef struct lathe_metadata {
  char *text; /* private copy, split into NUL-terminated fields */
  lathe_metadata_kernel *kernels;
  size_t kernel_count;
  lathe_metadata_entry *entries;
  size_t entry_count;
  /* The `weights` record: file name (relative to the library's directory)
   * and size; NULL name without one. */
  const char *weights_file;
  uint64_t weights_size;
  lathe_metadata_buffer *buffers;
  size_t buffer_count;
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
