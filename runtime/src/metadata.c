/*===- metadata.c - Parsing artifact metadata -----------------------------===*
 *
 * The metadata comes from a file the runtime does not trust: every line,
 * field, count and extent is bounded before it is used, and every allocation
 * is backed by lines actually present in the text.
 *===----------------------------------------------------------------------===*/
#include "metadata.h"
#include "lathe/model_abi.h"
#include "status.h"
#include "tensor.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
  max_line_bytes = 4096,
  max_fields = 6,
  max_name_bytes = 1024,
  max_kernels = 1 << 16,
  max_bindings = 1 << 16,
  max_entries = 1024,
  max_arguments = 1024, /* inputs, or outputs, of one entry */
  max_buffers = 1 << 16, /* params and states, and buffers bound per entry */
};

typedef enum parser_state {
  expect_header,
  expect_target,
  in_body,
  after_end,
} parser_state;

typedef struct parser {
  const char *path;
  unsigned line; /* 1-based number of the line being parsed */
  parser_state state;
  lathe_metadata *metadata;
  size_t kernel_capacity;
  size_t entry_capacity;
  size_t buffer_capacity;
  /* The last entry, while its input/output lines are still expected. */
  lathe_metadata_entry *open_entry;
  size_t open_arguments_seen;
} parser;

static lathe_status parse_error(const parser *p, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static lathe_status parse_error(const parser *p, const char *format, ...) {
  char message[512];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof(message), format, args);
  va_end(args);
  return lathe_status_create("%s: metadata line %u: %s", p->path, p->line,
                             message);
}

/* Grows `*array` to hold at least `needed` elements. `needed` is bounded by
 * the caller's limits, so the doubling cannot overflow. */
static bool reserve(void **array, size_t *capacity, size_t needed,
                    size_t element_size) {
  if (needed <= *capacity)
    return true;
  size_t new_capacity = *capacity ? *capacity * 2 : 8;
  while (new_capacity < needed)
    new_capacity *= 2;
  void *grown = realloc(*array, new_capacity * element_size);
  if (!grown)
    return false;
  *array = grown;
  *capacity = new_capacity;
  return true;
}

/* Parses a decimal integer in [0, max]; digits only. */
static bool parse_integer(const char *field, uint64_t max, uint64_t *value) {
  if (*field == '\0')
    return false;
  uint64_t result = 0;
  for (const char *c = field; *c; ++c) {
    if (*c < '0' || *c > '9')
      return false;
    uint64_t digit = (uint64_t)(*c - '0');
    if (result > (max - digit) / 10)
      return false;
    result = result * 10 + digit;
  }
  *value = result;
  return true;
}

static lathe_status parse_count(const parser *p, const char *field,
                                uint64_t max, const char *what,
                                uint64_t *value) {
  if (!parse_integer(field, max, value))
    return parse_error(
        p, "invalid %s '%.32s' (expected an integer in [0, %" PRIu64 "])", what,
        field, max);
  return NULL;
}

static lathe_status check_name(const parser *p, const char *field,
                               const char *what) {
  if (strlen(field) > max_name_bytes)
    return parse_error(p, "%s is longer than %d bytes", what, max_name_bytes);
  return NULL;
}

/* Splits `line` in place at single spaces. Fields are non-empty and hold
 * printable ASCII only. */
static lathe_status split_fields(const parser *p, char *line, char **fields,
                                 size_t *field_count) {
  size_t length = strlen(line);
  if (length == 0)
    return parse_error(p, "empty line");
  if (length > max_line_bytes)
    return parse_error(p, "line is longer than %d bytes", max_line_bytes);

  size_t count = 0;
  char *field = line;
  for (size_t i = 0; i <= length; ++i) {
    unsigned char c = (unsigned char)line[i];
    if (c != ' ' && c != '\0') {
      if (c < 0x21 || c > 0x7e)
        return parse_error(p, "invalid byte 0x%02x in column %zu", c, i + 1);
      continue;
    }
    if (&line[i] == field)
      return parse_error(p, "fields must be separated by single spaces");
    if (count == max_fields)
      return parse_error(p, "too many fields");
    line[i] = '\0';
    fields[count++] = field;
    field = &line[i + 1];
  }
  *field_count = count;
  return NULL;
}

static lathe_status expect_fields(const parser *p, size_t field_count,
                                  size_t expected, const char *syntax) {
  if (field_count != expected)
    return parse_error(p, "expected '%s'", syntax);
  return NULL;
}

/* <dims>: comma-separated non-negative extents, or `scalar`. */
static lathe_status parse_dims(const parser *p, const char *field,
                               lathe_metadata_argument *argument) {
  argument->rank = 0;
  if (strcmp(field, "scalar") == 0)
    return NULL;
  const char *c = field;
  for (;;) {
    if (argument->rank == LATHE_MAX_RANK)
      return parse_error(p, "rank exceeds the maximum of %d", LATHE_MAX_RANK);
    uint64_t extent = 0;
    size_t digits = 0;
    for (; *c >= '0' && *c <= '9'; ++c, ++digits) {
      uint64_t digit = (uint64_t)(*c - '0');
      if (extent > (LATHE_MAX_TENSOR_BYTES - digit) / 10)
        return parse_error(p, "extent in '%.64s' is absurdly large", field);
      extent = extent * 10 + digit;
    }
    if (digits == 0 || (*c != ',' && *c != '\0'))
      return parse_error(p,
                         "invalid dims '%.64s' (expected comma-separated "
                         "non-negative integers or 'scalar')",
                         field);
    argument->dims[argument->rank++] = (int64_t)extent;
    if (*c == '\0')
      break;
    ++c;
  }
  return NULL;
}

/* Fails if the open entry still lacks input/output lines; then closes it. */
static lathe_status close_entry(parser *p) {
  lathe_metadata_entry *entry = p->open_entry;
  if (!entry)
    return NULL;
  size_t expected = entry->input_count + entry->output_count;
  if (p->open_arguments_seen != expected)
    return parse_error(p,
                       "entry '%s' (line %u) declares %zu inputs and %zu "
                       "outputs, but %zu input/output lines follow it",
                       entry->name, entry->line, entry->input_count,
                       entry->output_count, p->open_arguments_seen);
  if (entry->bound_seen != entry->bound_count)
    return parse_error(p,
                       "entry '%s' (line %u) declares %zu bound buffers, but "
                       "%zu 'bind' lines follow it",
                       entry->name, entry->line, entry->bound_count,
                       entry->bound_seen);
  p->open_entry = NULL;
  return NULL;
}

static lathe_status parse_header(parser *p, char **fields, size_t count) {
  if (strcmp(fields[0], "lathe-artifact") != 0 || count != 2)
    return parse_error(p, "expected 'lathe-artifact <version>' (is this a "
                          "Lathe model library?)");
  uint64_t version = 0;
  lathe_status status =
      parse_count(p, fields[1], UINT32_MAX, "artifact version", &version);
  if (status)
    return status;
  if (version != LATHE_MODEL_ABI_VERSION)
    return parse_error(p,
                       "unsupported artifact version %" PRIu64
                       " (this runtime reads version %d: compile the model "
                       "again with the matching lathe-compile)",
                       version, LATHE_MODEL_ABI_VERSION);
  p->state = expect_target;
  return NULL;
}

static lathe_status parse_target(parser *p, char **fields, size_t count) {
  if (strcmp(fields[0], "target") != 0 || count != 2)
    return parse_error(p, "expected 'target <name>'");
  if (strcmp(fields[1], "cpu") != 0)
    return parse_error(p, "target '%.32s' is not supported (expected 'cpu')",
                       fields[1]);
  p->state = in_body;
  return NULL;
}

static lathe_status parse_kernel(parser *p, char **fields, size_t count) {
  static const char syntax[] =
      "kernel <index> <symbol> <binding count> <workspace bytes>";
  lathe_metadata *metadata = p->metadata;
  lathe_status status = expect_fields(p, count, 5, syntax);
  uint64_t index = 0, binding_count = 0, workspace_bytes = 0;
  if (!status)
    status = parse_count(p, fields[1], max_kernels - 1, "kernel index", &index);
  if (!status && index != metadata->kernel_count)
    status = parse_error(p,
                         "kernel index %" PRIu64 " is out of order "
                         "(expected %zu)",
                         index, metadata->kernel_count);
  if (!status)
    status = check_name(p, fields[2], "kernel symbol");
  if (!status)
    status = parse_count(p, fields[3], max_bindings, "binding count",
                         &binding_count);
  if (!status)
    status = parse_count(p, fields[4], LATHE_MAX_WORKSPACE_BYTES, "workspace bytes",
                         &workspace_bytes);
  if (status)
    return status;

  if (!reserve((void **)&metadata->kernels, &p->kernel_capacity,
               metadata->kernel_count + 1, sizeof(lathe_metadata_kernel)))
    return parse_error(p, "out of memory");
  lathe_metadata_kernel *kernel = &metadata->kernels[metadata->kernel_count++];
  kernel->symbol = fields[2];
  kernel->binding_count = (size_t)binding_count;
  kernel->workspace_bytes = (size_t)workspace_bytes;
  kernel->line = p->line;
  return NULL;
}

static lathe_status parse_entry(parser *p, char **fields, size_t count) {
  static const char syntax[] =
      "entry <name> <symbol> <input count> <output count> [<bound count>]";
  lathe_metadata *metadata = p->metadata;
  lathe_status status =
      count == 6 ? NULL : expect_fields(p, count, 5, syntax);
  uint64_t input_count = 0, output_count = 0, bound_count = 0;
  if (!status && metadata->entry_count == max_entries)
    status = parse_error(p, "more than %d entry points", max_entries);
  if (!status)
    status = check_name(p, fields[1], "entry name");
  for (size_t i = 0; !status && i < metadata->entry_count; ++i)
    if (strcmp(metadata->entries[i].name, fields[1]) == 0)
      status = parse_error(p, "duplicate entry point '%s' (first on line %u)",
                           fields[1], metadata->entries[i].line);
  if (!status)
    status = check_name(p, fields[2], "entry symbol");
  if (!status)
    status =
        parse_count(p, fields[3], max_arguments, "input count", &input_count);
  if (!status)
    status =
        parse_count(p, fields[4], max_arguments, "output count", &output_count);
  if (!status && count == 6)
    status = parse_count(p, fields[5], max_buffers, "bound buffer count",
                         &bound_count);
  if (status)
    return status;

  if (!reserve((void **)&metadata->entries, &p->entry_capacity,
               metadata->entry_count + 1, sizeof(lathe_metadata_entry)))
    return parse_error(p, "out of memory");
  lathe_metadata_entry *entry = &metadata->entries[metadata->entry_count];
  memset(entry, 0, sizeof(*entry));
  /* At most 2 * max_arguments elements; only one entry at a time can be
   * allocated ahead of its lines. */
  size_t argument_count = (size_t)(input_count + output_count);
  if (argument_count > 0) {
    entry->arguments = calloc(argument_count, sizeof(lathe_metadata_argument));
    if (!entry->arguments)
      return parse_error(p, "out of memory");
  }
  if (bound_count > 0) {
    entry->bound = calloc((size_t)bound_count, sizeof(size_t));
    if (!entry->bound) {
      free(entry->arguments);
      entry->arguments = NULL;
      return parse_error(p, "out of memory");
    }
  }
  entry->bound_count = (size_t)bound_count;
  ++metadata->entry_count;
  entry->name = fields[1];
  entry->symbol = fields[2];
  entry->line = p->line;
  entry->input_count = (size_t)input_count;
  entry->output_count = (size_t)output_count;
  p->open_entry = entry;
  p->open_arguments_seen = 0;
  return NULL;
}

static lathe_status parse_argument(parser *p, char **fields, size_t count) {
  lathe_metadata_entry *entry = p->open_entry;
  const char *keyword = fields[0];
  size_t seen = p->open_arguments_seen;
  bool is_input = strcmp(keyword, "input") == 0;
  if (!entry || seen == entry->input_count + entry->output_count)
    return parse_error(p, "'%s' line without an entry that expects it",
                       keyword);
  if (is_input != (seen < entry->input_count))
    return parse_error(p,
                       "unexpected '%s' line: entry '%s' (line %u) declares "
                       "%zu inputs followed by %zu outputs",
                       keyword, entry->name, entry->line, entry->input_count,
                       entry->output_count);

  lathe_status status =
      expect_fields(p, count, 4,
                    is_input ? "input <name> <dtype> <dims>"
                             : "output <name> <dtype> <dims>");
  if (!status)
    status = check_name(p, fields[1], "argument name");
  for (size_t i = 0; !status && i < seen; ++i)
    if (strcmp(entry->arguments[i].name, fields[1]) == 0)
      status = parse_error(p, "duplicate argument name '%s' in entry '%s'",
                           fields[1], entry->name);
  if (status)
    return status;

  lathe_metadata_argument *argument = &entry->arguments[seen];
  argument->name = fields[1];
  status = lathe_dtype_parse(fields[2], &argument->dtype);
  if (status) {
    lathe_status_free(status);
    return parse_error(p,
                       "unknown dtype '%.32s' (expected one of f16 bf16 f32 "
                       "f64 i8 i16 i32 i64 u8 u16 u32 u64 bool)",
                       fields[2]);
  }
  status = parse_dims(p, fields[3], argument);
  if (status)
    return status;
  size_t element_count;
  if (!lathe_shape_byte_size(argument->dtype, argument->rank, argument->dims,
                             &element_count, &argument->byte_size)) {
    char type[256];
    lathe_format_type(type, sizeof(type), argument->dtype, argument->rank,
                      argument->dims);
    return parse_error(p, "tensor %s is larger than %" PRIu64 " bytes", type,
                       (uint64_t)LATHE_MAX_TENSOR_BYTES);
  }
  p->open_arguments_seen = seen + 1;
  return NULL;
}

/* weights <file> <bytes> */
static lathe_status parse_weights(parser *p, char **fields, size_t count) {
  lathe_metadata *metadata = p->metadata;
  lathe_status status =
      expect_fields(p, count, 3, "weights <file name> <byte size>");
  if (!status && metadata->weights_file)
    status = parse_error(p, "more than one 'weights' record");
  if (!status && (strchr(fields[1], '/') || strcmp(fields[1], ".") == 0 ||
                  strcmp(fields[1], "..") == 0))
    status = parse_error(p,
                         "weights file '%.64s' must be a file name in the "
                         "library's directory",
                         fields[1]);
  if (!status)
    status = check_name(p, fields[1], "weights file name");
  uint64_t size = 0;
  if (!status)
    status = parse_count(p, fields[2], INT64_MAX, "weights size", &size);
  if (status)
    return status;
  metadata->weights_file = fields[1];
  metadata->weights_size = size;
  return NULL;
}

/* param <name> <dtype> <dims> <offset>  |  state <name> <dtype> <dims> */
static lathe_status parse_buffer(parser *p, char **fields, size_t count) {
  lathe_metadata *metadata = p->metadata;
  bool is_param = strcmp(fields[0], "param") == 0;
  lathe_status status =
      is_param ? expect_fields(p, count, 5,
                               "param <name> <dtype> <dims> <file offset>")
               : expect_fields(p, count, 4, "state <name> <dtype> <dims>");
  if (!status && metadata->buffer_count == max_buffers)
    status = parse_error(p, "more than %d param and state records",
                         max_buffers);
  if (!status)
    status = check_name(p, fields[1], "buffer name");
  for (size_t i = 0; !status && i < metadata->buffer_count; ++i)
    if (metadata->buffers[i].kind ==
            (is_param ? lathe_buffer_param : lathe_buffer_state) &&
        strcmp(metadata->buffers[i].type.name, fields[1]) == 0)
      status = parse_error(p, "duplicate %s '%s' (first on line %u)",
                           fields[0], fields[1], metadata->buffers[i].line);
  if (status)
    return status;

  lathe_metadata_buffer buffer = {.kind = is_param ? lathe_buffer_param
                                                   : lathe_buffer_state,
                                  .line = p->line};
  buffer.type.name = fields[1];
  status = lathe_dtype_parse(fields[2], &buffer.type.dtype);
  if (status) {
    lathe_status_free(status);
    return parse_error(p, "unknown dtype '%.32s'", fields[2]);
  }
  status = parse_dims(p, fields[3], &buffer.type);
  size_t element_count;
  if (!status && !lathe_shape_byte_size(buffer.type.dtype, buffer.type.rank,
                                        buffer.type.dims, &element_count,
                                        &buffer.type.byte_size))
    status = parse_error(p, "%s '%s' is larger than %" PRIu64 " bytes",
                         fields[0], fields[1], (uint64_t)LATHE_MAX_TENSOR_BYTES);
  if (!status && is_param)
    status = parse_count(p, fields[4], INT64_MAX, "parameter offset",
                         &buffer.offset);
  if (status)
    return status;
  if (!reserve((void **)&metadata->buffers, &p->buffer_capacity,
               metadata->buffer_count + 1, sizeof(lathe_metadata_buffer)))
    return parse_error(p, "out of memory");
  metadata->buffers[metadata->buffer_count++] = buffer;
  return NULL;
}

/* bind <param|state> <name>, after an entry that declares bound buffers. */
static lathe_status parse_bind(parser *p, char **fields, size_t count) {
  lathe_metadata_entry *entry = p->open_entry;
  lathe_status status = expect_fields(p, count, 3, "bind <param|state> <name>");
  if (status)
    return status;
  if (!entry || entry->bound_seen == entry->bound_count)
    return parse_error(p, "'bind' line without an entry that expects it");
  bool is_param = strcmp(fields[1], "param") == 0;
  if (!is_param && strcmp(fields[1], "state") != 0)
    return parse_error(p, "expected 'bind param <name>' or 'bind state <name>'");
  const lathe_metadata *metadata = p->metadata;
  for (size_t i = 0; i < metadata->buffer_count; ++i) {
    const lathe_metadata_buffer *buffer = &metadata->buffers[i];
    if (buffer->kind != (is_param ? lathe_buffer_param : lathe_buffer_state) ||
        strcmp(buffer->type.name, fields[2]) != 0)
      continue;
    for (size_t j = 0; j < entry->bound_seen; ++j)
      if (entry->bound[j] == i)
        return parse_error(p, "entry '%s' binds %s '%s' twice", entry->name,
                           fields[1], fields[2]);
    entry->bound[entry->bound_seen++] = i;
    return NULL;
  }
  return parse_error(p, "bind of undeclared %s '%.64s'", fields[1], fields[2]);
}

static lathe_status parse_body_line(parser *p, char **fields, size_t count) {
  const char *keyword = fields[0];
  if (strcmp(keyword, "input") == 0 || strcmp(keyword, "output") == 0)
    return parse_argument(p, fields, count);
  if (strcmp(keyword, "bind") == 0)
    return parse_bind(p, fields, count);

  lathe_status status = close_entry(p);
  if (status)
    return status;
  if (strcmp(keyword, "weights") == 0)
    return parse_weights(p, fields, count);
  if (strcmp(keyword, "param") == 0 || strcmp(keyword, "state") == 0)
    return parse_buffer(p, fields, count);
  if (strcmp(keyword, "kernel") == 0)
    return parse_kernel(p, fields, count);
  if (strcmp(keyword, "entry") == 0)
    return parse_entry(p, fields, count);
  if (strcmp(keyword, "end") == 0) {
    status = expect_fields(p, count, 1, "end");
    if (!status && p->metadata->entry_count == 0)
      status = parse_error(p, "the artifact declares no entry points");
    for (size_t i = 0; !status && i < p->metadata->buffer_count; ++i)
      if (p->metadata->buffers[i].kind == lathe_buffer_param &&
          !p->metadata->weights_file)
        status = parse_error(p, "param '%s' (line %u) without a 'weights' "
                                "record",
                             p->metadata->buffers[i].type.name,
                             p->metadata->buffers[i].line);
    p->state = after_end;
    return status;
  }
  return parse_error(p, "unknown record '%.32s'", keyword);
}

static lathe_status parse_line(parser *p, char *line) {
  if (p->state == after_end)
    return parse_error(p, "text after the 'end' line");
  char *fields[max_fields];
  size_t count = 0;
  lathe_status status = split_fields(p, line, fields, &count);
  if (status)
    return status;
  switch (p->state) {
  case expect_header:
    return parse_header(p, fields, count);
  case expect_target:
    return parse_target(p, fields, count);
  case in_body:
    return parse_body_line(p, fields, count);
  case after_end:
    break;
  }
  return parse_error(p, "internal error: bad parser state");
}

lathe_status lathe_metadata_parse(const char *path, const char *text,
                                  size_t length, lathe_metadata *metadata) {
  memset(metadata, 0, sizeof(*metadata));
  if (length > lathe_max_metadata_bytes)
    return lathe_status_create("%s: metadata is larger than %d bytes", path,
                               lathe_max_metadata_bytes);
  metadata->text = malloc(length + 1);
  if (!metadata->text)
    return lathe_status_create("%s: out of memory reading metadata", path);
  memcpy(metadata->text, text, length);
  metadata->text[length] = '\0';

  parser p = {.path = path, .state = expect_header, .metadata = metadata};
  lathe_status status = NULL;
  char *cursor = metadata->text;
  char *end = metadata->text + length;
  /* A final newline ends the last line; it does not start an empty one. */
  while (!status && cursor < end) {
    char *newline = memchr(cursor, '\n', (size_t)(end - cursor));
    char *line_end = newline ? newline : end;
    *line_end = '\0';
    ++p.line;
    status = parse_line(&p, cursor);
    cursor = line_end + 1;
  }
  if (!status && p.state != after_end)
    status = lathe_status_create(
        "%s: metadata line %u: metadata ends without an 'end' line "
        "(truncated?)",
        path, p.line + 1);
  if (status)
    lathe_metadata_free(metadata);
  return status;
}

void lathe_metadata_free(lathe_metadata *metadata) {
  for (size_t i = 0; i < metadata->entry_count; ++i) {
    free(metadata->entries[i].arguments);
    free(metadata->entries[i].bound);
  }
  free(metadata->buffers);
  free(metadata->entries);
  free(metadata->kernels);
  free(metadata->text);
  memset(metadata, 0, sizeof(*metadata));
}
