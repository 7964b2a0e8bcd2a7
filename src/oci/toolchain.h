#pragma once
// The toolchain manifest: which runc-compatible runtimes and which CRIU this machine provides for
// checkpoint/restore, as written by ci/provision_runtimes.sh (run by `sudo ci/setup.sh`).
//
// Format (JSON):
//   {
//     "criu": {"path": "/opt/crh/bin/criu", "version": "4.2.1"},
//     "crit": {"path": "/opt/crh/pycriu/bin/crit", "version": "4.2.1"},
//     "runtimes": [
//       {"name": "runc-1.1.5", "path": "/usr/sbin/runc", "version": "1.1.5", "criu_flag": true},
//       {"name": "runc-1.3.6", "path": "/opt/crh/runtimes/bin/runc", "version": "1.3.6",
//        "criu_flag": false},
//       {"name": "crun-1.28", "path": "/opt/crh/runtimes/bin/crun", "version": "1.28",
//        "criu_flag": false}
//     ],
//     "path_prefix": "/opt/crh/bin"
//   }
// `criu_flag` true: the runtime takes CRIU as the global flag `--criu PATH` (runc < 1.2). False:
// it runs `criu` from PATH, so `path_prefix` (the folder holding criu) goes first on its PATH.
// `crit` (CRIU's own image decoder, the oracle of crh's stats decoding) is optional: a manifest
// written before it was provisioned still loads, and the tests that need it say what to run.
//
// Example:
//   CRH_ASSIGN_OR_RETURN(Toolchain tc, LoadToolchain());
//   CRH_ASSIGN_OR_RETURN(ToolchainRuntime rt, tc.FindRuntime("crun-1.28"));

#include <string>
#include <string_view>
#include <vector>

#include "src/base/status.h"

namespace crh {

inline constexpr char kDefaultToolchainPath[] = "/opt/crh/toolchain.json";

struct ToolchainRuntime {
  std::string name;     // "runc-1.3.6": the binary's base name and its version
  std::string path;     // absolute path of the binary
  std::string version;  // "1.3.6"
  bool criu_flag = false;
};

struct Toolchain {
  std::string manifest_path;  // where it was read from ("" if parsed from text)
  std::string criu_path;
  std::string criu_version;
  std::string crit_path;      // "" if the manifest names no crit
  std::string crit_version;
  std::vector<ToolchainRuntime> runtimes;
  std::string path_prefix;    // folder holding criu, to put first on a runtime's PATH

  // By name ("crun-1.28"), by path ("/usr/sbin/runc"), or by family ("runc", "crun": the newest
  // version of that family in the manifest, as podman's `--runtime runc` means). kNotFound lists
  // the names and families the manifest has.
  Result<ToolchainRuntime> FindRuntime(std::string_view name_or_path) const;
};

// The family of a manifest name: "runc-1.3.6" -> "runc" (the text before the last '-').
std::string RuntimeFamily(std::string_view runtime_name);

// <0, 0, >0 as version a is older, equal, newer than b; dotted numeric parts compare as numbers
// ("1.28" is newer than "1.3"), other parts as text.
int CompareVersions(std::string_view a, std::string_view b);

// $CRH_TOOLCHAIN if set and not empty, else kDefaultToolchainPath.
std::string DefaultToolchainPath();

// Reads and validates a manifest. kFailedPrecondition when the file is missing, naming the fix
// ("toolchain manifest /opt/crh/toolchain.json not found: run `sudo ci/setup.sh`");
// kInvalidArgument when it is malformed or lacks a field.
Result<Toolchain> LoadToolchain(const std::string& path = DefaultToolchainPath());

// The parsing half of LoadToolchain; `origin` names the text in error messages.
Result<Toolchain> ParseToolchain(const std::string& json_text, const std::string& origin);

}  // namespace crh
