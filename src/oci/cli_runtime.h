#pragma once
// CliRuntime: the OciRuntime seam driven through a runc-compatible command line (runc, crun).
//
// Every call runs the binary once with `--root <config.root>` (its own state directory, never the
// system default /run/runc), waits for it, and maps its failure to a Status (see oci_runtime.h):
//   kNotFound            the runtime has no such container (its state directory is absent, or it
//                        says "does not exist" / "not found")
//   kAlreadyExists       Create/Restore with an ID that is taken
//   kFailedPrecondition  the runtime refused because of the container's state ("cannot be
//                        checkpointed in created state", "not running", "not paused", ...)
//   kInvalidArgument     bad ID or options (caught before running anything)
//   kDataLoss            Restore from an image directory without inventory.img
//   kUnavailable         anything else, with the runtime's own message and, for checkpoint and
//                        restore, the lines around "Error" from CRIU's dump.log / restore.log.
//
// CRIU: runc < 1.2 takes it as the global flag `--criu PATH` (criu_flag); runc >= 1.2 and crun
// exec `criu` from PATH, so the folder holding criu_path is put first on the child's PATH.
//
// Stdio: Create and Restore give the container pipes, drained into opts.stdio_log by a daemonized
// copier (stdio_log.h), so the container can be checkpointed and its output survives crh exiting.
// The runtime's own messages for those two calls are read from a `--log FILE --log-format json`
// file; they also reach the container's stderr log, as with conmon. A bundle with
// `process.terminal: true` gets `--console-socket` on create and on restore: the copier takes the
// pseudo-terminal master the runtime sends and logs what the container writes to its terminal
// (runc and crun put the terminal's slave in the dump as an external tty and make a new one on
// restore).
//
// Example:
//   CRH_ASSIGN_OR_RETURN(Toolchain tc, LoadToolchain());
//   CRH_ASSIGN_OR_RETURN(ToolchainRuntime rt, tc.FindRuntime("crun-1.28"));
//   CRH_ASSIGN_OR_RETURN(auto runtime, CliRuntime::Make(CliRuntimeConfigFor(tc, rt, state_dir)));
//   CRH_RETURN_IF_ERROR(runtime->Create("web", {.bundle = b, .stdio_log = b + "/stdio.log"}));

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "src/base/status.h"
#include "src/base/subprocess.h"
#include "src/oci/oci_runtime.h"
#include "src/oci/toolchain.h"

namespace crh {

struct CliRuntimeConfig {
  std::string name;                       // for logs and Name(): "runc-1.3.6"
  std::string binary;                     // absolute path of the runc-compatible binary
  std::string root;                       // --root: the runtime's state directory (required)
  std::vector<std::string> global_flags;  // more global flags before the command ("--debug")
  std::string criu_path;                  // CRIU binary; empty: `criu` from the inherited PATH
  bool criu_flag = false;                 // pass `--criu criu_path` instead of changing PATH
  std::map<std::string, std::string> env; // added to the runtime's environment (CRIU_FAULT=...)
  int timeout_ms = 120'000;               // per runtime call; the runtime is SIGKILLed after it
};

// The config for one runtime of the manifest, with `root` as its state directory.
CliRuntimeConfig CliRuntimeConfigFor(const Toolchain& toolchain, const ToolchainRuntime& runtime,
                                     std::string root);

// The external-mount keys ending in "/.empty-directory" that the CRIU mountpoints images in
// `image_path` hold, except `own_root`/.empty-directory: masked directories that the runtime
// registered under another state root (crun PR #2239). Empty when there is no mountpoints image;
// kDataLoss when one does not decode.
Result<std::vector<std::string>> ForeignEmptyDirectoryKeys(const std::string& image_path,
                                                           const std::string& own_root);

class CliRuntime : public OciRuntime {
 public:
  // Checks that the binary is executable and `root` absolute, and creates `root` (0700).
  // kInvalidArgument / kNotFound otherwise.
  static Result<std::shared_ptr<CliRuntime>> Make(CliRuntimeConfig config);

  std::string Name() const override { return config_.name; }
  const CliRuntimeConfig& config() const { return config_; }

  // Adds (or replaces) an environment variable for later runtime calls, e.g. CRIU_FAULT.
  void SetEnv(const std::string& key, const std::string& value) { config_.env[key] = value; }
  void UnsetEnv(const std::string& key) { config_.env.erase(key); }

  Status Create(const std::string& id, const CreateOptions& opts) override;
  Status Start(const std::string& id) override;
  Result<RuntimeState> State(const std::string& id) override;
  Status Kill(const std::string& id, int signal) override;
  Status Exec(const std::string& id, const ExecOptions& opts) override;
  Status Delete(const std::string& id, bool force) override;
  Status Pause(const std::string& id) override;
  Status Resume(const std::string& id) override;
  // Creates image_path and work_path (with parents) first. pre_dump keeps the container running.
  Status Checkpoint(const std::string& id, const CheckpointOptions& opts) override;
  // `restore --detach --bundle ... --image-path ... --work-path ...`; work_path defaults to
  // image_path. On failure, a container the runtime left behind is force-deleted.
  Status Restore(const std::string& id, const RestoreOptions& opts) override;

  // Writes `work_path`/crh-criu-restore.conf mapping, for CRIU, every shared empty directory the
  // image's mountpoints name under a state root other than ours (crun PR #2239: checkpoint keys
  // masked directories by crun's default root even with --root). Returns its path, or "" when the
  // image needs no mapping (runc, a fixed crun, no masked directories).
  Result<std::string> EmptyDirectoryMappingConfig(const std::string& image_path,
                                                  const std::string& work_path);

  // The lines around "Error" in a CRIU log (or its tail if it has none), for error messages;
  // "" if the file cannot be read.
  static std::string CriuLogExcerpt(const std::string& log_path, size_t max_lines = 40);

 private:
  explicit CliRuntime(CliRuntimeConfig config) : config_(std::move(config)) {}

  std::vector<std::string> Argv(const std::vector<std::string>& command) const;
  std::map<std::string, std::string> EnvAdd() const;
  bool StateDirExists(const std::string& id) const;
  // Runs a command that reports on its own stdio; maps a failure of `op` on `id`.
  Status Simple(const std::string& op, const std::string& id,
                const std::vector<std::string>& command);
  // Maps a failed `op` on `id`: kNotFound, kFailedPrecondition (by the container's status, then
  // by the runtime's words), else kUnavailable.
  Status ClassifyFailure(const std::string& op, const std::string& id, const std::string& msg,
                         const std::string& output, bool timed_out);
  // After a failed or timed-out create/restore: delete what the runtime left; kill what is left
  // in the container's cgroups and remove them; unmount what a killed runtime or CRIU left
  // mounted under the state dir and `work_path`.
  void ForceCleanup(const std::string& id, const std::string& bundle, const std::string& work_path);
  // Runs the runtime in its own process group (killed whole on timeout); output in `err`.
  Result<CommandResult> RunInGroup(const std::vector<std::string>& command);
  // Runs create/restore with the container's stdio pipes and, for a bundle whose
  // process.terminal is true, a console socket (inserted after the command word); returns the
  // runtime's error text.
  Result<std::string> RunWithStdio(std::vector<std::string> command, const std::string& bundle,
                                   const std::string& stdio_log, bool* ok);

  CliRuntimeConfig config_;
};

}  // namespace crh
