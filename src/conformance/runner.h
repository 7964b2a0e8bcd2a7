#pragma once
// The conformance runner: drives a runc-compatible CLI directly (no engine, no CliRuntime in
// between, so the runtime's own exit codes, messages and leftovers are what is judged), runs each
// check in a fresh temporary directory with its own bundle, and turns every check into a
// CheckResult: pass, fail (with the reason, the runtime transcript and the CRIU log excerpt) or
// skip (with the capability gate that was not met).
//
// Promises:
//  - Every runtime call runs in its own process group with a timeout; on timeout the group is
//    SIGKILLed, so a spinning CRIU never hangs the suite.
//  - After each check, whatever it made is removed even when it failed: containers (`delete
//    --force`, then their cgroups killed and removed), mounts under the check's directory and
//    its bundles' criu-root, network namespaces it created, and the directory itself.
//  - The runtime keeps its state under a private --root; only the check that compares it with
//    the system default (paths.masked-directories-default-root) uses the default.
//
// Example:
//   CRH_ASSIGN_OR_RETURN(RuntimeUnderTest rt, ResolveRuntime("crun-1.28", ""));
//   SuiteReport r = RunSuite(rt, AllChecks(), {.only = {"restore."}, .tap = &std::cout});

#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/base/status.h"
#include "src/conformance/report.h"
#include "src/oci/bundle.h"

namespace crh::conformance {

// What is being tested: a runtime binary and the CRIU it should use.
struct RuntimeUnderTest {
  std::string name;       // "runc-1.3.6", or the --name given for a path outside the manifest
  std::string binary;     // absolute path
  std::string version;    // "1.3.6" (from the manifest or `BINARY --version`)
  std::string kind;       // "runc", "crun", or the first word of `--version`
  std::string criu_path;  // absolute path of criu; its folder goes first on the runtime's PATH
  std::string criu_version;
  bool criu_flag = false;  // also pass `--criu PATH` (runc < 1.2 ignores PATH)
  std::map<std::string, std::string> env;  // added to every runtime call (CRH_FAULT_PLAN=...)
};

// Resolves NAME (a manifest entry) or PATH (any runc-compatible binary, e.g. a fault wrapper:
// its `--version` names its kind and version). `criu` overrides the manifest's CRIU. kNotFound if
// neither the manifest nor the file system knows the runtime.
Result<RuntimeUnderTest> ResolveRuntime(const std::string& name_or_path, const std::string& criu,
                                        const std::string& display_name = "");

// One runtime call's outcome.
struct RunResult {
  std::string command;  // the argv, shell-quoted
  int exit_code = -1;   // 128+signal if killed
  bool timed_out = false;
  std::string output;   // stdout+stderr (for create/restore: the runtime's --log and stdio)
  double seconds = 0;
  bool ok() const { return exit_code == 0 && !timed_out; }
  std::string Describe() const;  // "`cmd` exited 1 after 0.31 s: <output tail>"
};

// A check's working area and its helpers. Created per check by RunSuite; its destructor cleans up.
class CheckContext {
 public:
  CheckContext(const RuntimeUnderTest& rt, std::string dir, std::string state_root);
  ~CheckContext();
  CheckContext(const CheckContext&) = delete;
  CheckContext& operator=(const CheckContext&) = delete;

  const RuntimeUnderTest& runtime() const { return rt_; }
  // Later runtime calls use this CRIU (a shim, or a path that does not exist).
  void SetCriu(const std::string& path) { rt_.criu_path = path; }
  // Later runtime calls omit --root, so the runtime uses its system default (/run/runc,
  // /run/crun). Only for checks that compare the default root with a custom one; the container IDs
  // stay unique and are cleaned up the same way.
  void UseDefaultRoot() { default_root_ = true; }
  // Restore maps an image's foreign shared-empty-directory keys for CRIU (crun PR #2239) unless
  // this is turned off; the checks that judge that bug turn it off.
  void SetMapEmptyDirectories(bool on) { map_empty_directories_ = on; }

  const std::string& dir() const { return dir_; }
  const std::string& state_root() const { return root_; }

  // A fresh container ID, registered for cleanup.
  std::string NewId();
  // A busybox bundle in dir()/NAME running `cmd`.
  Result<std::string> MakeBundle(const std::vector<std::string>& cmd, BundleOptions opts = {},
                                 const std::string& name = "bundle");
  // Rewrites bundle/config.json through `edit` (to add masked paths, annotations, ...).
  Status EditConfig(const std::string& bundle, const std::function<void(nlohmann::json&)>& edit);

  // `RUNTIME --root R [--criu C] args...`, cwd = dir(), env = runtime env + `env`.
  RunResult Run(const std::vector<std::string>& args, int timeout_ms = 30'000,
                const std::map<std::string, std::string>& env = {});
  // create/restore: fds 0..2 are pipes drained into `stdio_log` (as conmon does), the runtime's
  // own messages come from `--log FILE`. When `--bundle B` names a bundle with process.terminal,
  // the call also gets --console-socket, and the terminal's output goes to `stdio_log` too.
  RunResult RunWithStdio(const std::vector<std::string>& args, const std::string& stdio_log,
                         int timeout_ms = 30'000,
                         const std::map<std::string, std::string>& env = {});

  // create + start of the counter container in `bundle`; waits until it counted to 3.
  Status StartCounter(const std::string& id, const std::string& bundle,
                      const std::string& stdio_log);
  // `checkpoint [flags] --image-path IMG ID`.
  RunResult Checkpoint(const std::string& id, const std::string& image,
                       const std::vector<std::string>& flags = {},
                       const std::map<std::string, std::string>& env = {});
  // `restore -d --bundle B --image-path IMG [flags] ID` with pipes into `stdio_log`.
  RunResult Restore(const std::string& id, const std::string& bundle, const std::string& image,
                    const std::vector<std::string>& flags = {},
                    const std::string& stdio_log = "",
                    const std::map<std::string, std::string>& env = {}, int timeout_ms = 30'000);

  // `env` plus, unless turned off, a CRIU_CONFIG_FILE that maps the foreign shared-empty-
  // directory keys `image` holds (see SetMapEmptyDirectories); for restores run by hand.
  std::map<std::string, std::string> RestoreEnv(const std::string& image,
                                                const std::map<std::string, std::string>& env = {});
  // `state ID`: its status word ("running", ...), or "" if state failed.
  std::string StatusOf(const std::string& id);
  int PidOf(const std::string& id);
  // The last number the counter container in `bundle` wrote to /tmp/c (-1 if none).
  long Counter(const std::string& bundle);
  // Polls `pred` every 20 ms until it holds or timeout_ms passes.
  static bool WaitFor(const std::function<bool()>& pred, int timeout_ms = 5'000);
  Status WaitForStatus(const std::string& id, const std::string& status, int timeout_ms = 5'000);
  Status WaitForCounter(const std::string& bundle, long at_least, int timeout_ms = 5'000);

  // What a failed or refused operation left behind for `id`: a state dir, cgroups, mounts under
  // dir(), the bundle's criu-root mount. "" when nothing.
  std::string Leftovers(const std::string& id, const std::string& bundle = "");
  // Removes a container the way the suite's cleanup does (delete --force, cgroups, state dir).
  void ForceRemove(const std::string& id);
  // Lazily unmounts everything at or below `dir` (a killed CRIU's cgroup yard in its work dir).
  static void UnmountUnder(const std::string& dir);

  // `ip netns add` of a fresh namespace with loopback up; removed by the destructor.
  Result<std::string> NewNetns();

  // Capability gates (cached per runtime/CRIU for the run).
  bool HelpHas(const std::string& command, const std::string& flag);
  bool CriuFeature(const std::string& feature);

  // Notes added to the failure log.
  void Note(const std::string& line) { transcript_ += line + "\n"; }
  // The transcript of runtime calls plus CRIU log excerpts from dump.log/restore.log under dir().
  std::string FailureLog() const;

 private:
  RuntimeUnderTest rt_;
  std::string dir_, root_;
  std::vector<std::string> ids_, netns_;
  std::string transcript_;
  int next_id_ = 0;
  bool default_root_ = false;
  bool map_empty_directories_ = true;
};

// A check: stable ID, what it expects and why, an optional gate, and its body.
struct Check {
  std::string id;      // "group.name", stable across versions (the gate keys on it)
  std::string title;   // one line
  std::string expect;  // the behaviour that passes
  std::string why;     // runc's documented behaviour, what podman/containerd rely on
  // Returns "" to run, or the reason to skip ("criu check --feature mem_dirty_track failed").
  std::function<std::string(CheckContext&)> gate;
  // Ok: pass. An error: fail, its message is the reason.
  std::function<Status(CheckContext&)> body;
};

// Every check of the suite, in report order (checks.cc).
const std::vector<Check>& AllChecks();

struct SuiteOptions {
  std::vector<std::string> only;  // IDs or ID prefixes ("restore." / "fault.criu-"); empty: all
  std::ostream* tap = nullptr;    // TAP is streamed here as checks finish
  std::string work_dir = "/tmp";  // per-run temp directories are made here
};

// Runs the selected checks, one at a time, each in a fresh directory.
SuiteReport RunSuite(const RuntimeUnderTest& rt, const std::vector<Check>& checks,
                     const SuiteOptions& opts);

// The whole file ("" if unreadable), and whether a path exists (a dangling symlink counts).
std::string ReadFile(const std::string& path);
bool Exists(const std::string& path);

// Fails a check's body with `msg` unless `cond` holds.
#define CONF_REQUIRE(cond, msg)                                                  \
  do {                                                                           \
    if (!(cond)) return ::crh::Status(::crh::Code::kFailedPrecondition, (msg));  \
  } while (0)

}  // namespace crh::conformance
