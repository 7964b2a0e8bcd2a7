#pragma once
// OCI bundles for test and demo containers, built from busybox-static alone so that no image
// registry is needed: dir/rootfs holds /bin/busybox and its applet symlinks, dir/config.json the
// spec `runc spec` writes (masked directories, readonly paths, the cgroup mount, three
// capabilities), edited as a user edits it for a detached container: args, no terminal, a
// writable root, hostname and network namespace.
//
// Example:
//   CRH_RETURN_IF_ERROR(MakeBusyboxBundle(dir, {"sh", "-c", "while true; do date; sleep 1; done"},
//                                         {.hostname = "counter"}));
//   // later, to re-create the container's config in the engine's own directory:
//   CRH_ASSIGN_OR_RETURN(std::string cfg, WithNetnsPath(text, "/run/netns/crh-web", dir + "/rootfs"));

#include <map>
#include <string>
#include <vector>

#include "src/base/status.h"

namespace crh {

struct BundleOptions {
  std::string hostname = "crh";
  // Empty: the runtime creates a private network namespace (loopback only). Otherwise the
  // container joins this namespace (e.g. "/run/netns/crh-x"), which CRIU treats as external.
  std::string netns_path;
  std::vector<std::string> env = {"PATH=/bin:/sbin:/usr/bin:/usr/sbin", "HOME=/root"};
  std::string cwd = "/";
  std::string busybox = "/bin/busybox";  // a static busybox on the host
  std::map<std::string, std::string> annotations;
};

// Creates `dir` (parents too), dir/rootfs and dir/config.json. An existing rootfs is reused
// (busybox is refreshed, applet links are added if missing); config.json is rewritten.
// kNotFound if `busybox` is missing; kUnavailable for I/O failures, naming the path.
Status MakeBusyboxBundle(const std::string& dir, const std::vector<std::string>& cmd,
                         const BundleOptions& opts = {});

// The config.json text MakeBusyboxBundle writes, for callers that keep their own rootfs.
std::string BusyboxConfigJson(const std::vector<std::string>& cmd, const BundleOptions& opts);

// process.terminal of `bundle`/config.json: whether the runtime needs a console socket for it.
// False when the file is missing or malformed (the runtime itself then says what is wrong).
bool BundleWantsTerminal(const std::string& bundle);

// Returns `config_json` with the network namespace's `path` set to `netns_path` (removed if
// empty; a network namespace entry is added if the spec had none) and root.path set to
// `rootfs_abs`, which must be absolute. kInvalidArgument for malformed JSON or a relative rootfs.
Result<std::string> WithNetnsPath(const std::string& config_json, const std::string& netns_path,
                                  const std::string& rootfs_abs);

}  // namespace crh
