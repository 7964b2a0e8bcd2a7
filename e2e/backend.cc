#include "e2e/backend.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "fakes/fake_world.h"
#include "src/base/subprocess.h"
#include "src/net/cni_network.h"
#include "src/oci/bundle.h"
#include "src/oci/toolchain.h"
#include "src/wiring/wiring.h"

namespace crh::e2e {

namespace fs = std::filesystem;

namespace {

// Counts from 1, one number per line, every 100 ms; the value lives in the shell's memory, so
// only a real restore (not a restart) can continue it.
const std::vector<std::string> kCounterCmd = {
    "sh", "-c", "i=0; while true; do i=$((i+1)); echo $i; sleep 0.1; done"};

class FakeBackend final : public Backend {
 public:
  FakeBackend() : w_(17) {}
  std::string Name() const override { return "fake"; }
  bool IsReal() const override { return false; }
  Engine& engine() override { return *w_.engine; }
  std::string CounterBundle(const std::string& name) override {
    return w_.MakeBundle(name, kCounterCmd);
  }
  Result<uint64_t> Progress(const Container& c) override {
    auto v = w_.runtime->Counter(c.id);
    if (!v) return NotFound("the fake runtime does not know " + c.id);
    return *v;
  }
  void LetItRun(const Container& c) override { w_.runtime->Tick(c.id, 3); }
  std::vector<uint64_t> Printed(const Container&) override { return {}; }
  std::vector<std::string> DocumentedFiles(const std::string& id) override {
    std::vector<std::string> out;
    const std::string dir = w_.engine->ContainerDir(id) + "/";
    for (const auto& f : kDocumentedFiles) {
      if (w_.fs->Exists(dir + (f.back() == '/' ? f.substr(0, f.size() - 1) : f))) {
        out.push_back(f);
      }
    }
    return out;
  }
  std::vector<std::string> Leaks(const Container& c, bool removed) override {
    std::vector<std::string> leaks;
    for (const auto& l : w_.LeaksOf(c.id)) {
      // Files and the name stay until rm.
      if (!removed && (l.rfind("file ", 0) == 0 || l.rfind("name ", 0) == 0)) continue;
      leaks.push_back(l);
    }
    return leaks;
  }
  Status DamagePages(const std::string& id) override {
    const std::string p = w_.engine->CheckpointDir(id) + "/pages-1.img";
    auto data = w_.fs->Peek(p);
    if (!data) return NotFound(p);
    saved_pages_ = *data;
    w_.fs->Truncate(p, data->size() / 2);
    return Status::Ok();
  }
  Status RepairPages(const std::string& id) override {
    w_.fs->SetFile(w_.engine->CheckpointDir(id) + "/pages-1.img", saved_pages_);
    return Status::Ok();
  }
  Status WriteFile(const std::string& path, const std::string& data) override {
    w_.fs->SetFile(path, data);
    return Status::Ok();
  }
  Status RemoveFile(const std::string& path) override { return w_.fs->Remove(path); }
  void RemoveAll() override {}

 private:
  FakeWorld w_;
  std::string saved_pages_;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class RealBackend final : public Backend {
 public:
  static Result<std::unique_ptr<Backend>> Make(const ToolchainRuntime& rt) {
    auto b = std::unique_ptr<RealBackend>(new RealBackend());
    b->runtime_name_ = rt.name;
    char tmpl[] = "/tmp/crh-e2e-XXXXXX";
    if (!mkdtemp(tmpl)) return Unavailable("mkdtemp failed");
    b->root_ = tmpl;
    // Its own bridge and subnet, so a test network never touches crh's default one.
    b->bridge_ = "crhe2e" + std::to_string(getpid() % 100000);
    b->conflist_ = BridgeConflist({.name = "crhe2e",
                                   .bridge = b->bridge_,
                                   .subnet = "10.85.0.0/24",
                                   .data_dir = b->root_ + "/cni"});
    b->net_ = std::make_shared<CniNetwork>(
        CniNetworkOptions{.conflist = b->conflist_, .state_dir = b->root_});
    CRH_RETURN_IF_ERROR(b->net_->Init());
    CRH_ASSIGN_OR_RETURN(b->engine_, MakeRealEngine({.root = b->root_ + "/state",
                                                     .runtime = rt.name,
                                                     .network = b->conflist_}));
    return std::unique_ptr<Backend>(std::move(b));
  }

  ~RealBackend() override {
    RemoveAll();
    net_->DeleteBridges().IgnoreError();  // best effort at the very end
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::string Name() const override { return runtime_name_; }
  bool IsReal() const override { return true; }
  Engine& engine() override { return *engine_; }

  std::string CounterBundle(const std::string& name) override {
    const std::string dir = root_ + "/bundles/" + name;
    Status s = MakeBusyboxBundle(dir, kCounterCmd);
    if (!s.ok()) ADD_FAILURE_AT(__FILE__, __LINE__);
    return dir;
  }

  std::vector<uint64_t> Printed(const Container& c) override {
    std::vector<uint64_t> out;
    std::stringstream ss(ReadAll(engine_->ContainerDir(c.id) + "/ctr.log"));
    std::string line;
    while (std::getline(ss, line)) {
      if (!line.empty() && std::all_of(line.begin(), line.end(), ::isdigit)) {
        out.push_back(std::stoull(line));
      }
    }
    return out;
  }

  Result<uint64_t> Progress(const Container& c) override {
    auto p = Printed(c);
    if (p.empty()) return NotFound("container " + c.name + " printed nothing yet");
    return p.back();
  }

  void LetItRun(const Container& c) override {
    const size_t before = Printed(c).size();
    for (int i = 0; i < 50 && Printed(c).size() < before + 3; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  std::vector<std::string> DocumentedFiles(const std::string& id) override {
    std::vector<std::string> out;
    const std::string dir = engine_->ContainerDir(id) + "/";
    for (const auto& f : kDocumentedFiles) {
      std::error_code ec;
      if (fs::exists(dir + f, ec)) out.push_back(f);
    }
    return out;
  }

  std::vector<std::string> Leaks(const Container& c, bool removed) override {
    std::vector<std::string> leaks;
    const std::string ns = "/run/netns/crh-" + c.id.substr(0, 12);
    if (NetnsExists(ns)) leaks.push_back("netns " + ns);
    // Other containers of the same test may hold addresses and veths legitimately: only what no
    // record accounts for is a leak.
    std::set<std::string> held;
    size_t attached = 0;
    if (auto all = engine_->List(); all.ok()) {
      for (const auto& other : *all) {
        if (!other.Ip().empty()) held.insert(other.Ip());
        if (!other.netns_path.empty()) ++attached;
      }
    }
    auto ports = BridgePorts(bridge_);
    if (ports.size() > attached) {
      leaks.push_back(std::to_string(ports.size()) + " veths on " + bridge_ + " for " +
                      std::to_string(attached) + " attached containers");
    }
    for (const auto& ip : net_->ReservedIps()) {
      if (!held.count(ip)) leaks.push_back("IPAM reservation " + ip);
    }
    std::error_code ec;
    const std::string rt_state = root_ + "/state/runtimes/" + runtime_name_ + "/" + c.id;
    if (fs::exists(rt_state, ec)) leaks.push_back("runtime state " + rt_state);
    if (c.pid > 0) {
      // A zombie is the copier's business, not a live process; anything else is a leak.
      std::string stat = ReadAll("/proc/" + std::to_string(c.pid) + "/stat");
      if (!stat.empty() && stat.find(") Z") == std::string::npos) {
        leaks.push_back("process " + std::to_string(c.pid));
      }
    }
    std::string mounts = ReadAll("/proc/self/mountinfo");
    if (mounts.find(c.id) != std::string::npos) leaks.push_back("a mount naming " + c.id);
    if (removed) {
      if (fs::exists(engine_->ContainerDir(c.id), ec)) {
        leaks.push_back("state dir " + engine_->ContainerDir(c.id));
      }
      if (fs::exists(root_ + "/state/locks/" + c.id + ".lock", ec)) leaks.push_back("lock file");
    }
    return leaks;
  }

  Status DamagePages(const std::string& id) override {
    CRH_ASSIGN_OR_RETURN(std::string p, FirstPages(id));
    saved_pages_ = ReadAll(p);
    if (truncate(p.c_str(), static_cast<off_t>(saved_pages_.size() / 2)) != 0) {
      return Unavailable("truncate " + p);
    }
    return Status::Ok();
  }
  Status RepairPages(const std::string& id) override {
    CRH_ASSIGN_OR_RETURN(std::string p, FirstPages(id));
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << saved_pages_;
    return out ? Status::Ok() : Unavailable("rewrite " + p);
  }
  Status WriteFile(const std::string& path, const std::string& data) override {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << data;
    return out ? Status::Ok() : Unavailable("write " + path);
  }
  Status RemoveFile(const std::string& path) override {
    return ::unlink(path.c_str()) == 0 ? Status::Ok() : NotFound(path);
  }

  void RemoveAll() override {
    auto all = engine_->List();
    if (!all.ok()) return;
    for (const auto& c : *all) engine_->Remove(c.id, /*force=*/true).IgnoreError();
  }

 private:
  RealBackend() = default;

  Result<std::string> FirstPages(const std::string& id) {
    const std::string dir = engine_->CheckpointDir(id);
    std::vector<std::string> pages;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const std::string n = e.path().filename().string();
      // Not pages-*.img: CRIU 4.2.1 spins forever on a truncated pages image (docs/findings.md).
      if (n.rfind("pagemap-", 0) == 0 && e.file_size(ec) > 0) pages.push_back(e.path().string());
    }
    if (pages.empty()) return NotFound("no non-empty pagemap-*.img in " + dir);
    std::sort(pages.begin(), pages.end());
    return pages.front();
  }

  std::string runtime_name_, root_, bridge_, conflist_, saved_pages_;
  std::shared_ptr<CniNetwork> net_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace

std::string SafeName(std::string name) {
  for (auto& c : name) {
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

std::vector<std::string> BackendNames(bool include_fake) {
  std::vector<std::string> names;
  if (include_fake) names.push_back("fake");
  auto tc = LoadToolchain();
  if (!tc.ok()) {
    // No silent skip: a missing toolchain becomes a backend that fails with the reason.
    names.push_back("missing-toolchain");
    return names;
  }
  for (const auto& rt : tc->runtimes) names.push_back(rt.name);
  return names;
}

Result<std::unique_ptr<Backend>> MakeBackend(const std::string& name) {
  if (name == "fake") return std::unique_ptr<Backend>(std::make_unique<FakeBackend>());
  auto tc = LoadToolchain();
  if (!tc.ok()) {
    return FailedPrecondition(tc.status().message() +
                              " — the end-to-end suites need real runtimes; run `sudo "
                              "ci/setup.sh` first");
  }
  CRH_ASSIGN_OR_RETURN(ToolchainRuntime rt, tc->FindRuntime(name));
  return RealBackend::Make(rt);
}

}  // namespace crh::e2e
