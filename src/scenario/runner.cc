#include "src/scenario/runner.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <set>
#include <sstream>

#include "src/fs/filesystem.h"

namespace crh {

namespace {

class FakeScenarioWorld : public ScenarioWorld {
 public:
  explicit FakeScenarioWorld(const Scenario& s) : world_(s.seed, BasePlan(s)) {}

  std::string Backend() const override { return "fake"; }
  Engine& engine() override { return *world_.engine; }
  Status Restart() override {
    world_.engine = world_.FreshEngine();
    return Status::Ok();
  }
  Result<std::unique_ptr<Engine>> Fresh() override { return world_.FreshEngine(); }
  Result<std::string> Bundle(const ContainerSpec& spec) override {
    return world_.MakeBundle(spec.name, spec.command);
  }
  std::vector<std::string> Files(const std::string& id) override {
    return world_.ContainerFiles(id);
  }
  FakeWorld* fake() override { return &world_; }

 private:
  static FaultPlan BasePlan(const Scenario& s) {
    FaultPlan p(s.fault_seed);
    for (const auto& r : s.fault_rules) p.Add(r);
    return p;
  }
  FakeWorld world_;
};

long TotalFired(const FaultPlan& p) {
  long n = 0;
  for (const auto& site : FaultPlan::KnownSites()) n += p.Fired(site);
  return n;
}

// For an operation with its own `rules`: sets the scenario-wide plan aside for the lifetime of
// the object and installs `rules` alone. With no rules the scenario-wide plan stays active
// (unless `suspend`, as for helpers and checks, which run with no rule at all).
class PlanSwap {
 public:
  PlanSwap(FakeWorld* w, const std::vector<FaultRule>& rules, bool suspend = false)
      : w_(w), swapped_(w && (suspend || !rules.empty())) {
    if (!w_) return;
    if (!swapped_) {
      fired_before_ = TotalFired(*w_->plan);
      return;
    }
    saved_ = *w_->plan;
    FaultPlan step(saved_.seed());
    for (const auto& r : rules) step.Add(r);
    *w_->plan = step;
  }
  ~PlanSwap() {
    if (swapped_) *w_->plan = saved_;
  }
  // Rules that fired since the object was made.
  long Fired() const { return w_ ? TotalFired(*w_->plan) - fired_before_ : 0; }

 private:
  FakeWorld* w_;
  bool swapped_;
  long fired_before_ = 0;
  FaultPlan saved_;
};

// 10.88.0.2 .. 10.88.0.254: what FakeNetwork::Reserve accepts without aborting.
bool InFakeRange(const std::string& ip) {
  const std::string prefix = "10.88.0.";
  if (ip.rfind(prefix, 0) != 0) return false;
  const std::string last = ip.substr(prefix.size());
  if (last.empty() || last.size() > 3 ||
      !std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  const int v = std::stoi(last);
  return v >= 2 && v <= 254;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Runs the engine operation of `op` on one container.
Status RunOp(Engine& e, StepOp op, const Step& step, const std::string& name,
             std::optional<Container>& returned) {
  auto take = [&](Result<Container> r) {
    if (r.ok()) returned = *r;
    return r.status();
  };
  switch (op) {
    case StepOp::kCreate: return take(e.Create(name));
    case StepOp::kStart: return take(e.Start(name));
    case StepOp::kStop: return take(e.Stop(name, step.timeout_ms));
    case StepOp::kKill: return take(e.Kill(name, step.signal));
    case StepOp::kPause: return take(e.Pause(name));
    case StepOp::kUnpause: return take(e.Unpause(name));
    case StepOp::kCheckpoint:
      return take(e.Checkpoint(name, {.keep = step.keep,
                                      .tcp_established = step.tcp_established,
                                      .file_locks = step.file_locks}));
    case StepOp::kRestore:
      return take(e.Restore(name, {.keep = step.keep,
                                   .tcp_established = step.tcp_established,
                                   .file_locks = step.file_locks}));
    case StepOp::kRemove: return e.Remove(name, step.force);
    case StepOp::kSync: return take(e.Sync(name));
    case StepOp::kInspect: return take(e.Inspect(name));
    default: return Internal("not an engine operation: " + std::string(StepOpName(op)));
  }
}

}  // namespace

std::unique_ptr<ScenarioWorld> MakeFakeScenarioWorld(const Scenario& s) {
  return std::make_unique<FakeScenarioWorld>(s);
}

std::string_view OutcomeName(ScenarioResult::Outcome o) {
  switch (o) {
    case ScenarioResult::Outcome::kPass: return "pass";
    case ScenarioResult::Outcome::kFail: return "FAIL";
    case ScenarioResult::Outcome::kCrashed: return "CRASHED";
    case ScenarioResult::Outcome::kMalformed: return "MALFORMED";
    case ScenarioResult::Outcome::kSkipped: return "skipped";
  }
  return "?";
}

std::string NeedsFakeBackend(const Scenario& s) {
  if (!s.fault_rules.empty()) return "the scenario has a fault plan";
  for (size_t i = 0; i < s.steps.size(); ++i) {
    const Step& st = s.steps[i];
    if (IsFakeOnly(st.op)) return "step " + std::to_string(i) + " uses " +
                                  std::string(StepOpName(st.op));
    if (!st.faults.empty()) return "step " + std::to_string(i) + " injects faults";
  }
  return "";
}

StepOutcome ExecuteStep(ScenarioWorld& w, const Scenario& s, const Step& step, RunState& run) {
  StepOutcome out;
  FakeWorld* fw = w.fake();
  if (IsFakeOnly(step.op) && !fw) {
    out.status = FailedPrecondition(std::string(StepOpName(step.op)) +
                                    " needs the fake backend");
    return out;
  }
  if (step.fresh_engine) {
    out.status = w.Restart();
    if (!out.status.ok()) return out;
  }
  auto id_of = [&](const std::string& name) -> std::string {
    auto it = run.ids.find(name);
    if (it != run.ids.end()) return it->second;
    auto c = w.engine().Inspect(name);
    return c.ok() ? c->id : "";
  };
  const std::string& name = step.container;
  switch (step.op) {
    case StepOp::kDefine:
    case StepOp::kRun: {
      const ContainerSpec* spec = s.FindContainer(name);
      auto bundle = w.Bundle(*spec);
      if (!bundle.ok()) {
        out.status = bundle.status();
        break;
      }
      DefineSpec d{.name = spec->name, .id = spec->id, .bundle = *bundle,
                   .static_ip = spec->static_ip};
      PlanSwap swap(fw, step.faults);
      auto r = step.op == StepOp::kDefine ? w.engine().Define(d) : w.engine().Run(d);
      out.faults_fired = swap.Fired();
      out.status = r.status();
      if (r.ok()) out.returned = *r;
      out.warnings = w.engine().warnings();
      break;
    }
    case StepOp::kCheckpoint:
    case StepOp::kRestore:
      if (!step.containers.empty()) {
        PlanSwap swap(fw, step.faults);
        auto results = step.op == StepOp::kCheckpoint
                           ? w.engine().CheckpointAll(step.containers,
                                                      {.keep = step.keep,
                                                       .tcp_established = step.tcp_established,
                                                       .file_locks = step.file_locks})
                           : w.engine().RestoreAll(step.containers,
                                                   {.keep = step.keep,
                                                    .tcp_established = step.tcp_established,
                                                    .file_locks = step.file_locks});
        out.faults_fired = swap.Fired();
        for (const auto& r : results) {
          if (!r.result.ok() && out.status.ok()) out.status = r.result.status();
          out.per_container[r.name] = r.result.status();
        }
        out.warnings = w.engine().warnings();
        break;
      }
      [[fallthrough]];
    case StepOp::kCreate:
    case StepOp::kStart:
    case StepOp::kStop:
    case StepOp::kKill:
    case StepOp::kPause:
    case StepOp::kUnpause:
    case StepOp::kRemove:
    case StepOp::kSync:
    case StepOp::kInspect: {
      PlanSwap swap(fw, step.faults);
      out.status = RunOp(w.engine(), step.op, step, name, out.returned);
      out.faults_fired = swap.Fired();
      out.warnings = w.engine().warnings();
      break;
    }
    case StepOp::kSyncAll: {
      PlanSwap swap(fw, step.faults);
      for (const auto& r : w.engine().SyncAll()) {
        if (!r.result.ok() && out.status.ok()) out.status = r.result.status();
      }
      out.faults_fired = swap.Fired();
      break;
    }
    case StepOp::kCrashThenSync: {
      {
        std::vector<FaultRule> rules = step.faults;
        rules.push_back({.site = step.crash_at, .trigger = Trigger::Nth(1),
                         .effect = FaultEffect::kCrash});
        PlanSwap swap(fw, rules);
        std::optional<Container> ignored;
        Status s1 = RunOp(w.engine(), step.operation, step, name, ignored);
        out.crashed = s1.injected() && s1.injected_site() == step.crash_at;
        out.faults_fired = swap.Fired();
      }
      // Whatever happened, a new process takes over and reconciles.
      out.status = w.Restart();
      if (!out.status.ok()) break;
      PlanSwap none(fw, {}, /*suspend=*/true);
      out.status = RunOp(w.engine(), StepOp::kSync, step, name, out.returned);
      out.warnings = w.engine().warnings();
      break;
    }
    case StepOp::kTick:
    case StepOp::kExitProcess:
    case StepOp::kCorruptImage:
    case StepOp::kRemoveFile:
    case StepOp::kWriteFile: {
      PlanSwap none(fw, {}, /*suspend=*/true);
      const std::string id = id_of(name);
      if (id.empty()) {
        out.status = NotFound("container " + name + " is not defined");
        break;
      }
      const std::string dir = w.engine().ContainerDir(id);
      if (step.op == StepOp::kTick) {
        fw->runtime->Tick(id, step.n);
      } else if (step.op == StepOp::kExitProcess) {
        fw->runtime->ExitProcess(id, step.exit_code);
      } else if (step.op == StepOp::kCorruptImage) {
        const std::string path =
            JoinPath(dir, step.file.empty() ? "checkpoint/pages-1.img" : step.file);
        auto data = fw->fs->Peek(path);
        if (!data) {
          out.status = NotFound(path + " does not exist");
        } else if (step.how == "truncate") {
          fw->fs->Truncate(path, data->size() / 2);
        } else if (step.how == "garbage") {
          fw->fs->SetFile(path, std::string(data->size(), 'x'));
        } else {
          out.status = fw->fs->Remove(path);
        }
      } else if (step.op == StepOp::kRemoveFile) {
        const std::string path = JoinPath(dir, step.file);
        out.status = fw->fs->IsDirectory(path) ? fw->fs->RemoveAll(path) : fw->fs->Remove(path);
      } else {
        fw->fs->SetFile(JoinPath(dir, step.file), step.content);
      }
      break;
    }
    case StepOp::kReserveIp: {
      if (!InFakeRange(step.ip)) {
        out.status = InvalidArgument(step.ip + " is not in the fake network's 10.88.0.2-254");
        break;
      }
      auto held = fw->network->HeldIps();
      auto it = held.find(step.ip);
      if (it != held.end() && it->second != step.owner) {
        out.status = FailedPrecondition(step.ip + " is held by " + it->second);
        break;
      }
      fw->network->Reserve(step.ip, step.owner);
      break;
    }
    case StepOp::kAddFault:
      fw->plan->Add(*step.rule);
      break;
    case StepOp::kClearFaults:
      *fw->plan = FaultPlan(fw->plan->seed());
      break;
  }
  // Learn the IDs of containers this step defined (a name removed and defined again gets a new
  // one); a removed container keeps its last ID, so its leaks can still be looked up.
  if (step.op == StepOp::kDefine || step.op == StepOp::kRun || !run.ids.count(name)) {
    PlanSwap none(fw, {}, /*suspend=*/true);
    for (const auto& spec : s.containers) {
      auto c = w.engine().Inspect(spec.name);
      if (c.ok() && c->name == spec.name) run.ids[spec.name] = c->id;
    }
  }
  return out;
}

void Observe(ScenarioWorld& w, const Scenario& s, RunState& run) {
  PlanSwap none(w.fake(), {}, /*suspend=*/true);
  StepObservation o;
  for (const auto& spec : s.containers) {
    auto it = run.ids.find(spec.name);
    if (it == run.ids.end()) {
      o.ip_after[spec.name] = "";
      continue;
    }
    auto c = w.engine().Inspect(it->second);
    o.ip_after[spec.name] = c.ok() ? c->Ip() : "";
  }
  run.history.push_back(std::move(o));
}

std::vector<std::string> FakeLeaks(FakeWorld& w, Engine& engine, const std::string& id) {
  auto rec = engine.Inspect(id);
  if (!rec.ok()) return w.LeaksOf(id);
  std::vector<std::string> leaks;
  const Container& c = *rec;
  const std::string ns = "/run/netns/" + engine.NetnsName(id);
  const auto ip = w.network->IpOf(id);
  const bool live_ns = w.network->LiveNetns().count(ns) > 0;
  const auto rt = w.runtime->StatusOf(id);
  switch (c.state) {
    case ContainerState::kConfigured:
    case ContainerState::kExited:
      if (ip) leaks.push_back("holds IP " + *ip + " while " + std::string(StateName(c.state)));
      if (w.network->Attached(id)) leaks.push_back("still attached to the network");
      if (live_ns) leaks.push_back("netns " + ns + " alive while " +
                                   std::string(StateName(c.state)));
      if (rt) leaks.push_back("the runtime still knows it while " +
                              std::string(StateName(c.state)));
      break;
    default:
      if (!ip) {
        leaks.push_back("holds no IP while " + std::string(StateName(c.state)));
      } else if (*ip != c.Ip()) {
        leaks.push_back("holds IP " + *ip + " but the record says " +
                        (c.Ip().empty() ? "none" : c.Ip()));
      }
      if (!live_ns) leaks.push_back("no netns while " + std::string(StateName(c.state)));
      break;
  }
  return leaks;
}

std::vector<std::string> RecordDisagreements(ScenarioWorld& w, const std::string& id,
                                             const std::optional<Container>& returned) {
  PlanSwap none(w.fake(), {}, /*suspend=*/true);
  std::vector<std::string> out;
  auto view = w.engine().Inspect(id);
  auto fresh = w.Fresh();
  if (!fresh.ok()) return {"cannot make a fresh engine: " + fresh.status().ToString()};
  auto fresh_view = (*fresh)->Inspect(id);
  if (view.ok() != fresh_view.ok()) {
    out.push_back("the engine and a fresh engine disagree on whether " + id + " exists");
    return out;
  }
  if (!view.ok()) return out;
  const std::string a = view->ToJson();
  if (fresh_view->ToJson() != a) {
    out.push_back("a fresh engine sees another record:\n  engine: " + a + "\n  fresh:  " +
                  fresh_view->ToJson());
  }
  if (FakeWorld* fw = w.fake()) {
    auto disk = fw->fs->Peek(w.engine().ContainerDir(id) + "/container.json");
    if (!disk) {
      out.push_back("no container.json on disk");
    } else {
      auto parsed = Container::FromJson(*disk, "container.json");
      if (!parsed.ok()) {
        out.push_back("container.json does not parse: " + parsed.status().ToString());
      } else if (parsed->ToJson() != a) {
        out.push_back("container.json differs from the engine's view");
      }
    }
  }
  if (returned && returned->id == id && returned->ToJson() != a) {
    out.push_back("the operation returned a record that was not persisted:\n  returned: " +
                  returned->ToJson() + "\n  on disk:  " + a);
  }
  return out;
}

namespace {

void CheckContainer(ScenarioWorld& w, const Scenario& s, const RunState& run,
                    const std::string& name, const ContainerExpect& e,
                    const std::optional<Container>& returned, std::vector<std::string>& out) {
  PlanSwap none(w.fake(), {}, /*suspend=*/true);
  auto fail = [&](const std::string& m) { out.push_back("container " + name + ": " + m); };
  auto idit = run.ids.find(name);
  const std::string id = idit == run.ids.end() ? "" : idit->second;
  auto rec = id.empty() ? Result<Container>(NotFound("never defined")) : w.engine().Inspect(id);
  if (e.removed) {
    if (*e.removed && rec.ok()) fail("expected removed, but it is " +
                                     std::string(StateName(rec->state)));
    if (!*e.removed && !rec.ok()) fail("expected to exist: " + rec.status().ToString());
  }
  const bool needs_record = e.state || e.checkpointed || e.ip;
  if (needs_record && !rec.ok()) {
    fail("expected a record, got " + rec.status().ToString());
    return;
  }
  if (e.state && std::string(StateName(rec->state)) != *e.state) {
    fail("expected state " + *e.state + ", got " + std::string(StateName(rec->state)));
  }
  if (e.checkpointed && rec->checkpointed != *e.checkpointed) {
    fail(std::string("expected checkpointed=") + (*e.checkpointed ? "true" : "false"));
  }
  if (e.ip) {
    const std::string ip = rec->Ip();
    auto earlier = [&](int k) -> std::string {
      if (k < 0 || k >= static_cast<int>(run.history.size())) return "";
      auto it = run.history[k].ip_after.find(name);
      return it == run.history[k].ip_after.end() ? "" : it->second;
    };
    const auto show = [](const std::string& v) { return v.empty() ? std::string("none") : v; };
    switch (e.ip->kind) {
      case IpExpect::Kind::kEquals:
        if (ip != e.ip->ip) fail("expected IP " + show(e.ip->ip) + ", got " + show(ip));
        break;
      case IpExpect::Kind::kNot:
        if (ip == e.ip->ip) fail("expected an IP other than " + show(e.ip->ip));
        break;
      case IpExpect::Kind::kSameAsStep: {
        const std::string then = earlier(e.ip->step);
        if (then.empty()) fail("step " + std::to_string(e.ip->step) + " left it without an IP");
        if (ip != then) {
          fail("expected the IP it had after step " + std::to_string(e.ip->step) + " (" +
               show(then) + "), got " + show(ip));
        }
        break;
      }
      case IpExpect::Kind::kDiffersFromStep: {
        const std::string then = earlier(e.ip->step);
        if (ip.empty() || ip == then) {
          fail("expected a new IP, different from step " + std::to_string(e.ip->step) + "'s " +
               show(then) + ", got " + show(ip));
        }
        break;
      }
    }
  }
  if (!e.files_present.empty() || !e.files_absent.empty() || e.files_exactly) {
    const auto files = id.empty() ? std::vector<std::string>{} : w.Files(id);
    auto has = [&](const std::string& f) {
      return std::find(files.begin(), files.end(), f) != files.end();
    };
    for (const auto& f : e.files_present) {
      if (!has(f)) fail("expected file " + f + "; the directory holds: " + Join(files));
    }
    for (const auto& f : e.files_absent) {
      if (has(f)) fail("expected no file " + f);
    }
    if (e.files_exactly) {
      auto want = *e.files_exactly;
      auto got = files;
      if (w.Backend() == "real") {
        // CRIU writes its own set of images (core-N, pages-N, mountpoints-N...) and the real
        // runtime keeps the container's output in ctr.log: compare what the engine documents,
        // the top-level files and the two image files every runtime writes.
        auto documented = [](std::vector<std::string> v) {
          std::vector<std::string> out;
          for (const auto& f : v) {
            const bool in_images = f.rfind("checkpoint/", 0) == 0;
            if ((!in_images && f != "ctr.log") || f == "checkpoint/inventory.img" ||
                f == "checkpoint/descriptors.json") {
              out.push_back(f);
            }
          }
          return out;
        };
        want = documented(want);
        got = documented(got);
      }
      std::sort(want.begin(), want.end());
      std::sort(got.begin(), got.end());
      if (want != got) fail("expected exactly [" + Join(want) + "], got [" + Join(got) + "]");
    }
  }
  if (e.no_leaks && !id.empty()) {
    if (FakeWorld* fw = w.fake()) {
      for (const auto& l : FakeLeaks(*fw, w.engine(), id)) fail("leak: " + l);
    } else if (rec.ok() && (rec->state == ContainerState::kExited ||
                            rec->state == ContainerState::kConfigured) &&
               (rec->has_network_status || !rec->netns_path.empty())) {
      fail("the record still holds network resources while " +
           std::string(StateName(rec->state)));
    }
  }
  if (e.record_consistent && !id.empty()) {
    for (const auto& d : RecordDisagreements(w, id, returned)) fail(d);
  }
  (void)s;
}

}  // namespace

std::vector<std::string> CheckStep(ScenarioWorld& w, const Scenario& s, int index,
                                   const Step& step, const StepOutcome& out,
                                   const RunState& run) {
  std::vector<std::string> fails;
  const StepExpect& e = step.expect;
  const std::string got = out.status.ok() ? "ok" : out.status.ToString();
  if (e.ok && *e.ok && !out.status.ok()) fails.push_back("expected ok, got " + got);
  if (e.ok && !*e.ok && out.status.ok()) fails.push_back("expected an error, got ok");
  if (e.error && out.status.code() != *e.error) {
    fails.push_back("expected error " + std::string(CodeName(*e.error)) + ", got " + got);
  }
  if (e.injected && out.status.injected() != *e.injected) {
    fails.push_back(std::string("expected the error ") + (*e.injected ? "" : "not ") +
                    "to be injected, got " + got);
  }
  if (e.error_contains && out.status.message().find(*e.error_contains) == std::string::npos) {
    fails.push_back("expected the error to mention \"" + *e.error_contains + "\", got " + got);
  }
  if (e.warning) {
    bool found = false;
    for (const auto& wn : out.warnings) found = found || wn.find(*e.warning) != std::string::npos;
    if (!found) {
      fails.push_back("expected a warning containing \"" + *e.warning + "\", got [" +
                      Join(out.warnings) + "]");
    }
  }
  if (e.no_warnings && !out.warnings.empty()) {
    fails.push_back("expected no warnings, got [" + Join(out.warnings) + "]");
  }
  if (e.crashed && out.crashed != *e.crashed) {
    fails.push_back(std::string("expected the crash ") + (*e.crashed ? "to fire" : "not to fire"));
  }
  // The step's own container(s) get `expect`; no_leaks there covers every container.
  ContainerExpect mine = e.container;
  mine.no_leaks = false;
  std::vector<std::string> targets = step.containers;
  if (!step.container.empty()) targets.push_back(step.container);
  for (const auto& t : targets) CheckContainer(w, s, run, t, mine, out.returned, fails);
  if (e.container.no_leaks) {
    ContainerExpect leaks;
    leaks.no_leaks = true;
    for (const auto& spec : s.containers) {
      CheckContainer(w, s, run, spec.name, leaks, std::nullopt, fails);
    }
  }
  for (const auto& [name, ce] : step.expect_containers) {
    CheckContainer(w, s, run, name, ce, name == step.container ? out.returned : std::nullopt,
                   fails);
  }
  (void)index;
  return fails;
}

ScenarioResult RunScenario(ScenarioWorld& w, const Scenario& s) {
  ScenarioResult res;
  res.name = s.name;
  const auto start = std::chrono::steady_clock::now();
  auto done = [&]() {
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return res;
  };
  if (std::find(s.backends.begin(), s.backends.end(), w.Backend()) == s.backends.end()) {
    res.outcome = ScenarioResult::Outcome::kSkipped;
    res.message = "skipped: not marked for the " + w.Backend() + " backend (backends: " +
                  Join(s.backends) + ")";
    return done();
  }
  if (!w.fake()) {
    if (std::string why = NeedsFakeBackend(s); !why.empty()) {
      res.outcome = ScenarioResult::Outcome::kSkipped;
      res.message = "skipped: needs the fake backend (" + why + ")";
      return done();
    }
  }
  RunState run;
  try {
    for (size_t i = 0; i < s.steps.size(); ++i) {
      const Step& step = s.steps[i];
      StepOutcome out = ExecuteStep(w, s, step, run);
      Observe(w, s, run);
      res.steps_run = static_cast<int>(i) + 1;
      auto fails = CheckStep(w, s, static_cast<int>(i), step, out, run);
      if (!fails.empty()) {
        res.outcome = ScenarioResult::Outcome::kFail;
        std::string what = std::string(StepOpName(step.op));
        if (!step.container.empty()) what += " " + step.container;
        res.message = "steps[" + std::to_string(i) + "] (" + what + "): " + fails.front();
        res.details = fails;
        res.details.push_back("the step returned: " +
                              (out.status.ok() ? std::string("ok") : out.status.ToString()));
        return done();
      }
    }
  } catch (const std::exception& ex) {
    res.outcome = ScenarioResult::Outcome::kCrashed;
    res.message = "crashed at steps[" + std::to_string(res.steps_run) + "]: exception: " +
                  ex.what();
    return done();
  }
  return done();
}

ScenarioResult RunScenarioTextOnFakes(const std::string& text, const std::string& file) {
  auto s = ParseScenario(text, file);
  if (!s.ok()) {
    ScenarioResult res;
    res.file = file;
    res.name = file;
    res.outcome = ScenarioResult::Outcome::kMalformed;
    res.message = s.status().message();
    return res;
  }
  auto w = MakeFakeScenarioWorld(*s);
  ScenarioResult res = RunScenario(*w, *s);
  res.file = file;
  return res;
}

}  // namespace crh
