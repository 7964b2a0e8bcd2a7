// Goal: how fast the engine runs on the fakes, against a baseline of the raw fake runtime, and
// what the property suites and the corpus replay cost. Figures and how to reproduce them are in
// docs/benchmarks.md. Not a test: a binary that prints a report.
// Method: single thread, SimulatedClock, no faults; wall time from std::chrono::steady_clock
// (measurement only, never on a replay path). The fault plan's per-site call counts (every fake
// call checks one site) show where an engine operation spends its calls.
//   bazel run -c opt //bench:engine_bench -- [--seconds S] [--corpus DIR]
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "fakes/fake_world.h"
#include "src/base/sim_random.h"
#include "src/scenario/runner.h"

namespace crh {
namespace {

using WallClock = std::chrono::steady_clock;

double Since(WallClock::time_point t) {
  return std::chrono::duration<double>(WallClock::now() - t).count();
}

void Must(const Status& s, const char* what) {
  if (!s.ok()) {
    std::cerr << what << ": " << s.ToString() << "\n";
    std::exit(1);
  }
}

// Baseline: the fake runtime alone, the same lifecycle calls the engine makes per cycle.
double RawRuntimeOpsPerSecond(double seconds) {
  auto fs = std::make_shared<FakeFilesystem>();
  FakeRuntime rt(fs);
  fs->SetFile("/b/config.json", R"({"root":{"path":"rootfs"},"linux":{"namespaces":[]}})");
  long ops = 0;
  const auto start = WallClock::now();
  for (long i = 0; Since(start) < seconds; ++i) {
    const std::string id = "c" + std::to_string(i);
    Must(rt.Create(id, {.bundle = "/b"}), "create");
    Must(rt.Start(id), "start");
    Must(rt.State(id).status(), "state");
    Must(rt.Pause(id), "pause");
    Must(rt.Resume(id), "resume");
    Must(rt.Kill(id, 9), "kill");
    Must(rt.Delete(id, true), "delete");
    ops += 7;
  }
  return ops / Since(start);
}

struct EngineFigures {
  double ops_per_second = 0;
  std::map<std::string, double> calls_per_op;  // fault site -> calls per engine operation
};

// Engine operations per second with `others` idle containers defined beside the busy one (name
// lookups scan every record). One cycle = run (define, create, start) + pause + unpause +
// checkpoint + restore + stop + remove = 9 operations.
EngineFigures EngineOpsPerSecond(double seconds, int others) {
  FakeWorld w(7);
  for (int i = 0; i < others; ++i) {
    const std::string n = "idle" + std::to_string(i);
    Must(w.engine->Define({.name = n, .bundle = w.MakeBundle(n)}).status(), "define idle");
  }
  const std::string bundle = w.MakeBundle("web");
  w.plan->ResetCounters();
  long ops = 0;
  const auto start = WallClock::now();
  while (Since(start) < seconds) {
    auto c = w.engine->Run({.name = "web", .bundle = bundle});
    Must(c.status(), "run");
    Must(w.engine->Pause("web").status(), "pause");
    Must(w.engine->Unpause("web").status(), "unpause");
    Must(w.engine->Checkpoint("web", {}).status(), "checkpoint");
    Must(w.engine->Restore("web", {}).status(), "restore");
    Must(w.engine->Stop("web", 1000).status(), "stop");
    Must(w.engine->Remove("web", false), "remove");
    ops += 9;
  }
  EngineFigures f;
  f.ops_per_second = ops / Since(start);
  for (const auto& [site, n] : w.plan->AllCalls()) f.calls_per_op[site] = double(n) / ops;
  return f;
}

// Property-like sequences: what one case of //property_tests:engine_property_test does (random
// steps with faults through ExecuteStep, every expectation check after each), driven by
// SimRandom instead of rapidcheck so the figure is about the harness, not the generator.
double SequencesPerSecond(double seconds, int steps_per_sequence) {
  const std::vector<StepOp> ops = {StepOp::kDefine, StepOp::kCreate, StepOp::kStart,
                                   StepOp::kRun, StepOp::kStop, StepOp::kKill, StepOp::kPause,
                                   StepOp::kUnpause, StepOp::kCheckpoint, StepOp::kRestore,
                                   StepOp::kRemove, StepOp::kSync};
  const auto& sites = FaultPlan::KnownSites();
  SimRandom r(1);
  long sequences = 0;
  const auto start = WallClock::now();
  while (Since(start) < seconds) {
    Scenario s;
    s.name = "bench";
    s.seed = r.Next();
    s.containers = {{.name = "web"}, {.name = "mq"}, {.name = "kv"}};
    auto world = MakeFakeScenarioWorld(s);
    RunState run;
    for (int i = 0; i < steps_per_sequence; ++i) {
      Step st;
      st.op = ops[r.UniformInt(0, ops.size() - 1)];
      st.container = s.containers[r.UniformInt(0, 2)].name;
      st.force = r.Bernoulli(0.5);
      if (r.Bernoulli(0.3)) {
        const std::string& site = sites[r.UniformInt(0, sites.size() - 9)];  // not engine.*
        st.faults.push_back({.site = site, .trigger = Trigger::Nth(r.UniformInt(1, 3))});
      }
      for (const auto& c : s.containers) {
        st.expect_containers[c.name].record_consistent = true;
        st.expect_containers[c.name].no_leaks = true;
      }
      StepOutcome out = ExecuteStep(*world, s, st, run);
      Observe(*world, s, run);
      (void)CheckStep(*world, s, i, st, out, run);
    }
    ++sequences;
  }
  return sequences / Since(start);
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace
}  // namespace crh

int main(int argc, char** argv) {
  using namespace crh;
  double seconds = 2;
  std::string corpus = "scenarios/corpus";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
    if (!std::strcmp(argv[i], "--corpus")) corpus = argv[i + 1];
  }
  spdlog::set_level(spdlog::level::off);
  std::cout << std::fixed << std::setprecision(0);

  const double raw = RawRuntimeOpsPerSecond(seconds);
  std::cout << "baseline: raw FakeRuntime calls/s                 " << raw << "\n";
  for (int others : {0, 10, 100}) {
    EngineFigures f = EngineOpsPerSecond(seconds, others);
    std::cout << "engine ops/s (" << std::setw(3) << others << " other containers)          "
              << f.ops_per_second << "   ratio raw/engine " << std::setprecision(1)
              << raw / f.ops_per_second << std::setprecision(0) << "\n";
    if (others == 0 || others == 100) {
      std::cout << "  fake calls per engine op:";
      std::cout << std::setprecision(1);
      for (const auto& [site, n] : f.calls_per_op) std::cout << " " << site << "=" << n;
      std::cout << std::setprecision(0) << "\n";
    }
  }
  std::cout << "property-like sequences/s (20 steps, checks)     "
            << SequencesPerSecond(seconds, 20) << "\n";

  std::vector<std::string> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(corpus, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().extension() == ".json") files.push_back(it->path().string());
  }
  const auto start = WallClock::now();
  int failed = 0;
  for (const auto& f : files) {
    failed += RunScenarioTextOnFakes(Read(f), f).outcome != ScenarioResult::Outcome::kPass;
  }
  std::cout << std::setprecision(3) << "corpus replay: " << files.size() << " scenarios in "
            << Since(start) << " s (" << failed << " not passing)\n";
  return 0;
}
