#pragma once
// The workload catalogue: containers whose processes hold one kind of kernel state each (a pipe
// with data in flight, a held lock, a zombie, an established TCP connection...) and verify it
// themselves, so a checkpoint/restore suite can run them through any engine or runtime and judge
// the result with one generic oracle.
//
// Every workload is one mode of the static helper `crh-workload` (src/workloads/helper/),
// copied into a busybox bundle as /bin/crh-workload. Its protocol (helper/wl.h): after setting
// up its state it prints "ready"; then every ~100 ms it verifies the state and prints "ok N"
// (N = 1, 2, 3, ... counted in its own memory) or "FAIL N reason" and exits 1. The generic
// oracle (log_oracle.h) wants exactly one "ready", consecutive ok numbers over the whole log (a
// restart would print "ready" and start again at 1; a lost step would skip) and no FAIL.
//
// A workload may need checkpoint/restore flags (tcp_established, file_locks), edits of the
// bundle's config.json (mounts, namespaces) with host-side preparation, and an extra oracle
// (the TCP one drives a client outside the container). Workloads whose state CRIU cannot carry
// are kept in the catalogue with a pinned Limitation: the suite checks that the limitation
// still shows exactly as described, so a fixed CRIU or runtime is noticed.
//
// Users: //e2e/workloads:workloads_e2e_test runs every workload through the engine (and the
// ones the fake runtime models on FakeWorld); `crh conformance` runs them against a runtime
// binary alone (group "workload.", src/conformance/workload_checks.cc).
//
// Example (what //e2e/workloads:workloads_e2e_test does):
//   const Workload* w = FindWorkload("pipe_in_flight");
//   CRH_RETURN_IF_ERROR(PrepareBundle(*w, {.bundle_dir = dir, .scratch_dir = tmp}, helper));
//   auto c = engine.Run({.name = w->name, .bundle = dir});
//   ... WaitForOks(log, 3) ... engine.Checkpoint(w->name, w->CheckpointFlags()) ...

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/base/status.h"
#include "src/engine/engine.h"

namespace crh::workloads {

// Where a workload's bundle is made, and a directory of the test's own for host-side sources
// (bind-mounted files and directories). Both absolute; scratch_dir exists.
struct BundleContext {
  std::string bundle_dir;
  std::string scratch_dir;
};

// What an extra oracle may look at while the container runs.
struct OracleContext {
  std::string container_ip;  // the address the engine reports (Container::Ip())
  std::string log_path;      // <container dir>/ctr.log
  std::string scratch_dir;   // as in BundleContext
};

// A workload-specific check beside the generic one. The suite calls the hooks in this order:
// AfterReady once; AfterRefusedCheckpoint after each checkpoint that was expected to be refused
// (the container still runs); WhileCheckpointed between each checkpoint and its restore;
// AfterRestore after each successful restore. The destructor releases what the oracle made
// (also after a failed test). Every hook's error fails the test with its message.
class ExtraOracle {
 public:
  virtual ~ExtraOracle() = default;
  virtual Status AfterReady(const OracleContext&) { return Status::Ok(); }
  virtual Status AfterRefusedCheckpoint(const OracleContext&) { return Status::Ok(); }
  virtual Status WhileCheckpointed(const OracleContext&) { return Status::Ok(); }
  virtual Status AfterRestore(const OracleContext&) { return Status::Ok(); }
  // Called just before the container is removed: anything attached to the container's network
  // must be gone afterwards, so the suite's leak check sees only what the engine left.
  virtual void Release() {}
  // How many ports of the container's bridge the oracle itself holds right now (the TCP
  // client's veth), so a leak check made while it is attached can tell them from the engine's.
  virtual size_t BridgePortsHeld() const { return 0; }
};

// Something CRIU (or a runtime) cannot do with a workload's state, pinned as observed.
struct Limitation {
  enum class Kind {
    kDumpRefused,  // checkpoint fails with `signature` in the error or the dump log; the
                   // container runs on
    kStateLost,    // checkpoint and restore succeed, but the workload then prints a FAIL line
                   // containing `signature`
    kRestoreFails,  // checkpoint succeeds; restore fails with `signature` in its output or
                    // restore.log, and the images stay
  };
  Kind kind = Kind::kDumpRefused;
  std::vector<std::string> runtimes;  // runtime families ("runc", "crun"); empty: every runtime
  std::string signature;
  std::string why;  // the root cause, as found (docs/workloads.md)
  // The refusal is crh's own (the engine's runtime driver), guarding against a silent loss the
  // runtime alone shows: there the checkpoint and restore succeed and the workload prints a FAIL
  // line containing `alone_signature` (what `crh conformance` expects).
  bool by_crh = false;
  std::string alone_signature;
  // Shows only with the runtime driven alone (`crh conformance`); the engine's way of driving it
  // avoids the cause (say, crh writes an absolute root.path), so through the engine the workload
  // must survive.
  bool alone_only = false;
};

struct Workload {
  std::string name;               // [a-z0-9_]: a test-case name
  std::string state;              // what state the process holds
  std::string verifies;           // how each check verifies it
  std::vector<std::string> args;  // crh-workload ARGS...: args[0] is the helper's mode
  bool tcp_established = false;
  bool file_locks = false;
  // Bundle edits after MakeBusyboxBundle: config.json (mounts, namespaces) and host-side files
  // under ctx.scratch_dir or the rootfs. Null: none.
  std::function<Status(nlohmann::json& config, const BundleContext& ctx)> edit;
  // Null: the generic oracle only.
  std::function<std::unique_ptr<ExtraOracle>()> extra;
  // Non-empty: once the container is ready the suite starts this process in it through the
  // engine (Engine::Exec, detached, as `crh exec -d`) and waits for the workload's
  // "note exec joined" line; args[0] is a path inside the container.
  std::vector<std::string> exec_args;
  std::vector<Limitation> limitations;
  // Why the fake runtime (FakeWorld) does not run this workload; "" when it does.
  std::string fake_gap;
  // Why a runtime alone (`crh conformance`, no engine, no network) cannot run it; "" when it can.
  std::string conformance_gap;

  bool NeedsFlags() const { return tcp_established || file_locks; }
  CheckpointRequest CheckpointFlags() const {
    return {.tcp_established = tcp_established, .file_locks = file_locks};
  }
  RestoreRequest RestoreFlags() const {
    return {.tcp_established = tcp_established, .file_locks = file_locks};
  }
  // The limitation that applies on `runtime` (a manifest name such as "crun-1.28" or a family),
  // or null: the workload must survive there. `alone`: with the runtime driven alone (conformance)
  // rather than through the engine, which also counts the alone_only ones.
  const Limitation* LimitationOn(const std::string& runtime, bool alone = false) const;
  // True if some limitation applies through the engine on some runtime (the fake has nothing to
  // model for those).
  bool LimitedThroughEngine() const;
};

// Every workload, in a fixed order. Names are unique.
const std::vector<Workload>& Catalogue();
// Null if there is no such workload.
const Workload* FindWorkload(const std::string& name);

// Makes `ctx.bundle_dir` with MakeBusyboxBundle(dir, {"/bin/crh-workload", args...}), copies
// `helper` (the crh-workload binary) to rootfs/bin/crh-workload, and applies the workload's edit
// to config.json. kNotFound if `helper` is missing; kUnavailable for I/O; the edit's own errors.
Status PrepareBundle(const Workload& w, const BundleContext& ctx, const std::string& helper);

// "runc-1.3.6" -> "runc"; a path's basename likewise; anything else unchanged.
std::string RuntimeFamily(const std::string& runtime);

}  // namespace crh::workloads
