#pragma once
// FakeWorld: an engine wired to the three fakes, one fault plan, a simulated clock and one seed.
// The fast twin of a machine with runc, CNI and a disk: unit tests, property suites and scenario
// replay all build their engines here, so they agree on what "the fake backend" is.
//
//   FakeWorld w(/*seed=*/7);
//   w.plan->Add({.site = "cni.add", .trigger = Trigger::Nth(1)});
//   auto c = w.engine->Run({.name = "web", .bundle = w.MakeBundle("web")});
//
// Leak accounting reads the fakes' ground truth: HeldIps, LiveNetns, LiveContainers and the
// filesystem's file list.

#include <memory>
#include <string>
#include <vector>

#include "fakes/fake_filesystem.h"
#include "fakes/fake_network.h"
#include "fakes/fake_runtime.h"
#include "src/base/clock.h"
#include "src/base/sim_random.h"
#include "src/engine/engine.h"
#include "src/faults/fault_plan.h"

namespace crh {

class FakeWorld {
 public:
  static constexpr const char* kRoot = "/var/lib/crh";

  explicit FakeWorld(uint64_t seed = 1, FaultPlan plan = FaultPlan());

  // Writes /bundles/<name>/config.json (busybox-like: rootfs "rootfs", args `cmd`, a network
  // namespace without a path) and returns the bundle directory.
  std::string MakeBundle(const std::string& name,
                         const std::vector<std::string>& cmd = {"sh", "-c", "counter"});

  // A second engine over the same fakes: what a fresh crh process would see.
  std::unique_ptr<Engine> FreshEngine() const;

  // Files under the container's directory, relative to it, sorted ("checkpoint/inventory.img").
  std::vector<std::string> ContainerFiles(const std::string& id) const;

  // Everything the world holds for a container id that is not in its record: an IP, a netns
  // named after it, a runtime container, files. Empty if nothing leaked.
  std::vector<std::string> LeaksOf(const std::string& id) const;

  std::shared_ptr<FaultPlan> plan;
  std::shared_ptr<FakeFilesystem> fs;
  std::shared_ptr<FakeNetwork> network;
  std::shared_ptr<FakeRuntime> runtime;
  std::shared_ptr<SimulatedClock> clock;
  std::shared_ptr<SimRandom> random;
  std::unique_ptr<Engine> engine;

 private:
  EngineDeps Deps() const;
};

}  // namespace crh
