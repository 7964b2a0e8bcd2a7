#pragma once
// Reading and cleaning the host's kernel state that runtimes and CRIU leave behind: mount points
// (a killed restore leaves criu-root mounted) and cgroups (a killed or failed runtime leaves the
// container's, with processes in it). Used by the runtime driver, the conformance runner, the
// filesystem and the tests that check for leaks, so they all read the host the same way.

#include <string>
#include <vector>

namespace crh {

// Mount points at or below `dir` from /proc/self/mountinfo (octal escapes decoded), deepest
// first, so they can be unmounted in order.
std::vector<std::string> MountsUnder(const std::string& dir);

// Cgroup directories for the relative cgroup path `rel` ("/<id>") in every hierarchy under
// /sys/fs/cgroup, plus the unified one on a pure v2 host. Empty if none exists.
std::vector<std::string> CgroupDirs(const std::string& rel);

// Thaws, kills (SIGKILL, up to 3 s) and removes the cgroup `rel` everywhere, children first
// (crun keeps a .proxy-crun child). The last resort after a runtime was killed or failed without
// cleaning up. Does nothing for "" or "/".
void RemoveCgroups(const std::string& rel);

}  // namespace crh
