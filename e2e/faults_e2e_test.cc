// Goal: the engine keeps its promises when the runtime binary under it misbehaves. With the
// faulty-runtime wrapper (src/faults/faulty_runtime.cc) standing in for runc 1.3.6: after a failed
// checkpoint the container is Running; after a failed restore (the runtime failing before it
// runs, or reporting failure after a real restore) it is Exited with its checkpoint intact, no
// IP or netns leaked and no runtime container left; and a retry without the fault succeeds with
// the counter continuing where it was dumped.
// Method: a private toolchain manifest lists the wrapper as the only runtime, so MakeRealEngine
// drives it exactly like a real runtime; the fault plan file is rewritten between steps (the
// wrapper reads it on every call). Own bridge crhflt0 on 10.84.0.0/24, deleted at the end with
// the temp root, the containers and the plan, even on failure. Needs root and /opt/crh (tags
// local, exclusive); a missing toolchain is a failure naming `sudo ci/setup.sh`, never a skip.
// CniFaultsE2eTest does the same with the faulty CNI plugin wrapper in place of the bridge plugin.
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "src/base/status_matchers.h"
#include "src/net/cni_network.h"
#include "src/oci/bundle.h"
#include "src/oci/toolchain.h"
#include "src/wiring/wiring.h"

namespace crh {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kCounter = {
    "sh", "-c", "i=0; while true; do i=$((i+1)); echo $i > /tmp/c; echo $i; sleep 0.1; done"};

long ReadCounter(const std::string& bundle) {
  std::ifstream in(bundle + "/rootfs/tmp/c");
  long v = -1;
  in >> v;
  return v;
}

::testing::AssertionResult CounterReaches(const std::string& bundle, long at_least) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ReadCounter(bundle) >= at_least) return ::testing::AssertionSuccess();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return ::testing::AssertionFailure() << "counter stuck at " << ReadCounter(bundle)
                                       << ", wanted " << at_least;
}

class FaultsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tc = LoadToolchain();
    ASSERT_THAT(tc, IsOk()) << "the faults e2e test needs the toolchain: run `sudo ci/setup.sh`";
    auto real = tc->FindRuntime("runc-1.3.6");
    ASSERT_THAT(real, IsOk());
    const std::string wrapper = fs::absolute("src/faults/faulty-runtime").string();
    ASSERT_EQ(access(wrapper.c_str(), X_OK), 0) << wrapper << " is not in the runfiles";
    char tmpl[] = "/tmp/crh-faults-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    real_runtime_ = real->path;
    plan_ = root_ + "/plan.json";
    SetPlan("[]");
    setenv("CRH_FAULT_PLAN", plan_.c_str(), 1);
    std::ofstream(root_ + "/toolchain.json")
        << R"({"criu": {"path": ")" << tc->criu_path << R"(", "version": ")" << tc->criu_version
        << R"("}, "runtimes": [{"name": "faulty-runc-1.3.6", "path": ")" << wrapper
        << R"(", "version": "1.3.6", "criu_flag": false}], "path_prefix": ")" << tc->path_prefix
        << R"("})";
    conflist_ = BridgeConflist({.name = "crhflt",
                                .bridge = "crhflt0",
                                .subnet = "10.84.0.0/24",
                                .data_dir = root_ + "/cni"});
    auto engine = MakeRealEngine({.root = root_ + "/state",
                                  .runtime = "faulty-runc-1.3.6",
                                  .network = conflist_,
                                  .toolchain = root_ + "/toolchain.json"});
    ASSERT_THAT(engine, IsOk());
    engine_ = std::move(*engine);
    bundle_ = root_ + "/bundle";
    ASSERT_THAT(MakeBusyboxBundle(bundle_, kCounter), IsOk());
  }

  void TearDown() override {
    SetPlan("[]");
    if (engine_) {
      auto all = engine_->List();
      if (all.ok()) {
        for (const auto& c : *all) engine_->Remove(c.id, /*force=*/true).IgnoreError();
      }
    }
    engine_.reset();
    CniNetwork net({.conflist = conflist_, .state_dir = root_});
    if (net.Init().ok()) net.DeleteBridges().IgnoreError();  // best effort at the very end
    unsetenv("CRH_FAULT_PLAN");
    std::error_code ec;
    if (!root_.empty()) fs::remove_all(root_, ec);
  }

  void SetPlan(const std::string& faults_json) {
    std::ofstream(plan_) << R"({"runtime": ")" << real_runtime_ << R"(", "log": ")" << root_
                         << R"(/faults.log", "faults": )" << faults_json << "}";
  }

  // No address reserved in host-local's data dir, no netns file for the container.
  void ExpectNothingLeaked(const Container& c) {
    EXPECT_EQ(c.Ip(), "") << "an exited container holds no address";
    if (!c.netns_path.empty()) {
      EXPECT_FALSE(fs::exists(c.netns_path)) << c.netns_path;
    }
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(root_ + "/cni", ec)) {
      std::string name = e.path().filename().string();
      EXPECT_FALSE(name.rfind("10.84.", 0) == 0) << "IP still reserved: " << e.path();
    }
    EXPECT_FALSE(fs::exists(root_ + "/state/runtimes/faulty-runc-1.3.6/" + c.id))
        << "the runtime still has the container";
  }

  std::string root_, plan_, real_runtime_, conflist_, bundle_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(FaultsE2eTest, FailedCheckpointAndRestoreKeepLegalStates) {
  auto c = engine_->Run({.name = "flt", .bundle = bundle_});
  ASSERT_THAT(c, IsOk());
  ASSERT_TRUE(CounterReaches(bundle_, 3));

  // The runtime fails before it dumps: the container keeps running.
  SetPlan(R"([{"command": "checkpoint", "action": "fail_before"}])");
  EXPECT_FALSE(engine_->Checkpoint("flt", {}).ok());
  auto after = engine_->Inspect("flt");
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->state, ContainerState::kRunning) << after->ToJson();
  long now = ReadCounter(bundle_);
  EXPECT_TRUE(CounterReaches(bundle_, now + 2)) << "still counting after the failed checkpoint";

  // A real checkpoint.
  SetPlan("[]");
  auto cp = engine_->Checkpoint("flt", {});
  ASSERT_THAT(cp, IsOk());
  EXPECT_EQ(cp->state, ContainerState::kExited);
  EXPECT_TRUE(cp->checkpointed);
  long at = ReadCounter(bundle_);

  // Restore: the runtime fails before it runs; then it restores but reports a failure.
  for (const char* fault : {R"([{"command": "restore", "action": "fail_before"}])",
                            R"([{"command": "restore", "action": "fail_after"}])"}) {
    SCOPED_TRACE(fault);
    SetPlan(fault);
    EXPECT_FALSE(engine_->Restore("flt", {}).ok());
    auto st = engine_->Inspect("flt");
    ASSERT_THAT(st, IsOk());
    EXPECT_EQ(st->state, ContainerState::kExited) << st->ToJson();
    EXPECT_TRUE(st->checkpointed) << "the checkpoint must survive a failed restore";
    ExpectNothingLeaked(*st);
  }

  // The retry without a fault continues the counter.
  SetPlan("[]");
  auto rs = engine_->Restore("flt", {});
  ASSERT_THAT(rs, IsOk());
  EXPECT_EQ(rs->state, ContainerState::kRunning);
  EXPECT_TRUE(CounterReaches(bundle_, at + 2)) << "the restored process counts on";
  EXPECT_THAT(engine_->Remove("flt", /*force=*/true), IsOk());
}

TEST_F(FaultsE2eTest, CorruptImageFailsRestoreWithoutLeaks) {
  auto c = engine_->Run({.name = "img", .bundle = bundle_});
  ASSERT_THAT(c, IsOk());
  ASSERT_TRUE(CounterReaches(bundle_, 3));
  // The runtime deletes inventory.img right after its (successful) dump.
  SetPlan(R"([{"command": "checkpoint", "action": "delete_images", "files": ["inventory.img"]}])");
  auto cp = engine_->Checkpoint("img", {});
  SetPlan("[]");
  if (cp.ok()) {
    auto rs = engine_->Restore("img", {});
    EXPECT_FALSE(rs.ok()) << "restore from an image without inventory.img succeeded";
    auto st = engine_->Inspect("img");
    ASSERT_THAT(st, IsOk());
    EXPECT_EQ(st->state, ContainerState::kExited) << st->ToJson();
    ExpectNothingLeaked(*st);
  } else {
    // An engine that verifies the image after the dump may refuse at once; then the container
    // must be in a legal state that is not Running with a bogus checkpoint.
    auto st = engine_->Inspect("img");
    ASSERT_THAT(st, IsOk());
    EXPECT_FALSE(st->checkpointed) << st->ToJson();
  }
  EXPECT_THAT(engine_->Remove("img", /*force=*/true), IsOk());
}

// The CNI side: the faulty plugin wrapper (src/faults/faulty_cni.sh) stands in for the bridge
// plugin in a CNI_PATH of the test's own. DEL that fails after a real DEL, ADD that fails, and
// ADD that reports another address than IPAM reserved must each leave a legal state, no leaked
// address or netns, and a checkpoint that a retry restores on the same IP.
class CniFaultsE2eTest : public FaultsE2eTest {
 protected:
  void SetUp() override {
    FaultsE2eTest::SetUp();
    if (HasFatalFailure()) return;
    const std::string cni = root_ + "/cni-bin";
    fs::create_directories(cni);
    for (const auto& e : fs::directory_iterator("/usr/lib/cni")) {
      fs::create_symlink(e.path(), cni + "/" + e.path().filename().string());
    }
    const std::string script = fs::absolute("src/faults/faulty_cni.sh").string();
    ASSERT_TRUE(fs::exists(script)) << script << " is not in the runfiles";
    fs::copy_file(script, cni + "/crh-faulty-bridge");
    fs::permissions(cni + "/crh-faulty-bridge", fs::perms::owner_all);
    cni_fault_ = root_ + "/cni-fault";
    SetCniFault("pass");
    setenv("CRH_CNI_FAULT_FILE", cni_fault_.c_str(), 1);
    std::string faulty = conflist_;
    const std::string from = "\"type\": \"bridge\"", to = "\"type\": \"crh-faulty-bridge\"";
    auto at = faulty.find(from);
    ASSERT_NE(at, std::string::npos) << faulty;
    faulty.replace(at, from.size(), to);
    auto engine = MakeRealEngine({.root = root_ + "/state",
                                  .runtime = "faulty-runc-1.3.6",
                                  .network = faulty,
                                  .toolchain = root_ + "/toolchain.json",
                                  .cni_path = cni});
    ASSERT_THAT(engine, IsOk());
    engine_ = std::move(*engine);
  }
  void TearDown() override {
    SetCniFault("pass");
    FaultsE2eTest::TearDown();
    unsetenv("CRH_CNI_FAULT_FILE");
  }
  void SetCniFault(const std::string& fault) { std::ofstream(cni_fault_) << fault << "\n"; }

  std::string cni_fault_;
};

TEST_F(CniFaultsE2eTest, CniFaultsLeaveLegalStatesAndNoLeaks) {
  auto c = engine_->Run({.name = "cni", .bundle = bundle_});
  ASSERT_THAT(c, IsOk());
  ASSERT_FALSE(c->Ip().empty());
  ASSERT_TRUE(CounterReaches(bundle_, 3));

  // DEL reports failure (after really releasing): the checkpoint stands, the error is reported,
  // and sync finishes the teardown.
  SetCniFault("del-fail");
  auto cp = engine_->Checkpoint("cni", {});
  EXPECT_FALSE(cp.ok());
  SetCniFault("pass");
  auto st = engine_->Inspect("cni");
  ASSERT_THAT(st, IsOk());
  EXPECT_EQ(st->state, ContainerState::kExited);
  EXPECT_TRUE(st->checkpointed);
  auto synced = engine_->Sync("cni");
  ASSERT_THAT(synced, IsOk());
  ExpectNothingLeaked(*synced);

  // ADD fails, then ADD lies about the address: restore fails, nothing leaks, the checkpoint
  // stays; the retry gets the saved address back.
  for (const char* fault : {"add-fail", "add-other-ip"}) {
    SCOPED_TRACE(fault);
    SetCniFault(fault);
    auto r = engine_->Restore("cni", {});
    EXPECT_FALSE(r.ok()) << "restore succeeded through CNI fault " << fault;
    SetCniFault("pass");
    auto now = engine_->Inspect("cni");
    ASSERT_THAT(now, IsOk());
    EXPECT_EQ(now->state, ContainerState::kExited) << now->ToJson();
    EXPECT_TRUE(now->checkpointed);
    ExpectNothingLeaked(*now);
  }
  auto rs = engine_->Restore("cni", {});
  ASSERT_THAT(rs, IsOk());
  EXPECT_EQ(rs->Ip(), c->Ip());
  EXPECT_THAT(engine_->Remove("cni", /*force=*/true), IsOk());
}

}  // namespace
}  // namespace crh
