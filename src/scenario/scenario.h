#pragma once
// A scenario: one engine-facing test written as data (docs/scenarios.md, the JSON Schema in
// scenarios/scenario.schema.json). It names its containers, a fault plan, and steps, each an
// engine operation (or a fake-only helper such as `tick`) with what must hold afterwards. Hand-
// written regressions, the corpus under scenarios/ and the shrunk counterexamples of the property
// suites all share this one format, so any failure found anywhere replays with `crh replay FILE`.
//
// Promises:
//  - ParseScenario accepts exactly the documented format: an unknown key, a wrong type or an
//    unknown operation is an error naming the JSON path of the field and what was expected
//    ("$.steps[3].expect.ip.same_as_step: expected the index of an earlier step").
//  - ScenarioToJson(ParseScenario(x)) parses back to an equal Scenario (a round trip).
//
// Example:
//   CRH_ASSIGN_OR_RETURN(Scenario s, ParseScenario(text, "scenarios/corpus/basic.json"));

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/base/status.h"
#include "src/faults/fault_plan.h"

namespace crh {

// Operations a step can perform. The first group drives the engine and runs on every backend;
// the second manipulates the fakes' ground truth and needs the fake backend.
enum class StepOp {
  kDefine,
  kCreate,
  kStart,
  kRun,
  kStop,
  kKill,
  kPause,
  kUnpause,
  kCheckpoint,     // one container, or several via `containers` (CheckpointAll)
  kRestore,        // one container, or several via `containers` (RestoreAll)
  kRemove,
  kSync,
  kSyncAll,
  kInspect,        // changes nothing; for expectations
  // Fake-only from here on.
  kCrashThenSync,  // `operation` with a crash at `crash_at`, then a fresh engine syncs
  kTick,           // the container's process counter advances by `n`
  kExitProcess,    // the process exits by itself with `exit_code`
  kCorruptImage,   // pages-1.img of the checkpoint is truncated (`how`: truncate|garbage|remove)
  kRemoveFile,     // `file` (relative to the container dir) disappears
  kWriteFile,      // `file` (relative to the container dir) gets `content`
  kReserveIp,      // another owner takes `ip`
  kAddFault,       // `rule` joins the scenario-wide fault plan from now on
  kClearFaults,    // the scenario-wide fault plan loses every rule
};

std::string_view StepOpName(StepOp op);
std::optional<StepOp> StepOpFromName(std::string_view name);
// True for the operations that need the fake backend.
bool IsFakeOnly(StepOp op);

struct ContainerSpec {
  std::string name;
  // A counter that runs for ever in a busybox rootfs (the real backend) and that the fake
  // runtime models as its process counter.
  std::vector<std::string> command = {"sh", "-c",
                                      "i=0; while true; do i=$((i+1)); echo $i; sleep 0.1; done"};
  std::string static_ip;  // empty: any free address
  std::string id;         // empty: generated from the scenario's seed
  friend bool operator==(const ContainerSpec&, const ContainerSpec&) = default;
};

// An expected address: exactly `ip` ("" = none), or the same as / different from the address
// the container held after an earlier step, or anything but `ip`.
struct IpExpect {
  enum class Kind { kEquals, kSameAsStep, kDiffersFromStep, kNot };
  Kind kind = Kind::kEquals;
  std::string ip;
  int step = -1;
  friend bool operator==(const IpExpect&, const IpExpect&) = default;
};

// What must hold for one container after a step.
struct ContainerExpect {
  std::optional<std::string> state;          // a state name: "running"
  std::optional<bool> checkpointed;          // the record's flag
  std::optional<IpExpect> ip;
  std::vector<std::string> files_present;    // relative to the container dir
  std::vector<std::string> files_absent;
  std::optional<std::vector<std::string>> files_exactly;
  std::optional<bool> removed;               // no record left
  bool no_leaks = false;                     // holds exactly what its state allows (fake)
  bool record_consistent = false;            // record == engine view == a fresh engine's view
  friend bool operator==(const ContainerExpect&, const ContainerExpect&) = default;
};

// What must hold after a step: the operation's outcome, plus ContainerExpect for the step's
// container. `no_leaks` here means every container of the scenario.
struct StepExpect {
  std::optional<bool> ok;                    // true: no error
  std::optional<Code> error;                 // the error's code; implies ok == false
  std::optional<bool> injected;              // whether the error was marked injected
  std::optional<std::string> error_contains;
  std::optional<std::string> warning;        // some warning contains it
  bool no_warnings = false;
  std::optional<bool> crashed;               // crash_then_sync: whether the crash fired
  ContainerExpect container;
  friend bool operator==(const StepExpect&, const StepExpect&) = default;
};

struct Step {
  StepOp op = StepOp::kInspect;
  std::string container;                     // name; empty for sync_all, clear_faults, ...
  std::vector<std::string> containers;       // checkpoint/restore of several
  bool keep = false;
  bool force = false;
  bool tcp_established = false;
  bool file_locks = false;
  bool fresh_engine = false;                 // run on a new engine over the same state
  int64_t timeout_ms = 1000;                 // stop
  int signal = 9;                            // kill
  uint64_t n = 1;                            // tick
  int exit_code = 0;                         // exit_process
  std::string file;                          // remove_file, write_file, corrupt_image
  std::string content;                       // write_file
  std::string how = "truncate";              // corrupt_image
  std::string ip;                            // reserve_ip
  std::string owner = "intruder";            // reserve_ip
  std::string crash_at;                      // crash_then_sync: an engine.* site
  StepOp operation = StepOp::kCheckpoint;    // crash_then_sync: checkpoint or restore
  std::vector<FaultRule> faults;             // active during this step only (see docs)
  std::optional<FaultRule> rule;             // add_fault
  std::string comment;
  StepExpect expect;
  std::map<std::string, ContainerExpect> expect_containers;
  friend bool operator==(const Step&, const Step&) = default;
};

struct Scenario {
  std::string name;
  std::string description;
  std::vector<std::string> backends = {"fake"};
  uint64_t seed = 1;                         // the fake world's seed (container IDs)
  std::vector<ContainerSpec> containers;
  std::vector<FaultRule> fault_rules;        // the scenario-wide fault plan's rules
  uint64_t fault_seed = 0;                   // ... and its seed
  std::vector<Step> steps;
  // Free-form provenance (seed, reproduce string, property name) for counterexamples.
  std::map<std::string, std::string> metadata;

  const ContainerSpec* FindContainer(const std::string& name) const;
  friend bool operator==(const Scenario&, const Scenario&) = default;
};

// kInvalidArgument "<source>: $.path: what was expected" for anything outside the format,
// including a step naming an undeclared container or a same_as_step that is not earlier.
Result<Scenario> ParseScenario(const std::string& text, const std::string& source);

// Pretty-printed JSON (2-space indent) that ParseScenario reads back; fields at their defaults
// are left out.
std::string ScenarioToJson(const Scenario& s);

// A short stable hash (16 hex digits, FNV-1a 64) of `text`, for naming counterexample files.
std::string ContentHash(const std::string& text);

}  // namespace crh
