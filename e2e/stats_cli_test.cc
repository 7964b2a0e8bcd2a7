// Goal: on real runtimes, `crh checkpoint --print-stats` and `crh restore --print-stats` print
// podman-shaped JSON whose CRIU figures agree, field for field, with CRIU's own decoder `crit`
// on the very stats image crh read; `crh inspect` keeps them; and `crh checkpoint
// --leave-running` leaves the container running while a later restore of that stale checkpoint
// is refused until it is stopped and --allow-stale is given.
// Method: the real `crh` binary on runc-1.3.6 and crun-1.28 (from the toolchain manifest),
// an isolated bridge network and state root per test, a busybox container printing a counter;
// `crit decode -i FILE --pretty` (python3-pycriu 4.2.1, provisioned by ci/setup.sh) on the stats
// files kept with --keep. The counter in the container's log shows whether the process ran on
// (no gap, no repeat) or went back to the checkpoint (a repeat).
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
using nlohmann::ordered_json;
using ::testing::HasSubstr;

using e2e::Numbers;
using e2e::ReadAll;

class StatsCliTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto tc = LoadToolchain();
    ASSERT_THAT(tc, IsOk()) << "run `sudo ci/setup.sh`";
    tc_ = *tc;
    ASSERT_THAT(tc_.FindRuntime(GetParam()), IsOk()) << "run `sudo ci/setup.sh`";
    ASSERT_FALSE(tc_.crit_path.empty())
        << "the toolchain manifest names no crit: run `sudo ci/setup.sh`";
    crh_ = fs::absolute("src/cli/crh").string();
    ASSERT_EQ(access(crh_.c_str(), X_OK), 0) << crh_ << " is not built";
    char tmpl[] = "/tmp/crh-stats-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    bridge_ = "crhst" + std::to_string(getpid() % 100000);
    conflist_ = dir_ + "/net.conflist";
    std::ofstream(conflist_) << BridgeConflist({.name = "crhst",
                                                .bridge = bridge_,
                                                .subnet = "10.82.0.0/24",
                                                .data_dir = dir_ + "/cni"});
    bundle_ = dir_ + "/bundle";
    ASSERT_THAT(MakeBusyboxBundle(bundle_, {"sh", "-c",
                                            "i=0; while true; do i=$((i+1)); echo $i; "
                                            "sleep 0.1; done"}),
                IsOk());
  }
  void TearDown() override {
    Crh({"rm", "-f", "st"});
    RunCommand({.argv = {"ip", "link", "delete", bridge_}}).status().IgnoreError();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  CommandResult Crh(std::vector<std::string> args) {
    std::vector<std::string> argv = {crh_, "--root", dir_ + "/state", "--network", conflist_,
                                     "--runtime", GetParam()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = RunCommand({.argv = argv, .timeout_ms = 120'000});
    return r.ok() ? *r : CommandResult{.exit_code = -1, .err = r.status().ToString()};
  }

  ordered_json Inspect() {
    CommandResult r = Crh({"inspect", "st"});
    EXPECT_TRUE(r.ok()) << r.Describe("crh inspect");
    return ordered_json::parse(r.out, nullptr, false);
  }

  // What crit decodes from `file`: the one entry's `kind` half.
  ordered_json Crit(const std::string& file, const std::string& kind) {
    auto r = RunCommand({.argv = {tc_.crit_path, "decode", "-i", file, "--pretty"}});
    EXPECT_TRUE(r.ok() && r->ok()) << (r.ok() ? r->Describe("crit decode") : "crit did not run");
    if (!r.ok() || !r->ok()) return {};
    ordered_json j = ordered_json::parse(r->out, nullptr, false);
    EXPECT_EQ(j["magic"], "STATS") << r->out;
    EXPECT_EQ(j["entries"].size(), 1u) << r->out;
    return j["entries"][0][kind];
  }

  // Every field crit shows is in crh's figures with the same value, and crh shows no other.
  void ExpectAgreesWithCrit(const ordered_json& crh_figures, const ordered_json& crit,
                            const std::string& what) {
    ASSERT_TRUE(crit.is_object()) << what << ": crit printed no figures";
    for (const auto& [name, value] : crit.items()) {
      ASSERT_TRUE(crh_figures.contains(name)) << what << ": crh lacks " << name;
      EXPECT_EQ(crh_figures[name], value) << what << ": " << name;
    }
    for (const auto& [name, value] : crh_figures.items()) {
      EXPECT_TRUE(crit.contains(name)) << what << ": crit has no " << name << " (" << value << ")";
    }
    EXPECT_EQ(crh_figures.size(), crit.size()) << what;
  }

  std::vector<uint64_t> Printed() { return Numbers(ReadAll(Inspect()["log_path"])); }
  void WaitForMore(size_t more) {
    const size_t before = Printed().size();
    for (int i = 0; i < 100 && Printed().size() < before + more; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  Toolchain tc_;
  std::string crh_, dir_, bridge_, conflist_, bundle_;
};

TEST_P(StatsCliTest, PrintStatsAgreesWithCritOnEveryField) {
  CommandResult run = Crh({"run", "-d", "st", "--bundle", bundle_});
  ASSERT_TRUE(run.ok()) << run.Describe("crh run");
  WaitForMore(3);

  // --keep leaves stats-dump where crh read it, for crit to read the same bytes.
  CommandResult cp = Crh({"checkpoint", "--keep", "--print-stats", "st"});
  ASSERT_TRUE(cp.ok()) << cp.Describe("crh checkpoint --print-stats");
  ordered_json out = ordered_json::parse(cp.out, nullptr, false);
  ASSERT_FALSE(out.is_discarded()) << "stdout is not JSON: " << cp.out;
  ASSERT_EQ(out["container_statistics"].size(), 1u) << cp.out;
  const ordered_json& one = out["container_statistics"][0];
  EXPECT_EQ(one["Name"], "st");
  ASSERT_TRUE(one.contains("criu_statistics")) << one.dump(2);
  const ordered_json& dump = one["criu_statistics"];
  for (const char* podman_field : {"freezing_time", "frozen_time", "memdump_time",
                                   "memwrite_time", "pages_scanned", "pages_written"}) {
    EXPECT_TRUE(dump.contains(podman_field)) << podman_field;
  }
  EXPECT_GT(dump["frozen_time"].get<uint64_t>(), 0u);
  EXPECT_GT(dump["pages_written"].get<uint64_t>(), 0u);
  const int64_t runtime_us = one["runtime_checkpoint_duration"];
  const int64_t crh_us = one["crh_checkpoint_duration"];
  const int64_t total_us = out["crh_checkpoint_duration"];
  EXPECT_GT(runtime_us, 0);
  EXPECT_LE(runtime_us, crh_us);
  EXPECT_LE(crh_us, total_us);
  EXPECT_LE(dump["frozen_time"].get<int64_t>(), runtime_us) << "CRIU ran inside the runtime call";
  ExpectAgreesWithCrit(dump, Crit(one["stats_file"], "dump"), "stats-dump");
  std::cout << GetParam() << " checkpoint: " << one.dump() << "\n";

  CommandResult rs = Crh({"restore", "--keep", "--print-stats", "st"});
  ASSERT_TRUE(rs.ok()) << rs.Describe("crh restore --print-stats");
  ordered_json rout = ordered_json::parse(rs.out, nullptr, false);
  ASSERT_EQ(rout["container_statistics"].size(), 1u) << rs.out;
  const ordered_json& rone = rout["container_statistics"][0];
  ASSERT_TRUE(rone.contains("criu_statistics")) << rone.dump(2);
  const ordered_json& restore = rone["criu_statistics"];
  for (const char* podman_field : {"forking_time", "restore_time", "pages_restored"}) {
    EXPECT_TRUE(restore.contains(podman_field)) << podman_field;
  }
  EXPECT_GT(restore["pages_restored"].get<uint64_t>(), 0u);
  EXPECT_LE(rone["runtime_restore_duration"].get<int64_t>(),
            rone["crh_restore_duration"].get<int64_t>());
  ExpectAgreesWithCrit(restore, Crit(rone["stats_file"], "restore"), "stats-restore");
  std::cout << GetParam() << " restore: " << rone.dump() << "\n";

  // crh inspect keeps the last figures, as they were printed.
  ordered_json info = Inspect();
  ordered_json printed_cp = one, printed_rs = rone;
  for (auto* j : {&printed_cp, &printed_rs}) {
    j->erase("Id");
    j->erase("Name");
  }
  EXPECT_EQ(info["checkpoint_stats"], printed_cp);
  EXPECT_EQ(info["restore_stats"], printed_rs);
  EXPECT_EQ(info["state"], "running");
}

TEST_P(StatsCliTest, LeaveRunningKeepsItRunningAndGuardsTheStaleCheckpoint) {
  CommandResult run = Crh({"run", "-d", "st", "--bundle", bundle_});
  ASSERT_TRUE(run.ok()) << run.Describe("crh run");
  WaitForMore(3);
  ordered_json before = Inspect();

  CommandResult cp = Crh({"checkpoint", "--leave-running", "st"});
  ASSERT_TRUE(cp.ok()) << cp.Describe("crh checkpoint --leave-running");
  EXPECT_EQ(cp.out, "st\n");
  const uint64_t at_checkpoint = Printed().back();
  ordered_json mid = Inspect();
  EXPECT_EQ(mid["state"], "running");
  EXPECT_EQ(mid["pid"], before["pid"]);
  EXPECT_EQ(mid["ip"], before["ip"]);
  EXPECT_EQ(mid["netns"], before["netns"]);
  EXPECT_TRUE(mid["checkpoint_complete"].get<bool>());
  EXPECT_TRUE(mid["checkpoint_left_running"].get<bool>());
  EXPECT_FALSE(mid["checkpointed"].get<bool>());
  EXPECT_TRUE(mid["checkpoint_stats"].contains("criu_statistics")) << mid.dump(2);
  WaitForMore(5);
  auto printed = Printed();
  for (size_t i = 1; i < printed.size(); ++i) {
    ASSERT_EQ(printed[i], printed[i - 1] + 1) << "the process did not simply run on";
  }

  CommandResult refused = Crh({"restore", "st"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("running on from its checkpoint --leave-running"));
  EXPECT_EQ(Inspect()["pid"], before["pid"]) << "a refused restore changes nothing";

  CommandResult stop = Crh({"stop", "-t", "1", "st"});
  ASSERT_TRUE(stop.ok()) << stop.Describe("crh stop");
  const uint64_t at_stop = Printed().back();
  ASSERT_GT(at_stop, at_checkpoint + 3);
  CommandResult stale = Crh({"restore", "st"});
  EXPECT_NE(stale.exit_code, 0);
  EXPECT_THAT(stale.err, AllOf(HasSubstr("is stale"), HasSubstr("--allow-stale")));
  EXPECT_EQ(Inspect()["state"], "exited");

  CommandResult rs = Crh({"restore", "--allow-stale", "st"});
  ASSERT_TRUE(rs.ok()) << rs.Describe("crh restore --allow-stale");
  EXPECT_THAT(rs.err, HasSubstr("what the process did since is lost"));
  ordered_json after = Inspect();
  EXPECT_EQ(after["state"], "running");
  EXPECT_EQ(after["ip"], before["ip"]);
  const size_t seen = Printed().size();
  WaitForMore(3);
  auto all = Printed();
  ASSERT_GT(all.size(), seen);
  // The first number after the restore continues from the checkpoint, not from the stop.
  EXPECT_LE(all[seen], at_checkpoint + 2) << "the process went back to the checkpoint";
  EXPECT_LT(all[seen], at_stop);
}

TEST(StatsCliFlagsTest, PrintStatsOnACommandThatDoesNotTakeItIsRefused) {
  const std::string crh = fs::absolute("src/cli/crh").string();
  for (const char* cmd : {"stop", "inspect", "rm"}) {
    auto r = RunCommand(
        {.argv = {crh, "--root", "/tmp/crh-stats-flags-unused", cmd, "--print-stats", "x"}});
    ASSERT_THAT(r, IsOk());
    EXPECT_NE(r->exit_code, 0) << cmd;
    EXPECT_THAT(r->err, HasSubstr("--print-stats")) << cmd;
    EXPECT_FALSE(fs::exists("/tmp/crh-stats-flags-unused")) << "a refused command made state";
  }
}

std::vector<std::string> Runtimes() { return {"runc-1.3.6", "crun-1.28"}; }

INSTANTIATE_TEST_SUITE_P(Runtimes, StatsCliTest, ::testing::ValuesIn(Runtimes()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& ch : n) {
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace crh
