/*===- status.h - Creating status values ----------------------------------===*/
#ifndef LATHE_RUNTIME_STATUS_H
#define LATHE_RUNTIME_STATUS_H

#include "lathe/runtime.h"

/* A status with a printf-formatted message. Never returns NULL: when memory
 * runs out it returns a shared "out of memory" status. */
lathe_status lathe_status_create(const char *format, ...)
    __attribute__((format(printf, 1, 2)));

#endif /* LATHE_RUNTIME_STATUS_H */
