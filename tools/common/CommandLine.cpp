//===- CommandLine.cpp - Option parsing shared by the runtime-only tools --===//
#include "CommandLine.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace lathe::cli {

void exitWithError(const char *Tool, const std::string &File,
                   const std::string &Reason) {
  std::fflush(stdout);
  if (File.empty())
    std::fprintf(stderr, "%s: error: %s\n", Tool, Reason.c_str());
  else
    std::fprintf(stderr, "%s: error: %s: %s\n", Tool, File.c_str(),
                 Reason.c_str());
  std::exit(ExitError);
}

void exitWithUsageError(const char *Tool, const std::string &Reason) {
  exitWithError(Tool, "", Reason + " (see --help)");
}

unsigned long parseCount(const char *Tool, const std::string &Option,
                         const std::string &Text, unsigned long Min,
                         unsigned long Max) {
  char *End = nullptr;
  errno = 0;
  unsigned long Value = std::strtoul(Text.c_str(), &End, 10);
  if (Text.empty() || !std::isdigit(static_cast<unsigned char>(Text[0])) ||
      *End != '\0' || errno != 0 || Value < Min || Value > Max)
    exitWithUsageError(Tool, Option + " expects an integer in [" +
                                 std::to_string(Min) + ", " +
                                 std::to_string(Max) + "], got '" + Text + "'");
  return Value;
}

NamedValue readValueOption(const char *Tool, int Argc, char **Argv, int &I,
                           std::initializer_list<const char *> Known) {
  std::string Argument = Argv[I];
  NamedValue Result{Argument, ""};
  size_t Equals = Argument.find('=');
  if (Equals != std::string::npos) {
    Result.Name = Argument.substr(0, Equals);
    Result.Value = Argument.substr(Equals + 1);
  }
  if (std::find(Known.begin(), Known.end(), Result.Name) == Known.end())
    exitWithUsageError(Tool, "unknown option '" + Result.Name + "'");
  if (Equals == std::string::npos && I + 1 < Argc)
    Result.Value = Argv[++I];
  if (Result.Value.empty())
    exitWithUsageError(Tool, "option '" + Result.Name + "' needs a value");
  return Result;
}

} // namespace lathe::cli
