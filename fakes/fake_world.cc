#include "fakes/fake_world.h"

#include <nlohmann/json.hpp>

namespace crh {

FakeWorld::FakeWorld(uint64_t seed, FaultPlan p)
    : plan(std::make_shared<FaultPlan>(std::move(p))),
      fs(std::make_shared<FakeFilesystem>(plan)),
      network(std::make_shared<FakeNetwork>("10.88.0.0/24", plan)),
      runtime(std::make_shared<FakeRuntime>(fs, plan)),
      clock(std::make_shared<SimulatedClock>()),
      random(std::make_shared<SimRandom>(seed)) {
  engine = std::make_unique<Engine>(Deps());
}

EngineDeps FakeWorld::Deps() const {
  return EngineDeps{.runtime = runtime,
                    .network = network,
                    .fs = fs,
                    .clock = clock,
                    .random = random,
                    .root = kRoot,
                    .crash_hook = CrashHook(plan)};
}

std::unique_ptr<Engine> FakeWorld::FreshEngine() const { return std::make_unique<Engine>(Deps()); }

std::string FakeWorld::MakeBundle(const std::string& name, const std::vector<std::string>& cmd) {
  const std::string dir = "/bundles/" + name;
  nlohmann::json spec = {
      {"ociVersion", "1.0.2"},
      {"process", {{"args", cmd}, {"cwd", "/"}, {"terminal", false}}},
      {"root", {{"path", "rootfs"}}},
      {"linux", {{"namespaces", {{{"type", "pid"}}, {{"type", "network"}}, {{"type", "mount"}}}}}},
  };
  fs->SetFile(dir + "/config.json", spec.dump(2));
  fs->SetDir(dir + "/rootfs");
  return dir;
}

std::vector<std::string> FakeWorld::ContainerFiles(const std::string& id) const {
  const std::string prefix = std::string(kRoot) + "/containers/" + id + "/";
  std::vector<std::string> out;
  for (const auto& f : fs->AllFiles()) {
    if (f.rfind(prefix, 0) == 0) out.push_back(f.substr(prefix.size()));
  }
  return out;
}

std::vector<std::string> FakeWorld::LeaksOf(const std::string& id) const {
  std::vector<std::string> leaks;
  if (auto ip = network->IpOf(id)) leaks.push_back("IP " + *ip);
  if (network->Attached(id)) leaks.push_back("network attachment");
  const std::string ns = "/run/netns/crh-" + id.substr(0, 12);
  if (network->LiveNetns().count(ns)) leaks.push_back("netns " + ns);
  for (const auto& c : runtime->LiveContainers()) {
    if (c == id) leaks.push_back("runtime container " + id);
  }
  for (const auto& f : ContainerFiles(id)) leaks.push_back("file " + f);
  const std::string lock = std::string(kRoot) + "/locks/" + id + ".lock";
  if (fs->Exists(lock)) leaks.push_back("file " + lock);
  const std::string names = std::string(kRoot) + "/names";
  if (auto entries = fs->List(names); entries.ok()) {
    for (const auto& n : *entries) {
      if (fs->Peek(names + "/" + n) == id) leaks.push_back("name " + n);
    }
  }
  return leaks;
}

}  // namespace crh
