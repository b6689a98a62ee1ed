//===- CommandLine.h - Option parsing shared by the runtime-only tools ----===//
//
// lathe-run and lathe-bench link only the runtime (no LLVM), so they parse
// their options by hand: `--name=VALUE` or `--name VALUE`, counts in a
// range, and errors as "TOOL: error: ..." with exit status 2.
//
//===----------------------------------------------------------------------===//
#ifndef LATHE_TOOLS_COMMON_COMMANDLINE_H
#define LATHE_TOOLS_COMMON_COMMANDLINE_H

#include <initializer_list>
#include <string>

namespace lathe::cli {

constexpr int ExitError = 2;

/// Prints "TOOL: error: FILE: REASON" (without "FILE: " when File is empty)
/// to stderr after flushing stdout, and exits with ExitError.
[[noreturn]] void exitWithError(const char *Tool, const std::string &File,
                                const std::string &Reason);

/// exitWithError for a bad command line: the reason plus " (see --help)".
[[noreturn]] void exitWithUsageError(const char *Tool, const std::string &Reason);

/// `Text` as a decimal integer in [Min, Max], or a usage error naming Option.
unsigned long parseCount(const char *Tool, const std::string &Option,
                         const std::string &Text, unsigned long Min,
                         unsigned long Max);

/// An option with a value and the value.
struct NamedValue {
  std::string Name;
  std::string Value;
};

/// Reads the option at Argv[I] as `--name=VALUE` or `--name VALUE` (then
/// advancing I past the value); a name not in Known or a missing value is a
/// usage error.
NamedValue readValueOption(const char *Tool, int Argc, char **Argv, int &I,
                           std::initializer_list<const char *> Known);

} // namespace lathe::cli

#endif // LATHE_TOOLS_COMMON_COMMANDLINE_H
