/*===- status.c - Status values -------------------------------------------===*/
#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct lathe_status_impl {
  const char *message; /* points just past the struct when allocated */
};

/* Returned when allocating a status fails; never freed. */
static struct lathe_status_impl out_of_memory_status = {
    "out of memory while reporting an error"};

lathe_status lathe_status_create(const char *format, ...) {
  va_list args;
  va_start(args, format);
  int length = vsnprintf(NULL, 0, format, args);
  va_end(args);
  if (length < 0)
    length = 0;

  /* One allocation: the struct, then the message. */
  lathe_status status =
      malloc(sizeof(struct lathe_status_impl) + (size_t)length + 1);
  if (!status)
    return &out_of_memory_status;
  char *message = (char *)(status + 1);
  va_start(args, format);
  vsnprintf(message, (size_t)length + 1, format, args);
  va_end(args);
  status->message = message;
  return status;
}

const char *lathe_status_message(lathe_status status) {
  return status ? status->message : "OK";
}

void lathe_status_free(lathe_status status) {
  if (status != &out_of_memory_status)
    free(status);
}
