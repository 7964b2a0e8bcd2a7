#pragma once
// The OCI runtime seam: what the engine asks of runc, crun or any runc-compatible CLI. The real
// implementation is CliRuntime (cli_runtime.h); FakeRuntime and MockRuntime live in fakes/.
//
// The option structs carry what runc and crun accept for checkpoint/restore even where the
// engine does not use a flag yet, so a test or the conformance suite can reach it.
//
// Error codes, for every method: kNotFound when the runtime does not know the container;
// kFailedPrecondition when the runtime refuses because of the container's state; kUnavailable
// when the runtime (or CRIU under it) failed, with its stderr and the CRIU log excerpt in the
// message; kInvalidArgument for options the runtime rejects.

#include <memory>
#include <string>
#include <vector>

#include "src/base/status.h"

namespace crh {

// What `runtime state ID` reports. Status strings follow the OCI runtime spec.
enum class RuntimeStatus { kCreating, kCreated, kRunning, kPaused, kStopped };
std::string_view RuntimeStatusName(RuntimeStatus s);

struct RuntimeState {
  std::string id;
  RuntimeStatus status = RuntimeStatus::kStopped;
  int pid = 0;
  std::string bundle;
};

struct CreateOptions {
  std::string bundle;       // directory with config.json
  std::string pid_file;     // optional
  std::string stdio_log;    // where the container's stdout/stderr are kept (through pipes)
};

struct CheckpointOptions {
  std::string image_path;   // --image-path: CRIU images (must become complete or be discarded)
  std::string work_path;    // --work-path: dump.log and CRIU's working files
  std::string parent_path;  // --parent-path, relative to image_path (after a pre-dump)
  bool leave_running = false;
  bool tcp_established = false;
  bool file_locks = false;
  bool ext_unix_sk = false;
  bool shell_job = false;
  bool pre_dump = false;
  std::string manage_cgroups_mode;  // "", soft, full, strict, ignore
};

struct RestoreOptions {
  std::string bundle;       // config.json to restore into (its netns path is honored)
  std::string image_path;
  std::string work_path;    // restore.log goes here
  std::string pid_file;
  std::string stdio_log;    // as in CreateOptions
  bool detach = true;
  bool tcp_established = false;
  bool file_locks = false;
  bool ext_unix_sk = false;
  bool shell_job = false;
  std::string manage_cgroups_mode;
};

struct ExecOptions {
  std::vector<std::string> args;  // the process's argv; args[0] is looked up in the container
  bool detach = true;             // --detach: return once the process runs
  std::string pid_file;           // optional: where the runtime writes the process's host pid
  std::string stdio_log;          // the process's stdout/stderr are appended here (through pipes)
};

class OciRuntime {
 public:
  virtual ~OciRuntime() = default;

  // A short name for logs and reports ("runc-1.3.6", "fake").
  virtual std::string Name() const = 0;

  // `create`: the container exists, its init waits for start. kAlreadyExists if the ID is taken.
  virtual Status Create(const std::string& id, const CreateOptions& opts) = 0;
  virtual Status Start(const std::string& id) = 0;
  virtual Result<RuntimeState> State(const std::string& id) = 0;
  virtual Status Kill(const std::string& id, int signal) = 0;
  // Removes the runtime's state. With force, kills a live container first.
  virtual Status Delete(const std::string& id, bool force) = 0;
  virtual Status Pause(const std::string& id) = 0;
  virtual Status Resume(const std::string& id) = 0;

  // `exec`: runs another process in the running container's namespaces and cgroup. With
  // detach it returns once the process runs; otherwise when it exits (kUnavailable with its exit
  // code if that is not 0). kFailedPrecondition if the container is not running.
  virtual Status Exec(const std::string& id, const ExecOptions& opts) = 0;

  // Dumps the container into opts.image_path. Unless leave_running or pre_dump, the runtime
  // deletes the container afterwards (State then returns kNotFound). On failure the container
  // keeps running and the image directory may hold a partial dump. kFailedPrecondition, before
  // anything is dumped, while a process of the container is outside its init's process tree
  // (a detached exec that did not daemonize): CRIU would leave it out of the image silently.
  virtual Status Checkpoint(const std::string& id, const CheckpointOptions& opts) = 0;

  // Re-creates the container `id` from opts.bundle and restores the process tree from
  // opts.image_path. On failure no half-created container is left behind.
  virtual Status Restore(const std::string& id, const RestoreOptions& opts) = 0;
};

using OciRuntimePtr = std::shared_ptr<OciRuntime>;

}  // namespace crh
