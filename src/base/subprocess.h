#pragma once
// Runs an external program (a runtime, a CNI plugin, `ip`) and collects what it said. Used by the
// real seam implementations only; the engine never runs programs itself.

#include <array>
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

// The process's environment as a map.
std::map<std::string, std::string> CurrentEnvironment();

struct GroupRunResult {
  int exit_code = -1;  // exit status, or 128+signal
  bool timed_out = false;
};

// Runs argv (a path, not looked up on PATH) with exactly `env`, fds 0..2 = `stdio` and no other
// descriptor, in `cwd` if not empty, in a process group of its own. After `timeout_ms` the whole
// group is SIGKILLed: a runtime's CRIU can outlive the runtime and spin (CRIU 4.2.1 on a truncated
// pages image). Waits for exit, not for EOF on any pipe, so a detached container may keep the
// stdio open. kUnavailable if the process could not be created.
Result<GroupRunResult> RunInProcessGroup(const std::vector<std::string>& argv,
                                         const std::map<std::string, std::string>& env,
                                         const std::array<int, 3>& stdio, const std::string& cwd,
                                         int timeout_ms);

// Joins argv for logs: quotes words with spaces.
std::string ShellJoin(const std::vector<std::string>& argv);

}  // namespace crh
