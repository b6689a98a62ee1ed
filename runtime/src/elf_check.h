/*===- elf_check.h - Validating a model library before dlopen -------------===*/
#ifndef LATHE_RUNTIME_ELF_CHECK_H
#define LATHE_RUNTIME_ELF_CHECK_H

#include "lathe/runtime.h"

/* Checks that `path` is a regular file holding a complete ELF64 shared
 * object for the host machine: the headers are consistent and every header
 * table, segment and section lies within the file. Errors name the path. */
lathe_status lathe_elf_check(const char *path);

#endif /* LATHE_RUNTIME_ELF_CHECK_H */
