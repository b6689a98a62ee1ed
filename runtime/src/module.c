/*===- module.c - Loading model libraries ---------------------------------===*/
#include "module.h"
#include "elf_check.h"
#include "status.h"

#include <dlfcn.h>
#include <elf.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <link.h>
#include <malloc.h>
#endif

static const char *dl_message(void) {
  const char *message = dlerror();
  return message ? message : "unknown dynamic loader error";
}

#ifdef __GLIBC__
/* Finds the loaded segment of `library` that holds `address`. */
typedef struct segment_query {
  const struct link_map *library;
  uintptr_t address;
  bool found;
  unsigned flags;      /* the segment's PF_* flags */
  size_t mapped_bytes; /* from `address` to the end of the segment */
} segment_query;

static int find_segment(struct dl_phdr_info *info, size_t info_size,
                        void *data) {
  (void)info_size;
  segment_query *query = data;
  if (info->dlpi_addr != query->library->l_addr ||
      strcmp(info->dlpi_name, query->library->l_name) != 0)
    return 0;
  for (size_t i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
    uintptr_t start = info->dlpi_addr + segment->p_vaddr;
    if (segment->p_type != PT_LOAD || query->address < start ||
        query->address - start >= segment->p_memsz)
      continue;
    query->found = true;
    query->flags = segment->p_flags;
    query->mapped_bytes = segment->p_memsz - (query->address - start);
    break;
  }
  return 1;
}
#endif

/* Fails unless `address` lies in a loaded segment of the library itself
 * whose flags include `required_flags` (PF_R, PF_X): dlsym on a handle also
 * searches the library's dependencies, and a model must not name libc's
 * functions as its kernels; a damaged symbol table can point anywhere. Sets
 * `*mapped_bytes` to the bytes from `address` to the end of its segment. */
static lathe_status check_symbol_address(const lathe_module *module,
                                         const void *address,
                                         const char *symbol,
                                         unsigned required_flags,
                                         size_t *mapped_bytes) {
#ifdef __GLIBC__
  struct link_map *library = NULL;
  if (dlinfo(module->handle, RTLD_DI_LINKMAP, &library) != 0)
    return lathe_status_create("%s: cannot inspect the loaded library: %s",
                               module->path, dl_message());
  segment_query query = {.library = library, .address = (uintptr_t)address};
  dl_iterate_phdr(find_segment, &query);
  if (!query.found)
    return lathe_status_create(
        "%s: symbol '%s' is not defined by the model library itself",
        module->path, symbol);
  if ((query.flags & required_flags) != required_flags)
    return lathe_status_create("%s: symbol '%s' lies in a segment that is "
                               "not %s",
                               module->path, symbol,
                               required_flags & PF_X ? "executable"
                                                     : "readable");
  *mapped_bytes = query.mapped_bytes;
#else
  (void)module;
  (void)address;
  (void)symbol;
  (void)required_flags;
  *mapped_bytes = SIZE_MAX;
#endif
  return NULL;
}

/* Bytes of the metadata symbol that may be read: its ELF symbol size where the
 * loader reports one, otherwise the largest metadata accepted plus one. */
static size_t metadata_bound(const void *address) {
  size_t bound = (size_t)lathe_max_metadata_bytes + 1;
#ifdef __GLIBC__
  Dl_info info;
  const ElfW(Sym) *symbol = NULL;
  if (dladdr1(address, &info, (void **)&symbol, RTLD_DL_SYMENT) && symbol &&
      info.dli_saddr == address && symbol->st_size > 0 &&
      symbol->st_size < bound)
    bound = (size_t)symbol->st_size;
#else
  (void)address;
#endif
  return bound;
}

static lathe_status read_metadata(lathe_module *module) {
  dlerror();
  const char *text = dlsym(module->handle, LATHE_METADATA_SYMBOL);
  if (!text)
    return lathe_status_create(
        "%s: not a Lathe model library (no '" LATHE_METADATA_SYMBOL "' symbol)",
        module->path);
  size_t mapped_bytes;
  lathe_status status = check_symbol_address(
      module, text, LATHE_METADATA_SYMBOL, PF_R, &mapped_bytes);
  if (status)
    return status;
  size_t bound = metadata_bound(text);
  if (bound > mapped_bytes)
    bound = mapped_bytes;
  size_t length = strnlen(text, bound);
  if (length == bound)
    return lathe_status_create(
        "%s: metadata is not NUL-terminated within %zu bytes", module->path,
        bound);
  return lathe_metadata_parse(module->path, text, length, &module->metadata);
}

static lathe_status resolve_symbol(lathe_module *module, const char *symbol,
                                   const char *what, unsigned line,
                                   void **address) {
  dlerror();
  *address = dlsym(module->handle, symbol);
  if (!*address)
    return lathe_status_create(
        "%s: %s symbol '%s' (metadata line %u) is not defined by the library",
        module->path, what, symbol, line);
  size_t mapped_bytes;
  return check_symbol_address(module, *address, symbol, PF_X, &mapped_bytes);
}

static lathe_status resolve_symbols(lathe_module *module) {
  const lathe_metadata *metadata = &module->metadata;
  /* calloc(0) may return NULL; one spare element keeps NULL meaning failure. */
  module->kernels = calloc(metadata->kernel_count + 1, sizeof(LatheKernelFn));
  module->entries = calloc(metadata->entry_count + 1, sizeof(LatheEntryFn));
  if (!module->kernels || !module->entries)
    return lathe_status_create("%s: out of memory", module->path);

  for (size_t i = 0; i < metadata->kernel_count; ++i) {
    void *address;
    lathe_status status =
        resolve_symbol(module, metadata->kernels[i].symbol, "kernel",
                       metadata->kernels[i].line, &address);
    if (status)
      return status;
    /* POSIX guarantees that dlsym's object pointers convert to functions. */
    *(void **)&module->kernels[i] = address;
  }
  for (size_t i = 0; i < metadata->entry_count; ++i) {
    void *address;
    lathe_status status =
        resolve_symbol(module, metadata->entries[i].symbol, "entry",
                       metadata->entries[i].line, &address);
    if (status)
      return status;
    *(void **)&module->entries[i] = address;
  }
  return NULL;
}

/* Total bytes of state one module may allocate. */
#define MAX_STATE_BYTES ((uint64_t)1 << 36)

/* Maps the weights file named by the metadata (in the library's directory)
 * and checks that every parameter lies inside it, aligned for its type. */
static lathe_status map_weights(lathe_module *module) {
  const lathe_metadata *metadata = &module->metadata;
  if (!metadata->weights_file)
    return NULL;
  const char *slash = strrchr(module->path, '/');
  size_t dir_length = slash ? (size_t)(slash - module->path) + 1 : 0;
  size_t name_length = strlen(metadata->weights_file);
  char *weights_path = malloc(dir_length + name_length + 1);
  if (!weights_path)
    return lathe_status_create("%s: out of memory", module->path);
  memcpy(weights_path, module->path, dir_length);
  memcpy(weights_path + dir_length, metadata->weights_file, name_length + 1);

  lathe_status status = NULL;
  int fd = open(weights_path, O_RDONLY | O_CLOEXEC);
  struct stat info;
  if (fd < 0)
    status = lathe_status_create("%s: cannot open the weights file '%s': %s",
                                 module->path, weights_path, strerror(errno));
  else if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode))
    status = lathe_status_create("%s: weights file '%s' is not a regular file",
                                 module->path, weights_path);
  else if ((uint64_t)info.st_size != metadata->weights_size)
    status = lathe_status_create(
        "%s: weights file '%s' has %lld bytes, the library expects %" PRIu64
        " (truncated, or from another compilation?)",
        module->path, weights_path, (long long)info.st_size,
        metadata->weights_size);
  else if (metadata->weights_size > 0) {
    void *mapped = mmap(NULL, (size_t)metadata->weights_size, PROT_READ,
                        MAP_PRIVATE, fd, 0);
    if (mapped == MAP_FAILED)
      status = lathe_status_create("%s: cannot map the weights file '%s': %s",
                                   module->path, weights_path, strerror(errno));
    else {
      module->weights = mapped;
      module->weights_size = (size_t)metadata->weights_size;
    }
  }
  if (fd >= 0)
    close(fd);
  for (size_t i = 0; !status && i < metadata->buffer_count; ++i) {
    const lathe_metadata_buffer *buffer = &metadata->buffers[i];
    if (buffer->kind != lathe_buffer_param)
      continue;
    size_t element = lathe_dtype_size(buffer->type.dtype);
    if (buffer->offset > metadata->weights_size ||
        buffer->type.byte_size > metadata->weights_size - buffer->offset)
      status = lathe_status_create(
          "%s: param '%s' (metadata line %u) lies outside the %" PRIu64
          "-byte weights file '%s'",
          module->path, buffer->type.name, buffer->line,
          metadata->weights_size, weights_path);
    else if (element > 1 && buffer->offset % element != 0)
      status = lathe_status_create(
          "%s: param '%s' (metadata line %u) is not aligned to its %zu-byte "
          "elements",
          module->path, buffer->type.name, buffer->line, element);
    else
      module->buffers[i] = (char *)module->weights + buffer->offset;
  }
  module->weights_path = weights_path;
  return status;
}

static lathe_status allocate_state(lathe_module *module) {
  const lathe_metadata *metadata = &module->metadata;
  uint64_t total = 0;
  for (size_t i = 0; i < metadata->buffer_count; ++i) {
    const lathe_metadata_buffer *buffer = &metadata->buffers[i];
    if (buffer->kind != lathe_buffer_state)
      continue;
    total += buffer->type.byte_size;
    if (total > MAX_STATE_BYTES)
      return lathe_status_create("%s: state buffers take more than %" PRIu64
                                 " bytes (metadata line %u)",
                                 module->path, (uint64_t)MAX_STATE_BYTES,
                                 buffer->line);
    /* One spare byte keeps zero-size states distinct and non-NULL. */
    module->buffers[i] = calloc(1, buffer->type.byte_size + 1);
    if (!module->buffers[i])
      return lathe_status_create("%s: cannot allocate %zu bytes for state '%s'",
                                 module->path, buffer->type.byte_size,
                                 buffer->type.name);
  }
  return NULL;
}

void lathe_module_reset_state(lathe_module *module) {
  if (!module)
    return;
  for (size_t i = 0; i < module->metadata.buffer_count; ++i)
    if (module->metadata.buffers[i].kind == lathe_buffer_state)
      memset(module->buffers[i], 0, module->metadata.buffers[i].type.byte_size);
}

size_t lathe_module_state_count(const lathe_module *module) {
  size_t count = 0;
  for (size_t i = 0; module && i < module->metadata.buffer_count; ++i)
    count += module->metadata.buffers[i].kind == lathe_buffer_state;
  return count;
}

lathe_status lathe_module_state_info(const lathe_module *module, size_t index,
                                     lathe_argument_info *info) {
  if (!module || !info)
    return lathe_status_create("lathe_module_state_info: NULL argument");
  size_t seen = 0;
  for (size_t i = 0; i < module->metadata.buffer_count; ++i) {
    const lathe_metadata_buffer *buffer = &module->metadata.buffers[i];
    if (buffer->kind != lathe_buffer_state || seen++ != index)
      continue;
    info->name = buffer->type.name;
    info->dtype = buffer->type.dtype;
    info->rank = buffer->type.rank;
    info->dims = buffer->type.dims;
    return NULL;
  }
  return lathe_status_create("%s: state index %zu is out of range (%zu states)",
                             module->path, index, seen);
}

const char *lathe_module_weights_path(const lathe_module *module) {
  return module && module->weights ? module->weights_path : NULL;
}

/* Gives every thread of the runtime's pool the largest workspace that a
 * kernel of the module asks for. */
static lathe_status reserve_workspaces(lathe_module *module) {
  size_t bytes = 0;
  for (size_t i = 0; i < module->metadata.kernel_count; ++i)
    if (module->metadata.kernels[i].workspace_bytes > bytes)
      bytes = module->metadata.kernels[i].workspace_bytes;
  if (!lathe_thread_pool_reserve_workspace(module->runtime->pool, bytes))
    return lathe_status_create(
        "%s: out of memory reserving kernel workspaces of %zu bytes per thread",
        module->path, bytes);
  return NULL;
}

/* A model's entry functions malloc their intermediate buffers on every call
 * and free them before returning. With glibc's defaults, blocks above the
 * dynamic mmap threshold are mapped and unmapped on every call and the freed
 * top of the heap is given back, so each call faults its buffers in again
 * (a tenth of an LLM prefill). Freed memory is kept for reuse instead: 32 MiB
 * is glibc's largest mmap threshold. */
static void keep_freed_memory(void) {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

lathe_status lathe_module_load(lathe_runtime *runtime, const char *path,
                               lathe_module **module) {
  static pthread_once_t malloc_tuned = PTHREAD_ONCE_INIT;
  pthread_once(&malloc_tuned, keep_freed_memory);
  if (!module)
    return lathe_status_create("lathe_module_load: NULL output handle");
  *module = NULL;
  if (!runtime || !path)
    return lathe_status_create("lathe_module_load: NULL argument");

  lathe_status status = lathe_elf_check(path);
  if (status)
    return status;

  /* Without a slash dlopen would search the library path instead of opening
   * the file that was just checked. */
  const char *prefix = strchr(path, '/') ? "" : "./";
  size_t path_length = strlen(path);
  lathe_module *result = calloc(1, sizeof(lathe_module));
  char *load_path = malloc(strlen(prefix) + path_length + 1);
  if (result)
    result->path = malloc(path_length + 1);
  if (!result || !result->path || !load_path) {
    lathe_module_free(result);
    free(load_path);
    return lathe_status_create("%s: out of memory", path);
  }
  memcpy(result->path, path, path_length + 1);
  strcpy(load_path, prefix);
  strcat(load_path, path);
  result->runtime = runtime;

  result->handle = dlopen(load_path, RTLD_NOW | RTLD_LOCAL);
  free(load_path);
  if (!result->handle)
    status = lathe_status_create("%s: cannot load: %s", path, dl_message());
  if (!status)
    status = read_metadata(result);
  if (!status)
    status = resolve_symbols(result);
  if (!status)
    status = reserve_workspaces(result);
  if (!status) {
    result->buffers = calloc(result->metadata.buffer_count + 1, sizeof(void *));
    if (!result->buffers)
      status = lathe_status_create("%s: out of memory", path);
  }
  if (!status)
    status = map_weights(result);
  if (!status)
    status = allocate_state(result);
  if (status) {
    lathe_module_free(result);
    return status;
  }
  *module = result;
  return NULL;
}

void lathe_module_free(lathe_module *module) {
  if (!module)
    return;
  if (module->buffers)
    for (size_t i = 0; i < module->metadata.buffer_count; ++i)
      if (module->metadata.buffers[i].kind == lathe_buffer_state)
        free(module->buffers[i]);
  free(module->buffers);
  free(module->weights_path);
  if (module->weights)
    munmap(module->weights, module->weights_size);
  lathe_metadata_free(&module->metadata);
  if (module->handle)
    dlclose(module->handle);
  free(module->kernels);
  free(module->entries);
  free(module->path);
  free(module);
}

size_t lathe_module_entry_count(const lathe_module *module) {
  return module->metadata.entry_count;
}

const char *lathe_module_entry_name(const lathe_module *module, size_t entry) {
  if (entry >= module->metadata.entry_count)
    return NULL;
  return module->metadata.entries[entry].name;
}

lathe_status lathe_module_find_entry(const lathe_module *module,
                                     const char *name, size_t *entry) {
  if (!module || !name || !entry)
    return lathe_status_create("lathe_module_find_entry: NULL argument");
  for (size_t i = 0; i < module->metadata.entry_count; ++i) {
    if (strcmp(module->metadata.entries[i].name, name) == 0) {
      *entry = i;
      return NULL;
    }
  }
  return lathe_status_create("%s: no entry point named '%s'", module->path,
                             name);
}

size_t lathe_module_input_count(const lathe_module *module, size_t entry) {
  if (entry >= module->metadata.entry_count)
    return 0;
  return module->metadata.entries[entry].input_count;
}

size_t lathe_module_output_count(const lathe_module *module, size_t entry) {
  if (entry >= module->metadata.entry_count)
    return 0;
  return module->metadata.entries[entry].output_count;
}

static lathe_status argument_info(const lathe_module *module, size_t entry,
                                  bool is_input, size_t index,
                                  lathe_argument_info *info) {
  const char *kind = is_input ? "input" : "output";
  if (!module || !info)
    return lathe_status_create("lathe_module_%s_info: NULL argument", kind);
  if (entry >= module->metadata.entry_count)
    return lathe_status_create("%s: entry index %zu is out of range (%zu "
                               "entry points)",
                               module->path, entry,
                               module->metadata.entry_count);
  const lathe_metadata_entry *record = &module->metadata.entries[entry];
  size_t count = is_input ? record->input_count : record->output_count;
  if (index >= count)
    return lathe_status_create(
        "%s: entry '%s' has %zu %ss; index %zu is out of range", module->path,
        record->name, count, kind, index);
  const lathe_metadata_argument *argument =
      &record->arguments[is_input ? index : record->input_count + index];
  info->name = argument->name;
  info->dtype = argument->dtype;
  info->rank = argument->rank;
  info->dims = argument->dims;
  return NULL;
}

lathe_status lathe_module_input_info(const lathe_module *module, size_t entry,
                                     size_t index, lathe_argument_info *info) {
  return argument_info(module, entry, true, index, info);
}

lathe_status lathe_module_output_info(const lathe_module *module, size_t entry,
                                      size_t index, lathe_argument_info *info) {
  return argument_info(module, entry, false, index, info);
}
