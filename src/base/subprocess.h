#pragma once
// Runs an external program (a runtime, a CNI plugin, `ip`) and collects what it said. Used by the
// real seam implementations only; the engine never runs programs itself.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "src/base/status.h"

namespace crh {

struct CommandSpec {
  std::vector<std::string> argv;  // argv[0] is a path or a name looked up on PATH
  // Full environment for the child if set; otherwise the parent's environment plus `env_add`.
  std::optional<std::map<std::string, std::string>> env;
  std::map<std::string, std::string> env_add;
  std::string stdin_data;         // written to the child's stdin, which is then closed
  std::string cwd;                // empty: inherit
  int timeout_ms = 120'000;       // the child is SIGKILLed after this
};

struct CommandResult {
  int exit_code = -1;    // exit status, or 128+signal if it died of a signal
  bool timed_out = false;
  std::string out;
  std::string err;

  bool ok() const { return exit_code == 0 && !timed_out; }
  // "argv0 exited 1: <stderr tail>" for error messages.
  std::string Describe(const std::string& what) const;
};

// kUnavailable only if the program could not be started at all (not found, not executable); a
// non-zero exit is a CommandResult, for the caller to judge.
Result<CommandResult> RunCommand(const CommandSpec& spec);

// Joins argv for logs: quotes words with spaces.
std::string ShellJoin(const std::vector<std::string>& argv);

}  // namespace crh
