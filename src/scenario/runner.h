#pragma once
// Runs a Scenario (scenario.h) against a backend and checks every step's expectations. The fake
// backend (FakeWorld) is built here; the real one lives in replay.cc so that this library, the
// corpus test and the property suites need no real runtime.
//
// The property suites execute their commands through ExecuteStep too, so a counterexample
// replayed from its scenario file makes exactly the engine calls the failing case made.
//
// Promises:
//  - A step with `faults` runs with those rules only: the scenario-wide plan is set aside
//    (rules, counters and random stream) and put back afterwards. A step without them runs
//    under the scenario-wide plan. Helpers (tick, remove_file, ...) and expectation checks run
//    with no rule active, so they never count as calls.
//  - Every step is checked after it runs; a scenario stops at its first failing step and says
//    which step, which container and what differed.
//  - Outcomes are classified (STYLE 13): pass, fail (an expectation disagreed), crashed (the
//    runner or engine threw), malformed (the file did not parse), skipped (not for this
//    backend).

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fakes/fake_world.h"
#include "src/engine/engine.h"
#include "src/scenario/scenario.h"

namespace crh {

// A backend for one scenario run: an engine, a way to get a fresh one over the same state, and
// bundles for the scenario's containers.
class ScenarioWorld {
 public:
  virtual ~ScenarioWorld() = default;
  virtual std::string Backend() const = 0;  // "fake" or "real"
  virtual Engine& engine() = 0;
  // Replaces engine() with a new engine over the same state, as a restarted crh would be.
  virtual Status Restart() = 0;
  // A new engine over the same state, leaving engine() alone.
  virtual Result<std::unique_ptr<Engine>> Fresh() = 0;
  // The bundle directory for `spec`, made on first use.
  virtual Result<std::string> Bundle(const ContainerSpec& spec) = 0;
  // Files under the container's directory, relative to it, sorted.
  virtual std::vector<std::string> Files(const std::string& id) = 0;
  // The fake world, or null on the real backend.
  virtual FakeWorld* fake() { return nullptr; }
};

// A FakeWorld seeded with the scenario's seed, its fault plan installed.
std::unique_ptr<ScenarioWorld> MakeFakeScenarioWorld(const Scenario& s);

// What one step did.
struct StepOutcome {
  Status status;                        // the first error (of several containers: in order)
  std::vector<std::string> warnings;
  bool crashed = false;                 // crash_then_sync: the crash fired
  long faults_fired = 0;                // fault rules that fired during the step
  std::optional<Container> returned;    // the record the operation returned, if one did
  std::map<std::string, Status> per_container;  // checkpoint/restore of several: each outcome
};

// What was observed after each step (for `same_as_step` and friends).
struct StepObservation {
  std::map<std::string, std::string> ip_after;  // container name -> address ("" = none)
};

// Names and IDs of the scenario's containers, as learned while running.
struct RunState {
  std::map<std::string, std::string> ids;  // name -> ID, once defined
  std::vector<StepObservation> history;
};

// Executes one step without checking its expectations.
StepOutcome ExecuteStep(ScenarioWorld& w, const Scenario& s, const Step& step, RunState& run);

// Records what `ip_after` needs; call after every step.
void Observe(ScenarioWorld& w, const Scenario& s, RunState& run);

// The expectations of step `index` that do not hold, one message each ("" if all hold).
std::vector<std::string> CheckStep(ScenarioWorld& w, const Scenario& s, int index,
                                   const Step& step, const StepOutcome& out, const RunState& run);

// Ground-truth leak check for one container on the fake backend: what it holds beyond what its
// recorded state allows (created/running/paused/stopped hold an address and a netns; configured
// and exited hold neither and are unknown to the runtime; a removed one holds nothing at all).
std::vector<std::string> FakeLeaks(FakeWorld& w, Engine& engine, const std::string& id);

// Record consistency for one container: the record on disk, `engine`'s Inspect, a fresh
// engine's Inspect and (if given) the record an operation returned all agree.
std::vector<std::string> RecordDisagreements(ScenarioWorld& w, const std::string& id,
                                             const std::optional<Container>& returned);

struct ScenarioResult {
  enum class Outcome { kPass, kFail, kCrashed, kMalformed, kSkipped };
  std::string file;
  std::string name;
  Outcome outcome = Outcome::kPass;
  std::string message;          // one line: why it failed or was skipped
  std::vector<std::string> details;
  int steps_run = 0;
  double seconds = 0;
};

std::string_view OutcomeName(ScenarioResult::Outcome o);

// Runs every step and checks it; stops at the first failing step.
ScenarioResult RunScenario(ScenarioWorld& w, const Scenario& s);

// Parses and runs `text` on a fresh fake world.
ScenarioResult RunScenarioTextOnFakes(const std::string& text, const std::string& file);

// Why `s` cannot run on the real backend ("step 3 uses tick"), or "" if it can. On the real
// backend `no_leaks` checks what the record holds (the fakes' ground truth is not there).
std::string NeedsFakeBackend(const Scenario& s);

}  // namespace crh
