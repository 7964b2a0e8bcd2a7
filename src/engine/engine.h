#pragma once
// The reference checkpoint/restore engine: podman's first checkpoint/restore, behind three seams
// (OciRuntime, Network, Filesystem) plus a Clock and a SimRandom. It knows nothing of real
// binaries; main() wires the real seams, tests wire fakes.
//
// Promises (each is a test in engine_test.cc and an invariant in property_tests/):
//  - Every operation checks the state machine table first (state_machine.h); a refused
//    operation changes nothing and says why.
//  - Checkpoint: only from Running. Images go to <container dir>/checkpoint, the runtime's work
//    path is the container dir. network.status is written before any teardown. A failed dump
//    leaves the container Running and discards the partial images. Once the process is gone the
//    record says Exited (checkpointed if the images are complete) whatever fails later, and
//    teardown is attempted for every resource, the first error returned.
//  - Checkpoint with leave_running: the container stays Running with its pid, address and netns;
//    the record changes only in its checkpoint metadata (checkpointed_at_ms, the figures, and
//    checkpoint_left_running). Such a checkpoint is stale as soon as the process runs on:
//    restore refuses it while the container runs, and after a stop unless allow_stale.
//  - Every successful checkpoint and restore records its figures (OperationStats: crh's and the
//    runtime's durations, CRIU's stats image decoded). A stats image that is missing or cannot
//    be decoded is recorded as the reason, never as a failed operation.
//  - Restore: only from Configured or Exited with checkpoint/inventory.img present. Asks the
//    network for the saved address as an argument (never via the environment); missing or
//    malformed network.status, or a saved address now held by another container, means a new
//    address and a warning. On any failure: address released, netns deleted, checkpoint files
//    untouched, state still Exited, so restore can be retried.
//  - Nothing is cleaned up unless `keep` is false, and then exactly the documented files.
//  - A per-container lock serializes operations on one container across processes.
//  - Records are rewritten atomically; a fresh Engine over the same root sees the same state,
//    and Sync() reconciles a record left behind by a crash.
//
// Layout under the state root:
//   containers/<id>/container.json   the record
//   containers/<id>/config.json      the runtime bundle: the user's config, netns path replaced
//   containers/<id>/checkpoint/      CRIU images (inventory.img marks them complete)
//   containers/<id>/network.status   the CNI result at checkpoint time
//   containers/<id>/{dump.log,restore.log,stats-dump,stats-restore}   runtime/CRIU work files
//   containers/<id>/ctr.log          the container's stdout and stderr
//   locks/<id>.lock                  the per-container lock
//   names/<name>                     the name index: the container's ID

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/base/clock.h"
#include "src/base/sim_random.h"
#include "src/base/status.h"
#include "src/engine/container.h"
#include "src/engine/state_machine.h"
#include "src/fs/filesystem.h"
#include "src/net/network.h"
#include "src/oci/oci_runtime.h"

namespace crh {

// Called at each named step of checkpoint and restore ("engine.checkpoint.after_dump"). A
// non-ok status makes the engine stop right there, as if the process died: no cleanup, no
// record update. Production passes none; crash-consistency tests pass FaultPlan's CrashHook.
using StepHook = std::function<Status(std::string_view step)>;

struct EngineDeps {
  OciRuntimePtr runtime;
  NetworkPtr network;
  FilesystemPtr fs;
  ClockPtr clock;
  std::shared_ptr<SimRandom> random;  // container IDs
  std::string root;                   // the state root
  StepHook crash_hook;
  int stop_poll_ms = 100;             // how often stop() looks whether the process exited
};

struct DefineSpec {
  std::string name;
  std::string id;          // empty: generated
  std::string bundle;      // OCI bundle: config.json with a relative or absolute root.path
  std::string static_ip;   // empty: any free address
};

struct CheckpointRequest {
  bool keep = false;            // keep dump.log and stats-dump
  bool tcp_established = false;
  bool file_locks = false;
  bool leave_running = false;   // dump, and let the process run on (the checkpoint is stale)
};

struct RestoreRequest {
  bool keep = false;            // keep the images, logs and network.status
  bool tcp_established = false;
  bool file_locks = false;
  // Restore a checkpoint taken with leave_running although the container ran on after it: the
  // process goes back to that moment. Refused (kInvalidArgument) for a checkpoint that is not
  // stale, so the flag never passes unnoticed.
  bool allow_stale = false;
};

struct ExecRequest {
  std::vector<std::string> args;  // argv inside the container
  bool detach = true;             // return once it runs (`crh exec -d`)
};

// The outcome of one container in a multi-container call.
struct NamedResult {
  std::string name;
  Result<Container> result;
};

class Engine {
 public:
  explicit Engine(EngineDeps deps);

  // Records a new container in state Configured. kAlreadyExists if the name or ID is taken,
  // kInvalidArgument for a hostile name/ID or a bundle without config.json.
  Result<Container> Define(const DefineSpec& spec);

  // Configured/Stopped/Exited -> Created: netns, network (the requested address), runtime
  // create. On failure everything set up so far is torn down and the state is unchanged.
  Result<Container> Create(const std::string& name_or_id);
  Result<Container> Start(const std::string& name_or_id);
  // Define + Create + Start; on failure the container is left defined (and explains why).
  Result<Container> Run(const DefineSpec& spec);

  // SIGTERM, then SIGKILL after timeout_ms; then runtime delete and network teardown: Exited.
  Result<Container> Stop(const std::string& name_or_id, int64_t timeout_ms);
  // Delivers a signal; the new state is what the runtime reports afterwards.
  Result<Container> Kill(const std::string& name_or_id, int signal);
  Result<Container> Pause(const std::string& name_or_id);
  Result<Container> Unpause(const std::string& name_or_id);

  // Runs another process in a running container; its stdout/stderr go to the container's log.
  // Returns its host pid when detached (0 otherwise, once it has exited with status 0). The state
  // does not change. A detached process must daemonize inside the container (fork, and let the
  // parent exit, so that init adopts it) to be part of a later checkpoint: until it does,
  // Checkpoint is refused (kFailedPrecondition naming it), because CRIU dumps only init's tree.
  Result<int> Exec(const std::string& name_or_id, const ExecRequest& req);

  Result<Container> Checkpoint(const std::string& name_or_id, const CheckpointRequest& req);
  Result<Container> Restore(const std::string& name_or_id, const RestoreRequest& req);

  // Every name is attempted; one failure does not stop the others.
  std::vector<NamedResult> CheckpointAll(const std::vector<std::string>& names,
                                         const CheckpointRequest& req);
  std::vector<NamedResult> RestoreAll(const std::vector<std::string>& names,
                                      const RestoreRequest& req);

  // Removes the container and everything crh holds for it. Without force only from
  // Configured/Created/Stopped/Exited; with force a live container is killed first.
  Status Remove(const std::string& name_or_id, bool force);

  // Reconciles the record with the runtime (and finishes or rolls back an operation a crash
  // interrupted): a container the runtime no longer knows becomes Exited and its network is
  // torn down, as libpod's sync does.
  Result<Container> Sync(const std::string& name_or_id);
  // Sync for every container.
  std::vector<NamedResult> SyncAll();

  Result<Container> Inspect(const std::string& name_or_id);
  Result<std::vector<Container>> List();

  // True if <container dir>/checkpoint/inventory.img exists.
  bool HasCompleteCheckpoint(const Container& c);

  // Warnings of the last operation (for example "restoring with a new IP"); also logged.
  const std::vector<std::string>& warnings() const { return warnings_; }

  std::string ContainerDir(const std::string& id) const;
  std::string CheckpointDir(const std::string& id) const;
  std::string NetnsName(const std::string& id) const;
  // names/<name>: holds the ID of the container with that name.
  std::string NamePath(const std::string& name) const;

 private:
  struct Locked;
  Result<Locked> LockAndLoad(const std::string& name_or_id);
  Result<std::string> ResolveId(const std::string& name_or_id);
  Result<Container> Load(const std::string& id);
  Status Save(const Container& c);
  Status Crash(std::string_view step);
  void Warn(std::string message);

  // Netns + CNI ADD; records the netns path (persisted first) and the result on `c`.
  Status SetUpNetwork(Container& c, const std::string& static_ip);
  // CNI DEL + netns delete; every step attempted, the first error returned. Clears the record's
  // network fields for what was released.
  Status TearDownNetwork(Container& c);
  // Writes <container dir>/config.json from the user's bundle with the netns path replaced.
  // The bundle's config.json parses, root.path is a directory, and every namespace has an OCI
  // type and (but network, which crh replaces) an existing path if it names one.
  Status CheckBundle(const Container& c);
  // Writes network.status from the record (nothing if it has none); the error says what losing
  // it means (`if_lost`).
  Status SaveNetworkStatus(const Container& c, std::string_view if_lost);
  Status WriteRuntimeBundle(const Container& c);
  Status RemoveFiles(const std::string& dir, const std::vector<std::string>& names);
  // The figures of a checkpoint ("stats-dump", kind "dump") or restore ("stats-restore",
  // "restore") whose runtime call took runtime_us: CRIU's stats image read through the
  // filesystem seam and decoded, or the reason it could not be.
  OperationStats ReadOperationStats(const Container& c, const std::string& file,
                                    const std::string& kind, int64_t runtime_us);
  // The runtime's view after a signal, saved. `uncatchable` (SIGKILL): a "running" answer is
  // asked again for up to 20 stop polls, since the process is on its way out.
  Result<Container> ObserveAfterSignal(Container c, bool uncatchable = false);
  Status RemoveEverything(Container& c);
  Status RemoveUnreadable(const std::string& name_or_id, const Status& why);

  EngineDeps deps_;
  std::vector<std::string> warnings_;
  // The last record text read or written per container, with its parse. Only ever used when the
  // file's bytes are identical, so it can never serve a stale record.
  std::map<std::string, std::pair<std::string, Container>> record_cache_;
};

}  // namespace crh
