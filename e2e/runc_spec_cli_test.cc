// Goal: a bundle made by `runc spec` — edited only as a user edits it for a detached container
// (args, terminal off, a writable root) — goes through the `crh` binary's run -d, checkpoint and
// restore with the same IP and the same process on every runtime, named the way users name them
// (`--runtime runc`, `--runtime crun`) as well as by exact manifest name.
// Method: the real `crh` binary against an isolated bridge network and state root, per runtime
// name: the process's counter must continue (no restart) and `crh inspect` must report the
// resolved runtime, the same IP after restore, and after `rm -f` nothing is left under the root's
// runtime state. The bundle's config.json is `runc spec`'s own output, not crh's bundle maker's.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "src/base/status_matchers.h"
#include "src/base/subprocess.h"
#include "e2e/cli_util.h"
#include "src/net/cni_network.h"
#include "src/oci/bundle.h"
#include "src/oci/toolchain.h"

namespace crh {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using e2e::Numbers;
using e2e::ReadAll;

struct Param {
  std::string typed;     // what the user passes to --runtime
  std::string resolved;  // the manifest name it must resolve to
};

std::vector<Param> Params() {
  auto tc = LoadToolchain();
  if (!tc.ok()) return {{"toolchain-missing", ""}};
  std::vector<Param> out;
  std::vector<std::string> families;
  for (const auto& rt : tc->runtimes) {
    out.push_back({rt.name, rt.name});
    std::string f = RuntimeFamily(rt.name);
    if (std::find(families.begin(), families.end(), f) == families.end()) families.push_back(f);
  }
  for (const auto& f : families) out.push_back({f, tc->FindRuntime(f)->name});
  return out;
}

class RuncSpecCliTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    auto tc = LoadToolchain();
    ASSERT_THAT(tc, IsOk()) << "run `sudo ci/setup.sh`";
    tc_ = *tc;
    crh_ = fs::absolute("src/cli/crh").string();
    ASSERT_EQ(access(crh_.c_str(), X_OK), 0) << crh_ << " is not built";
    char tmpl[] = "/tmp/crh-runcspec-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    bridge_ = "crhrs" + std::to_string(getpid() % 100000);
    conflist_ = dir_ + "/net.conflist";
    std::ofstream(conflist_) << BridgeConflist({.name = "crhrs",
                                                .bridge = bridge_,
                                                .subnet = "10.84.0.0/24",
                                                .data_dir = dir_ + "/cni"});
  }
  void TearDown() override {
    Crh({"rm", "-f", "spec"});
    RunCommand({.argv = {"ip", "link", "delete", bridge_}}).status().IgnoreError();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  CommandResult Crh(std::vector<std::string> args) {
    std::vector<std::string> argv = {crh_, "--root", dir_ + "/state", "--network", conflist_,
                                     "--runtime", GetParam().typed};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = RunCommand({.argv = argv, .timeout_ms = 120'000});
    return r.ok() ? *r : CommandResult{.exit_code = -1, .err = r.status().ToString()};
  }

  json Inspect() {
    CommandResult r = Crh({"inspect", "spec"});
    EXPECT_TRUE(r.ok()) << r.Describe("crh inspect");
    return json::parse(r.out, nullptr, false);
  }

  // `runc spec` from the manifest's newest runc, edited as a user does; busybox as the rootfs.
  std::string RuncSpecBundle() {
    const std::string b = dir_ + "/bundle";
    EXPECT_THAT(MakeBusyboxBundle(b, {"true"}), IsOk());
    fs::remove(b + "/config.json");
    auto runc = tc_.FindRuntime("runc");
    EXPECT_THAT(runc, IsOk());
    auto spec = RunCommand({.argv = {runc->path, "spec", "--bundle", b}});
    EXPECT_TRUE(spec.ok() && spec->ok()) << "runc spec failed";
    json j = json::parse(ReadAll(b + "/config.json"));
    j["process"]["args"] = {"sh", "-c", "i=0; while true; do i=$((i+1)); echo $i; sleep 0.1; done"};
    j["process"]["terminal"] = false;
    j["root"]["readonly"] = false;
    std::ofstream(b + "/config.json") << j.dump(2);
    return b;
  }

  std::vector<uint64_t> Printed(const json& info) { return Numbers(ReadAll(info["log_path"])); }

  void WaitForMore(const json& info, size_t more) {
    const size_t before = Printed(info).size();
    for (int i = 0; i < 100 && Printed(info).size() < before + more; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  Toolchain tc_;
  std::string crh_, dir_, bridge_, conflist_;
};

TEST_P(RuncSpecCliTest, RunCheckpointRestoreKeepsIpAndProcess) {
  const std::string b = RuncSpecBundle();
  CommandResult run = Crh({"run", "-d", "spec", "--bundle", b});
  ASSERT_TRUE(run.ok()) << run.Describe("crh run");
  EXPECT_EQ(run.out, "spec\n");
  json info = Inspect();
  EXPECT_EQ(info["runtime"], GetParam().resolved) << "--runtime " << GetParam().typed;
  const std::string ip = info["ip"];
  ASSERT_FALSE(ip.empty());
  WaitForMore(info, 3);

  for (int round = 1; round <= 2; ++round) {
    CommandResult cp = Crh({"checkpoint", "spec"});
    ASSERT_TRUE(cp.ok()) << "round " << round << ": " << cp.Describe("crh checkpoint");
    json mid = Inspect();
    EXPECT_EQ(mid["state"], "exited");
    EXPECT_EQ(mid["ip"], "") << "the address is released while checkpointed";
    CommandResult rs = Crh({"restore", "spec"});
    ASSERT_TRUE(rs.ok()) << "round " << round << ": " << rs.Describe("crh restore");
    json after = Inspect();
    EXPECT_EQ(after["state"], "running");
    EXPECT_EQ(after["ip"], ip) << "round " << round << ": restore must keep the IP";
    WaitForMore(after, 3);
  }
  auto printed = Printed(Inspect());
  ASSERT_GE(printed.size(), 9u);
  for (size_t i = 1; i < printed.size(); ++i) {
    ASSERT_EQ(printed[i], printed[i - 1] + 1)
        << "the counter went from " << printed[i - 1] << " to " << printed[i]
        << " (a restart or a lost step)";
  }
  CommandResult rm = Crh({"rm", "-f", "spec"});
  ASSERT_TRUE(rm.ok()) << rm.Describe("crh rm");
  const std::string rt_state = dir_ + "/state/runtimes/" + GetParam().resolved;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(rt_state, ec)) {
    // The runtime's shared empty directory for masked paths is the runtime's own, not a leak.
    if (e.path().filename() == ".empty-directory") continue;
    ADD_FAILURE() << "left in the runtime's state: " << e.path();
  }
}

TEST(RuntimeNamesCliTest, UnknownFamilyListsTheAvailableNames) {
  const std::string crh = fs::absolute("src/cli/crh").string();
  auto r = RunCommand({.argv = {crh, "--root", "/tmp/crh-names-unused", "--runtime", "youki",
                                "ps"}});
  ASSERT_THAT(r, IsOk());
  EXPECT_NE(r->exit_code, 0);
  EXPECT_THAT(r->err, ::testing::HasSubstr("runtime \"youki\" is not in the toolchain manifest"));
  EXPECT_THAT(r->err, ::testing::HasSubstr("families crun, runc"));
  std::error_code ec;
  fs::remove_all("/tmp/crh-names-unused", ec);
}

INSTANTIATE_TEST_SUITE_P(Runtimes, RuncSpecCliTest, ::testing::ValuesIn(Params()),
                         [](const auto& info) {
                           std::string n = info.param.typed;
                           for (char& ch : n) {
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace crh
