#pragma once
// Which processes of a container CRIU will not dump. CRIU dumps the process tree rooted at the
// container's init; a process that shares init's pid namespace but descends from somewhere else
// (a `runc exec --detach` process keeps the runtime's exec process as its parent, and is
// reparented outside the container when that exits) is skipped with only a warning
// ("Unexpected process N in the freezer cgroup") and then killed with the container. CliRuntime
// refuses such a checkpoint up front rather than lose the process.
//
// Example:
//   CRH_ASSIGN_OR_RETURN(auto strays, ProcessesOutsideInitTree(state.pid));
//   if (!strays.empty()) return FailedPrecondition(DescribeStrays(id, strays));

#include <sys/types.h>

#include <string>
#include <vector>

#include "src/base/status.h"

namespace crh {

struct StrayProcess {
  pid_t pid = 0;         // in the host's (our) pid namespace
  pid_t ns_pid = 0;      // inside the container (the last NSpid field)
  pid_t ppid = 0;        // its parent, host pid
  std::string comm;      // /proc/PID/comm
};

// The processes in init's pid namespace that are not init or one of its descendants, read from
// `proc_root` (a /proc; tests pass a directory of their own). Empty when init has no pid
// namespace of its own (it shares ours: the container is not isolated and there is nothing to
// tell apart). Zombies are not listed: they hold no state to lose. kNotFound if init is not in proc_root. Processes that exit while the scan runs
// are skipped.
Result<std::vector<StrayProcess>> ProcessesOutsideInitTree(pid_t init_pid,
                                                          const std::string& proc_root = "/proc");

// "checkpoint web: process 4242 (sleep, pid 7 in the container) is not a descendant of ...":
// what is wrong and what to do, for the error message.
std::string DescribeStrays(const std::string& id, const std::vector<StrayProcess>& strays);

}  // namespace crh
