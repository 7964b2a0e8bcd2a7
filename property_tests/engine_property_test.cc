// Goal: the engine keeps its promises (engine.h, docs/state-machine.md) under any sequence of
// operations, options and injected faults, and recovers from a crash at any named step:
//   1. only transitions the table allows happen, and a refused operation changes nothing;
//   2. the persisted record equals the engine's view, and a fresh engine agrees;
//   3. after checkpoint then restore the container holds its old IP, unless network.status was
//      lost or the IP taken (then a new IP and a warning);
//   4. created/running/paused/stopped containers hold an IP and a netns, configured/exited ones
//      hold neither, and a removed one leaves nothing in any fake;
//   5. a complete checkpoint exists from a successful checkpoint until a successful restore,
//      and no failure destroys it;
//   6. every error is explained: a refusal the table predicts, or an injected fault.
// Method: rapidcheck's stateful testing (rc::state). Commands are data: each is a scenario Step
// (src/scenario/scenario.h) with its own generated fault rules, run through the scenario
// runner's ExecuteStep against a seeded FakeWorld, so shrinking minimizes the fault schedule
// with the operations, and the shrunk case is written as a scenario file that `crh replay`
// fails on in the same way. After every command an oracle (the Track per container below,
// updated from the table and what was injected) predicts the outcome; the predictions become
// the step's expectations and are checked with the runner's own CheckStep, plus checks the
// format cannot state (a refusal's full snapshot, the states a failure may leave). Every case
// ends by removing every container (no faults) and requiring that nothing remains.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "property_tests/property_main.h"
#include "src/engine/state_machine.h"
#include "src/scenario/runner.h"

namespace crh {
namespace {

// Not hex, so a name is never mistaken for a prefix of a generated ID.
const std::vector<std::string> kNames = {"web", "mq", "kv"};
const char* kTarget = "//property_tests:engine_property_test";

// The scenario every case starts from: three declared containers, mq with a static address.
Scenario BaseScenario(uint64_t seed) {
  Scenario s;
  s.name = "engine-property-counterexample";
  s.description =
      "Goal: reproduce a failure the engine property suite found (see metadata). Method: the "
      "shrunk command sequence, each step with the faults it injected and the outcome the "
      "suite's model predicted; the first step whose expectation fails is the divergence.";
  s.seed = seed;
  s.containers = {{.name = "web"}, {.name = "mq", .static_ip = "10.88.0.200"}, {.name = "kv"}};
  return s;
}

// ------------------------------------------------------------------------------------------
// The model rapidcheck generates from: which names are (believed) defined. The oracle that
// predicts outcomes lives in the system under test, because faults make outcomes depend on
// what actually ran.

struct GenModel {
  std::set<std::string> defined;
};

// What the oracle knows about one container beyond its record.
struct Track {
  bool tainted = false;              // a fault or helper left it out of step with the fakes
  bool must_have_checkpoint = false; // invariant 5
  std::string saved_ip;              // its IP when a checkpoint succeeded
  bool status_intact = false;        // network.status as that checkpoint wrote it
  bool image_corrupt = false;
};

struct Sut {
  explicit Sut(uint64_t seed) : scenario(BaseScenario(seed)), world(MakeFakeScenarioWorld(scenario)) {}
  Scenario scenario;  // steps = the trace so far
  std::unique_ptr<ScenarioWorld> world;
  RunState run;
  std::map<std::string, Track> track;
};

// The counterexample of the last failing run: rapidcheck's last failing run is its minimal one.
std::optional<Scenario> g_last_failure;

// ------------------------------------------------------------------------------------------
// Generators.

// Every non-engine fault site is generated (engine.* crash points have their own property).
rc::Gen<FaultRule> GenRule() {
  static const std::vector<std::string> all_sites = [] {
    std::vector<std::string> v;
    for (const auto& s : FaultPlan::KnownSites()) {
      if (s.rfind("engine.", 0) != 0) v.push_back(s);
    }
    return v;
  }();
  std::vector<std::string> sites;
  for (const auto& s : all_sites) {
    sites.push_back(s);
  }
  return rc::gen::apply(
      [](std::string site, int nth, int effect) {
        FaultRule r{.site = site};
        r.trigger = nth == 0 ? Trigger::Always() : Trigger::Nth(static_cast<uint64_t>(nth));
        if (effect == 1 && (site == "fs.write" || site == "runtime.checkpoint")) {
          r.effect = FaultEffect::kPartialWrite;
        } else if (effect == 1 && site == "cni.add") {
          r.effect = FaultEffect::kWrongIp;
        }
        return r;
      },
      rc::gen::elementOf(sites), rc::gen::inRange(0, 4), rc::gen::inRange(0, 2));
}

rc::Gen<std::vector<FaultRule>> GenFaults() {
  return rc::gen::weightedOneOf<std::vector<FaultRule>>(
      {{6, rc::gen::just(std::vector<FaultRule>{})},
       {3, rc::gen::container<std::vector<FaultRule>>(1, GenRule())},
       {1, rc::gen::container<std::vector<FaultRule>>(2, GenRule())}});
}

std::string PickName(const GenModel& m, bool defined_only) {
  if (defined_only && !m.defined.empty()) {
    return *rc::gen::elementOf(std::vector<std::string>(m.defined.begin(), m.defined.end()));
  }
  return *rc::gen::elementOf(kNames);
}

// ------------------------------------------------------------------------------------------
// Predictions and checks.

struct Pre {
  bool exists = false;
  Container rec;
  std::vector<std::string> files;
  bool inventory = false;
  std::map<std::string, std::string> held_ips;
  std::set<std::string> netns;
  std::vector<std::string> runtime_containers;
};

Pre Snapshot(Sut& sut, const std::string& name) {
  Pre p;
  FakeWorld& fw = *sut.world->fake();
  auto it = sut.run.ids.find(name);
  if (it != sut.run.ids.end()) {
    auto c = sut.world->engine().Inspect(it->second);
    if (c.ok()) {
      p.exists = true;
      p.rec = *c;
      p.files = fw.ContainerFiles(c->id);
      p.inventory = std::find(p.files.begin(), p.files.end(), "checkpoint/inventory.img") !=
                    p.files.end();
    }
  }
  p.held_ips = fw.network->HeldIps();
  p.netns = fw.network->LiveNetns();
  p.runtime_containers = fw.runtime->LiveContainers();
  return p;
}

std::optional<Operation> TableOp(const Step& st) {
  switch (st.op) {
    case StepOp::kCreate: return Operation::kCreate;
    case StepOp::kStart: return Operation::kStart;
    case StepOp::kStop: return Operation::kStop;
    case StepOp::kKill: return Operation::kKill;
    case StepOp::kPause: return Operation::kPause;
    case StepOp::kUnpause: return Operation::kUnpause;
    case StepOp::kCheckpoint: return Operation::kCheckpoint;
    case StepOp::kRestore: return Operation::kRestore;
    case StepOp::kRemove: return st.force ? Operation::kForceRemove : Operation::kRemove;
    case StepOp::kSync: return Operation::kSync;
    default: return std::nullopt;
  }
}

// The states a failed operation may leave behind (docs/state-machine.md, failure rules).
std::set<ContainerState> AllowedAfterFailure(StepOp op, ContainerState before) {
  using S = ContainerState;
  switch (op) {
    case StepOp::kCreate: return {before, S::kExited};
    case StepOp::kStart: return {before};
    case StepOp::kStop: return {before, S::kStopped, S::kExited};
    case StepOp::kKill: return {before, S::kStopped, S::kRunning, S::kPaused};
    case StepOp::kPause:
    case StepOp::kUnpause: return {before};
    case StepOp::kCheckpoint: return {S::kRunning, S::kExited};
    case StepOp::kRestore: return {before};
    case StepOp::kRemove: return {before, S::kExited};
    default: return {S::kConfigured, S::kCreated, S::kRunning, S::kPaused, S::kStopped,
                     S::kExited};
  }
}

// Runs `step` on one container (or several for checkpoint/restore), predicting its outcome from
// `pre`, and returns what went wrong ("" if nothing).
std::vector<std::string> RunAndCheck(Sut& sut, Step step) {
  FakeWorld& fw = *sut.world->fake();
  std::vector<std::string> problems;
  std::vector<std::string> targets = step.containers;
  if (!step.container.empty()) targets.push_back(step.container);
  std::map<std::string, Pre> pre;
  for (const auto& n : kNames) pre[n] = Snapshot(sut, n);

  const int index = static_cast<int>(sut.scenario.steps.size());
  StepOutcome out = ExecuteStep(*sut.world, sut.scenario, step, sut.run);
  Observe(*sut.world, sut.scenario, sut.run);
  const bool fired = out.faults_fired > 0;
  StepExpect& e = step.expect;
  const bool engine_op = TableOp(step).has_value() || step.op == StepOp::kDefine ||
                         step.op == StepOp::kRun;
  const bool single = step.containers.empty();
  const std::string& name = step.container;

  // --- Predict the step's outcome (invariants 1, 3, 6).
  if (engine_op && single) {
    const Pre& p = pre[name];
    Track& t = sut.track[name];
    const bool define = step.op == StepOp::kDefine || step.op == StepOp::kRun;
    std::optional<Code> refusal;
    if (define) {
      if (p.exists) refusal = Code::kAlreadyExists;
    } else if (!p.exists) {
      refusal = Code::kNotFound;
    } else if (!LookupTransition(p.rec.state, *TableOp(step)).allowed) {
      refusal = Code::kFailedPrecondition;
    } else if (step.op == StepOp::kRestore && !p.inventory) {
      refusal = Code::kFailedPrecondition;
    }
    if (refusal) {
      if (!fired) e.error = *refusal;
      // Refused: nothing changed, with or without faults.
      if (p.exists) {
        e.container.state = std::string(StateName(p.rec.state));
        e.container.files_exactly = p.files;
        e.container.ip = IpExpect{.ip = p.rec.Ip()};
        Pre now = Snapshot(sut, name);
        if (now.rec.ToJson() != p.rec.ToJson()) problems.push_back("a refused operation "
                                                                   "rewrote the record");
        if (now.held_ips != p.held_ips || now.netns != p.netns ||
            now.runtime_containers != p.runtime_containers) {
          problems.push_back("a refused operation changed the network or the runtime");
        }
      }
    } else if (!fired && !t.tainted) {
      const ContainerSpec* spec = sut.scenario.FindContainer(name);
      auto static_holder = p.held_ips.find(spec->static_ip);
      const bool static_taken = !spec->static_ip.empty() && static_holder != p.held_ips.end() &&
                                static_holder->second != p.rec.id;
      if ((step.op == StepOp::kCreate || step.op == StepOp::kRun) && static_taken) {
        e.error = Code::kAlreadyExists;  // the requested address is someone else's
      } else if (step.op == StepOp::kRestore && t.image_corrupt) {
        e.error = Code::kDataLoss;
        e.container.state = std::string(StateName(p.rec.state));
      } else {
        e.ok = true;
        std::optional<ContainerState> to;
        if (define) {
          to = step.op == StepOp::kDefine ? ContainerState::kConfigured : ContainerState::kRunning;
        } else {
          to = LookupTransition(p.rec.state, *TableOp(step)).to;
          if (step.op == StepOp::kKill) {
            to = step.signal == 9 || step.signal == 15 ? ContainerState::kStopped : p.rec.state;
          }
          if (step.op == StepOp::kSync) to = p.rec.state;
        }
        if (step.op == StepOp::kRemove) {
          e.container.removed = true;
        } else if (to) {
          e.container.state = std::string(StateName(*to));
        }
        // Invariant 3: IP preservation.
        if (step.op == StepOp::kRestore && !t.saved_ip.empty()) {
          auto holder = p.held_ips.find(t.saved_ip);
          const bool taken = holder != p.held_ips.end() && holder->second != p.rec.id;
          if (t.status_intact && !taken) {
            e.container.ip = IpExpect{.ip = t.saved_ip};
            e.no_warnings = true;
          } else {
            e.container.ip = IpExpect{.kind = IpExpect::Kind::kNot, .ip = t.saved_ip};
            e.warning = "new IP";
          }
        }
        if (step.op == StepOp::kRestore && step.keep) {
          e.container.files_present = {"checkpoint/inventory.img"};
          if (std::count(p.files.begin(), p.files.end(), "network.status")) {
            e.container.files_present.push_back("network.status");
          }
        }
        if (step.op == StepOp::kRestore && !step.keep) {
          e.container.files_absent = {"checkpoint/inventory.img", "network.status"};
        }
      }
    }
    // States a failure may leave (not expressible in the format: checked here).
    if (!out.status.ok() && fired && !refusal && p.exists) {
      auto now = sut.world->engine().Inspect(name);
      if (now.ok()) {
        auto allowed = AllowedAfterFailure(step.op, p.rec.state);
        if (!allowed.count(now->state)) {
          problems.push_back("after a failed " + std::string(StepOpName(step.op)) + " from " +
                             std::string(StateName(p.rec.state)) + " the container is " +
                             std::string(StateName(now->state)));
        }
      } else if (step.op != StepOp::kRemove) {
        problems.push_back("a failed " + std::string(StepOpName(step.op)) +
                           " lost the record: " + now.status().ToString());
      }
    }
  } else if (engine_op && !fired) {
    // Several containers: each one's own prediction is what the single case says; here only
    // the overall outcome: ok unless some container was refused or tainted.
    bool any_refusal = false, any_tainted = false;
    for (const auto& n : targets) {
      const Pre& p = pre[n];
      any_tainted = any_tainted || sut.track[n].tainted || sut.track[n].image_corrupt;
      any_refusal = any_refusal || !p.exists ||
                    !LookupTransition(p.rec.state, *TableOp(step)).allowed ||
                    (step.op == StepOp::kRestore && !p.inventory);
    }
    if (!any_refusal && !any_tainted) e.ok = true;
  }
  if (step.op == StepOp::kCrashThenSync && pre[name].exists) {
    // Whatever the crash interrupted, a fresh engine's sync (no faults) must succeed and leave
    // the container consistent and recoverable.
    e.ok = true;
    e.crashed = out.crashed;
  }

  // --- Update the oracle from what happened.
  for (const auto& n : targets) {
    Track& t = sut.track[n];
    const Pre& p = pre[n];
    auto now = sut.world->engine().Inspect(n);
    const bool ok = out.per_container.count(n) ? out.per_container.at(n).ok() : out.status.ok();
    switch (step.op) {
      case StepOp::kCheckpoint:
        if (p.exists && p.rec.state == ContainerState::kRunning) {
          t.must_have_checkpoint = false;
          t.saved_ip.clear();
          t.status_intact = false;
          t.image_corrupt = false;
        }
        if (ok && p.exists && p.rec.state == ContainerState::kRunning) {
          t.must_have_checkpoint = true;
          t.saved_ip = p.rec.Ip();
          t.status_intact = true;
        } else if (now.ok() && now->state == ContainerState::kExited && now->checkpointed) {
          t.must_have_checkpoint = true;  // a complete checkpoint of a failed call: keep it
        }
        break;
      case StepOp::kRestore:
        if (ok) t = Track{};
        break;
      case StepOp::kCrashThenSync:
        if (now.ok() && now->state == ContainerState::kExited && now->checkpointed) {
          t.must_have_checkpoint = true;
          if (step.operation == StepOp::kCheckpoint) {
            t.saved_ip.clear();  // network.status may or may not have been written
            t.status_intact = false;
          }
        }
        if (now.ok() && now->state == ContainerState::kRunning &&
            step.operation == StepOp::kRestore && p.exists &&
            p.rec.state != ContainerState::kRunning) {
          t = Track{};  // the interrupted restore was adopted
        }
        if (step.operation == StepOp::kCheckpoint && p.exists &&
            p.rec.state == ContainerState::kRunning && !(now.ok() && now->checkpointed)) {
          t.must_have_checkpoint = false;  // the dump never completed; it may be gone
        }
        if (ok) t.tainted = false;
        break;
      case StepOp::kRemove:
        if (ok) t = Track{};
        break;
      case StepOp::kSync:
        if (ok) t.tainted = false;
        break;
      case StepOp::kExitProcess:
        if (out.status.ok()) t.tainted = true;
        break;
      case StepOp::kCorruptImage:
        if (out.status.ok()) t.image_corrupt = true;
        break;
      case StepOp::kRemoveFile:
      case StepOp::kWriteFile:
        if (step.file == "network.status") t.status_intact = false;
        break;
      default:
        break;
    }
    if (engine_op && !ok && fired) t.tainted = true;
    if (!now.ok()) t.tainted = false;  // nothing left to be out of step
  }

  // --- After every command, for every container (invariants 2, 4, 5).
  for (const auto& n : kNames) {
    const Track& t = sut.track[n];
    if (!sut.run.ids.count(n)) continue;
    ContainerExpect& ce = step.expect_containers[n];
    ce.record_consistent = true;
    if (!t.tainted) ce.no_leaks = true;
    if (t.must_have_checkpoint) ce.files_present.push_back("checkpoint/inventory.img");
  }

  // The runner checks the expectations exactly as `crh replay` will.
  auto fails = CheckStep(*sut.world, sut.scenario, index, step, out, sut.run);
  problems.insert(problems.end(), fails.begin(), fails.end());
  if (!problems.empty()) {
    std::ostringstream got;
    got << "the step returned " << (out.status.ok() ? "ok" : out.status.ToString()) << " ("
        << out.faults_fired << " fault(s) fired)";
    problems.push_back(got.str());
  }
  sut.scenario.steps.push_back(std::move(step));
  (void)fw;
  return problems;
}

void RunStepOrFail(Sut& sut, Step step) {
  const std::string what = std::string(StepOpName(step.op)) + " " + step.container;
  auto problems = RunAndCheck(sut, std::move(step));
  if (!problems.empty()) {
    g_last_failure = sut.scenario;
    std::string msg = "step " + std::to_string(sut.scenario.steps.size() - 1) + " (" + what +
                      "):";
    for (const auto& p : problems) msg += "\n  " + p;
    RC_FAIL(msg);
  }
}

// ------------------------------------------------------------------------------------------
// Commands. Each builds one Step in its constructor (generation) and runs it in run().

struct StepCommand : rc::state::Command<GenModel, Sut> {
  Step step;

  void checkPreconditions(const GenModel& m) const override {
    if (step.op == StepOp::kDefine || step.op == StepOp::kRun) return;
    for (const auto& n : step.containers) RC_PRE(m.defined.count(n) > 0);
    if (!step.container.empty()) RC_PRE(m.defined.count(step.container) > 0);
  }
  void apply(GenModel& m) const override {
    if (step.op == StepOp::kDefine || step.op == StepOp::kRun) m.defined.insert(step.container);
    if (step.op == StepOp::kRemove) m.defined.erase(step.container);
  }
  void run(const GenModel&, Sut& sut) const override { RunStepOrFail(sut, step); }
  void show(std::ostream& os) const override {
    os << StepOpName(step.op);
    if (!step.container.empty()) os << " " << step.container;
    for (const auto& c : step.containers) os << " " << c;
    if (step.keep) os << " keep";
    if (step.force) os << " force";
    if (step.op == StepOp::kKill) os << " signal=" << step.signal;
    if (step.op == StepOp::kCrashThenSync) os << " at " << step.crash_at;
    FaultPlan p;
    for (const auto& r : step.faults) p.Add(r);
    if (!step.faults.empty()) os << " faults: " << p.Describe();
  }
};

struct DefineCmd : StepCommand {
  explicit DefineCmd(const GenModel& m) {
    step.op = *rc::gen::element(StepOp::kDefine, StepOp::kRun);
    step.container = PickName(m, false);
    step.faults = *GenFaults();
  }
};

struct LifecycleCmd : StepCommand {
  explicit LifecycleCmd(const GenModel& m) {
    RC_PRE(!m.defined.empty());
    step.op = *rc::gen::element(StepOp::kCreate, StepOp::kStart, StepOp::kStop, StepOp::kKill,
                                StepOp::kPause, StepOp::kUnpause, StepOp::kRemove,
                                StepOp::kSync);
    step.container = PickName(m, true);
    if (step.op == StepOp::kKill) step.signal = *rc::gen::element(9, 15, 10);
    if (step.op == StepOp::kRemove) step.force = *rc::gen::arbitrary<bool>();
    if (step.op == StepOp::kStop) step.timeout_ms = *rc::gen::element(0, 1000);
    step.faults = *GenFaults();
  }
};

struct CheckpointRestoreCmd : StepCommand {
  explicit CheckpointRestoreCmd(const GenModel& m) {
    RC_PRE(!m.defined.empty());
    step.op = *rc::gen::element(StepOp::kCheckpoint, StepOp::kRestore);
    step.keep = *rc::gen::arbitrary<bool>();
    step.tcp_established = *rc::gen::weightedElement<bool>({{4, false}, {1, true}});
    const bool several = m.defined.size() > 1 && *rc::gen::weightedElement<bool>({{3, false},
                                                                                  {1, true}});
    if (several) {
      step.containers.assign(m.defined.begin(), m.defined.end());
    } else {
      step.container = PickName(m, true);
    }
    step.faults = *GenFaults();
  }
};

struct EnvCmd : StepCommand {
  explicit EnvCmd(const GenModel& m) {
    RC_PRE(!m.defined.empty());
    step.op = *rc::gen::element(StepOp::kTick, StepOp::kExitProcess, StepOp::kCorruptImage,
                                StepOp::kRemoveFile, StepOp::kReserveIp);
    step.container = PickName(m, true);
    if (step.op == StepOp::kTick) step.n = *rc::gen::inRange<uint64_t>(1, 5);
    if (step.op == StepOp::kRemoveFile) step.file = "network.status";
  }
  void run(const GenModel& m, Sut& sut) const override {
    Step s = step;
    if (s.op == StepOp::kReserveIp) {
      // Take the address a checkpointed container hopes to get back, if it is free.
      const std::string& ip = sut.track[s.container].saved_ip;
      auto held = sut.world->fake()->network->HeldIps();
      if (ip.empty() || held.count(ip)) {
        s.op = StepOp::kTick;  // nothing to take: a harmless step instead
      } else {
        s.ip = ip;
        s.container.clear();
      }
    }
    if (s.op == StepOp::kExitProcess) {
      auto it = sut.run.ids.find(s.container);
      auto st = it == sut.run.ids.end() ? std::nullopt
                                         : sut.world->fake()->runtime->StatusOf(it->second);
      if (!st || *st != RuntimeStatus::kRunning) s.op = StepOp::kTick;
    }
    (void)m;
    RunStepOrFail(sut, s);
  }
};

struct CrashCmd : StepCommand {
  explicit CrashCmd(const GenModel& m) {
    RC_PRE(!m.defined.empty());
    step.op = StepOp::kCrashThenSync;
    step.container = PickName(m, true);
    step.crash_at = *rc::gen::element<std::string>(
        "engine.checkpoint.before_dump", "engine.checkpoint.after_dump",
        "engine.checkpoint.after_status_write", "engine.checkpoint.after_teardown",
        "engine.restore.before_network", "engine.restore.after_network",
        "engine.restore.after_runtime_restore", "engine.restore.before_cleanup");
    step.operation = step.crash_at.rfind("engine.checkpoint", 0) == 0 ? StepOp::kCheckpoint
                                                                      : StepOp::kRestore;
    step.keep = *rc::gen::arbitrary<bool>();
  }
};

// Every case ends here: remove everything (no faults); nothing may remain.
void RemoveEverything(Sut& sut) {
  for (const auto& n : kNames) {
    if (!sut.run.ids.count(n)) continue;
    if (!sut.world->engine().Inspect(sut.run.ids[n]).ok()) continue;
    Step s{.op = StepOp::kRemove, .container = n, .force = true};
    s.comment = "cleanup: every container must be removable, leaving nothing behind";
    s.expect.ok = true;
    s.expect.container.removed = true;
    RunStepOrFail(sut, s);
  }
  Step last{.op = StepOp::kSyncAll};
  last.comment = "cleanup: nothing of any container remains in any fake";
  last.expect.ok = true;
  last.expect.container.no_leaks = true;
  RunStepOrFail(sut, last);
}

void EngineProperty(bool with_crashes) {
  const uint64_t seed = *rc::gen::inRange<uint64_t>(1, 1'000'000);
  Sut sut(seed);
  g_last_failure.reset();
  if (with_crashes) {
    rc::state::check(GenModel{}, sut,
                     rc::state::gen::execOneOfWithArgs<DefineCmd, LifecycleCmd, LifecycleCmd,
                                                       CheckpointRestoreCmd, CheckpointRestoreCmd,
                                                       EnvCmd, CrashCmd, CrashCmd>());
  } else {
    rc::state::check(GenModel{}, sut,
                     rc::state::gen::execOneOfWithArgs<DefineCmd, LifecycleCmd, LifecycleCmd,
                                                       CheckpointRestoreCmd, CheckpointRestoreCmd,
                                                       EnvCmd>());
  }
  RemoveEverything(sut);
}

TEST(EnginePropertyTest, OperationsAndFaultsKeepEveryInvariant) {
  CheckProperty(kTarget, [] { EngineProperty(/*with_crashes=*/false); },
                [] { return g_last_failure; });
}

TEST(EnginePropertyTest, CrashAtAnyStepThenSyncOnAFreshEngineRecovers) {
  CheckProperty(kTarget, [] { EngineProperty(/*with_crashes=*/true); },
                [] { return g_last_failure; });
}

// Determinism (STYLE 7): the same commands on the same seed give the same trace and the same
// final ground truth.
TEST(EnginePropertyTest, SameSeedSameRun) {
  CheckProperty(kTarget, [] {
    const uint64_t seed = *rc::gen::inRange<uint64_t>(1, 1'000'000);
    Sut first(seed);
    g_last_failure.reset();
    rc::state::check(GenModel{}, first,
                     rc::state::gen::execOneOfWithArgs<DefineCmd, LifecycleCmd,
                                                       CheckpointRestoreCmd, EnvCmd, CrashCmd>());
    // Replay the recorded steps on a second world and compare fingerprints.
    Sut second(seed);
    RunState run;
    for (const auto& st : first.scenario.steps) {
      ExecuteStep(*second.world, second.scenario, st, run);
      Observe(*second.world, second.scenario, run);
    }
    auto fingerprint = [](Sut& s) {
      FakeWorld& w = *s.world->fake();
      std::ostringstream os;
      for (const auto& f : w.fs->AllFiles()) os << f << "=" << w.fs->Peek(f)->size() << ";";
      for (const auto& [ip, who] : w.network->HeldIps()) os << ip << ">" << who << ";";
      for (const auto& c : w.runtime->LiveContainers()) os << c << ";";
      return os.str();
    };
    RC_ASSERT(fingerprint(first) == fingerprint(second));
  }, [] { return g_last_failure; });
}

}  // namespace
}  // namespace crh
