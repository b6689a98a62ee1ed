/*===- lathe/model_abi.h - Contract between model libraries and runtime ---===*
 *
 * A CPU artifact is a shared library (ELF .so) written by lathe-compile. This
 * header is the whole contract between that library and the runtime; the
 * compiler emits code that follows it and the runtime checks it when loading.
 *
 * Exported symbols of a model library:
 *
 *   const char lathe_artifact_metadata[];
 *     NUL-terminated text, one record per line, fields separated by single
 *     spaces (see "Metadata" below).
 *
 *   int32_t <entry symbol>(void **buffers, const LatheHostABI *host);
 *     One per entry point. `buffers` holds one pointer per input, then one
 *     per bound buffer (`bind` lines), then one per output, each in metadata
 *     order; each points at a dense row-major array of the declared static
 *     shape and element type. Returns 0 on success, otherwise the first
 *     non-zero status returned by `dispatch`.
 *
 *   void <kernel symbol>(void **bindings, int64_t workgroup_id,
 *                        void *workspace);
 *     One per kernel. Computes one workgroup of a dispatch; workgroups of one
 *     dispatch are independent and may run concurrently in any order.
 *     `workspace` points at the kernel's scratch memory (its `kernel` line
 *     gives the size): at least 64-byte aligned, private to the thread that
 *     runs the workgroup, kept by the runtime across calls, and of undefined
 *     contents when the workgroup starts; it may be NULL when the size is 0.
 *
 * Metadata (version LATHE_MODEL_ABI_VERSION; the runtime reads only this
 * version, whose kernels take a workspace):
 *
 *   lathe-artifact 3
 *   target cpu
 *   kernel <index> <symbol> <binding count> <workspace bytes>
 *   weights <file name> <byte size>
 *   param <name> <dtype> <dims> <file offset>
 *   state <name> <dtype> <dims>
 *   entry <name> <symbol> <input count> <output count> [<bound count>]
 *   input <name> <dtype> <dims>
 *   bind param|state <name>
 *   output <name> <dtype> <dims>
 *   end
 *
 *   Kernel indices are 0, 1, 2, ... in order; a workspace is at most
 *   256 MiB. `input`, `bind` and `output`
 *   lines follow their `entry` line. Parameters are read-only arrays in the
 *   weights file, a file in the library's directory that the runtime maps
 *   when it loads the library (its size must match). States are arrays the
 *   runtime allocates zero-filled per loaded module and keeps across calls
 *   (an LLM's KV cache); entries that bind a state update it in place. A
 *   `bind` line names a param or state declared before it. <dtype> is one of f16 bf16 f32 f64 i8 i16 i32 i64 u8
 *   u16 u32 u64 bool (bool: one byte, 0 or 1). <dims> is a comma-separated
 *   list of non-negative extents, or `scalar` for rank 0. Names are
 *   non-empty and contain no whitespace.
 *===----------------------------------------------------------------------===*/
#ifndef LATHE_MODEL_ABI_H
#define LATHE_MODEL_ABI_H

#include <stdint.h>

#define LATHE_MODEL_ABI_VERSION 3
/* The largest kernel workspace, in bytes (256 MiB). */
#define LATHE_MAX_WORKSPACE_BYTES (1 << 28)
#define LATHE_METADATA_SYMBOL "lathe_artifact_metadata"

#ifdef __cplusplus
extern "C" {
#endif

/* Services the runtime offers to generated host code. Field order is ABI. */
typedef struct LatheHostABI {
  void *context;
  /* Runs workgroups [0, workgroup_count) of kernel `kernel_index` on the
   * runtime's thread pool and returns when all have finished. `bindings`
   * holds the kernel's binding pointers. Returns 0 on success. */
  int32_t (*dispatch)(void *context, int64_t kernel_index, void **bindings,
                      int64_t workgroup_count);
} LatheHostABI;

typedef int32_t (*LatheEntryFn)(void **buffers, const LatheHostABI *host);
typedef void (*LatheKernelFn)(void **bindings, int64_t workgroup_id,
                              void *workspace);

#ifdef __cplusplus
}
#endif

#endif /* LATHE_MODEL_ABI_H */
