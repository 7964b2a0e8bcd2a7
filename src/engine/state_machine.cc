#include "src/engine/state_machine.h"

namespace crh {

namespace {

using S = ContainerState;

constexpr std::string_view kOpNames[kNumOperations] = {
    "create", "start", "stop", "kill", "pause", "unpause", "checkpoint", "restore", "remove",
    "remove --force", "sync", "exec", "checkpoint --leave-running"};

Transition Allow(std::optional<S> to) { return {true, to, ""}; }
Transition Refuse(std::string_view hint) { return {false, std::nullopt, hint}; }
const Transition kObserved = {true, std::nullopt, ""};
const Transition kGone = {true, std::nullopt, ""};

// Rows: states in enum order. Columns: operations in enum order. Keep in step with
// docs/state-machine.md.
const Transition kTable[kNumStates][kNumOperations] = {
    // kConfigured: defined, never created.
    {Allow(S::kCreated), Refuse("create it first"), Refuse("only a running container can do that"),
     Refuse("only a running container can do that"), Refuse("only a running container can do that"), Refuse("only a paused container can be unpaused"),
     Refuse("only a running container can do that"), Allow(S::kRunning), kGone, kGone, kObserved,
     Refuse("only a running container can do that"), Refuse("only a running container can do that")},
    // kCreated: exists in the runtime, init waiting for start.
    {Refuse("it exists in the runtime already"), Allow(S::kRunning), Allow(S::kExited), kObserved,
     Refuse("start it first"), Refuse("only a paused container can be unpaused"),
     Refuse("start it first: a created container has no process state to dump"),
     Refuse("remove it first; restore needs an exited container with a checkpoint"), kGone, kGone, kObserved,
     Refuse("start it first"),
     Refuse("start it first: a created container has no process state to dump")},
    // kRunning.
    {Refuse("nothing to do"), Refuse("nothing to do"), Allow(S::kExited),
     kObserved, Allow(S::kPaused), Refuse("only a paused container can be unpaused"), Allow(S::kExited),
     Refuse("checkpoint it first; restore needs an exited container with a checkpoint"),
     Refuse("stop it first or use --force"), kGone, kObserved, Allow(S::kRunning),
     Allow(S::kRunning)},
    // kPaused.
    {Refuse("it exists in the runtime already"), Refuse("unpause it"), Allow(S::kExited),
     kObserved, Refuse("nothing to do"), Allow(S::kRunning),
     Refuse("unpause it first"), Refuse("unpause it first"),
     Refuse("stop it first or use --force"), kGone, kObserved, Refuse("unpause it first"),
     Refuse("unpause it first")},
    // kStopped: the process is gone but the runtime and network still hold it.
    {Allow(S::kCreated), Refuse("stop it to clean up, then create it again"), Allow(S::kExited),
     Refuse("only a running container can do that"), Refuse("only a running container can do that"), Refuse("only a paused container can be unpaused"),
     Refuse("only a running container can do that"), Refuse("restore needs an exited container with a checkpoint; stop it to clean up"),
     kGone, kGone, kObserved, Refuse("only a running container can do that"),
     Refuse("only a running container can do that")},
    // kExited: cleaned up; may hold a checkpoint.
    {Allow(S::kCreated), Refuse("create it first"), Refuse("only a running container can do that"),
     Refuse("only a running container can do that"), Refuse("only a running container can do that"), Refuse("only a paused container can be unpaused"),
     Refuse("only a running container can do that"), Allow(S::kRunning), kGone, kGone, kObserved,
     Refuse("only a running container can do that"), Refuse("only a running container can do that")},
    // kRemoved: nothing is allowed.
    {Refuse(""), Refuse(""), Refuse(""),
     Refuse(""), Refuse(""), Refuse(""),
     Refuse(""), Refuse(""), Refuse(""),
     Refuse(""), Refuse(""), Refuse(""),
     Refuse("")},
};

}  // namespace

std::string_view OperationName(Operation op) { return kOpNames[static_cast<int>(op)]; }

const Transition& LookupTransition(ContainerState from, Operation op) {
  return kTable[static_cast<int>(from)][static_cast<int>(op)];
}

Status CheckTransition(const Container& c, Operation op) {
  const Transition& t = LookupTransition(c.state, op);
  if (t.allowed) return Status::Ok();
  const std::string who = "container " + c.name + " (" + c.id.substr(0, 12) + ")";
  const std::string msg = "cannot " + std::string(OperationName(op)) + " " + who + ": it is " +
                          std::string(StateName(c.state)) +
                          (t.hint.empty() ? "" : "; " + std::string(t.hint));
  if (c.state == ContainerState::kRemoved) return NotFound(msg);
  return FailedPrecondition(msg);
}

}  // namespace crh
