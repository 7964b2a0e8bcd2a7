#pragma once
// The container state machine, as one table: for every state and operation, whether the engine
// accepts it and the state it leads to on success. docs/state-machine.md draws the same table;
// state_machine_test.cc checks every cell. The engine asks CheckTransition before it touches
// anything, so a refused operation changes nothing.

#include <optional>
#include <string>
#include <string_view>

#include "src/base/status.h"
#include "src/engine/container.h"

namespace crh {

enum class Operation {
  kCreate,      // set up network, create in the runtime
  kStart,
  kStop,        // SIGTERM, wait, SIGKILL, then clean up (runtime delete, network teardown)
  kKill,        // deliver a signal; the result state is observed from the runtime
  kPause,
  kUnpause,
  kCheckpoint,
  kRestore,
  kRemove,      // without force
  kForceRemove,
  kSync,        // reconcile the record with the runtime; the result is observed
  kExec,        // start another process in the running container; the state does not change
  // Dump the process and leave it running (`checkpoint --leave-running`): the record keeps its
  // state and gains only the checkpoint's metadata.
  kCheckpointLeaveRunning,
};
inline constexpr int kNumOperations = 13;

std::string_view OperationName(Operation op);

struct Transition {
  bool allowed = false;
  // The state on success. Empty for operations whose outcome is observed from the runtime (kill,
  // sync) and for remove (the record is gone).
  std::optional<ContainerState> to;
  // For refusals: what the user can do instead ("unpause it first").
  std::string_view hint;
};

// The table's cell. Total: defined for every state and operation.
const Transition& LookupTransition(ContainerState from, Operation op);

// Ok if the table allows `op` from the container's state; otherwise kFailedPrecondition naming
// the container, its state, the operation and the hint (kNotFound for a removed container).
Status CheckTransition(const Container& c, Operation op);

}  // namespace crh
