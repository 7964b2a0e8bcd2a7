#pragma once
// FakeRuntime: an in-memory OCI runtime that behaves like runc (with CRIU) as far as an engine
// can see, with fault injection. Containers are records {status, pid, bundle, netns path, and a
// simulated process whose state is one counter}; checkpoint images are real files written
// through the Filesystem seam, so a fault in the filesystem shows up in the runtime too.
//
// Lifecycle, as runc answers it:
//   Create   needs <bundle>/config.json (kNotFound) that parses (kInvalidArgument naming the
//            file); records linux.namespaces[type=network].path; kAlreadyExists if the id is
//            known; kInvalidArgument for an id runc would reject. Status created, pid assigned
//            sequentially from 1000.
//   Start    created -> running, else kFailedPrecondition.
//   State    kNotFound if unknown; pid 0 once stopped.
//   Kill     kNotFound if unknown; a stopped container is kFailedPrecondition ("container not
//            running"); SIGKILL (9) and SIGTERM (15) stop a created, running or paused
//            container; other signals change nothing.
//   Delete   created or stopped -> removed; running or paused -> kFailedPrecondition unless
//            force (then removed).
//   Pause    running -> paused;  Resume  paused -> running; else kFailedPrecondition.
//
// Checkpoint: kNotFound if unknown; created or stopped -> kFailedPrecondition ("container cannot
// be checkpointed in created state"); running or paused is allowed. Creates image_path and
// work_path (work_path defaults to image_path) and writes
//   image_path/core-1.img, pagemap-1.img, pages-1.img, descriptors.json, inventory.img (last: it
//   marks the image complete), and work_path/dump.log, stats-dump (a real CRIU stats image, as
//   src/oci/criu_images.h decodes it: fixed times, pages counted from pages-1.img).
// pages-1.img holds the process's memory: a header with the body's length and checksum, then
// "counter=<n>\n" and padding, so any truncation or corruption is detected on restore. Unless
// leave_running or pre_dump, the container is deleted afterwards (State -> kNotFound). pre_dump
// writes only pages-1.img and pagemap-1.img (plus dump.log) and leaves the container running.
// If a filesystem write fails the container is untouched and the error carries the filesystem's
// (possibly injected) status.
//
// Restore: kAlreadyExists if the id is known; needs image_path/inventory.img (kNotFound
// "... inventory.img missing") and opts.bundle's config.json (its netns path is recorded);
// pages-1.img that is missing, truncated or corrupt gives kDataLoss quoting restore.log.
// restore.log is written to work_path (default image_path) on success and failure alike,
// stats-restore (a real CRIU stats image) on success only. The container comes back running with a NEW pid and the counter
// from the image. On failure no container is left behind.
//
// State the simulated process holds (for the workload suite's flag checks): the bundle
// annotation "crh.fake/holds", a comma-separated list of "tcp-established" and "file-locks"
// (anything else: Create fails with kInvalidArgument). As CRIU 4.2.1 does:
//   Checkpoint  without the matching flag fails with kUnavailable quoting CRIU's own dump.log
//               line ("Connected TCP socket, consider using --tcp-established option.", "Some
//               file locks are hold by dumping tasks! You can try --file-locks to dump them."),
//               writes only dump.log, and the container runs on untouched. With the flags the
//               image records what it holds (inventory.img "holds=...").
//   Restore     of an image holding tcp-established without the flag fails with kUnavailable
//               ("Connected TCP socket in image"), nothing created. An image holding
//               file-locks restored without --file-locks SUCCEEDS and the restored process no
//               longer holds them (CRIU skips the locks silently); HeldStateOf shows it.
//
// Exec: kNotFound if unknown, kFailedPrecondition unless running, kInvalidArgument without
// args. Without detach the process "runs and exits 0". With detach it is recorded as runc
// leaves it: outside init's process tree (its parent is the runtime's exec process), so
// Checkpoint is refused with kFailedPrecondition (DescribeStrays' message, as CliRuntime) until
// the test says it daemonized (AdoptExec: init adopted it). Adopted processes are in the image
// and come back with new pids; all die with the container (kill 9/15, delete). pid_file, if
// given, gets the pid through the Filesystem seam.
//
// Fault sites (subject = container id):
//   runtime.create/.start/.state/.kill/.delete/.pause/.resume/.exec   kFail: error, nothing
//                                   changes.
//   runtime.checkpoint              kFail: nothing written, container as before.
//                                   kPartialWrite: dump.log, core-1.img, pagemap-1.img and a
//                                   torn pages-1.img written, no inventory.img or
//                                   descriptors.json; container as before; error returned.
//   runtime.checkpoint.after_dump   the dump is complete and the container deleted (unless
//                                   leave_running), but the call returns an error.
//   runtime.restore                 kFail: error, nothing written, no container.
//   runtime.restore.after_restore   the container is restored and running, but the call returns
//                                   an error.
// Every injected fault is logged on the "fake_runtime" logger.
//
// Thread-safe.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "src/base/status.h"
#include "src/faults/fault_plan.h"
#include "src/fs/filesystem.h"
#include "src/oci/oci_runtime.h"

namespace crh {

class FakeRuntime : public OciRuntime {
 public:
  // `fs` holds bundles and receives the images; a null plan injects nothing.
  explicit FakeRuntime(FilesystemPtr fs, FaultPlanPtr plan = nullptr);
  ~FakeRuntime() override;

  std::string Name() const override { return "fake"; }
  Status Create(const std::string& id, const CreateOptions& opts) override;
  Status Start(const std::string& id) override;
  Result<RuntimeState> State(const std::string& id) override;
  Status Kill(const std::string& id, int signal) override;
  Status Delete(const std::string& id, bool force) override;
  Status Pause(const std::string& id) override;
  Status Resume(const std::string& id) override;
  Status Exec(const std::string& id, const ExecOptions& opts) override;
  Status Checkpoint(const std::string& id, const CheckpointOptions& opts) override;
  Status Restore(const std::string& id, const RestoreOptions& opts) override;

  // The plan this runtime consults (never null).
  const FaultPlanPtr& plan() const { return plan_; }

  // --- Test helpers: no fault sites. ---

  // Ids of the containers the runtime knows (any status), sorted.
  std::vector<std::string> LiveContainers() const;
  // The container's process counter, nullopt if the id is unknown.
  std::optional<uint64_t> Counter(const std::string& id) const;
  // "The process keeps working": advances a running container's counter by n. No effect on a
  // container that is not running (a paused process does not run) or unknown.
  void Tick(const std::string& id, uint64_t n = 1);
  // The network namespace path from the container's config.json ("" if it named none), nullopt
  // if the id is unknown.
  std::optional<std::string> NetnsOf(const std::string& id) const;
  // What the container's process holds (see above), nullopt if the id is unknown.
  struct HeldState {
    bool tcp_established = false;
    bool file_locks = false;
    std::string ToString() const;  // "tcp-established,file-locks", "" for nothing
  };
  std::optional<HeldState> HeldStateOf(const std::string& id) const;
  static constexpr const char* kHoldsAnnotation = "crh.fake/holds";

  // Host pids of the container's detached exec'd processes (adopted or not), in exec order.
  std::vector<int> ExecPids(const std::string& id) const;
  // The exec'd process `pid` daemonized inside the container: init adopted it (a checkpoint
  // takes it along). kNotFound if the container or the process is unknown.
  Status AdoptExec(const std::string& id, int pid);

  // The container's status without going through the State fault site.
  std::optional<RuntimeStatus> StatusOf(const std::string& id) const;
  // The process exits by itself with `code`: status stopped. No-op if unknown or already stopped.
  void ExitProcess(const std::string& id, int code);
  // The exit code of a stopped container (128+signal when killed), nullopt otherwise.
  std::optional<int> ExitCode(const std::string& id) const;

  // The pages-1.img contents for a process whose counter is `counter` (for tests that build
  // images by hand), and its inverse; the latter's error is the restore.log line.
  static std::string EncodePages(uint64_t counter);
  static Result<uint64_t> DecodePages(const std::string& data);

 private:
  struct Container {
    RuntimeStatus status = RuntimeStatus::kCreated;
    int pid = 0;
    std::string bundle;
    std::string netns;
    uint64_t counter = 0;
    std::optional<int> exit_code;
    HeldState holds;
    struct Exec {
      int pid = 0;
      int ns_pid = 0;
      std::string comm;
      bool adopted = false;
    };
    std::vector<Exec> execs;
  };

  // What the fake reads from a bundle's config.json.
  struct BundleFacts {
    std::string netns;  // the network namespace path, "" if none
    HeldState holds;    // the crh.fake/holds annotation
  };

  // Checks a kFail-only site and logs it if a rule fired.
  Status MaybeFail(const char* site, const std::string& id);
  std::optional<FaultRule> CheckSite(const char* site, const std::string& id);
  // Reads <bundle>/config.json: its network namespace path and held-state annotation.
  Result<BundleFacts> ReadBundle(const std::string& bundle);
  static Result<BundleFacts> ParseBundle(const std::string& path, const std::string& text);

  FilesystemPtr fs_;
  FaultPlanPtr plan_;
  mutable std::mutex mu_;
  std::map<std::string, Container> containers_;
  int next_pid_ = 1000;
  std::map<std::string, BundleFacts> bundle_cache_;  // config.json text -> what it says
};

using FakeRuntimePtr = std::shared_ptr<FakeRuntime>;

}  // namespace crh
