/*===- lathe/runtime.h - Lathe runtime C API ------------------------------===*
 *
 * Loads model libraries written by lathe-compile (see lathe/model_abi.h) and
 * runs their entry points on a pool of persistent worker threads.
 *
 * Conventions:
 *  - Every call that can fail returns a lathe_status. NULL means success; a
 *    non-NULL status carries a message and is owned by the caller, who
 *    releases it with lathe_status_free.
 *  - Objects are opaque. The caller owns what a *_create or *_load call
 *    returns and releases it with the matching *_free, which accepts NULL.
 *    When a call fails, its output handle is set to NULL.
 *  - A runtime must outlive every module loaded with it.
 *  - Strings and arrays returned by accessors stay valid while the object
 *    that returned them lives.
 *  - lathe_invoke may run concurrently from several threads on one module;
 *    the runtime's thread pool then runs one dispatch at a time. Entries
 *    that update the module's state (an LLM's KV cache) are the exception:
 *    calls of those must not overlap.
 *===----------------------------------------------------------------------===*/
#ifndef LATHE_RUNTIME_H
#define LATHE_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define LATHE_API __attribute__((visibility("default")))
#else
#define LATHE_API
#endif

/* Largest tensor rank the runtime accepts, in metadata and in tensors. */
#define LATHE_MAX_RANK 16
/* Largest tensor the runtime accepts, in bytes (16 GiB). */
#define LATHE_MAX_TENSOR_BYTES ((uint64_t)1 << 34)

/*===--- Status -----------------------------------------------------------===*/

typedef struct lathe_status_impl *lathe_status;

/* The message of `status`; "OK" for NULL. Valid until the status is freed. */
LATHE_API const char *lathe_status_message(lathe_status status);
LATHE_API void lathe_status_free(lathe_status status);

/*===--- Element types ----------------------------------------------------===*/

/* Names match the dtype spelling of the artifact metadata. Values are
 * stable. */
typedef enum lathe_dtype {
  LATHE_DTYPE_F16 = 0,
  LATHE_DTYPE_BF16 = 1,
  LATHE_DTYPE_F32 = 2,
  LATHE_DTYPE_F64 = 3,
  LATHE_DTYPE_I8 = 4,
  LATHE_DTYPE_I16 = 5,
  LATHE_DTYPE_I32 = 6,
  LATHE_DTYPE_I64 = 7,
  LATHE_DTYPE_U8 = 8,
  LATHE_DTYPE_U16 = 9,
  LATHE_DTYPE_U32 = 10,
  LATHE_DTYPE_U64 = 11,
  LATHE_DTYPE_BOOL = 12 /* one byte, 0 or 1 */
} lathe_dtype;

/* "f32", "bool", ...; NULL for a value outside the enum. */
LATHE_API const char *lathe_dtype_name(lathe_dtype dtype);
/* Bytes per element; 0 for a value outside the enum. */
LATHE_API size_t lathe_dtype_size(lathe_dtype dtype);
/* Parses a metadata dtype name ("f32"). */
LATHE_API lathe_status lathe_dtype_parse(const char *name, lathe_dtype *dtype);

/*===--- Runtime ----------------------------------------------------------===*/

typedef struct lathe_runtime lathe_runtime;

/* Creates a runtime whose dispatches run on `thread_count` threads, the
 * calling thread included (thread_count - 1 workers are started). 0 means
 * one thread per CPU available to the process. */
LATHE_API lathe_status lathe_runtime_create(size_t thread_count,
                                            lathe_runtime **runtime);
/* Stops and joins the worker threads. No invocation may be running. */
LATHE_API void lathe_runtime_free(lathe_runtime *runtime);
/* Threads that run a dispatch, the calling thread included. */
LATHE_API size_t lathe_runtime_thread_count(const lathe_runtime *runtime);

/*===--- Modules ----------------------------------------------------------===*/

typedef struct lathe_module lathe_module;

/* Validates the ELF file at `path`, loads it, parses and checks its metadata
 * and resolves every kernel and entry symbol. Loading runs the library's
 * initializers: load only libraries you would run. With glibc, the first
 * load raises malloc's mmap and trim thresholds (mallopt, process-wide), so
 * that the buffers an invocation allocates and frees are reused by the next
 * one instead of being returned to the system. */
LATHE_API lathe_status lathe_module_load(lathe_runtime *runtime,
                                         const char *path,
                                         lathe_module **module);
LATHE_API void lathe_module_free(lathe_module *module);

LATHE_API size_t lathe_module_entry_count(const lathe_module *module);
/* NULL when `entry` is out of range. */
LATHE_API const char *lathe_module_entry_name(const lathe_module *module,
                                              size_t entry);
LATHE_API lathe_status lathe_module_find_entry(const lathe_module *module,
                                               const char *name, size_t *entry);
/* 0 when `entry` is out of range. */
LATHE_API size_t lathe_module_input_count(const lathe_module *module,
                                          size_t entry);
LATHE_API size_t lathe_module_output_count(const lathe_module *module,
                                           size_t entry);

/* One input or output of an entry point; points into the module. */
typedef struct lathe_argument_info {
  const char *name;
  lathe_dtype dtype;
  size_t rank;
  const int64_t *dims; /* `rank` extents */
} lathe_argument_info;

LATHE_API lathe_status lathe_module_input_info(const lathe_module *module,
                                               size_t entry, size_t index,
                                               lathe_argument_info *info);
LATHE_API lathe_status lathe_module_output_info(const lathe_module *module,
                                                size_t entry, size_t index,
                                                lathe_argument_info *info);

/* Modules compiled from GGUF models keep their weights in a file beside the
 * library, which loading maps read-only, and state (the KV cache) that the
 * runtime allocates zero-filled and entries update in place. This zeroes the
 * state again, as for a fresh sequence. */
LATHE_API void lathe_module_reset_state(lathe_module *module);
/* The state buffers' names and shapes (an LLM's k_cache and v_cache are
 * [layers, kv heads, context, head size]). */
LATHE_API size_t lathe_module_state_count(const lathe_module *module);
LATHE_API lathe_status lathe_module_state_info(const lathe_module *module,
                                               size_t index,
                                               lathe_argument_info *info);
/* The path of the mapped weights file, or NULL for a module without one. */
LATHE_API const char *lathe_module_weights_path(const lathe_module *module);

/*===--- Tensors ----------------------------------------------------------===*/

/* A dense row-major array with 64-byte aligned, zero-initialized storage. */
typedef struct lathe_tensor lathe_tensor;

/* `dims` holds `rank` non-negative extents (may be NULL when rank is 0). */
LATHE_API lathe_status lathe_tensor_create(lathe_dtype dtype, size_t rank,
                                           const int64_t *dims,
                                           lathe_tensor **tensor);
LATHE_API void lathe_tensor_free(lathe_tensor *tensor);

/* Never NULL, even for a tensor with no elements. */
LATHE_API void *lathe_tensor_data(lathe_tensor *tensor);
LATHE_API size_t lathe_tensor_byte_size(const lathe_tensor *tensor);
LATHE_API size_t lathe_tensor_element_count(const lathe_tensor *tensor);
LATHE_API lathe_dtype lathe_tensor_dtype(const lathe_tensor *tensor);
LATHE_API size_t lathe_tensor_rank(const lathe_tensor *tensor);
LATHE_API const int64_t *lathe_tensor_dims(const lathe_tensor *tensor);

/*===--- Invocation -------------------------------------------------------===*/

/* Runs entry point `entry` of `module`. The tensors must match the entry's
 * signature in count, dtype and shape; outputs must be distinct from each
 * other and from the inputs. Returns when the entry has finished. */
LATHE_API lathe_status lathe_invoke(lathe_module *module, size_t entry,
                                    lathe_tensor *const *inputs,
                                    size_t input_count,
                                    lathe_tensor *const *outputs,
                                    size_t output_count);

#ifdef __cplusplus
}
#endif

#endif /* LATHE_RUNTIME_H */
