/*===- status_checks.h - Checks shared by the C tests of the runtime -----===*
 * CHECK(cond) and lathe_status expectations; each prints the failure and
 * exits 1.
 *===----------------------------------------------------------------------===*/
#ifndef LATHE_TEST_STATUS_CHECKS_H
#define LATHE_TEST_STATUS_CHECKS_H

#include "lathe/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

static inline void check_ok(lathe_status status) {
  if (status) {
    fprintf(stderr, "unexpected error: %s\n", lathe_status_message(status));
    exit(1);
  }
}

static inline void check_error(lathe_status status, const char *fragment) {
  CHECK(status != NULL);
  if (!strstr(lathe_status_message(status), fragment)) {
    fprintf(stderr, "error \"%s\" does not mention \"%s\"\n",
            lathe_status_message(status), fragment);
    exit(1);
  }
  lathe_status_free(status);
}

#endif
